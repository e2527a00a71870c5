// SPDX-License-Identifier: MIT
// Compiles a typed filter AST into a predicate over record bytes: either generated JavaScript
// (`new Function`, the default: V8 compiles the whole filter into one function) or a tree of
// closures (for hosts that forbid code generation). Both read the record through a DataView.

import type { FilterAst, FilterNode, IntegerPredicate, StringPredicate } from './ast.js';
import { chainOperands } from './ast.js';
import { LexError } from './errors.js';
import { requiredRecordSize } from './evaluate.js';
import type { FilterField } from './fields.js';
import { parseFilter } from './parser.js';
import { compileGlob } from './glob.js';
import { locateString } from './record-string.js';

/**
 * A compiled filter: true when the record passes.
 *
 * @param bytes - the record (Linux layout: common header, then the fields).
 * @param view - a DataView over exactly the same bytes.
 */
export type FilterPredicate = (bytes: Uint8Array, view: DataView) => boolean;

/** How a filter is compiled. */
export type CompileMode = 'codegen' | 'closures';

/** Options of {@link compileFilter}. */
export interface CompileOptions {
  /** `codegen` (default) generates one JavaScript function; `closures` builds a closure tree. */
  readonly mode?: CompileMode;
}

/** A filter ready to run. */
export interface CompiledFilter {
  /** The filter text. */
  readonly source: string;
  /** The typed AST it was compiled from. */
  readonly ast: FilterAst;
  /** How it was compiled (codegen falls back to closures where `new Function` is forbidden). */
  readonly mode: CompileMode;
  /** The smallest record the predicate accepts; shorter records throw `RECORD_TOO_SHORT`. */
  readonly minRecordSize: number;
  /** The hot predicate: pass the record and a DataView over it. */
  readonly predicate: FilterPredicate;
  /**
   * Convenience wrapper of {@link CompiledFilter.predicate} that builds the DataView itself.
   * @param bytes - the record.
   * @returns whether it passes.
   */
  test(bytes: Uint8Array): boolean;
}

