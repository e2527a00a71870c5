// SPDX-License-Identifier: MIT
// 64-bit integer helpers on 32-bit halves (lo, hi as int32), for the executor's hot paths.
// Results are written to the shared scratch pair `T` (T[0] = lo, T[1] = hi) so no object is
// allocated per operation. BigInt appears only in the rare operations (high multiplies and
// 64-bit divides with large operands) and at the API edge.

/** Scratch result pair: `T[0]` low 32 bits, `T[1]` high 32 bits (both as int32). */
export const T = new Int32Array(2);

/**
 * Joins two halves into an unsigned 64-bit bigint.
 * @param lo - low 32 bits.
 * @param hi - high 32 bits.
 * @returns the value in 0..2^64-1.
 */
export function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Splits a bigint (taken modulo 2^64) into `T`.
 * @param v - any bigint.
 */
export function fromBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  T[0] = Number(u & 0xffffffffn) | 0;
  T[1] = Number(u >> 32n) | 0;
}

/**
 * Logical shift left of a 64-bit value by 0..63 into `T`.
 * @param lo - low half.
 * @param hi - high half.
 * @param n - shift amount, 0..63.
 */
export function lsl64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    T[0] = lo;
    T[1] = hi;
  } else if (n < 32) {
    T[1] = (hi << n) | (lo >>> (32 - n));
    T[0] = lo << n;
  } else {
    T[1] = lo << (n - 32);
    T[0] = 0;
  }
}

/**
 * Logical shift right of a 64-bit value by 0..63 into `T`.
 * @param lo - low half.
 * @param hi - high half.
 * @param n - shift amount, 0..63.
 */
export function lsr64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    T[0] = lo;
    T[1] = hi;
  } else if (n < 32) {
    T[0] = (lo >>> n) | (hi << (32 - n));
    T[1] = hi >>> n;
  } else {
    T[0] = hi >>> (n - 32);
    T[1] = 0;
  }
}

/**
 * Arithmetic shift right of a 64-bit value by 0..63 into `T`.
 * @param lo - low half.
 * @param hi - high half.
 * @param n - shift amount, 0..63.
 */
export function asr64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    T[0] = lo;
    T[1] = hi;
  } else if (n < 32) {
    T[0] = (lo >>> n) | (hi << (32 - n));
    T[1] = hi >> n;
  } else {
    T[0] = hi >> (n - 32);
    T[1] = hi >> 31;
  }
}

/**
 * Rotate right of a 64-bit value by 0..63 into `T`.
 * @param lo - low half.
 * @param hi - high half.
 * @param n - rotate amount, 0..63.
 */
export function ror64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    T[0] = lo;
    T[1] = hi;
    return;
  }
  if (n >= 32) {
    const t = lo;
    lo = hi;
    hi = t;
    n -= 32;
    if (n === 0) {
      T[0] = lo;
      T[1] = hi;
      return;
    }
  }
  T[0] = (lo >>> n) | (hi << (32 - n));
  T[1] = (hi >>> n) | (lo << (32 - n));
}

/**
 * Shifts a 64-bit value by a shift type (0 LSL, 1 LSR, 2 ASR, 3 ROR) into `T`.
 * @param lo - low half.
 * @param hi - high half.
 * @param type - A64 shift type.
 * @param n - amount, 0..63.
 */
export function shift64(lo: number, hi: number, type: number, n: number): void {
  switch (type) {
    case 0:
      lsl64(lo, hi, n);
      break;
    case 1:
      lsr64(lo, hi, n);
      break;
    case 2:
      asr64(lo, hi, n);
      break;
    default:
      ror64(lo, hi, n);
      break;
  }
}

/**
 * Shifts a 32-bit value by a shift type (0 LSL, 1 LSR, 2 ASR, 3 ROR).
 * @param v - the value.
 * @param type - A64 shift type.
 * @param n - amount, 0..31.
 * @returns the 32-bit result as int32.
 */
export function shift32(v: number, type: number, n: number): number {
  switch (type) {
    case 0:
      return v << n;
    case 1:
      return (v >>> n) | 0;
    case 2:
      return v >> n;
    default:
      return n === 0 ? v : (v >>> n) | (v << (32 - n));
  }
}

/**
 * Low 64 bits of a 64×64 product into `T`.
 * @param aLo - a low half.
 * @param aHi - a high half.
 * @param bLo - b low half.
 * @param bHi - b high half.
 */
