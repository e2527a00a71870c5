// SPDX-License-Identifier: MIT
// Parser of the ftrace filter language into a typed AST. Grammar and precedence follow Linux
// kernel/trace/trace_events_filter.c (`||` lowest, then `&&`, then `!`, parentheses,
// predicates `field op value`); written here, not ported.

import type { FilterAst, FilterNode, IntegerCompareOp, StringOp } from './ast.js';
import { LexError } from './errors.js';
import type { FilterField } from './fields.js';
import { tokenize } from './lexer.js';
import type { Token } from './lexer.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_DEPTH = 256;

/**
 * The longest filter accepted, in UTF-8 bytes, plus one: Linux refuses a write of a page
 * (4096 bytes) or more to an event's `filter` file.
 */
export const MAX_FILTER_BYTES = 4096;

/**
 * Parses a Linux numeric literal the way `kstrtoll(…, 0)` reads it: an optional sign, then
 * `0x` hexadecimal, a leading `0` octal, or decimal.
 *
 * @param text - the literal.
 * @returns the value, or undefined when `text` is not a valid number.
 */
export function parseNumber(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return undefined;
  const body = m[2]!;
  let v: bigint;
  if (body.length > 1 && (body[1] === 'x' || body[1] === 'X')) v = BigInt(body);
  else if (body.length > 1 && body[0] === '0') v = BigInt('0o' + body.slice(1));
  else v = BigInt(body);
  return m[1] === '-' ? -v : v;
}

/**
 * Parses a filter and checks it against an event's fields.
 *
 * @param input - the filter text, e.g. `vm_id == 1 && (reason == 3 || comm ~ "vcpu*")`.
 * @param fields - the fields of the event the filter is for.
 * @returns the typed AST, or undefined when the filter is empty (only whitespace): an empty
 *   filter means "no filter".
 * @throws {LexError} with `offset`/`column`/`caret`: `UNEXPECTED_CHAR`, `UNTERMINATED_STRING`,
 *   `BAD_ESCAPE`, `BAD_NUMBER`, `UNEXPECTED_TOKEN`, `UNEXPECTED_END`, `UNKNOWN_FIELD`,
 *   `NOT_NUMERIC`, `NOT_STRING`, `NUMBER_TOO_WIDE`.
 * @remarks Differences from the Rust tp-lexer: negative numbers and octal are accepted as in
 *   Linux, `!` negates, `field & mask` alone is Linux's bit test, bare words keep their
 *   characters, and all type errors carry the position of the offending text.
 * @example
 * ```ts
 * const ast = parseFilter('pid > 10', [{ name: 'pid', kind: 'integer', offset: 8, size: 4, signed: true }]);
 * ```
 */
export function parseFilter(input: string, fields: readonly FilterField[]): FilterAst | undefined {
  checkLength(input);
  const tokens = tokenize(input);
  if (tokens.length === 1) return undefined;
  const byName = new Map<string, FilterField>();
  for (const f of fields) {
    checkField(f);
    byName.set(f.name, f);
  }
  const p = new Parser(input, tokens, byName);
  const root = p.parseOr(0);
  const t = p.peek();
  if (t.kind !== 'eof') {
    throw p.error(
      'UNEXPECTED_TOKEN',
      t.kind === ')' ? 'unbalanced `)`' : `extraneous input \`${t.text}\``,
      t,
    );
  }
  return { source: input, root, fields };
}

/** Rejects a filter of {@link MAX_FILTER_BYTES} bytes or more, pointing at the first byte past the limit. */
function checkLength(input: string): void {
  if (input.length < MAX_FILTER_BYTES / 3) return; // at most 3 UTF-8 bytes per UTF-16 unit
  let bytes = 0;
  let at = -1;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    // UTF-8 length: a surrogate pair is 4 bytes, counted on its high half.
    bytes +=
      c < 0x80
        ? 1
        : c < 0x800
          ? 2
          : c >= 0xd800 && c < 0xdc00
            ? 4
            : c >= 0xdc00 && c < 0xe000
              ? 0
              : 3;
    if (at < 0 && bytes >= MAX_FILTER_BYTES) at = i;
  }
  if (at < 0) return;
  throw new LexError({
    code: 'FILTER_TOO_LONG',
    message: `filter of ${bytes} bytes at column ${at + 1}: Linux refuses filters of a page (${MAX_FILTER_BYTES} bytes) or more`,
    // No `input`: a caret line would repeat the whole page-long filter in the message.
    offset: at,
  });
}

