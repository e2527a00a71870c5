// SPDX-License-Identifier: MIT
// IEEE 754 arithmetic as AArch64 does it (Arm ARM DDI 0487, shared/functions/float: FPRound,
// FPProcessNaNs, FPAdd, FPMul, FPMulAdd, FPDiv, FPSqrt, FPToFixed, FixedToFP, FPRoundInt,
// FPConvert, FPCompare, FPMax/FPMin(NM)) on bit patterns: single precision as one int32,
// double precision as two int32 halves (lo, hi), half precision as a 16-bit number.
//
// Every operation works on exact values: a finite operand is sign * mantissa * 2^exponent
// with a BigInt mantissa, the exact result is formed (sum, product, quotient and square root
// with a sticky bit) and rounded once by `roundExact` in the rounding mode of FPCR, with the
// cumulative flags of FPSR (IOC, DZC, OFC, UFC, IXC, IDC), tininess before rounding and FZ
// flush-to-zero. The common cases (round to nearest, no FZ, double or single operands) take a
// fast path on JS doubles whose results are proven equal (error-free transformations decide
// exactness and the direction of rounding).

/** Formats: 0 = half, 1 = single, 2 = double (the `fmt` argument below). */
export const F16 = 0,
  F32 = 1,
  F64 = 2;

// per-format constants: precision, minimum normal exponent, maximum exponent, exponent bits
const PREC = [11, 24, 53];
const EMIN = [-14, -126, -1022];
const EMAX = [15, 127, 1023];

/** FPSR cumulative exception bits. */
export const IOC = 1,
  DZC = 2,
  OFC = 4,
  UFC = 8,
  IXC = 16,
  IDC = 128;

/**
 * The FP environment of the instruction being executed: FPCR in, FPSR flags out. Set by
 * the executor before each instruction (`fpEnv.fpcr`), the flags it collects are ORed into
 * FPSR afterwards.
 */
export const fpEnv = { fpcr: 0, flags: 0 };

const rmode = (): number => (fpEnv.fpcr >>> 22) & 3; // 0 RN, 1 RP, 2 RM, 3 RZ
const fz = (): boolean => ((fpEnv.fpcr >>> 24) & 1) === 1;
const dn = (): boolean => ((fpEnv.fpcr >>> 25) & 1) === 1;

// scratch conversions between numbers and bit patterns
const F64A = new Float64Array(1);
const I32A = new Int32Array(F64A.buffer);
const F32A = new Float32Array(1);
const I32B = new Int32Array(F32A.buffer);

/** Output of the double-precision functions: the result's halves. */
export const D = { lo: 0, hi: 0 };

/** @returns the double with halves lo/hi (NaNs must be handled before calling). */
export function f64(lo: number, hi: number): number {
  I32A[0] = lo;
  I32A[1] = hi;
  return F64A[0]!;
}
/** Sets D to the bits of a (non-NaN) double. */
export function f64Bits(x: number): void {
  F64A[0] = x;
  D.lo = I32A[0]!;
  D.hi = I32A[1]!;
}
/** @returns the single with bits b (NaNs must be handled before calling). */
export function f32(b: number): number {
  I32B[0] = b;
  return F32A[0]!;
}
/** @returns the bits of a (non-NaN) single-precision value. */
export function f32Bits(x: number): number {
  F32A[0] = x;
  return I32B[0]!;
}

// ---- exact values ---------------------------------------------------------------------------

/** A decoded finite operand: (-1)^neg * m * 2^e. */
interface Exact {
  neg: boolean;
  m: bigint;
  e: number;
}

/** Exact value of a finite double. */
function exactOf(x: number): Exact {
  F64A[0] = x;
  const lo = I32A[0]!,
    hi = I32A[1]!;
  const be = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo >>> 0);
  if (be !== 0) m |= 1n << 52n;
  return { neg: hi < 0, m, e: (be === 0 ? 1 : be) - 1075 };
}

const bitLength = (m: bigint): number => m.toString(2).length;

/** 2^k as a double, exact for -1074 <= k <= 1023. */
function pow2(k: number): number {
  if (k >= -1022) {
    I32A[0] = 0;
    I32A[1] = (k + 1023) << 20;
    return F64A[0]!;
  }
  const s = k + 1074; // denormal: bit s of the 52-bit fraction
  if (s >= 32) {
    I32A[0] = 0;
    I32A[1] = 1 << (s - 32);
  } else {
    I32A[0] = 1 << s;
    I32A[1] = 0;
  }
  return F64A[0]!;
}

