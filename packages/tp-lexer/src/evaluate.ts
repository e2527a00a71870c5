// SPDX-License-Identifier: MIT
// Reference evaluator of a filter AST: plain, BigInt-based and slow on purpose. It is the
// oracle the compiled predicates are tested against.

import type { FilterAst, FilterNode, IntegerPredicate } from './ast.js';
import { chainOperands } from './ast.js';
import { LexError } from './errors.js';
import type { FilterField } from './fields.js';
import { compileGlob } from './glob.js';
import { locateString } from './record-string.js';

const encoder = new TextEncoder();

/**
 * Reads an integer field of a record as a BigInt (sign-extended for signed fields).
 *
 * @param field - an `integer` field.
 * @param view - the record.
 * @returns the value.
 */
export function readIntegerField(field: FilterField, view: DataView): bigint {
  const o = field.offset;
  switch (field.size) {
    case 1:
      return BigInt(field.signed ? view.getInt8(o) : view.getUint8(o));
    case 2:
      return BigInt(field.signed ? view.getInt16(o, true) : view.getUint16(o, true));
    case 4:
      return BigInt(field.signed ? view.getInt32(o, true) : view.getUint32(o, true));
    default:
      return field.signed ? view.getBigInt64(o, true) : view.getBigUint64(o, true);
  }
}

/**
 * Minimum record size a filter needs: the end of the furthest field it reads.
 *
 * @param node - the filter's root node.
 * @returns a byte count.
 */
export function requiredRecordSize(node: FilterNode): number {
  // An explicit stack: no recursion however long or deep the filter.
  let need = 0;
  const stack: FilterNode[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    switch (n.kind) {
      case 'or':
      case 'and':
        stack.push(n.left, n.right);
        break;
      case 'not':
        stack.push(n.operand);
        break;
      default:
        need = Math.max(need, n.field.offset + n.field.size);
    }
  }
  return need;
}

/**
 * Evaluates a filter on a record by walking its AST (the reference semantics).
 *
 * @param ast - a parsed filter.
 * @param record - the record bytes (Linux layout).
 * @returns whether the record passes the filter.
 * @throws {LexError} `RECORD_TOO_SHORT` when the record lacks a field the filter reads.
 */
export function evaluateFilter(ast: FilterAst, record: Uint8Array): boolean {
  const need = requiredRecordSize(ast.root);
  if (record.length < need) {
    throw new LexError({
      code: 'RECORD_TOO_SHORT',
      message: `record of ${record.length} bytes is shorter than the ${need} the filter reads`,
    });
  }
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  return evalNode(ast.root, record, view);
}

function evalNode(node: FilterNode, bytes: Uint8Array, view: DataView): boolean {
  switch (node.kind) {
    case 'or':
      return chainOperands(node).some((n) => evalNode(n, bytes, view));
    case 'and':
      return chainOperands(node).every((n) => evalNode(n, bytes, view));
    case 'not':
      return !evalNode(node.operand, bytes, view);
    case 'integer':
      return evalInteger(node, view);
    case 'string': {
      const out = new Int32Array(2);
      locateString(node.field, bytes, view, out);
      const pattern = encoder.encode(node.value);
      if (node.op === '~') return compileGlob(pattern)(bytes, out[0]!, out[1]!);
      let equal = out[1] === pattern.length;
      for (let i = 0; equal && i < pattern.length; i++) equal = bytes[out[0]! + i] === pattern[i];
      return node.op === '==' ? equal : !equal;
    }
  }
}

function evalInteger(node: IntegerPredicate, view: DataView): boolean {
  let v = readIntegerField(node.field, view);
  if (node.op === '&') return (BigInt.asUintN(node.field.size * 8, v) & node.value) !== 0n;
  if (node.mask !== undefined) v = BigInt.asUintN(node.field.size * 8, v) & node.mask;
  const c = node.value;
  switch (node.op) {
    case '==':
      return v === c;
    case '!=':
      return v !== c;
    case '<':
      return v < c;
    case '<=':
      return v <= c;
    case '>':
      return v > c;
    case '>=':
      return v >= c;
  }
}
