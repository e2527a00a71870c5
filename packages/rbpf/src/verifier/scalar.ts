// SPDX-License-Identifier: MIT
// Abstract 64-bit scalars: signed and unsigned intervals plus known bits (a tnum: `value` holds
// the known bits, `mask` the unknown ones), kept consistent with each other.

/** 2^64 - 1. */
export const U64_MAX = (1n << 64n) - 1n;
/** Largest signed 64-bit value. */
export const S64_MAX = (1n << 63n) - 1n;
/** Smallest signed 64-bit value. */
export const S64_MIN = -(1n << 63n);
/** 2^32 - 1. */
export const U32_MAX = 0xffffffffn;

/**
 * An abstract scalar. Every concrete value `x` it stands for satisfies all of: `smin <= s64(x)
 * <= smax`, `umin <= x <= umax`, `(x & ~mask) === value`. `id` links registers known to hold
 * the same value (0: none).
 */
export interface Scalar {
  readonly smin: bigint;
  readonly smax: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly value: bigint;
  readonly mask: bigint;
  readonly id: number;
}

/** @returns `x` as signed 64-bit. */
export function toS64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}
/** @returns `x` as unsigned 64-bit. */
export function toU64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

/** @returns the scalar holding exactly `c` (taken modulo 2^64). */
export function constant(c: bigint): Scalar {
  const u = toU64(c);
  const s = toS64(c);
  return { smin: s, smax: s, umin: u, umax: u, value: u, mask: 0n, id: 0 };
}

/** Any 64-bit value. */
export const UNKNOWN: Scalar = {
  smin: S64_MIN,
  smax: S64_MAX,
  umin: 0n,
  umax: U64_MAX,
  value: 0n,
  mask: U64_MAX,
  id: 0,
};

/** @returns the scalar for any value in `[0, 2^bits - 1]`. */
export function unsignedOfWidth(bits: number): Scalar {
  if (bits >= 64) return UNKNOWN;
  const max = (1n << BigInt(bits)) - 1n;
  return { smin: 0n, smax: max, umin: 0n, umax: max, value: 0n, mask: max, id: 0 };
}

/** @returns the scalar for any sign-extended value of `bits` bits. */
export function signedOfWidth(bits: number): Scalar {
  if (bits >= 64) return UNKNOWN;
  const half = 1n << BigInt(bits - 1);
  return normalize({
    smin: -half,
    smax: half - 1n,
    umin: 0n,
    umax: U64_MAX,
    value: 0n,
    mask: U64_MAX,
    id: 0,
  });
}

/** @returns the scalar for an unsigned range. */
export function unsignedRange(lo: bigint, hi: bigint): Scalar {
  return normalize({
    smin: S64_MIN,
    smax: S64_MAX,
    umin: lo,
    umax: hi,
    value: 0n,
    mask: U64_MAX,
    id: 0,
  });
}

/** @returns the scalar for a signed range. */
export function signedRange(lo: bigint, hi: bigint): Scalar {
  return normalize({
    smin: lo,
    smax: hi,
    umin: 0n,
    umax: U64_MAX,
    value: 0n,
    mask: U64_MAX,
    id: 0,
  });
}

/** @returns whether the scalar is a single value. */
export function isConstant(s: Scalar): boolean {
  return s.umin === s.umax;
}

/** @returns whether no value satisfies the scalar (an infeasible path). */
export function isEmpty(s: Scalar): boolean {
  return s.smin > s.smax || s.umin > s.umax || (s.value & s.mask) !== 0n;
}

function tnumRange(lo: bigint, hi: bigint): { value: bigint; mask: bigint } {
  const chi = lo ^ hi;
  if (chi === 0n) return { value: lo, mask: 0n };
  const bits = BigInt(chi.toString(2).length);
  const delta = (1n << bits) - 1n;
  return { value: lo & ~delta & U64_MAX, mask: delta };
}

/**
 * Tightens the three views against each other (the kernel's `reg_bounds_sync`).
 * @returns an equivalent, tighter scalar; possibly empty (see {@link isEmpty}).
 */