/** Largest finite value of a format. */
function maxOf(fmt: number): number {
  return (2 - pow2(1 - PREC[fmt]!)) * pow2(EMAX[fmt]!);
}

/**
 * Rounds (-1)^neg * m * 2^e to `fmt` in the mode of FPCR (or `mode`), raising inexact,
 * underflow (tiny before rounding and inexact), overflow and the FZ flush. Returns the value
 * as a double (exactly representable in the format).
 */
export function roundExact(
  neg: boolean,
  m: bigint,
  e: number,
  fmt: number,
  mode = rmode(),
  flush = fz() && fmt !== F16,
): number {
  if (m === 0n) return neg ? -0 : 0;
  const p = PREC[fmt]!,
    emin = EMIN[fmt]!,
    emax = EMAX[fmt]!;
  const n = bitLength(m);
  const top = e + n - 1; // exponent of the leading bit
  const tiny = top < emin;
  if (tiny && flush) {
    fpEnv.flags |= UFC;
    return neg ? -0 : 0;
  }
  const lsb = Math.max(top - p + 1, emin - p + 1);
  let q: bigint,
    inexact = false;
  if (lsb <= e) q = m << BigInt(e - lsb);
  else {
    const sh = BigInt(lsb - e);
    q = m >> sh;
    const rem = m - (q << sh);
    if (rem !== 0n) {
      inexact = true;
      const half = 1n << (sh - 1n);
      let up: boolean;
      switch (mode) {
        case 0:
          up = rem > half || (rem === half && (q & 1n) === 1n);
          break;
        case 1:
          up = !neg;
          break;
        case 2:
          up = neg;
          break;
        case 4:
          up = rem >= half;
          break; // ties away (FCVTA, FRINTA)
        default:
          up = false;
      }
      if (up) q += 1n;
    }
  }
  if (inexact) {
    fpEnv.flags |= IXC;
    if (tiny) fpEnv.flags |= UFC;
  }
  const qBits = bitLength(q);
  if (lsb + qBits - 1 > emax) {
    // overflow after rounding
    fpEnv.flags |= OFC | IXC;
    const toInf = mode === 0 || mode === 4 || (mode === 1 && !neg) || (mode === 2 && neg);
    const v = toInf ? Infinity : maxOf(fmt);
    return neg ? -v : v;
  }
  const v = Number(q) * pow2(lsb);
  return neg ? -v : v;
}

// ---- finishing a double computed on the fast path --------------------------------------------

/**
 * Takes the round-to-nearest result `r` (in `fmt`) of an operation and the sign of
 * (exact - r), and applies FPCR: directed rounding, flags, FZ. `r` may be infinite (overflow
 * of finite operands).
 */
function finish(r: number, dir: number, fmt: number): number {
  if (r === Infinity || r === -Infinity) {
    // overflow from finite operands
    const mode = rmode();
    fpEnv.flags |= OFC | IXC;
    const toInf = mode === 0 || (mode === 1 && r > 0) || (mode === 2 && r < 0);
    return toInf ? r : r > 0 ? maxOf(fmt) : -maxOf(fmt);
  }
  const minN = pow2(EMIN[fmt]!);
  const a = Math.abs(r);
  if (r === 0 && dir === 0) return r;
  const tiny = a < minN || (a === minN && dir !== 0 && dir > 0 !== r > 0);
  if (tiny && fz() && fmt !== F16) {
    fpEnv.flags |= UFC;
    return r < 0 || Object.is(r, -0) || (r === 0 && dir < 0) ? -0 : 0;
  }
  if (dir === 0) return r;
  fpEnv.flags |= IXC;
  if (tiny) fpEnv.flags |= UFC;
  const mode = rmode();
  if (mode === 0) return r;
  let step = 0;
  if (mode === 1 && dir > 0) step = 1;
  else if (mode === 2 && dir < 0) step = -1;
  else if (mode === 3 && (r > 0 ? dir < 0 : r < 0 ? dir > 0 : false)) step = r > 0 ? -1 : 1;
  if (step === 0) return r;
  const next = nextToward(r, step, fmt);
  return next === 0 && r !== 0 ? (r < 0 ? -0 : 0) : next === 0 ? (step < 0 ? -0 : 0) : next;
}

