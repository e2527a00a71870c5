// SPDX-License-Identifier: MIT
// Typed AST of a filter, checked against the event's fields.

import type { FilterField } from './fields.js';

/** Comparison operators on integer fields. */
export type IntegerCompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Operators on string fields: exact compare or glob match (`~`). */
export type StringOp = '==' | '!=' | '~';

/** Source span of a node: 0-based `[start, end)` offsets into the filter text. */
export interface Span {
  /** Offset of the first character. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
}

/** `left || right`. */
export interface OrNode extends Span {
  readonly kind: 'or';
  readonly left: FilterNode;
  readonly right: FilterNode;
}

/** `left && right`. */
export interface AndNode extends Span {
  readonly kind: 'and';
  readonly left: FilterNode;
  readonly right: FilterNode;
}

/** `!operand`. */
export interface NotNode extends Span {
  readonly kind: 'not';
  readonly operand: FilterNode;
}

/**
 * A predicate on an integer field.
 *
 * - `op` is a comparison: `field op value` (signed or unsigned after the field's type);
 * - `op` is `'&'`: Linux's bit test, true when `field & value` is not zero;
 * - `mask` is set: `(field & mask) op value`, the masked compare of the Rust tp-lexer
 *   (an extension to Linux), compared as an unsigned value of the field's width.
 */
export interface IntegerPredicate extends Span {
  readonly kind: 'integer';
  readonly field: FilterField;
  readonly op: IntegerCompareOp | '&';
  /** The constant, already range-checked against the field type. */
  readonly value: bigint;
  /** The mask of a masked compare, as an unsigned bit pattern of the field's width. */
  readonly mask: bigint | undefined;
}

/** A predicate on a string field (`char[N]` or `__data_loc char[]`). */
export interface StringPredicate extends Span {
  readonly kind: 'string';
  readonly field: FilterField;
  readonly op: StringOp;
  /** The string or glob pattern, decoded (escapes applied). */
  readonly value: string;
}

/** Any node of a filter's AST. */
export type FilterNode = OrNode | AndNode | NotNode | IntegerPredicate | StringPredicate;

/**
 * The operands of a chain of one logical operator, left to right: `a && b && c` (parsed as
 * `(a && b) && c`) gives `[a, b, c]`. Walks the left spine with a loop, so a chain of any
 * length costs no recursion; walkers recurse only into operands, whose depth the parser bounds.
 *
 * @param node - an `and` or `or` node.
 * @returns its operands; none of them is a node of the same kind on the left.
 */
export function chainOperands(node: AndNode | OrNode): FilterNode[] {
  const out: FilterNode[] = [];
  let n: FilterNode = node;
  while (n.kind === node.kind) {
    const link: AndNode | OrNode = n;
    out.push(link.right);
    n = link.left;
  }
  out.push(n);
  return out.reverse();
}

/** A parsed and type-checked filter. */
export interface FilterAst {
  /** The filter text it was parsed from. */
  readonly source: string;
  /** The root node. */
  readonly root: FilterNode;
  /** The fields it was checked against. */
  readonly fields: readonly FilterField[];
}