export function normalize(s: Scalar): Scalar {
  let { smin, smax, umin, umax, value, mask } = s;
  for (let round = 0; round < 2; round++) {
    // known bits -> unsigned range
    if (value > umin) umin = value;
    const top = value | mask;
    if (top < umax) umax = top;
    // signed <-> unsigned when the signed range does not cross zero
    if (smin >= 0n || smax < 0n) {
      const a = toU64(smin);
      const b = toU64(smax);
      if (a > umin) umin = a;
      if (b < umax) umax = b;
    }
    if (umax <= S64_MAX || umin > S64_MAX) {
      const a = toS64(umin);
      const b = toS64(umax);
      if (a > smin) smin = a;
      if (b < smax) smax = b;
    }
    // unsigned range -> known bits
    if (umin > umax || smin > smax) break;
    const t = tnumRange(umin, umax);
    if (((value ^ t.value) & ~mask & ~t.mask & U64_MAX) !== 0n) {
      return { smin, smax, umin: 1n, umax: 0n, value, mask, id: s.id };
    }
    const nm = mask & t.mask;
    value = (value | t.value) & ~nm & U64_MAX;
    mask = nm;
  }
  return { smin, smax, umin, umax, value, mask, id: s.id };
}

/** @returns the scalar with its link id dropped (or replaced). */
export function withId(s: Scalar, id: number): Scalar {
  return s.id === id ? s : { ...s, id };
}

/** @returns whether every value of `inner` is a value of `outer` (ids are not compared). */
export function scalarWithin(inner: Scalar, outer: Scalar): boolean {
  return (
    inner.smin >= outer.smin &&
    inner.smax <= outer.smax &&
    inner.umin >= outer.umin &&
    inner.umax <= outer.umax &&
    (inner.mask & ~outer.mask) === 0n &&
    ((inner.value ^ outer.value) & ~outer.mask) === 0n
  );
}

/** @returns whether two scalars are the same abstract value (ids are not compared). */
export function scalarEqual(a: Scalar, b: Scalar): boolean {
  return (
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.value === b.value &&
    a.mask === b.mask
  );
}

/** @returns the scalar truncated to its low 32 bits, zero-extended. */
export function truncate32(s: Scalar): Scalar {
  let lo: bigint;
  let hi: bigint;
  if (s.umax <= U32_MAX) {
    lo = s.umin;
    hi = s.umax;
  } else if (s.umin >> 32n === s.umax >> 32n) {
    lo = s.umin & U32_MAX;
    hi = s.umax & U32_MAX;
  } else {
    lo = 0n;
    hi = U32_MAX;
  }
  return normalize({
    smin: lo,
    smax: hi,
    umin: lo,
    umax: hi,
    value: s.value & U32_MAX,
    mask: s.mask & U32_MAX,
    id: 0,
  });
}

/** @returns the scalar sign-extended from its low `bits` bits. */
export function signExtend(s: Scalar, bits: number): Scalar {
  if (isConstant(s)) return constant(BigInt.asIntN(bits, s.umin));
  const half = 1n << BigInt(bits - 1);
  if (s.umax < half) return { ...s, id: 0 };
  return signedOfWidth(bits);
}

function tnumAdd(a: Scalar, b: Scalar): { value: bigint; mask: bigint } {
  const sm = (a.mask + b.mask) & U64_MAX;
  const sv = (a.value + b.value) & U64_MAX;
  const sigma = (sm + sv) & U64_MAX;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64_MAX, mask: mu };
}

/** @returns `a + b` modulo 2^64. */
export function add(a: Scalar, b: Scalar): Scalar {
  const t = tnumAdd(a, b);
  let smin = a.smin + b.smin;
  let smax = a.smax + b.smax;
  if (smin < S64_MIN || smax > S64_MAX) {
    smin = S64_MIN;
    smax = S64_MAX;
  }
  let umin = a.umin + b.umin;
  let umax = a.umax + b.umax;
  if (umax > U64_MAX) {
    umin = 0n;
    umax = U64_MAX;
  }
  return normalize({ smin, smax, umin, umax, value: t.value, mask: t.mask, id: 0 });
}

/** @returns `a - b` modulo 2^64. */
export function sub(a: Scalar, b: Scalar): Scalar {
  const dv = (a.value - b.value) & U64_MAX;
  const alpha = (dv + a.mask) & U64_MAX;
  const beta = (dv - b.mask) & U64_MAX;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  let smin = a.smin - b.smax;
  let smax = a.smax - b.smin;
  if (smin < S64_MIN || smax > S64_MAX) {
    smin = S64_MIN;
    smax = S64_MAX;
  }
  let umin = a.umin - b.umax;
  let umax = a.umax - b.umin;
  if (umin < 0n) {
    umin = 0n;
    umax = U64_MAX;
  }
  return normalize({ smin, smax, umin, umax, value: dv & ~mu & U64_MAX, mask: mu, id: 0 });
}