/** The neighbour of r in `fmt` in direction step (+1 up, -1 down). */
function nextToward(r: number, step: number, fmt: number): number {
  if (fmt === F32) {
    let b = f32Bits(r);
    if (r === 0) return step > 0 ? f32(1) : f32(0x80000001 | 0);
    b = r > 0 === step > 0 ? b + 1 : b - 1;
    return f32(b);
  }
  if (r === 0) return step > 0 ? pow2(-1074) : -pow2(-1074);
  F64A[0] = r;
  let lo = I32A[0]! >>> 0,
    hi = I32A[1]!;
  if (r > 0 === step > 0) {
    lo += 1;
    if (lo > 0xffffffff) {
      lo = 0;
      hi += 1;
    }
  } else {
    lo -= 1;
    if (lo < 0) {
      lo = 0xffffffff;
      hi -= 1;
    }
  }
  I32A[0] = lo | 0;
  I32A[1] = hi;
  return F64A[0]!;
}

// ---- error-free transformations (fast path) --------------------------------------------------

const SPLIT = 134217729; // 2^27 + 1
/** Sign of the error of the product a*b rounded to p, or NaN when out of the safe range. */
function mulErrSign(a: number, b: number, p: number): number {
  const aa = Math.abs(a),
    ab = Math.abs(b),
    ap = Math.abs(p);
  if (aa > 1e150 || ab > 1e150 || ap < 1e-250 || aa < 1e-150 || ab < 1e-150) return NaN;
  const ca = SPLIT * a,
    ah = ca - (ca - a),
    al = a - ah;
  const cb = SPLIT * b,
    bh = cb - (cb - b),
    bl = b - bh;
  const err = ah * bh - p + ah * bl + al * bh + al * bl;
  return err > 0 ? 1 : err < 0 ? -1 : 0;
}

// ---- NaNs ------------------------------------------------------------------------------------

/** Default NaN bits. */
export const DEFAULT_NAN32 = 0x7fc00000;
export const DEFAULT_NAN64_HI = 0x7ff80000;

