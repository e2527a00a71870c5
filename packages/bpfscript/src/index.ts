// SPDX-License-Identifier: MIT
// @axebpf/bpfscript: a bpftrace-like language compiled in-process to verified eBPF.
export { compile, SCRIPT_HELPERS } from './compiler.js';
export type { CompileOptions } from './compiler.js';
export { parse } from './parser.js';
export type {
  BinaryOp,
  Expr,
  Located,
  MapRef,
  ProbeBlock,
  ProbeRef,
  ProgramAst,
  Stmt,
} from './ast.js';
export { ScriptError, spanAt } from './errors.js';
export type { ScriptErrorCode, ScriptErrorOptions, SourceSpan } from './errors.js';
export {
  parseProbe,
  resolveProbe,
  globMatch,
  HPROBE_CTX,
  GUEST_CTX,
  EMPTY_CTX_SIZE,
} from './probes.js';
export type { ProbeKind, ProbeSpec, ResolvedProbe } from './probes.js';
export { checkFormat, formatPrintf } from './printf.js';
export { formatMap, decodeKey, histLabel, renderBars } from './output.js';
export type { MapEntry, KeyValue } from './output.js';
export { ScriptRunner, EXIT_STEP_NS } from './runner.js';
export type { ScriptHost, ScriptMap, ScriptRing, ScriptRunnerOptions } from './runner.js';
export { STRING_SIZE, EVENT_KIND } from './types.js';
export type {
  CompiledProbe,
  CompiledScript,
  MapSpec,
  MapValueKind,
  PrintfSpec,
  ValueType,
} from './types.js';
