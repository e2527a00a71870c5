// SPDX-License-Identifier: MIT
// Locating string fields inside a record.

import { LexError } from './errors.js';
import type { FilterField } from './fields.js';

/**
 * Finds a string field's bytes in a record: for `char[N]` the bytes up to the first NUL
 * (at most N), for `__data_loc char[]` the bytes the data_loc word points at, up to the first
 * NUL. Writes the start offset to `out[0]` and the length to `out[1]` (no allocation).
 *
 * @param field - a `char-array` or `dynamic-string` field.
 * @param bytes - the record.
 * @param view - a DataView over the same bytes.
 * @param out - receives start and length.
 * @throws {LexError} `RECORD_TOO_SHORT` when a data_loc points outside the record.
 * @internal
 */
export function locateString(
  field: FilterField,
  bytes: Uint8Array,
  view: DataView,
  out: Int32Array,
): void {
  let start: number;
  let max: number;
  if (field.kind === 'dynamic-string') {
    const loc = view.getUint32(field.offset, true);
    start = loc & 0xffff;
    max = loc >>> 16;
    if (start + max > bytes.length) {
      throw new LexError({
        code: 'RECORD_TOO_SHORT',
        message: `dynamic string \`${field.name}\` points outside the record (${start}+${max} > ${bytes.length})`,
        field: field.name,
      });
    }
  } else {
    start = field.offset;
    max = field.size;
  }
  let n = 0;
  while (n < max && bytes[start + n] !== 0) n++;
  out[0] = start;
  out[1] = n;
}