/** @returns `a * b` modulo 2^64. */
export function mul(a: Scalar, b: Scalar): Scalar {
  if (a.umax * b.umax <= U64_MAX) return unsignedRange(a.umin * b.umin, a.umax * b.umax);
  if (
    a.smin >= -(1n << 31n) &&
    a.smax < 1n << 31n &&
    b.smin >= -(1n << 31n) &&
    b.smax < 1n << 31n
  ) {
    const p = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
    return signedRange(
      p.reduce((x, y) => (y < x ? y : x)),
      p.reduce((x, y) => (y > x ? y : x)),
    );
  }
  return UNKNOWN;
}

/** @returns `a & b`. */
export function and(a: Scalar, b: Scalar): Scalar {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  const m = alpha & beta & ~v;
  let umax = a.umax < b.umax ? a.umax : b.umax;
  if (umax > (v | m)) umax = v | m;
  return normalize({ smin: S64_MIN, smax: S64_MAX, umin: v, umax, value: v, mask: m, id: 0 });
}

/** @returns `a | b`. */
export function or(a: Scalar, b: Scalar): Scalar {
  const v = a.value | b.value;
  const m = (a.mask | b.mask) & ~v;
  const umin = a.umin > b.umin ? a.umin : b.umin;
  return normalize({ smin: S64_MIN, smax: S64_MAX, umin, umax: U64_MAX, value: v, mask: m, id: 0 });
}

/** @returns `a ^ b`. */
export function xor(a: Scalar, b: Scalar): Scalar {
  const v = a.value ^ b.value;
  const m = a.mask | b.mask;
  return normalize({
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    value: v & ~m,
    mask: m,
    id: 0,
  });
}

/** @returns `a << k` for a constant shift `k` (0..63). */
export function shiftLeft(a: Scalar, k: bigint): Scalar {
  const v = (a.value << k) & U64_MAX;
  const m = (a.mask << k) & U64_MAX;
  let umin = 0n;
  let umax = U64_MAX;
  if (a.umax << k <= U64_MAX) {
    umin = a.umin << k;
    umax = a.umax << k;
  }
  return normalize({ smin: S64_MIN, smax: S64_MAX, umin, umax, value: v, mask: m, id: 0 });
}

/** @returns `a >> k` (logical) for a constant shift `k` (0..63). */
export function shiftRight(a: Scalar, k: bigint): Scalar {
  return normalize({
    smin: S64_MIN,
    smax: S64_MAX,
    umin: a.umin >> k,
    umax: a.umax >> k,
    value: a.value >> k,
    mask: a.mask >> k,
    id: 0,
  });
}

/** @returns `a >> k` (arithmetic) for a constant shift `k` (0..63). */
export function shiftRightArith(a: Scalar, k: bigint): Scalar {
  return signedRange(a.smin >> k, a.smax >> k);
}

/**
 * The scalar of a 64-bit value range for the low 32 bits of `s` read as unsigned or signed.
 * @returns `[lo, hi]` in the chosen interpretation.
 */
export function low32(s: Scalar, signed: boolean): [bigint, bigint] {
  const t = truncate32(s);
  if (!signed) return [t.umin, t.umax];
  if (t.umax < 1n << 31n) return [t.umin, t.umax];
  if (t.umin >= 1n << 31n) return [BigInt.asIntN(32, t.umin), BigInt.asIntN(32, t.umax)];
  return [-(1n << 31n), (1n << 31n) - 1n];
}

/** @returns a short text like the kernel log's (`42`, `(umax=255)`). */
export function formatScalar(s: Scalar): string {
  if (isConstant(s)) return `${toS64(s.umin)}`;
  const parts: string[] = [];
  if (s.smin !== S64_MIN) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64_MAX) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64_MAX) parts.push(`umax=${s.umax}`);
  if (s.mask !== U64_MAX)
    parts.push(`var_off=(0x${s.value.toString(16)}; 0x${s.mask.toString(16)})`);
  return parts.length === 0 ? '' : `(${parts.join(',')})`;
}
