// SPDX-License-Identifier: MIT
// Reciprocal and reciprocal square root estimates and steps (Arm ARM DDI 0487,
// shared/functions/float: FPRecipEstimate, FPRSqrtEstimate, RecipEstimate, RecipSqrtEstimate,
// FPRecpX, UnsignedRecipEstimate, UnsignedRSqrtEstimate; ARMv8.0, without FEAT_RPRES) on
// bit patterns as bigints (these instructions are rare: no fast path).

import { DZC, IOC, IXC, OFC, UFC, fpEnv } from './softfloat.js';

/** RecipEstimate: a in 256..511 (0.5 <= x < 1 in 1/512 steps), result in 256..511. */
function recipEstimate(a: number): number {
  a = a * 2 + 1;
  const b = Math.floor((1 << 19) / a);
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate: a in 128..511, result in 256..511. */
function recipSqrtEstimate(a: number): number {
  if (a < 256) a = a * 2 + 1;
  else {
    a = (a >> 1) << 1;
    a = (a + 1) * 2;
  }
  let b = 512;
  while (a * (b + 1) * (b + 1) < 2 ** 28) b++;
  return (b + 1) >> 1;
}

interface Fmt {
  n: number;
  ebits: number;
  fbits: number;
}
const S: Fmt = { n: 32, ebits: 8, fbits: 23 };
const Dp: Fmt = { n: 64, ebits: 11, fbits: 52 };

const mask = (k: number): bigint => (1n << BigInt(k)) - 1n;

/** Sign, biased exponent and fraction of `x`, with FZ applied (denormal to zero, IDC). */
function unpack(
  x: bigint,
  f: Fmt,
): { sign: bigint; exp: number; frac: bigint; nan: boolean; snan: boolean } {
  const sign = x >> BigInt(f.n - 1);
  const exp = Number((x >> BigInt(f.fbits)) & mask(f.ebits));
  let frac = x & mask(f.fbits);
  const maxE = (1 << f.ebits) - 1;
  const nan = exp === maxE && frac !== 0n;
  const snan = nan && ((frac >> BigInt(f.fbits - 1)) & 1n) === 0n;
  if (exp === 0 && frac !== 0n && ((fpEnv.fpcr >>> 24) & 1) === 1) {
    fpEnv.flags |= 128;
    frac = 0n;
  }
  return { sign, exp, frac, nan, snan };
}

function processNaN(x: bigint, f: Fmt, snan: boolean): bigint {
  if (snan) fpEnv.flags |= IOC;
  if ((fpEnv.fpcr >>> 25) & 1) return defaultNaN(f);
  return x | (1n << BigInt(f.fbits - 1));
}
const defaultNaN = (f: Fmt): bigint =>
  (mask(f.ebits) << BigInt(f.fbits)) | (1n << BigInt(f.fbits - 1));
const inf = (sign: bigint, f: Fmt): bigint =>
  (sign << BigInt(f.n - 1)) | (mask(f.ebits) << BigInt(f.fbits));
const zero = (sign: bigint, f: Fmt): bigint => sign << BigInt(f.n - 1);
const maxNormal = (sign: bigint, f: Fmt): bigint =>
  (sign << BigInt(f.n - 1)) | ((mask(f.ebits) - 1n) << BigInt(f.fbits)) | mask(f.fbits);

/**
 * FRECPE of a single (`n` = 32) or double (64) bit pattern.
 * @internal
 */
export function recipEstimateBits(x: bigint, n: number): bigint {
  const f = n === 32 ? S : Dp;
  const u = unpack(x, f);
  const maxE = (1 << f.ebits) - 1;
  if (u.nan) return processNaN(x, f, u.snan);
  if (u.exp === maxE) return zero(u.sign, f);
  if (u.exp === 0 && u.frac === 0n) {
    fpEnv.flags |= DZC;
    return inf(u.sign, f);
  }
  // |value| < 2^-128 (single) or 2^-1024 (double): the reciprocal overflows
  const tiny = u.exp === 0 && u.frac >> BigInt(f.fbits - 2) === 0n;
  if (tiny) {
    const mode = (fpEnv.fpcr >>> 22) & 3;
    const toInf = mode === 0 || (mode === 1 && u.sign === 0n) || (mode === 2 && u.sign === 1n);
    fpEnv.flags |= OFC | IXC;
    return toInf ? inf(u.sign, f) : maxNormal(u.sign, f);
  }
  if (((fpEnv.fpcr >>> 24) & 1) === 1 && u.exp >= maxE - 2) {
    fpEnv.flags |= UFC;
    return zero(u.sign, f);
  }
  let fraction = u.frac << BigInt(52 - f.fbits); // 52 bits
  let exp = u.exp;
  if (exp === 0) {
    if (((fraction >> 51n) & 1n) === 0n) {
      exp = -1;
      fraction = (fraction & mask(50)) << 2n;
    } else fraction = (fraction & mask(51)) << 1n;
  }
  const scaled = Number((1n << 8n) | ((fraction >> 44n) & 0xffn));
  let resultExp = (n === 32 ? 253 : 2045) - exp;
  const estimate = recipEstimate(scaled);
  let rf = BigInt(estimate & 0xff) << 44n;
  if (resultExp === 0) rf = (1n << 51n) | (rf >> 1n);
  else if (resultExp === -1) {
    rf = (1n << 50n) | (rf >> 2n);
    resultExp = 0;
  }
  return (
    (u.sign << BigInt(n - 1)) |
    (BigInt(resultExp) << BigInt(f.fbits)) |
    (rf >> BigInt(52 - f.fbits))
  );
}

/**
 * FRSQRTE of a single or double bit pattern.
 * @internal
 */
export function rsqrtEstimateBits(x: bigint, n: number): bigint {
  const f = n === 32 ? S : Dp;
  const u = unpack(x, f);
  const maxE = (1 << f.ebits) - 1;
  if (u.nan) return processNaN(x, f, u.snan);
  if (u.exp === 0 && u.frac === 0n) {
    fpEnv.flags |= DZC;
    return inf(u.sign, f);
  }
  if (u.sign === 1n) {
    fpEnv.flags |= IOC;
    return defaultNaN(f);
  }
  if (u.exp === maxE) return 0n;
  let fraction = u.frac << BigInt(52 - f.fbits);
  let exp = u.exp;
  if (exp === 0) {
    while (((fraction >> 51n) & 1n) === 0n) {
      fraction = (fraction << 1n) & mask(52);
      exp--;
    }
    fraction = (fraction << 1n) & mask(52);
  }
  const scaled =
    (exp & 1) === 0
      ? Number((1n << 8n) | ((fraction >> 44n) & 0xffn))
      : Number((1n << 7n) | ((fraction >> 45n) & 0x7fn));
  const resultExp = Math.floor(((n === 32 ? 380 : 3068) - exp) / 2);
  const estimate = recipSqrtEstimate(scaled);
  return (BigInt(resultExp) << BigInt(f.fbits)) | (BigInt(estimate & 0xff) << BigInt(f.fbits - 8));
}

/**
 * FRECPX of a single or double bit pattern.
 * @internal
 */
export function recpXBits(x: bigint, n: number): bigint {
  const f = n === 32 ? S : Dp;
  const u = unpack(x, f);
  if (u.nan) return processNaN(x, f, u.snan);
  const maxE = (1 << f.ebits) - 1;
  const e = u.exp === 0 ? maxE - 1 : ~u.exp & maxE;
  return (u.sign << BigInt(n - 1)) | (BigInt(e) << BigInt(f.fbits));
}

/**
 * URECPE and URSQRTE of a 32-bit lane.
 * @internal
 */
export function unsignedEstimate(x: number, sqrtForm: boolean): number {
  if (sqrtForm) {
    if (x >>> 30 === 0) return -1;
    return (recipSqrtEstimate(x >>> 23) & 0x1ff) << 23;
  }
  if (x >>> 31 === 0) return -1;
  return (recipEstimate(x >>> 23) & 0x1ff) << 23;
}
