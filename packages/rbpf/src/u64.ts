// SPDX-License-Identifier: MIT
// 64-bit arithmetic on pairs of 32-bit halves: the one place for these helpers (BigInt is about
// 60x slower per operation in Node 20, so the interpreter's hot path uses halves).

/**
 * Upper 32 bits of the unsigned 64-bit product of two 32-bit values.
 * @param a - first factor (any int32/uint32 bit pattern).
 * @param b - second factor.
 * @returns the high word, as int32 bits.
 */
export function mulHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/**
 * Joins halves into an unsigned bigint.
 * @param lo - low 32 bits.
 * @param hi - high 32 bits.
 * @returns the value in 0..2^64-1.
 */
export function toU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Joins halves into a signed bigint.
 * @param lo - low 32 bits.
 * @param hi - high 32 bits.
 * @returns the value in -2^63..2^63-1.
 */
export function toS64(lo: number, hi: number): bigint {
  return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Writes a bigint (taken modulo 2^64) into a register pair.
 * @param regs - register halves.
 * @param index - int32 index of the low half.
 * @param value - the value.
 */
export function storeU64(regs: Int32Array, index: number, value: bigint): void {
  regs[index] = Number(BigInt.asIntN(32, value));
  regs[index + 1] = Number(BigInt.asIntN(32, value >> 32n));
}

const TWO_32 = 4294967296;

/**
 * 64-bit division or modulo as RFC 9669 defines it, in place on register halves: unsigned or
 * signed (`off = 1`), division by zero gives 0 and modulo by zero leaves `dst` unchanged,
 * `INT64_MIN / -1` wraps to `INT64_MIN` and `INT64_MIN % -1` is 0.
 * @param regs - register halves.
 * @param d - int32 index of dst's low half.
 * @param bLo - divisor low half.
 * @param bHi - divisor high half.
 * @param signed - sdiv/smod.
 * @param modulo - mod instead of div.
 */
export function divMod64(
  regs: Int32Array,
  d: number,
  bLo: number,
  bHi: number,
  signed: boolean,
  modulo: boolean,
): void {
  const aLo = regs[d]!;
  const aHi = regs[d + 1]!;
  if (bLo === 0 && bHi === 0) {
    if (!modulo) {
      regs[d] = 0;
      regs[d + 1] = 0;
    }
    return;
  }
  if (!signed && aHi === 0 && bHi === 0) {
    const a = aLo >>> 0;
    const b = bLo >>> 0;
    regs[d] = modulo ? a % b : Math.floor(a / b);
    regs[d + 1] = 0;
    return;
  }
  if (signed) {
    const a = toS64(aLo, aHi);
    const b = toS64(bLo, bHi);
    // bigint division truncates toward zero, as C and the ISA do; MIN / -1 wraps via asIntN.
    storeU64(regs, d, modulo ? a % b : a / b);
  } else {
    const a = toU64(aLo, aHi);
    const b = toU64(bLo, bHi);
    storeU64(regs, d, modulo ? a % b : a / b);
  }
}

/**
 * 32-bit division or modulo as RFC 9669 defines it; the result is zero-extended.
 * @param a - dividend (low 32 bits of dst).
 * @param b - divisor.
 * @param signed - sdiv32/smod32.
 * @param modulo - mod instead of div.
 * @returns the 32-bit result (int32 bits); for modulo by zero, `a` itself.
 */
export function divMod32(a: number, b: number, signed: boolean, modulo: boolean): number {
  if (b === 0) return modulo ? a : 0;
  if (signed) {
    const x = a | 0;
    const y = b | 0;
    if (y === -1) return modulo ? 0 : -x | 0;
    return modulo ? x % y | 0 : (x / y) | 0;
  }
  const x = a >>> 0;
  const y = b >>> 0;
  return modulo ? x % y | 0 : Math.floor(x / y) | 0;
}

/**
 * Address as a JavaScript number (exact below 2^53).
 * @param lo - low 32 bits.
 * @param hi - high 32 bits.
 * @returns the address.
 */
export function toNumber(lo: number, hi: number): number {
  return (hi >>> 0) * TWO_32 + (lo >>> 0);
}

/**
 * Byte swap of a 32-bit value.
 * @param x - the value.
 * @returns its bytes reversed.
 */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