export function mul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  // 16-bit partial products (each below 2^32) for the high half of aLo * bLo, in integers
  const a0 = aLo & 0xffff,
    a1 = aLo >>> 16,
    b0 = bLo & 0xffff,
    b1 = bLo >>> 16;
  const p01 = a0 * b1,
    p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hi32 = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  T[0] = Math.imul(aLo, bLo);
  T[1] = (hi32 + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
}

/**
 * Full 64-bit product of two unsigned 32-bit values into `T`.
 * @param a - unsigned 32-bit (any int32 is taken as unsigned).
 * @param b - unsigned 32-bit.
 */
export function umull32(a: number, b: number): void {
  mul64(a, 0, b, 0);
}

/**
 * Full 64-bit product of two signed 32-bit values into `T`.
 * @param a - signed 32-bit.
 * @param b - signed 32-bit.
 */
export function smull32(a: number, b: number): void {
  mul64(a, a >> 31, b, b >> 31);
}

/**
 * High 64 bits of the unsigned 128-bit product into `T`.
 * @param aLo - a low half.
 * @param aHi - a high half.
 * @param bLo - b low half.
 * @param bHi - b high half.
 */
export function umulh64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  fromBig((toBig(aLo, aHi) * toBig(bLo, bHi)) >> 64n);
}

/**
 * High 64 bits of the signed 128-bit product into `T`.
 * @param aLo - a low half.
 * @param aHi - a high half.
 * @param bLo - b low half.
 * @param bHi - b high half.
 */
export function smulh64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  fromBig((BigInt.asIntN(64, toBig(aLo, aHi)) * BigInt.asIntN(64, toBig(bLo, bHi))) >> 64n);
}

/**
 * Unsigned 64-bit divide into `T`; division by zero gives 0 (A64 UDIV).
 * @param aLo - dividend low.
 * @param aHi - dividend high.
 * @param bLo - divisor low.
 * @param bHi - divisor high.
 */
export function udiv64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  if ((bLo | bHi) === 0) {
    T[0] = 0;
    T[1] = 0;
    return;
  }
  if (aHi === 0 && bHi === 0) {
    T[0] = Math.floor((aLo >>> 0) / (bLo >>> 0)) | 0;
    T[1] = 0;
    return;
  }
  fromBig(toBig(aLo, aHi) / toBig(bLo, bHi));
}

/**
 * Signed 64-bit divide into `T`, rounding toward zero; x/0 = 0, INT64_MIN/-1 = INT64_MIN.
 * @param aLo - dividend low.
 * @param aHi - dividend high.
 * @param bLo - divisor low.
 * @param bHi - divisor high.
 */
export function sdiv64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  if ((bLo | bHi) === 0) {
    T[0] = 0;
    T[1] = 0;
    return;
  }
  const a = BigInt.asIntN(64, toBig(aLo, aHi));
  const b = BigInt.asIntN(64, toBig(bLo, bHi));
  fromBig(a / b);
}

/**
 * Unsigned 32-bit divide (A64 UDIV W): x/0 = 0.
 * @param a - dividend.
 * @param b - divisor.
 * @returns quotient as int32.
 */
export function udiv32(a: number, b: number): number {
  if (b === 0) return 0;
  return Math.floor((a >>> 0) / (b >>> 0)) | 0;
}

/**
 * Signed 32-bit divide (A64 SDIV W), toward zero: x/0 = 0, INT32_MIN/-1 = INT32_MIN.
 * @param a - dividend.
 * @param b - divisor.
 * @returns quotient as int32.
 */
export function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  return Math.trunc((a | 0) / (b | 0)) | 0;
}

/**
 * Count leading zeros of a 64-bit value.
 * @param lo - low half.
 * @param hi - high half.
 * @returns 0..64.
 */
export function clz64(lo: number, hi: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/**
 * Reverses the bits of a 32-bit value.
 * @param v - the value.
 * @returns the bit-reversed value as int32.
 */
export function rbit32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return (v >>> 16) | (v << 16);
}

/**
 * Reverses the bytes of a 32-bit value.
 * @param v - the value.
 * @returns the byte-swapped value as int32.
 */
export function rev32(v: number): number {
  return (v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24) | 0;
}

/**
 * Swaps the bytes within each 16-bit half of a 32-bit value.
 * @param v - the value.
 * @returns the result as int32.
 */
export function rev16x2(v: number): number {
  return ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8) | 0;
}