/** @returns true when the single-precision bits are a NaN. */
export const isNaN32 = (b: number): boolean =>
  (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
/** @returns true when the double-precision halves are a NaN. */
export const isNaN64 = (lo: number, hi: number): boolean =>
  (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
/** @returns true when the half-precision bits are a NaN. */
export const isNaN16 = (b: number): boolean => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;

/**
 * NaN operand selection of FPProcessNaNs(3) for singles: the first signalling NaN (quietened,
 * IOC), else the first quiet NaN; the default NaN with FPCR.DN. Returns undefined when no
 * operand is a NaN.
 */
export function nans32(a: number, b: number, c?: number): number | undefined {
  const list = c === undefined ? [a, b] : [a, b, c];
  let pick: number | undefined;
  for (const x of list)
    if (isNaN32(x) && (x & 0x400000) === 0) {
      pick = x;
      break;
    }
  if (pick !== undefined) fpEnv.flags |= IOC;
  else
    for (const x of list)
      if (isNaN32(x)) {
        pick = x;
        break;
      }
  if (pick === undefined) return undefined;
  return dn() ? DEFAULT_NAN32 : pick | 0x400000;
}

/** As {@link nans32} for doubles given as halves; the result goes to D; returns false for none. */
export function nans64(
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
  three = false,
  clo = 0,
  chi = 0,
): boolean {
  let found = -1;
  const L = [alo, blo, clo],
    H = [ahi, bhi, chi],
    n = three ? 3 : 2;
  for (let i = 0; i < n; i++)
    if (isNaN64(L[i]!, H[i]!) && (H[i]! & 0x80000) === 0) {
      found = i;
      break;
    }
  if (found >= 0) fpEnv.flags |= IOC;
  else
    for (let i = 0; i < n; i++)
      if (isNaN64(L[i]!, H[i]!)) {
        found = i;
        break;
      }
  if (found < 0) return false;
  if (dn()) {
    D.lo = 0;
    D.hi = DEFAULT_NAN64_HI;
  } else {
    D.lo = L[found]!;
    D.hi = H[found]! | 0x80000;
  }
  return true;
}

// ---- input flush (FZ) ------------------------------------------------------------------------

/** Single-precision operand after FZ (denormals become zero, IDC). */
export function in32(b: number): number {
  if ((b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0 && fz()) {
    fpEnv.flags |= IDC;
    return b & 0x80000000;
  }
  return b;
}

/** Double operand value after FZ (denormals become zero, IDC); halves must not be a NaN. */
export function in64(lo: number, hi: number): number {
  if ((hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0 && fz()) {
    fpEnv.flags |= IDC;
    return hi < 0 ? -0 : 0;
  }
  return f64(lo, hi);
}

// ---- arithmetic on values (operands are non-NaN doubles, exactly representable in fmt) ---------

/** FP operation codes for {@link arith}. */
export const FADD = 0,
  FSUB = 1,
  FMUL = 2,
  FDIV = 3,
  FMULX = 4;

/**
 * a op b rounded to fmt (F32 or F64) with flags; a NaN result means the default NaN (invalid
 * operation, IOC already raised).
 */
export function arith(op: number, a: number, b: number, fmt: number): number {
  if (op === FSUB) {
    b = -b;
    op = FADD;
  }
  switch (op) {
    case FADD: {
      if (!isFinite(a) || !isFinite(b)) {
        if (a === -b && !isFinite(a)) {
          fpEnv.flags |= IOC;
          return NaN;
        }
        return a + b;
      }
      if (a === 0 && b === 0) {
        const an = Object.is(a, -0),
          bn = Object.is(b, -0);
        return an === bn ? a : rmode() === 2 ? -0 : 0;
      }
      if (a === -b) return rmode() === 2 ? -0 : 0; // exact zero: +0 unless rounding down
      const s = a + b;
      if (fmt === F64) {
        if (!isFinite(s)) return finish(s, s > 0 ? -1 : 1, fmt);
        const bb = s - a,
          err = a - (s - bb) + (b - bb);
        return finish(s, err > 0 ? 1 : err < 0 ? -1 : 0, fmt);
      }
      const bb = s - a,
        err = a - (s - bb) + (b - bb);
      const r = Math.fround(s);
      if (!isFinite(r)) return finish(r, r > 0 ? -1 : 1, fmt);
      const d = s - r;
      return finish(r, d > 0 ? 1 : d < 0 ? -1 : err > 0 ? 1 : err < 0 ? -1 : 0, fmt);
    }
    case FMUL:
    case FMULX: {
      if ((a === 0 && !isFinite(b)) || (b === 0 && !isFinite(a))) {
        if (op === FMULX)
          return (a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0)) ? -2 : 2;
        fpEnv.flags |= IOC;
        return NaN;
      }
      const p = a * b;
      if (!isFinite(a) || !isFinite(b) || (p === 0 && (a === 0 || b === 0))) return p;
      if (fmt === F32) {
        const r = Math.fround(p); // p is exact (24 + 24 bits)
        if (!isFinite(r)) return finish(r, r > 0 ? -1 : 1, fmt);
        const d = p - r;
        return finish(r, d > 0 ? 1 : d < 0 ? -1 : 0, fmt);
      }
      if (!isFinite(p)) return finish(p, p > 0 ? -1 : 1, fmt);
      const s = mulErrSign(a, b, p);
      if (s === s) return finish(p, s, fmt);
      const x = exactOf(a),
        y = exactOf(b);
      return roundExact(x.neg !== y.neg, x.m * y.m, x.e + y.e, fmt);
    }
    case FDIV: {
      if (!isFinite(a) && !isFinite(b)) {
        fpEnv.flags |= IOC;
        return NaN;
      }
      if (a === 0 && b === 0) {
        fpEnv.flags |= IOC;
        return NaN;
      }
      if (b === 0) {
        if (isFinite(a)) fpEnv.flags |= DZC;
        return a / b;
      }
      if (!isFinite(a) || !isFinite(b) || a === 0) return a / b;
      return divide(a, b, fmt);
    }
    default:
      return NaN;
  }
}

function divide(a: number, b: number, fmt: number): number {
  if (fmt === F32) {
    const r = Math.fround(a / b);
    if (isFinite(r) && r !== 0 && Math.abs(r) >= 1e-30 && Math.abs(r) < 1e30) {
      const d = a - r * b; // r*b exact (24 x 24 bits) and close to a
      const s = (d > 0 ? 1 : d < 0 ? -1 : 0) * (b > 0 ? 1 : -1);
      return finish(r, s, fmt);
    }
  }
  const x = exactOf(a),
    y = exactOf(b);
  const p = PREC[fmt]! + 3;
  let k = p + bitLength(y.m) - bitLength(x.m) + 1;
  if (k < 0) k = 0;
  const num = x.m << BigInt(k);
  const q = num / y.m;
  const sticky = num - q * y.m !== 0n ? 1n : 0n;
  return roundExact(x.neg !== y.neg, (q << 1n) | sticky, x.e - y.e - k - 1, fmt);
}

/** Square root of a non-NaN value rounded to fmt. */
export function sqrt(a: number, fmt: number): number {
  if (a === 0 || a === Infinity) return a;
  if (a < 0) {
    fpEnv.flags |= IOC;
    return NaN;
  }
  if (fmt === F32) {
    const r = Math.fround(Math.sqrt(a));
    const d = a - r * r; // exact: r has 24 bits
    return finish(r, d > 0 ? 1 : d < 0 ? -1 : 0, fmt);
  }
  const x = exactOf(a);
  let m = x.m,
    e = x.e;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  const shift = 2 * 60; // at least 2 * (53 + 3) extra bits
  const big = m << BigInt(shift);
  const root = isqrt(big);
  const sticky = root * root !== big ? 1n : 0n;
  return roundExact(false, (root << 1n) | sticky, (e - shift) / 2 - 1, fmt);
}

/** Floor of the square root of n (Newton's iteration from a power of two above the root). */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Fused (a + b*c) * 2^shift (FMADD's addend first; shift -1 for FRSQRTS) rounded once.
 * Invalid cases raise IOC and return NaN.
 */
export function fma(a: number, b: number, c: number, fmt: number, shift = 0): number {
  const infProd = !isFinite(b) || !isFinite(c);
  if ((b === 0 && !isFinite(c)) || (c === 0 && !isFinite(b))) {
    fpEnv.flags |= IOC;
    return NaN;
  }
  if (infProd) {
    const p = b * c;
    if (!isFinite(a) && a !== p) {
      fpEnv.flags |= IOC;
      return NaN;
    }
    return p;
  }
  if (!isFinite(a)) return a;
  const pNeg = (b < 0 || Object.is(b, -0)) !== (c < 0 || Object.is(c, -0));
  if (b === 0 || c === 0) {
    if (a === 0) {
      // exact zero sum: sign rules of FPAdd
      const aNeg = Object.is(a, -0);
      if (aNeg === pNeg) return aNeg ? -0 : 0;
      return rmode() === 2 ? -0 : 0;
    }
    return shift === 0 ? a : a * pow2(shift);
  }
  const x = exactOf(b),
    y = exactOf(c);
  const pm = x.m * y.m,
    pe = x.e + y.e + shift;
  if (a === 0) return roundExact(pNeg, pm, pe, fmt);
  const z = exactOf(a);
  z.e += shift;
  const k = Math.min(pe, z.e);
  const P = (pNeg ? -1n : 1n) * (pm << BigInt(pe - k));
  const A = (z.neg ? -1n : 1n) * (z.m << BigInt(z.e - k));
  const s = P + A;
  if (s === 0n) return rmode() === 2 ? -0 : 0;
  return roundExact(s < 0n, s < 0n ? -s : s, k, fmt);
}

// ---- comparisons, min/max --------------------------------------------------------------------

/** FPCompare NZCV: 0110 equal, 1000 less, 0010 greater, 0011 unordered. */
export function compareFlags(a: number, b: number): number {
  if (a === b) return 0b0110;
  if (a < b) return 0b1000;
  return 0b0010;
}

/** FMAX/FMIN of non-NaN values (zeros: max(+0,-0) = +0, min = -0). */
export function maxMin(a: number, b: number, isMax: boolean): number {
  if (a === 0 && b === 0) {
    const an = Object.is(a, -0),
      bn = Object.is(b, -0);
    return isMax ? (an && bn ? -0 : 0) : an || bn ? -0 : 0;
  }
  return isMax ? (a > b ? a : b) : a < b ? a : b;
}

// ---- conversions -----------------------------------------------------------------------------

/**
 * Rounds a non-NaN value to an integral value with mode (0 RN, 1 RP, 2 RM, 3 RZ, 4 RA); with
 * `exact` (FRINTX) an inexact result raises IXC.
 */
export function roundInt(a: number, mode: number, exact: boolean): number {
  if (!isFinite(a) || a === 0) return a;
  const t = Math.trunc(a),
    f = Math.abs(a - t),
    s = a < 0 ? -1 : 1;
  let r = t;
  switch (mode) {
    case 0:
      if (f > 0.5 || (f === 0.5 && t % 2 !== 0)) r = t + s;
      break;
    case 1:
      if (f !== 0 && a > 0) r = t + 1;
      break;
    case 2:
      if (f !== 0 && a < 0) r = t - 1;
      break;
    case 4:
      if (f >= 0.5) r = t + s;
      break;
    default:
      break;
  }
  if (r === 0) r = a < 0 ? -0 : 0;
  if (exact && r !== a) fpEnv.flags |= IXC;
  return r;
}

/** Output of {@link toFixed}: the integer's halves. */
export const I = { lo: 0, hi: 0 };

/**
 * FPToFixed: value * 2^fbits rounded with mode to a signed or unsigned integer of 32 or 64
 * bits (saturating, IOC on NaN or out of range, IXC when inexact). Result in I.
 */
export function toFixed(
  a: number,
  nan: boolean,
  fbits: number,
  unsigned: boolean,
  bits64: boolean,
  mode: number,
): void {
  if (nan) {
    fpEnv.flags |= IOC;
    I.lo = 0;
    I.hi = 0;
    return;
  }
  const x = fbits ? a * pow2(fbits) : a;
  let r = roundInt(x, mode, false);
  const inexact = r !== x;
  if (Object.is(r, -0)) r = 0;
  const max = unsigned
    ? bits64
      ? 18446744073709551615
      : 4294967295
    : bits64
      ? 9223372036854775807
      : 2147483647;
  const min = unsigned ? 0 : bits64 ? -9223372036854775808 : -2147483648;
  if (
    r >= (bits64 ? (unsigned ? 18446744073709551616 : 9223372036854775808) : max + 1) ||
    r < min
  ) {
    fpEnv.flags |= IOC;
    if (r < min) {
      if (unsigned) {
        I.lo = 0;
        I.hi = 0;
      } else if (bits64) {
        I.lo = 0;
        I.hi = 0x80000000 | 0;
      } else {
        I.lo = 0x80000000 | 0;
        I.hi = 0;
      }
    } else if (unsigned) {
      I.lo = -1;
      I.hi = bits64 ? -1 : 0;
    } else if (bits64) {
      I.lo = -1;
      I.hi = 0x7fffffff;
    } else {
      I.lo = 0x7fffffff;
      I.hi = 0;
    }
    return;
  }
  if (inexact) fpEnv.flags |= IXC;
  if (Math.abs(r) < 2 ** 53) {
    const neg = r < 0,
      m = Math.abs(r);
    let lo = m % 4294967296,
      hi = Math.floor(m / 4294967296);
    if (neg) {
      lo = -lo;
      hi = ~hi + (lo === 0 ? 1 : 0);
    }
    I.lo = lo | 0;
    I.hi = bits64 ? hi | 0 : 0;
    return;
  }
  const v = BigInt.asUintN(64, BigInt(r));
  I.lo = Number(v & 0xffffffffn) | 0;
  I.hi = Number(v >> 32n) | 0;
}

/**
 * FixedToFP: the integer (lo, hi; 64 bits when `bits64`, else lo only) / 2^fbits rounded to
 * fmt in the FPCR mode (or `mode`).
 */
export function fromFixed(
  lo: number,
  hi: number,
  unsigned: boolean,
  bits64: boolean,
  fbits: number,
  fmt: number,
  mode = rmode(),
): number {
  let neg = false,
    m: bigint;
  if (bits64) {
    let v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    if (!unsigned && hi < 0) {
      neg = true;
      v = (1n << 64n) - v;
    }
    m = v;
  } else {
    if (!unsigned && lo < 0) {
      neg = true;
      m = BigInt(-lo);
    } else m = BigInt(lo >>> 0);
  }
  return roundExact(neg, m, -fbits, fmt, mode, fz() && fmt !== F16);
}

/** Half-precision bits to a value (not a NaN; IEEE format, FPCR.AHP = 0). */
export function f16(b: number): number {
  const e = (b >>> 10) & 0x1f,
    f = b & 0x3ff;
  let v: number;
  if (e === 0) v = f * pow2(-24);
  else if (e === 31) v = Infinity;
  else v = (1024 + f) * pow2(e - 25);
  return b & 0x8000 ? -v : v;
}

/** Bits of a value exactly representable in half precision. */
export function f16Bits(v: number): number {
  const s = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return s | 0x7c00;
  if (a === 0) return s;
  if (a < pow2(-14)) return s | Math.round(a / pow2(-24));
  let e = Math.floor(Math.log2(a));
  if (pow2(e) > a) e--;
  if (pow2(e + 1) <= a) e++;
  return s | ((e + 15) << 10) | Math.round((a / pow2(e) - 1) * 1024);
}

/** FPConvert of a non-NaN value to fmt (rounding in the FPCR mode; FZ applies to single/double). */
export function convert(v: number, fmt: number): number {
  if (v === 0 || !isFinite(v)) return v;
  const x = exactOf(v);
  return roundExact(x.neg, x.m, x.e, fmt);
}
