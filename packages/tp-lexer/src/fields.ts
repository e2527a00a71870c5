// SPDX-License-Identifier: MIT
// What a filter needs to know about an event's fields: name, kind, place and width.

/**
 * Kind of a filterable field, as Linux classifies event fields for filters.
 *
 * - `integer`: a 1, 2, 4 or 8-byte little-endian integer (or `bool`, size 1).
 * - `char-array`: a fixed `char name[N]`, NUL-terminated inside its N bytes.
 * - `dynamic-string`: a `__data_loc char[]` field: a u32 holding the string's offset in the
 *   record (low 16 bits) and its length including the NUL (high 16 bits).
 */
export type FilterFieldKind = 'integer' | 'char-array' | 'dynamic-string';

/**
 * One field of an event record, as the filter parser and compiler see it.
 *
 * @example
 * ```ts
 * const fields: FilterField[] = [
 *   { name: 'vm_id', kind: 'integer', offset: 8, size: 4, signed: false },
 *   { name: 'comm', kind: 'char-array', offset: 12, size: 16, signed: false },
 * ];
 * ```
 */
export interface FilterField {
  /** Field name as written in filters. */
  readonly name: string;
  /** How the field is stored. */
  readonly kind: FilterFieldKind;
  /** Byte offset in the record. */
  readonly offset: number;
  /** Size in bytes (1, 2, 4 or 8 for integers; N for `char[N]`; 4 for `__data_loc`). */
  readonly size: number;
  /** Whether an integer field is signed (ignored for strings). */
  readonly signed: boolean;
  /** True for a `bool` field: an integer limited to 0 and 1. */
  readonly isBool?: boolean;
}
