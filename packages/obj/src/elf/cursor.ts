// SPDX-License-Identifier: MIT
// Bounds-checked little-endian cursor over a byte array (msgpack/protobuf-es style).

import { ElfError, hex } from './errors.js';

const TWO_32 = 0x1_0000_0000;
/** Largest high 32-bit half that still gives a safe integer. */
const MAX_SAFE_HI = 0x1f_ffff;

/**
 * A read position over a window of a byte array. Every read is checked against the window's end
 * and throws {@link ElfError} `TRUNCATED` with the byte offset of the read, never a RangeError.
 *
 * @remarks Offsets (`pos`, `start`, `end`) are absolute offsets into `bytes`, so error offsets
 * are file offsets. The input may have any alignment: reads go through a `DataView`.
 */
export class ByteCursor {
  /** The whole input. */
  readonly bytes: Uint8Array;
  /** A view over the whole input. */
  readonly view: DataView;
  /** First readable offset. */
  readonly start: number;
  /** One past the last readable offset. */
  readonly end: number;
  /** Current absolute offset. */
  pos: number;

  /**
   * @param bytes - the input.
   * @param start - first readable offset (default 0).
   * @param end - one past the last readable offset (default `bytes.length`).
   * @param view - an existing view over `bytes`, to avoid creating one per cursor.
   */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length, view?: DataView) {
    this.bytes = bytes;
    this.view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.start = start;
    this.end = end;
    this.pos = start;
  }

  /**
   * Checks that `size` bytes can be read at the current position.
   * @param size - byte count.
   * @param what - what is being read, for the message.
   * @throws {ElfError} `TRUNCATED`
   */
  need(size: number, what = 'data'): void {
    if (this.pos + size > this.end) {
      throw new ElfError({
        code: 'TRUNCATED',
        message: `input truncated: ${what} needs ${size} byte(s) at ${hex(this.pos)}, only ${Math.max(0, this.end - this.pos)} left`,
        offset: this.pos,
      });
    }
  }

  /** Reads a u8. @returns the byte. @throws {ElfError} `TRUNCATED` */
  readU8(what?: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  /** Reads a little-endian u16. @returns the value. @throws {ElfError} `TRUNCATED` */
  readU16(what?: string): number {
    this.need(2, what);
    const value = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return value;
  }

  /** Reads a little-endian u32. @returns the value. @throws {ElfError} `TRUNCATED` */
  readU32(what?: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** Reads a little-endian u64. @returns the value as a bigint. @throws {ElfError} `TRUNCATED` */
  readU64(what?: string): bigint {
    this.need(8, what);
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a little-endian i64. @returns the value as a bigint. @throws {ElfError} `TRUNCATED` */
  readI64(what?: string): bigint {
    this.need(8, what);
    const value = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /**
   * Reads a little-endian u64 that must fit a safe integer (file offsets and sizes).
   * @param what - field name for the message.
   * @returns the value as a number.
   * @throws {ElfError} `TRUNCATED`, `VALUE_TOO_LARGE`
   */
  readSize(what = 'size'): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    if (hi > MAX_SAFE_HI) {
      throw new ElfError({
        code: 'VALUE_TOO_LARGE',
        message: `${what} at ${hex(this.pos)} does not fit a safe integer`,
        offset: this.pos,
      });
    }
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  /**
   * Moves to an absolute offset inside the window.
   * @param offset - absolute offset.
   * @throws {ElfError} `TRUNCATED` when the offset is past the window's end.
   */
  seek(offset: number): void {
    if (offset < this.start || offset > this.end) {
      throw new ElfError({
        code: 'TRUNCATED',
        message: `seek to ${hex(offset)} outside ${hex(this.start)}..${hex(this.end)}`,
        offset,
      });
    }
    this.pos = offset;
  }

  /**
   * Returns a view of the next `size` bytes and advances past them (no copy).
   * @param size - byte count.
   * @returns a subarray of the input.
   * @throws {ElfError} `TRUNCATED`
   */
  readBytes(size: number, what?: string): Uint8Array {
    this.need(size, what);
    const out = this.bytes.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }
}