const encoder = new TextEncoder();
const JS_OP = { '==': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

function tooShort(length: number, need: number): never {
  throw new LexError({
    code: 'RECORD_TOO_SHORT',
    message: `record of ${length} bytes is shorter than the ${need} the filter reads`,
  });
}

/**
 * Compiles a parsed filter into a predicate.
 *
 * @param ast - from {@link parseFilter}.
 * @param options - compile mode.
 * @returns the compiled filter.
 * @example
 * ```ts
 * const f = compileFilter(parseFilter('vm_id == 1', fields)!);
 * f.test(recordBytes);
 * ```
 */
export function compileFilter(ast: FilterAst, options: CompileOptions = {}): CompiledFilter {
  const need = requiredRecordSize(ast.root);
  let mode: CompileMode = options.mode ?? 'codegen';
  let predicate: FilterPredicate | undefined;
  if (mode === 'codegen') {
    try {
      predicate = generate(ast.root, need);
    } catch (e) {
      if (e instanceof EvalError) mode = 'closures';
      else throw e;
    }
  }
  if (predicate === undefined) {
    const inner = closure(ast.root);
    predicate = (b, v) => {
      if (b.length < need) tooShort(b.length, need);
      return inner(b, v);
    };
  }
  const p = predicate;
  return {
    source: ast.source,
    ast,
    mode,
    minRecordSize: need,
    predicate: p,
    test: (bytes) => p(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  };
}

/**
 * Parses, checks and compiles a filter in one step.
 *
 * @param input - the filter text.
 * @param fields - the event's fields.
 * @param options - compile mode.
 * @returns the compiled filter, or undefined for an empty filter (no filtering).
 * @throws {LexError} any parse or type error, with its column and caret line.
 */
export function compileFilterText(
  input: string,
  fields: readonly FilterField[],
  options: CompileOptions = {},
): CompiledFilter | undefined {
  const ast = parseFilter(input, fields);
  return ast === undefined ? undefined : compileFilter(ast, options);
}

// ---- string predicates (shared by both modes) ----

function stringPredicate(node: StringPredicate): FilterPredicate {
  const field = node.field;
  const out = new Int32Array(2);
  const pattern = encoder.encode(node.value);
  if (node.op === '~') {
    const glob = compileGlob(pattern);
    return (b, v) => {
      locateString(field, b, v, out);
      return glob(b, out[0]!, out[1]!);
    };
  }
  const wantEqual = node.op === '==';
  const plen = pattern.length;
  return (b, v) => {
    locateString(field, b, v, out);
    if (out[1] !== plen) return !wantEqual;
    const s = out[0]!;
    for (let i = 0; i < plen; i++) if (b[s + i] !== pattern[i]) return !wantEqual;
    return wantEqual;
  };
}

// ---- code generation ----

function read32(field: FilterField, offset = field.offset): string {
  const sign = field.signed ? 'Int' : 'Uint';
  if (field.size === 1) return `v.get${sign}8(${offset})`;
  return `v.get${sign}${field.size * 8}(${offset}, true)`;
}

function genInteger(node: IntegerPredicate): string {
  const f = node.field;
  const o = f.offset;
  if (f.size <= 4) {
    const read = read32(f);
    if (node.op === '&') return `((${read} & ${Number(BigInt.asIntN(32, node.value))}) !== 0)`;
    if (node.mask !== undefined) {
      return `(((${read} & ${Number(BigInt.asIntN(32, node.mask))}) >>> 0) ${JS_OP[node.op]} ${Number(node.value)})`;
    }
    return `(${read} ${JS_OP[node.op]} ${Number(node.value)})`;
  }
  const lo = `v.getUint32(${o}, true)`;
  const hiU = `v.getUint32(${o + 4}, true)`;
  const hiS = `v.getInt32(${o + 4}, true)`;
  if (node.op === '&') {
    const m = BigInt.asUintN(64, node.value);
    return `((${lo} & ${Number(BigInt.asIntN(32, m))}) !== 0 || (${hiU} & ${Number(BigInt.asIntN(32, m >> 32n))}) !== 0)`;
  }
  let loExpr = lo;
  let hiExpr = f.signed ? hiS : hiU;
  let signedHi = f.signed;
  if (node.mask !== undefined) {
    const m = node.mask;
    loExpr = `((${lo} & ${Number(BigInt.asIntN(32, m))}) >>> 0)`;
    hiExpr = `((${hiU} & ${Number(BigInt.asIntN(32, m >> 32n))}) >>> 0)`;
    signedHi = false;
  }
  const bits = BigInt.asUintN(64, node.value);
  const LO = Number(bits & 0xffffffffn);
  const HI = signedHi ? Number(BigInt.asIntN(32, bits >> 32n)) : Number(bits >> 32n);
  if (node.op === '==') return `(${loExpr} === ${LO} && ${hiExpr} === ${HI})`;
  if (node.op === '!=') return `(${loExpr} !== ${LO} || ${hiExpr} !== ${HI})`;
  // The high words differ by an exact integer, so its sign decides; else the low words do.
  return `(((${hiExpr} - ${HI}) || (${loExpr} - ${LO})) ${node.op} 0)`;
}

function generate(root: FilterNode, need: number): FilterPredicate {
  const helpers: FilterPredicate[] = [];
  const gen = (node: FilterNode): string => {
    switch (node.kind) {
      // A chain is one flat expression (`(a || b || c)`), not nested parentheses: the code
      // generator loops over it, and V8's parser sees no nesting either.
      case 'or':
        return `(${chainOperands(node).map(gen).join(' || ')})`;
      case 'and':
        return `(${chainOperands(node).map(gen).join(' && ')})`;
      case 'not':
        return `!${gen(node.operand)}`;
      case 'integer':
        return genInteger(node);
      case 'string':
        helpers.push(stringPredicate(node));
        return `s${helpers.length - 1}(b, v)`;
    }
  };
  const body = gen(root);
  const names = helpers.map((_, i) => `s${i}`);
  const src =
    `${names.length > 0 ? `const [${names.join(', ')}] = h;\n` : ''}` +
    `return function filter(b, v) {\n` +
    `  if (b.length < ${need}) short(b.length, ${need});\n` +
    `  return ${body};\n};`;
  const factory = new Function('h', 'short', src) as (
    h: FilterPredicate[],
    short: typeof tooShort,
  ) => FilterPredicate;
  return factory(helpers, tooShort);
}

// ---- closures ----

function closure(node: FilterNode): FilterPredicate {
  switch (node.kind) {
    // A chain is a loop over its operands, so evaluating it nests no calls.
    case 'or': {
      const ops = chainOperands(node).map(closure);
      if (ops.length === 2) {
        const [l, r] = ops as [FilterPredicate, FilterPredicate];
        return (b, v) => l(b, v) || r(b, v);
      }
      return (b, v) => {
        for (const op of ops) if (op(b, v)) return true;
        return false;
      };
    }
    case 'and': {
      const ops = chainOperands(node).map(closure);
      if (ops.length === 2) {
        const [l, r] = ops as [FilterPredicate, FilterPredicate];
        return (b, v) => l(b, v) && r(b, v);
      }
      return (b, v) => {
        for (const op of ops) if (!op(b, v)) return false;
        return true;
      };
    }
    case 'not': {
      const inner = closure(node.operand);
      return (b, v) => !inner(b, v);
    }
    case 'string':
      return stringPredicate(node);
    case 'integer':
      return integerClosure(node);
  }
}

function reader32(field: FilterField): (v: DataView) => number {
  const o = field.offset;
  switch (field.size) {
    case 1:
      return field.signed ? (v) => v.getInt8(o) : (v) => v.getUint8(o);
    case 2:
      return field.signed ? (v) => v.getInt16(o, true) : (v) => v.getUint16(o, true);
    default:
      return field.signed ? (v) => v.getInt32(o, true) : (v) => v.getUint32(o, true);
  }
}

function compareNumber(op: IntegerPredicate['op'], x: number, c: number): boolean {
  switch (op) {
    case '==':
      return x === c;
    case '!=':
      return x !== c;
    case '<':
      return x < c;
    case '<=':
      return x <= c;
    case '>':
      return x > c;
    case '>=':
      return x >= c;
    default:
      return false;
  }
}

function integerClosure(node: IntegerPredicate): FilterPredicate {
  const f = node.field;
  const op = node.op;
  if (f.size <= 4) {
    const read = reader32(f);
    if (op === '&') {
      const m = Number(BigInt.asIntN(32, node.value));
      return (_b, v) => (read(v) & m) !== 0;
    }
    const c = Number(node.value);
    if (node.mask !== undefined) {
      const m = Number(BigInt.asIntN(32, node.mask));
      return (_b, v) => compareNumber(op, (read(v) & m) >>> 0, c);
    }
    return (_b, v) => compareNumber(op, read(v), c);
  }
  const o = f.offset;
  if (op === '&') {
    const m = BigInt.asUintN(64, node.value);
    const mlo = Number(BigInt.asIntN(32, m));
    const mhi = Number(BigInt.asIntN(32, m >> 32n));
    return (_b, v) => (v.getUint32(o, true) & mlo) !== 0 || (v.getUint32(o + 4, true) & mhi) !== 0;
  }
  const masked = node.mask !== undefined;
  const mask = node.mask ?? 0n;
  const mlo = Number(BigInt.asIntN(32, mask));
  const mhi = Number(BigInt.asIntN(32, mask >> 32n));
  const signedHi = f.signed && !masked;
  const bits = BigInt.asUintN(64, node.value);
  const LO = Number(bits & 0xffffffffn);
  const HI = signedHi ? Number(BigInt.asIntN(32, bits >> 32n)) : Number(bits >> 32n);
  return (_b, v) => {
    let lo = v.getUint32(o, true);
    let hi = signedHi ? v.getInt32(o + 4, true) : v.getUint32(o + 4, true);
    if (masked) {
      lo = (lo & mlo) >>> 0;
      hi = (hi & mhi) >>> 0;
    }
    return compareNumber(op, hi - HI || lo - LO, 0);
  };
}
