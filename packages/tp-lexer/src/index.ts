// SPDX-License-Identifier: MIT
// @axebpf/tp-lexer: the Linux ftrace filter language (role of Starry-OS/tp-lexer).

export { LexError } from './errors.js';
export type { LexErrorCode, LexErrorOptions } from './errors.js';
export type { FilterField, FilterFieldKind } from './fields.js';
export { tokenize } from './lexer.js';
export type { Token, TokenKind } from './lexer.js';
export { MAX_FILTER_BYTES, parseFilter, parseNumber } from './parser.js';
export type {
  AndNode,
  FilterAst,
  FilterNode,
  IntegerCompareOp,
  IntegerPredicate,
  NotNode,
  OrNode,
  Span,
  StringOp,
  StringPredicate,
} from './ast.js';
export { chainOperands } from './ast.js';
export { evaluateFilter, readIntegerField, requiredRecordSize } from './evaluate.js';
export { compileFilter, compileFilterText } from './compile.js';
export type { CompileMode, CompileOptions, CompiledFilter, FilterPredicate } from './compile.js';
export { compileGlob } from './glob.js';
export type { GlobMatcher } from './glob.js';