/** Rejects malformed field descriptions (they feed generated code, so they must be plain data). */
function checkField(f: FilterField): void {
  const ok =
    typeof f.name === 'string' &&
    IDENT.test(f.name) &&
    Number.isInteger(f.offset) &&
    f.offset >= 0 &&
    f.offset <= 0xffff &&
    typeof f.signed === 'boolean' &&
    (f.kind === 'integer'
      ? f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8
      : f.kind === 'char-array'
        ? Number.isInteger(f.size) && f.size >= 1 && f.size <= 0xffff
        : f.kind === 'dynamic-string' && f.size === 4);
  if (!ok) {
    throw new LexError({
      code: 'INVALID_FIELD',
      message: `malformed field description \`${String(f.name)}\``,
      field: String(f.name),
    });
  }
}

class Parser {
  #pos = 0;
  constructor(
    readonly input: string,
    readonly tokens: Token[],
    readonly fields: Map<string, FilterField>,
  ) {}

  peek(): Token {
    return this.tokens[this.#pos]!;
  }

  take(): Token {
    const t = this.tokens[this.#pos]!;
    if (t.kind !== 'eof') this.#pos++;
    return t;
  }

  error(
    code: LexError['code'],
    message: string,
    at: { start: number; end: number },
    field?: string,
  ): LexError {
    const atEnd = at.start >= this.input.length;
    return new LexError({
      code: atEnd && code === 'UNEXPECTED_TOKEN' ? 'UNEXPECTED_END' : code,
      message,
      input: this.input,
      offset: at.start,
      length: Math.max(1, at.end - at.start),
      ...(field === undefined ? {} : { field }),
    });
  }

  parseOr(depth: number): FilterNode {
    let left = this.parseAnd(depth);
    while (this.peek().kind === '||') {
      this.take();
      const right = this.parseAnd(depth);
      left = { kind: 'or', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  parseAnd(depth: number): FilterNode {
    let left = this.parseUnary(depth);
    while (this.peek().kind === '&&') {
      this.take();
      const right = this.parseUnary(depth);
      left = { kind: 'and', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  parseUnary(depth: number): FilterNode {
    if (depth > MAX_DEPTH) {
      const t = this.peek();
      throw this.error('UNEXPECTED_TOKEN', `expression nested deeper than ${MAX_DEPTH}`, t);
    }
    const t = this.peek();
    if (t.kind === '!') {
      this.take();
      const operand = this.parseUnary(depth + 1);
      return { kind: 'not', operand, start: t.start, end: operand.end };
    }
    if (t.kind === '(') {
      this.take();
      const inner = this.parseOr(depth + 1);
      const close = this.take();
      if (close.kind !== ')') {
        throw this.error(
          'UNEXPECTED_TOKEN',
          close.kind === 'eof' ? 'missing `)`' : `expected \`)\`, found \`${close.text}\``,
          close,
        );
      }
      return inner;
    }
    return this.parsePredicate();
  }

  parsePredicate(): FilterNode {
    const nameTok = this.take();
    if (nameTok.kind !== 'word' || !IDENT.test(nameTok.value)) {
      throw this.error(
        'UNEXPECTED_TOKEN',
        nameTok.kind === 'eof'
          ? 'expected a field name'
          : `expected a field name, found \`${nameTok.text}\``,
        nameTok,
      );
    }
    const field = this.fields.get(nameTok.value);
    if (field === undefined) {
      throw this.error(
        'UNKNOWN_FIELD',
        `unknown field \`${nameTok.value}\``,
        nameTok,
        nameTok.value,
      );
    }
    const opTok = this.take();
    if (field.kind === 'integer') return this.integerPredicate(field, nameTok, opTok);
    return this.stringPredicate(field, nameTok, opTok);
  }

  integerPredicate(field: FilterField, nameTok: Token, opTok: Token): FilterNode {
    switch (opTok.kind) {
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const valueTok = this.take();
        const value = this.number(field, valueTok, 'value');
        return {
          kind: 'integer',
          field,
          op: opTok.kind,
          value,
          mask: undefined,
          start: nameTok.start,
          end: valueTok.end,
        };
      }
      case '&': {
        const maskTok = this.take();
        const mask = this.number(field, maskTok, 'mask');
        const cmp = this.peek();
        if (
          cmp.kind === '==' ||
          cmp.kind === '!=' ||
          cmp.kind === '<' ||
          cmp.kind === '<=' ||
          cmp.kind === '>' ||
          cmp.kind === '>='
        ) {
          this.take();
          const valueTok = this.take();
          const value = this.number({ ...field, signed: false }, valueTok, 'value');
          return {
            kind: 'integer',
            field,
            op: cmp.kind as IntegerCompareOp,
            value,
            mask,
            start: nameTok.start,
            end: valueTok.end,
          };
        }
        return {
          kind: 'integer',
          field,
          op: '&',
          value: mask,
          mask: undefined,
          start: nameTok.start,
          end: maskTok.end,
        };
      }
      case '~':
        throw this.error(
          'NOT_STRING',
          `field \`${field.name}\` is numeric: \`~\` needs a string field`,
          opTok,
          field.name,
        );
      default:
        throw this.error(
          'UNEXPECTED_TOKEN',
          opTok.kind === 'eof'
            ? `expected an operator after \`${field.name}\``
            : `expected an operator, found \`${opTok.text}\``,
          opTok,
          field.name,
        );
    }
  }

  number(field: FilterField, tok: Token, what: 'value' | 'mask'): bigint {
    if (tok.kind === 'string') {
      throw this.error(
        'NOT_STRING',
        `field \`${field.name}\` is numeric: compare it with a number`,
        tok,
        field.name,
      );
    }
    if (tok.kind !== 'word') {
      throw this.error(
        'UNEXPECTED_TOKEN',
        tok.kind === 'eof'
          ? `expected a number after the operator`
          : `expected a number, found \`${tok.text}\``,
        tok,
        field.name,
      );
    }
    const v = parseNumber(tok.value);
    if (v === undefined) {
      if (/^[+-]?[0-9]/.test(tok.value)) {
        throw this.error('BAD_NUMBER', `malformed number \`${tok.value}\``, tok, field.name);
      }
      throw this.error(
        'NOT_STRING',
        `field \`${field.name}\` is numeric: compare it with a number, not \`${tok.value}\``,
        tok,
        field.name,
      );
    }
    const bits = BigInt(field.size * 8);
    let min: bigint;
    let max: bigint;
    if (field.isBool === true && what === 'value') {
      min = 0n;
      max = 1n;
    } else if (what === 'mask') {
      // A mask is a bit pattern: any value that fits the width, signed or not.
      min = -(1n << (bits - 1n));
      max = (1n << bits) - 1n;
    } else if (field.signed) {
      min = -(1n << (bits - 1n));
      max = (1n << (bits - 1n)) - 1n;
    } else {
      min = 0n;
      max = (1n << bits) - 1n;
    }
    if (v < min || v > max) {
      const type =
        field.isBool === true && what === 'value'
          ? 'bool'
          : `${field.signed && what === 'value' ? 's' : 'u'}${bits}`;
      throw this.error(
        'NUMBER_TOO_WIDE',
        `\`${tok.value}\` does not fit field \`${field.name}\` (${type}, ${min}..${max})`,
        tok,
        field.name,
      );
    }
    return what === 'mask' ? BigInt.asUintN(Number(bits), v) : v;
  }

  stringPredicate(field: FilterField, nameTok: Token, opTok: Token): FilterNode {
    let op: StringOp;
    switch (opTok.kind) {
      case '==':
      case '!=':
      case '~':
        op = opTok.kind;
        break;
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '&':
        throw this.error(
          'NOT_NUMERIC',
          `field \`${field.name}\` is a string: \`${opTok.kind}\` needs a numeric field`,
          opTok,
          field.name,
        );
      default:
        throw this.error(
          'UNEXPECTED_TOKEN',
          opTok.kind === 'eof'
            ? `expected an operator after \`${field.name}\``
            : `expected an operator, found \`${opTok.text}\``,
          opTok,
          field.name,
        );
    }
    const valueTok = this.take();
    if (valueTok.kind !== 'string' && valueTok.kind !== 'word') {
      throw this.error(
        'UNEXPECTED_TOKEN',
        valueTok.kind === 'eof'
          ? 'expected a string after the operator'
          : `expected a string, found \`${valueTok.text}\``,
        valueTok,
        field.name,
      );
    }
    if (op === '~' && valueTok.value.startsWith('!')) {
      // Linux (filter_parse_regex): a glob that starts with `!` is negated.
      const operand: FilterNode = {
        kind: 'string',
        field,
        op,
        value: valueTok.value.slice(1),
        start: nameTok.start,
        end: valueTok.end,
      };
      return { kind: 'not', operand, start: nameTok.start, end: valueTok.end };
    }
    return {
      kind: 'string',
      field,
      op,
      value: valueTok.value,
      start: nameTok.start,
      end: valueTok.end,
    };
  }
}
