// SPDX-License-Identifier: MIT
// FP/SIMD executor (internal): decodes and runs one scalar-FP or Advanced SIMD instruction
// word on the CPU's V register file (32 x 128 bits in an Int32Array with byte, halfword and
// 64-bit views). Encodings and semantics from the Arm ARM (DDI 0487) "Data Processing --
// Scalar Floating-Point and Advanced SIMD" and "Loads and Stores" groups; arithmetic in
// softfloat.ts. Returns false for encodings it does not implement (the CPU raises UNDEFINED).

import { T } from '../u64.js';
import { execCrypto } from './crypto.js';
import { recipEstimateBits, recpXBits, rsqrtEstimateBits, unsignedEstimate } from './estimate.js';
import {
  D,
  DEFAULT_NAN32,
  DEFAULT_NAN64_HI,
  F16,
  F32,
  F64,
  FADD,
  FDIV,
  FMUL,
  FMULX,
  FSUB,
  I,
  IOC,
  arith,
  compareFlags,
  convert,
  f16,
  f16Bits,
  f32,
  f32Bits,
  f64Bits,
  fma,
  fpEnv,
  fromFixed,
  in32,
  in64,
  isNaN16,
  isNaN32,
  isNaN64,
  maxMin,
  nans32,
  nans64,
  roundInt,
  sqrt,
  toFixed,
} from './softfloat.js';

/** What the executor needs from the CPU (its private memory helpers included). */
export interface SimdHost {
  /** V0..V31, four int32 words each (little-endian lanes). */
  readonly V: Int32Array;
  /** Byte view of {@link SimdHost.V}. */
  readonly VB: Uint8Array;
  /** Halfword view of {@link SimdHost.V}. */
  readonly VH: Uint16Array;
  /** 64-bit view of {@link SimdHost.V}. */
  readonly VQ: BigUint64Array;
  /** General register file (lo/hi int32 pairs, SP at 62, zero at 64, sink at 66). */
  readonly R: Int32Array;
  fpcr: number;
  fpsr: number;
  n: number;
  z: number;
  c: number;
  v: number;
  ld8(lo: number, hi: number): number;
  ld16(lo: number, hi: number): number;
  ld32(lo: number, hi: number): number;
  ld64(lo: number, hi: number): void;
  st8(lo: number, hi: number, v: number): void;
  st16(lo: number, hi: number, v: number): void;
  st32(lo: number, hi: number, v: number): void;
  st64(lo: number, hi: number, vlo: number, vhi: number): void;
}

const TWO32 = 4294967296;
// the result register under construction (so a destination may also be a source)
const RW = new Int32Array(4);
const RB = new Uint8Array(RW.buffer);
const RH = new Uint16Array(RW.buffer);
const RQ = new BigUint64Array(RW.buffer);
// a second scratch for table lookups and pairwise inputs
const SW = new Int32Array(16);
const SB = new Uint8Array(SW.buffer);

const bits = (w: number, hi: number, lo: number): number => (w >>> lo) & ((1 << (hi - lo + 1)) - 1);
const rz = (n: number): number => (n === 31 ? 64 : n * 2);
const wz = (n: number): number => (n === 31 ? 66 : n * 2);

function clearR(): void {
  RW[0] = 0;
  RW[1] = 0;
  RW[2] = 0;
  RW[3] = 0;
}

/** Writes the scratch result to Vd; the upper 64 bits are zeroed unless `q`. */
function commit(c: SimdHost, d: number, q: number): void {
  const V = c.V,
    b = d * 4;
  V[b] = RW[0]!;
  V[b + 1] = RW[1]!;
  if (q) {
    V[b + 2] = RW[2]!;
    V[b + 3] = RW[3]!;
  } else {
    V[b + 2] = 0;
    V[b + 3] = 0;
  }
}

/** Unsigned element i of size 0..2 of register r. */
function eu(c: SimdHost, r: number, i: number, size: number): number {
  if (size === 0) return c.VB[r * 16 + i]!;
  if (size === 1) return c.VH[r * 8 + i]!;
  return c.V[r * 4 + i]! >>> 0;
}
/** Signed element i of size 0..2 of register r. */
function es(c: SimdHost, r: number, i: number, size: number): number {
  if (size === 0) return (c.VB[r * 16 + i]! << 24) >> 24;
  if (size === 1) return (c.VH[r * 8 + i]! << 16) >> 16;
  return c.V[r * 4 + i]!;
}
/** Element i of the result (size 0..2), taken modulo 2^esize. */
function put(i: number, size: number, v: number): void {
  if (size === 0) RB[i] = v;
  else if (size === 1) RH[i] = v;
  else RW[i] = v;
}
const q64 = (c: SimdHost, r: number, i: number): bigint => c.VQ[r * 2 + i]!;
const s64 = (c: SimdHost, r: number, i: number): bigint => BigInt.asIntN(64, c.VQ[r * 2 + i]!);

/**
 * Executes one FP/SIMD instruction (the FP access checks are the caller's).
 * @returns false when the encoding is not implemented (UNDEFINED).
 */
export function execSimd(c: SimdHost, w: number, pcLo: number, pcHi: number): boolean {
  fpEnv.fpcr = c.fpcr;
  fpEnv.flags = 0;
  const op0 = (w >>> 25) & 0xf;
  let ok: boolean;
  if ((op0 & 0b0101) === 0b0100) ok = loadStore(c, w, pcLo, pcHi);
  else if (((w >>> 28) & 1) === 1 && ((w >>> 30) & 1) === 0) ok = fpScalar(c, w);
  else if (w >>> 31 !== 0) ok = false;
  else if (((w >>> 28) & 1) === 0) ok = vector(c, w);
  else ok = scalarSimd(c, w);
  if (ok && fpEnv.flags) c.fpsr |= fpEnv.flags;
  return ok;
}

// ---- addresses --------------------------------------------------------------------------------

let aLo = 0,
  aHi = 0;
function addr(c: SimdHost, rn: number, offLo: number, offHi: number): void {
  const l = (c.R[rn * 2]! >>> 0) + (offLo >>> 0);
  aLo = l | 0;
  aHi = (c.R[rn * 2 + 1]! + offHi + (l >= TWO32 ? 1 : 0)) | 0;
}
function addOff(lo: number, hi: number, off: number): void {
  const l = (lo >>> 0) + off;
  aLo = l | 0;
  aHi = (hi + (l >= TWO32 ? 1 : 0)) | 0;
}

/** Loads `size` bytes (1, 2, 4, 8, 16) at lo/hi into V[t] at byte offset `at`. */
function loadTo(c: SimdHost, lo: number, hi: number, size: number, t: number, at: number): void {
  const V = c.V;
  switch (size) {
    case 1:
      c.VB[t * 16 + at] = c.ld8(lo, hi);
      return;
    case 2:
      c.VH[t * 8 + (at >>> 1)] = c.ld16(lo, hi);
      return;
    case 4:
      V[t * 4 + (at >>> 2)] = c.ld32(lo, hi);
      return;
    case 8:
      c.ld64(lo, hi);
      V[t * 4 + (at >>> 2)] = T[0]!;
      V[t * 4 + (at >>> 2) + 1] = T[1]!;
      return;
    default: {
      c.ld64(lo, hi);
      const a = T[0]!,
        b = T[1]!;
      const l = (lo >>> 0) + 8;
      c.ld64(l | 0, (hi + (l >= TWO32 ? 1 : 0)) | 0);
      V[t * 4] = a;
      V[t * 4 + 1] = b;
      V[t * 4 + 2] = T[0]!;
      V[t * 4 + 3] = T[1]!;
    }
  }
}
function storeFrom(c: SimdHost, lo: number, hi: number, size: number, t: number, at: number): void {
  const V = c.V;
  switch (size) {
    case 1:
      c.st8(lo, hi, c.VB[t * 16 + at]!);
      return;
    case 2:
      c.st16(lo, hi, c.VH[t * 8 + (at >>> 1)]!);
      return;
    case 4:
      c.st32(lo, hi, V[t * 4 + (at >>> 2)]!);
      return;
    case 8:
      c.st64(lo, hi, V[t * 4 + (at >>> 2)]!, V[t * 4 + (at >>> 2) + 1]!);
      return;
    default: {
      c.st64(lo, hi, V[t * 4]!, V[t * 4 + 1]!);
      const l = (lo >>> 0) + 8;
      c.st64(l | 0, (hi + (l >= TWO32 ? 1 : 0)) | 0, V[t * 4 + 2]!, V[t * 4 + 3]!);
    }
  }
}
function zeroReg(c: SimdHost, t: number): void {
  const b = t * 4;
  c.V[b] = 0;
  c.V[b + 1] = 0;
  c.V[b + 2] = 0;
  c.V[b + 3] = 0;
}

function writeback(c: SimdHost, rn: number, lo: number, hi: number): void {
  c.R[rn * 2] = lo;
  c.R[rn * 2 + 1] = hi;
}

// ---- loads and stores -------------------------------------------------------------------------

function loadStore(c: SimdHost, w: number, pcLo: number, pcHi: number): boolean {
  const rt = w & 31,
    rn = (w >>> 5) & 31;
  const g = (w >>> 27) & 7;
  if (g === 3 && ((w >>> 24) & 3) === 0) {
    // LDR (literal)
    const opc = w >>> 30;
    if (opc === 3) return false;
    const size = 4 << opc;
    const off = ((w << 8) >> 13) * 4;
    const l = (pcLo >>> 0) + off;
    const lo = l | 0,
      hi = (pcHi + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
    loadTo(c, lo, hi, size, 32, 0); // into a scratch register slot (V has 33 registers)
    zeroReg(c, rt);
    for (let k = 0; k < size / 4; k++) c.V[rt * 4 + k] = c.V[128 + k]!;
    return true;
  }
  if (g === 5) {
    // load/store pair
    const opc = w >>> 30,
      l = (w >>> 22) & 1,
      mode = (w >>> 23) & 3,
      rt2 = (w >>> 10) & 31;
    if (opc === 3) return false;
    const size = 4 << opc;
    const imm = ((w << 10) >> 25) * size;
    addr(c, rn, mode === 1 ? 0 : imm, mode === 1 ? 0 : imm >> 31);
    const lo = aLo,
      hi = aHi;
    if (l) {
      if (rt === rt2) return false;
      loadTo(c, lo, hi, size, 32, 0);
      addOff(lo, hi, size);
      loadTo(c, aLo, aHi, size, 33, 0);
      zeroReg(c, rt);
      zeroReg(c, rt2);
      for (let k = 0; k < size / 4; k++) {
        c.V[rt * 4 + k] = c.V[128 + k]!;
        c.V[rt2 * 4 + k] = c.V[132 + k]!;
      }
    } else {
      storeFrom(c, lo, hi, size, rt, 0);
      addOff(lo, hi, size);
      storeFrom(c, aLo, aHi, size, rt2, 0);
    }
    if (mode === 1) {
      addr(c, rn, imm, imm >> 31);
      writeback(c, rn, aLo, aHi);
    } else if (mode === 3) writeback(c, rn, lo, hi);
    return true;
  }
  if (g === 7) {
    // load/store register
    const sz = w >>> 30,
      opc = (w >>> 22) & 3;
    let scale: number, load: number;
    if (opc & 2) {
      if (sz !== 0) return false;
      scale = 4;
      load = opc & 1;
    } else {
      scale = sz;
      load = opc;
    }
    const size = 1 << scale;
    let lo: number,
      hi: number,
      wb = 0;
    if ((w >>> 24) & 1) {
      const off = bits(w, 21, 10) << scale;
      addr(c, rn, off, 0);
      lo = aLo;
      hi = aHi;
    } else if ((w >>> 21) & 1) {
      if (bits(w, 11, 10) !== 2) return false;
      const option = bits(w, 15, 13);
      if ((option & 2) === 0) return false;
      const rm = rz(bits(w, 20, 16)),
        sh = (w >>> 12) & 1 ? scale : 0;
      let ol = c.R[rm]!,
        oh = c.R[rm + 1]!;
      if (option === 2) oh = 0;
      else if (option === 6) oh = ol >> 31;
      if (sh) {
        oh = (oh << sh) | (ol >>> (32 - sh));
        ol <<= sh;
      }
      addr(c, rn, ol, oh);
      lo = aLo;
      hi = aHi;
    } else {
      const kind = bits(w, 11, 10);
      if (kind === 2) return false;
      const imm9 = (w << 11) >> 23;
      addr(c, rn, imm9, imm9 >> 31);
      if (kind === 0) {
        lo = aLo;
        hi = aHi;
      } else if (kind === 3) {
        lo = aLo;
        hi = aHi;
        wb = 1;
      } else {
        lo = c.R[rn * 2]!;
        hi = c.R[rn * 2 + 1]!;
        wb = 2;
      }
    }
    if (load) {
      // straight into Vt: each size is a single access (or two for Q, written together)
      const V = c.V,
        b = rt * 4;
      if (size === 16) loadTo(c, lo, hi, 16, rt, 0);
      else if (size === 8) {
        c.ld64(lo, hi);
        V[b] = T[0]!;
        V[b + 1] = T[1]!;
        V[b + 2] = 0;
        V[b + 3] = 0;
      } else {
        V[b] = size === 4 ? c.ld32(lo, hi) : size === 2 ? c.ld16(lo, hi) : c.ld8(lo, hi);
        V[b + 1] = 0;
        V[b + 2] = 0;
        V[b + 3] = 0;
      }
    } else storeFrom(c, lo, hi, size, rt, 0);
    if (wb === 1) writeback(c, rn, lo, hi);
    else if (wb === 2) writeback(c, rn, aLo, aHi);
    return true;
  }
  if (g === 1 && w >>> 31 === 0 && ((w >>> 29) & 1) === 0) return structures(c, w);
  return false;
}

/** LD1-LD4/ST1-ST4 (multiple and single structures, replicate), with post-index. */
function structures(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    l = (w >>> 22) & 1,
    post = (w >>> 23) & 1,
    rm = bits(w, 20, 16);
  const rt = w & 31,
    rn = (w >>> 5) & 31,
    size = bits(w, 11, 10);
  if (!post && rm !== 0) return false;
  let lo = c.R[rn * 2]!,
    hi = c.R[rn * 2 + 1]!;
  let total: number;
  if (((w >>> 24) & 1) === 0) {
    // multiple structures
    if ((w >>> 21) & 1) return false;
    const opcode = bits(w, 15, 12);
    let regs: number, selem: number;
    switch (opcode) {
      case 0:
        regs = 1;
        selem = 4;
        break;
      case 2:
        regs = 4;
        selem = 1;
        break;
      case 4:
        regs = 1;
        selem = 3;
        break;
      case 6:
        regs = 3;
        selem = 1;
        break;
      case 7:
        regs = 1;
        selem = 1;
        break;
      case 8:
        regs = 1;
        selem = 2;
        break;
      case 10:
        regs = 2;
        selem = 1;
        break;
      default:
        return false;
    }
    if (size === 3 && q === 0 && selem !== 1) return false;
    const ebytes = 1 << size,
      elements = (q ? 16 : 8) >>> size;
    let off = 0;
    if (selem === 1) {
      // LD1/ST1: memory holds the registers' bytes in order (little-endian lanes)
      const bytes = q ? 16 : 8;
      for (let r = 0; r < regs; r++) {
        const t = (rt + r) & 31;
        addOff(lo, hi, off);
        if (l) {
          loadTo(c, aLo, aHi, bytes, t, 0);
          if (!q) {
            c.V[t * 4 + 2] = 0;
            c.V[t * 4 + 3] = 0;
          }
        } else storeFrom(c, aLo, aHi, bytes, t, 0);
        off += bytes;
      }
      if (post) postIndex(c, rn, rm, off);
      return true;
    }
    const base = lo,
      baseHi = hi;
    for (let r = 0; r < regs; r++) {
      for (let e = 0; e < elements; e++) {
        for (let s = 0; s < selem; s++) {
          const t = (rt + r + s) & 31;
          addOff(base, baseHi, off);
          if (l) loadTo(c, aLo, aHi, ebytes, t, e * ebytes);
          else storeFrom(c, aLo, aHi, ebytes, t, e * ebytes);
          off += ebytes;
        }
      }
    }
    if (l && q === 0)
      for (let r = 0; r < regs * selem; r++) {
        const t = (rt + r) & 31;
        c.V[t * 4 + 2] = 0;
        c.V[t * 4 + 3] = 0;
      }
    total = off;
  } else {
    // single structure
    const opcode = bits(w, 15, 13),
      s = (w >>> 12) & 1,
      r = (w >>> 21) & 1;
    const selem = (((opcode & 1) << 1) | r) + 1;
    let scale = opcode >>> 1,
      index: number;
    if (scale === 3) {
      // replicate
      if (!l || s) return false;
      scale = size;
      const eb = 1 << scale;
      for (let k = 0; k < selem; k++) {
        const t = (rt + k) & 31;
        addOff(lo, hi, k * eb);
        loadTo(c, aLo, aHi, eb, 32, 0);
        clearR();
        const n = (q ? 16 : 8) / eb;
        for (let e = 0; e < n; e++) for (let b = 0; b < eb; b++) RB[e * eb + b] = c.VB[512 + b]!;
        commit(c, t, q);
      }
      total = selem * eb;
      lo = c.R[rn * 2]!;
      hi = c.R[rn * 2 + 1]!;
      if (post) postIndex(c, rn, rm, total);
      return true;
    }
    if (scale === 0) index = (q << 3) | (s << 2) | size;
    else if (scale === 1) {
      if (size & 1) return false;
      index = (q << 2) | (s << 1) | (size >>> 1);
    } else if (scale === 2) {
      if (size & 2) return false;
      if (size === 0) index = (q << 1) | s;
      else {
        if (s) return false;
        index = q;
        scale = 3;
      }
    } else return false;
    const eb = 1 << scale;
    for (let k = 0; k < selem; k++) {
      const t = (rt + k) & 31;
      addOff(lo, hi, k * eb);
      if (l) loadTo(c, aLo, aHi, eb, t, index * eb);
      else storeFrom(c, aLo, aHi, eb, t, index * eb);
    }
    total = selem * eb;
  }
  if (post) postIndex(c, rn, rm, total);
  return true;
}

function postIndex(c: SimdHost, rn: number, rm: number, imm: number): void {
  const lo = c.R[rn * 2]!,
    hi = c.R[rn * 2 + 1]!;
  if (rm === 31) {
    addOff(lo, hi, imm);
    writeback(c, rn, aLo, aHi);
    return;
  }
  const ol = c.R[rm * 2]!,
    oh = c.R[rm * 2 + 1]!;
  const l = (lo >>> 0) + (ol >>> 0);
  writeback(c, rn, l | 0, (hi + oh + (l >= TWO32 ? 1 : 0)) | 0);
}

// ---- FP values of V registers -----------------------------------------------------------------

/** Single-precision element bits. */
const s32 = (c: SimdHost, r: number, i: number): number => c.V[r * 4 + i]!;
/** Binary FP op on single bits; returns result bits. */
function bin32(op: number, a: number, b: number): number {
  a = in32(a);
  b = in32(b);
  const n = nans32(a, b);
  if (n !== undefined) return n;
  const r = arith(op, f32(a), f32(b), F32);
  return r !== r ? DEFAULT_NAN32 : f32Bits(r);
}
/** Binary FP op on double elements (register, index); result in D. */
function bin64(op: number, c: SimdHost, rn: number, i: number, rm: number, j: number): void {
  const V = c.V;
  const al = V[rn * 4 + 2 * i]!,
    ah = V[rn * 4 + 2 * i + 1]!,
    bl = V[rm * 4 + 2 * j]!,
    bh = V[rm * 4 + 2 * j + 1]!;
  const x = in64(al, ah),
    y = in64(bl, bh);
  if (nans64(al, ah, bl, bh)) return;
  const r = arith(op, x, y, F64);
  if (r !== r) {
    D.lo = 0;
    D.hi = DEFAULT_NAN64_HI;
  } else f64Bits(r);
}
function fma32(a: number, b: number, cc: number): number {
  a = in32(a);
  b = in32(b);
  cc = in32(cc);
  const n = nans32(a, b, cc);
  const infZero = (isInf32(b) && isZero32(cc)) || (isZero32(b) && isInf32(cc));
  if (n !== undefined) {
    if (isNaN32(a) && (a & 0x400000) !== 0 && infZero) {
      fpEnv.flags |= IOC;
      return DEFAULT_NAN32;
    }
    return n;
  }
  const r = fma(f32(a), f32(b), f32(cc), F32);
  return r !== r ? DEFAULT_NAN32 : f32Bits(r);
}
/** FRECPS (2 - x*y) and FRSQRTS ((3 - x*y) / 2) fused, on single bits. */
function step32(x: number, y: number, sqrtForm: boolean): number {
  x = neg32(in32(x));
  y = in32(y);
  const n = nans32(x, y);
  if (n !== undefined) return n;
  if ((isInf32(x) && isZero32(y)) || (isZero32(x) && isInf32(y)))
    return sqrtForm ? 0x3fc00000 : 0x40000000;
  const r = fma(sqrtForm ? 3 : 2, f32(x), f32(y), F32, sqrtForm ? -1 : 0);
  return r !== r ? DEFAULT_NAN32 : f32Bits(r);
}
function step64(xl: number, xh: number, yl: number, yh: number, sqrtForm: boolean): void {
  xh ^= 0x80000000;
  const a = in64(xl, xh),
    b = in64(yl, yh);
  if (nans64(xl, xh, yl, yh)) return;
  if ((!isFinite(a) && b === 0) || (a === 0 && !isFinite(b))) {
    D.lo = 0;
    D.hi = sqrtForm ? 0x3ff80000 : 0x40000000;
    return;
  }
  const r = fma(sqrtForm ? 3 : 2, a, b, F64, sqrtForm ? -1 : 0);
  if (r !== r) {
    D.lo = 0;
    D.hi = DEFAULT_NAN64_HI;
  } else f64Bits(r);
}
const toBits64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
function fromBits64(v: bigint): void {
  D.lo = Number(v & 0xffffffffn) | 0;
  D.hi = Number(v >> 32n) | 0;
}

const isInf32 = (b: number): boolean => (b & 0x7fffffff) === 0x7f800000;
const isZero32 = (b: number): boolean => (b & 0x7fffffff) === 0;
function fma64(al: number, ah: number, bl: number, bh: number, cl: number, ch: number): void {
  const x = in64(al, ah),
    y = in64(bl, bh),
    z = in64(cl, ch);
  const infZero = (!isFinite(y) && y === y && z === 0) || (y === 0 && !isFinite(z) && z === z);
  if (nans64(al, ah, bl, bh, true, cl, ch)) {
    if (isNaN64(al, ah) && (ah & 0x80000) !== 0 && infZero) {
      fpEnv.flags |= IOC;
      D.lo = 0;
      D.hi = DEFAULT_NAN64_HI;
    }
    return;
  }
  const r = fma(x, y, z, F64);
  if (r !== r) {
    D.lo = 0;
    D.hi = DEFAULT_NAN64_HI;
  } else f64Bits(r);
}

/** FMAX/FMIN/FMAXNM/FMINNM on single bits. */
function maxmin32(a: number, b: number, isMax: boolean, num: boolean): number {
  a = in32(a);
  b = in32(b);
  if (num) {
    const qa = isNaN32(a) && (a & 0x400000) !== 0,
      qb = isNaN32(b) && (b & 0x400000) !== 0;
    if (qa && !isNaN32(b)) a = isMax ? 0xff800000 | 0 : 0x7f800000;
    else if (qb && !isNaN32(a)) b = isMax ? 0xff800000 | 0 : 0x7f800000;
  }
  const n = nans32(a, b);
  if (n !== undefined) return n;
  return f32Bits(maxMin(f32(a), f32(b), isMax));
}
function maxmin64(
  al: number,
  ah: number,
  bl: number,
  bh: number,
  isMax: boolean,
  num: boolean,
): void {
  let x = in64(al, ah),
    y = in64(bl, bh);
  if (num) {
    const qa = isNaN64(al, ah) && (ah & 0x80000) !== 0,
      qb = isNaN64(bl, bh) && (bh & 0x80000) !== 0;
    if (qa && !isNaN64(bl, bh)) {
      x = isMax ? -Infinity : Infinity;
      al = 0;
      ah = isMax ? 0xfff00000 | 0 : 0x7ff00000;
    } else if (qb && !isNaN64(al, ah)) {
      y = isMax ? -Infinity : Infinity;
      bl = 0;
      bh = isMax ? 0xfff00000 | 0 : 0x7ff00000;
    }
  }
  if (nans64(al, ah, bl, bh)) return;
  f64Bits(maxMin(x, y, isMax));
}

/** FP compare for FCMEQ/FCMGE/FCMGT/FACGE/FACGT: kind 0 eq, 1 ge, 2 gt; signalling for ge/gt. */
function cmp32(a: number, b: number, kind: number, abs: boolean): boolean {
  a = in32(a);
  b = in32(b);
  if (isNaN32(a) || isNaN32(b)) {
    if (kind !== 0 || (isNaN32(a) && (a & 0x400000) === 0) || (isNaN32(b) && (b & 0x400000) === 0))
      fpEnv.flags |= IOC;
    return false;
  }
  let x = f32(a),
    y = f32(b);
  if (abs) {
    x = Math.abs(x);
    y = Math.abs(y);
  }
  return kind === 0 ? x === y : kind === 1 ? x >= y : x > y;
}
function cmp64(
  al: number,
  ah: number,
  bl: number,
  bh: number,
  kind: number,
  abs: boolean,
): boolean {
  let x = in64(al, ah),
    y = in64(bl, bh);
  const na = isNaN64(al, ah),
    nb = isNaN64(bl, bh);
  if (na || nb) {
    if (kind !== 0 || (na && (ah & 0x80000) === 0) || (nb && (bh & 0x80000) === 0))
      fpEnv.flags |= IOC;
    return false;
  }
  if (abs) {
    x = Math.abs(x);
    y = Math.abs(y);
  }
  return kind === 0 ? x === y : kind === 1 ? x >= y : x > y;
}

/** FRINT* on single bits. */
function rint32(a: number, mode: number, exact: boolean): number {
  a = in32(a);
  if (isNaN32(a)) return nans32(a, 0)!;
  return f32Bits(roundInt(f32(a), mode, exact));
}
function rint64(lo: number, hi: number, mode: number, exact: boolean): void {
  const x = in64(lo, hi);
  if (nans64(lo, hi, 0, 0)) return;
  f64Bits(roundInt(x, mode, exact));
}
function sqrt32(a: number): number {
  a = in32(a);
  if (isNaN32(a)) return nans32(a, 0)!;
  const r = sqrt(f32(a), F32);
  return r !== r ? DEFAULT_NAN32 : f32Bits(r);
}
function sqrt64(lo: number, hi: number): void {
  const x = in64(lo, hi);
  if (nans64(lo, hi, 0, 0)) return;
  const r = sqrt(x, F64);
  if (r !== r) {
    D.lo = 0;
    D.hi = DEFAULT_NAN64_HI;
  } else f64Bits(r);
}

/** FP to integer of single/double bits (fmt F32: lo only), into I. */
function fcvtInt(
  fmt: number,
  lo: number,
  hi: number,
  fbits: number,
  unsigned: boolean,
  bits64: boolean,
  mode: number,
): void {
  if (fmt === F32) {
    lo = in32(lo);
    toFixed(isNaN32(lo) ? 0 : f32(lo), isNaN32(lo), fbits, unsigned, bits64, mode);
    return;
  }
  if (fmt === F16) {
    toFixed(isNaN16(lo) ? 0 : f16(lo), isNaN16(lo), fbits, unsigned, bits64, mode);
    return;
  }
  const x = in64(lo, hi);
  toFixed(x, isNaN64(lo, hi), fbits, unsigned, bits64, mode);
}

// FPCR rounding mode as a roundInt mode
const fpcrMode = (c: SimdHost): number => (c.fpcr >>> 22) & 3;
const neg32 = (b: number): number => b ^ 0x80000000;

// ---- scalar floating point --------------------------------------------------------------------

function fpScalar(c: SimdHost, w: number): boolean {
  const V = c.V,
    R = c.R;
  const sf = w >>> 31,
    ftype = bits(w, 23, 22),
    rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16);
  if ((w >>> 29) & 1) return false;
  if ((w >>> 24) & 1) {
    // data-processing 3 source
    if (sf || ftype > 1) return false;
    const ra = bits(w, 14, 10),
      o1 = (w >>> 21) & 1,
      o0 = (w >>> 15) & 1;
    const negA = o1 === 1,
      negN = o1 !== o0;
    clearR();
    if (ftype === 0) {
      let a = V[ra * 4]!,
        n = V[rn * 4]!;
      if (negA) a = neg32(a);
      if (negN) n = neg32(n);
      RW[0] = fma32(a, n, V[rm * 4]!);
    } else {
      let ah = V[ra * 4 + 1]!,
        nh = V[rn * 4 + 1]!;
      if (negA) ah ^= 0x80000000;
      if (negN) nh ^= 0x80000000;
      fma64(V[ra * 4]!, ah, V[rn * 4]!, nh, V[rm * 4]!, V[rm * 4 + 1]!);
      RW[0] = D.lo;
      RW[1] = D.hi;
    }
    commit(c, rd, 0);
    return true;
  }
  if (((w >>> 21) & 1) === 0) {
    // conversion between FP and fixed point
    if (ftype > 1) return false;
    const rmode = bits(w, 20, 19),
      opcode = bits(w, 18, 16),
      scale = bits(w, 15, 10);
    if (!sf && scale < 32) return false;
    const fbits = 64 - scale;
    const fmt = ftype === 0 ? F32 : F64;
    if (rmode === 3 && opcode < 2) {
      // FCVTZS/FCVTZU
      fcvtInt(fmt, V[rn * 4]!, V[rn * 4 + 1]!, fbits, opcode === 1, sf === 1, 3);
      const d = wz(rd);
      R[d] = I.lo;
      R[d + 1] = I.hi;
      return true;
    }
    if (rmode === 0 && (opcode === 2 || opcode === 3)) {
      // SCVTF/UCVTF
      const s = rz(rn);
      const v = fromFixed(R[s]!, R[s + 1]!, opcode === 3, sf === 1, fbits, fmt);
      writeFp(c, rd, fmt, v);
      return true;
    }
    return false;
  }
  const b1110 = bits(w, 15, 10);
  if (sf && b1110 !== 0) return false; // M = 1: only the conversions to/from general registers
  switch (bits(w, 11, 10)) {
    case 1: {
      // FCCMP, FCCMPE
      if (ftype > 1) return false;
      const cond = bits(w, 15, 12),
        e = (w >>> 4) & 1;
      if (conditionHolds(c, cond)) setNzcv(c, fcmp(c, ftype, rn, rm, false, e === 1));
      else setNzcv(c, w & 15);
      return true;
    }
    case 2: {
      // data-processing 2 source
      if (ftype > 1) return false;
      const opcode = bits(w, 15, 12);
      if (opcode > 8) return false;
      clearR();
      if (ftype === 0) {
        const a = V[rn * 4]!,
          b = V[rm * 4]!;
        let r: number;
        switch (opcode) {
          case 0:
            r = bin32(FMUL, a, b);
            break;
          case 1:
            r = bin32(FDIV, a, b);
            break;
          case 2:
            r = bin32(FADD, a, b);
            break;
          case 3:
            r = bin32(FSUB, a, b);
            break;
          case 4:
            r = maxmin32(a, b, true, false);
            break;
          case 5:
            r = maxmin32(a, b, false, false);
            break;
          case 6:
            r = maxmin32(a, b, true, true);
            break;
          case 7:
            r = maxmin32(a, b, false, true);
            break;
          default:
            r = neg32(bin32(FMUL, a, b));
            break; // FNMUL (negates a NaN result too)
        }
        RW[0] = r;
      } else {
        switch (opcode) {
          case 0:
            bin64(FMUL, c, rn, 0, rm, 0);
            break;
          case 1:
            bin64(FDIV, c, rn, 0, rm, 0);
            break;
          case 2:
            bin64(FADD, c, rn, 0, rm, 0);
            break;
          case 3:
            bin64(FSUB, c, rn, 0, rm, 0);
            break;
          case 4:
          case 5:
          case 6:
          case 7:
            maxmin64(
              V[rn * 4]!,
              V[rn * 4 + 1]!,
              V[rm * 4]!,
              V[rm * 4 + 1]!,
              (opcode & 1) === 0,
              opcode >= 6,
            );
            break;
          default:
            bin64(FMUL, c, rn, 0, rm, 0);
            D.hi ^= 0x80000000;
            break;
        }
        RW[0] = D.lo;
        RW[1] = D.hi;
      }
      commit(c, rd, 0);
      return true;
    }
    case 3: {
      // FCSEL
      if (ftype > 1) return false;
      const src = conditionHolds(c, bits(w, 15, 12)) ? rn : rm;
      clearR();
      RW[0] = V[src * 4]!;
      if (ftype === 1) RW[1] = V[src * 4 + 1]!;
      commit(c, rd, 0);
      return true;
    }
    default:
      break;
  }
  if ((b1110 & 7) === 4) {
    // FMOV (immediate)
    if (ftype > 1 || bits(w, 9, 5) !== 0) return false;
    const imm8 = bits(w, 20, 13);
    clearR();
    if (ftype === 0) RW[0] = expandFp32(imm8);
    else {
      RW[0] = 0;
      RW[1] = expandFp64Hi(imm8);
    }
    commit(c, rd, 0);
    return true;
  }
  if ((b1110 & 15) === 8) {
    // FCMP, FCMPE
    if (ftype > 1 || bits(w, 2, 0) !== 0 || b1110 >>> 4 !== 0) return false;
    const opc = bits(w, 4, 3);
    setNzcv(c, fcmp(c, ftype, rn, rm, (opc & 1) === 1, (opc & 2) === 2));
    return true;
  }
  if ((b1110 & 31) === 16) return fp1Source(c, w, ftype, rd, rn);
  if (b1110 === 0) return fpInt(c, w, sf, ftype, rd, rn);
  return false;
}

function conditionHolds(c: SimdHost, cond: number): boolean {
  let r: boolean;
  switch (cond >>> 1) {
    case 0:
      r = c.z === 1;
      break;
    case 1:
      r = c.c === 1;
      break;
    case 2:
      r = c.n === 1;
      break;
    case 3:
      r = c.v === 1;
      break;
    case 4:
      r = c.c === 1 && c.z === 0;
      break;
    case 5:
      r = c.n === c.v;
      break;
    case 6:
      r = c.n === c.v && c.z === 0;
      break;
    default:
      r = true;
  }
  return (cond & 1) === 1 && cond !== 15 ? !r : r;
}
function setNzcv(c: SimdHost, f: number): void {
  c.n = (f >>> 3) & 1;
  c.z = (f >>> 2) & 1;
  c.c = (f >>> 1) & 1;
  c.v = f & 1;
}

/** FCMP/FCMPE: NZCV of comparing Vn with Vm (or +0). */
function fcmp(
  c: SimdHost,
  ftype: number,
  rn: number,
  rm: number,
  zero: boolean,
  signalling: boolean,
): number {
  const V = c.V;
  if (ftype === 0) {
    const a = in32(V[rn * 4]!),
      b = zero ? 0 : in32(V[rm * 4]!);
    if (isNaN32(a) || isNaN32(b)) {
      if (
        signalling ||
        (isNaN32(a) && (a & 0x400000) === 0) ||
        (isNaN32(b) && (b & 0x400000) === 0)
      )
        fpEnv.flags |= IOC;
      return 0b0011;
    }
    return compareFlags(f32(a), f32(b));
  }
  const al = V[rn * 4]!,
    ah = V[rn * 4 + 1]!,
    bl = zero ? 0 : V[rm * 4]!,
    bh = zero ? 0 : V[rm * 4 + 1]!;
  const x = in64(al, ah),
    y = in64(bl, bh);
  const na = isNaN64(al, ah),
    nb = isNaN64(bl, bh);
  if (na || nb) {
    if (signalling || (na && (ah & 0x80000) === 0) || (nb && (bh & 0x80000) === 0))
      fpEnv.flags |= IOC;
    return 0b0011;
  }
  return compareFlags(x, y);
}

function expandFp32(imm8: number): number {
  const a = imm8 >>> 7,
    b = (imm8 >>> 6) & 1,
    cd = imm8 & 0x3f;
  return (a << 31) | ((b ? 0 : 1) << 30) | ((b ? 0x1f : 0) << 25) | (cd << 19);
}
function expandFp64Hi(imm8: number): number {
  const a = imm8 >>> 7,
    b = (imm8 >>> 6) & 1,
    cd = imm8 & 0x3f;
  return (a << 31) | ((b ? 0 : 1) << 30) | ((b ? 0xff : 0) << 22) | (cd << 16);
}

/** Writes a value of format fmt (single/double/half) to Vd as a scalar (rest zeroed). */
function writeFp(c: SimdHost, d: number, fmt: number, v: number): void {
  clearR();
  if (fmt === F32) RW[0] = f32Bits(v);
  else if (fmt === F64) {
    f64Bits(v);
    RW[0] = D.lo;
    RW[1] = D.hi;
  } else RW[0] = f16Bits(v);
  commit(c, d, 0);
}

function fp1Source(c: SimdHost, w: number, ftype: number, rd: number, rn: number): boolean {
  const V = c.V;
  const opcode = bits(w, 20, 15);
  if (opcode >= 4 && opcode <= 7) {
    // FCVT
    const to = opcode & 3;
    if (to === 2 || to === ftype || ftype === 2) return false;
    const fromFmt = ftype === 0 ? F32 : ftype === 1 ? F64 : F16,
      toFmt = to === 0 ? F32 : to === 1 ? F64 : F16;
    let nan = false,
      neg = false,
      frac = 0n,
      signalling = false,
      v = 0;
    if (fromFmt === F32) {
      const b = in32(V[rn * 4]!);
      if (isNaN32(b)) {
        nan = true;
        neg = b < 0;
        frac = BigInt(b & 0x7fffff) << 29n;
        signalling = (b & 0x400000) === 0;
      } else v = f32(b);
    } else if (fromFmt === F64) {
      const lo = V[rn * 4]!,
        hi = V[rn * 4 + 1]!;
      if (isNaN64(lo, hi)) {
        nan = true;
        neg = hi < 0;
        frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo >>> 0);
        signalling = (hi & 0x80000) === 0;
      } else v = in64(lo, hi);
    } else {
      const b = c.VH[rn * 8]!;
      if (isNaN16(b)) {
        nan = true;
        neg = (b & 0x8000) !== 0;
        frac = BigInt(b & 0x3ff) << 42n;
        signalling = (b & 0x200) === 0;
      } else v = f16(b);
    }
    clearR();
    if (nan) {
      if (signalling) fpEnv.flags |= IOC;
      const dn = ((c.fpcr >>> 25) & 1) === 1;
      frac |= 1n << 51n; // quiet
      if (toFmt === F32)
        RW[0] = dn ? DEFAULT_NAN32 : (neg ? 0x80000000 : 0) | 0x7f800000 | Number(frac >> 29n) | 0;
      else if (toFmt === F64) {
        if (dn) {
          RW[0] = 0;
          RW[1] = DEFAULT_NAN64_HI;
        } else {
          RW[0] = Number(frac & 0xffffffffn) | 0;
          RW[1] = (neg ? 0x80000000 : 0) | 0x7ff00000 | Number(frac >> 32n) | 0;
        }
      } else RH[0] = dn ? 0x7e00 : (neg ? 0x8000 : 0) | 0x7c00 | Number(frac >> 42n);
      commit(c, rd, 0);
      return true;
    }
    const r = convert(v, toFmt);
    if (toFmt === F32) RW[0] = f32Bits(r);
    else if (toFmt === F64) {
      f64Bits(r);
      RW[0] = D.lo;
      RW[1] = D.hi;
    } else RH[0] = f16Bits(r);
    commit(c, rd, 0);
    return true;
  }
  if (ftype > 1) return false;
  clearR();
  if (ftype === 0) {
    const a = V[rn * 4]!;
    let r: number;
    switch (opcode) {
      case 0:
        r = a;
        break; // FMOV
      case 1:
        r = a & 0x7fffffff;
        break; // FABS
      case 2:
        r = neg32(a);
        break; // FNEG
      case 3:
        r = sqrt32(a);
        break;
      case 8:
        r = rint32(a, 0, false);
        break; // FRINTN
      case 9:
        r = rint32(a, 1, false);
        break; // FRINTP
      case 10:
        r = rint32(a, 2, false);
        break; // FRINTM
      case 11:
        r = rint32(a, 3, false);
        break; // FRINTZ
      case 12:
        r = rint32(a, 4, false);
        break; // FRINTA
      case 14:
        r = rint32(a, fpcrMode(c), true);
        break; // FRINTX
      case 15:
        r = rint32(a, fpcrMode(c), false);
        break; // FRINTI
      default:
        return false;
    }
    RW[0] = r;
  } else {
    const lo = V[rn * 4]!,
      hi = V[rn * 4 + 1]!;
    switch (opcode) {
      case 0:
        D.lo = lo;
        D.hi = hi;
        break;
      case 1:
        D.lo = lo;
        D.hi = hi & 0x7fffffff;
        break;
      case 2:
        D.lo = lo;
        D.hi = hi ^ 0x80000000;
        break;
      case 3:
        sqrt64(lo, hi);
        break;
      case 8:
        rint64(lo, hi, 0, false);
        break;
      case 9:
        rint64(lo, hi, 1, false);
        break;
      case 10:
        rint64(lo, hi, 2, false);
        break;
      case 11:
        rint64(lo, hi, 3, false);
        break;
      case 12:
        rint64(lo, hi, 4, false);
        break;
      case 14:
        rint64(lo, hi, fpcrMode(c), true);
        break;
      case 15:
        rint64(lo, hi, fpcrMode(c), false);
        break;
      default:
        return false;
    }
    RW[0] = D.lo;
    RW[1] = D.hi;
  }
  commit(c, rd, 0);
  return true;
}

/** Conversions between FP and integer registers, FMOV general. */
function fpInt(c: SimdHost, w: number, sf: number, ftype: number, rd: number, rn: number): boolean {
  const V = c.V,
    R = c.R;
  const rmode = bits(w, 20, 19),
    opcode = bits(w, 18, 16);
  if (opcode === 6 || opcode === 7) {
    // FMOV general
    if (rmode === 0) {
      if (opcode === 6) {
        // to general
        if (ftype === 0 && !sf) {
          const d = wz(rd);
          R[d] = V[rn * 4]!;
          R[d + 1] = 0;
          return true;
        }
        if (ftype === 1 && sf) {
          const d = wz(rd);
          R[d] = V[rn * 4]!;
          R[d + 1] = V[rn * 4 + 1]!;
          return true;
        }
        return false;
      }
      const s = rz(rn);
      if (ftype === 0 && !sf) {
        clearR();
        RW[0] = R[s]!;
        commit(c, rd, 0);
        return true;
      }
      if (ftype === 1 && sf) {
        clearR();
        RW[0] = R[s]!;
        RW[1] = R[s + 1]!;
        commit(c, rd, 0);
        return true;
      }
      return false;
    }
    if (rmode === 1 && ftype === 2 && sf) {
      // FMOV Xd, Vn.D[1] / Vd.D[1], Xn
      if (opcode === 6) {
        const d = wz(rd);
        R[d] = V[rn * 4 + 2]!;
        R[d + 1] = V[rn * 4 + 3]!;
      } else {
        const s = rz(rn);
        V[rd * 4 + 2] = R[s]!;
        V[rd * 4 + 3] = R[s + 1]!;
      }
      return true;
    }
    return false;
  }
  if (ftype === 2) return false;
  const fmt = ftype === 0 ? F32 : ftype === 1 ? F64 : F16;
  if (ftype === 3) return false; // half-precision arithmetic conversions (FEAT_FP16) not implemented
  if (opcode === 2 || opcode === 3) {
    // SCVTF/UCVTF
    if (rmode !== 0) return false;
    const s = rz(rn);
    writeFp(c, rd, fmt, fromFixed(R[s]!, R[s + 1]!, opcode === 3, sf === 1, 0, fmt));
    return true;
  }
  let mode: number;
  if (opcode === 4 || opcode === 5) {
    if (rmode !== 0) return false;
    mode = 4;
  } // FCVTAS/AU
  else mode = rmode === 0 ? 0 : rmode === 1 ? 1 : rmode === 2 ? 2 : 3; // N, P, M, Z
  fcvtInt(fmt, V[rn * 4]!, V[rn * 4 + 1]!, 0, (opcode & 1) === 1, sf === 1, mode);
  const d = wz(rd);
  R[d] = I.lo;
  R[d + 1] = I.hi;
  return true;
}

// ---- Advanced SIMD (vector) --------------------------------------------------------------------

function vector(c: SimdHost, w: number): boolean {
  const b24 = (w >>> 24) & 1,
    b21 = (w >>> 21) & 1,
    b10 = (w >>> 10) & 1;
  if (b24) {
    if (b10) {
      if ((w >>> 23) & 1) return false;
      return bits(w, 22, 19) === 0 ? modifiedImm(c, w) : shiftImm(c, w, false);
    }
    return byElement(c, w, false);
  }
  if (b21) {
    if (b10) return threeSame(c, w, false);
    if (bits(w, 11, 10) === 0) return threeDifferent(c, w);
    const x = bits(w, 20, 17);
    if (x === 0) return twoMisc(c, w, false);
    if (x === 8) return acrossLanes(c, w);
    if (x === 4) return execCrypto(c, w); // AESE/AESD/AESMC/AESIMC
    return false;
  }
  // bit 21 = 0: copy, permute, extract, table
  if (((w >>> 29) & 1) === 1) {
    if (bits(w, 23, 22) === 0 && ((w >>> 15) & 1) === 0 && b10 === 0) return ext(c, w);
    if (bits(w, 23, 21) === 0 && ((w >>> 15) & 1) === 0 && b10 === 1) return copy(c, w);
    return false;
  }
  if (b10) {
    if (bits(w, 23, 21) === 0 && ((w >>> 15) & 1) === 0) return copy(c, w);
    return false;
  }
  if ((w >>> 15) & 1) return false;
  if (bits(w, 11, 10) === 2) return permute(c, w);
  if (bits(w, 11, 10) === 0 && bits(w, 23, 22) === 0) return table(c, w);
  return false;
}

function ext(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16),
    imm4 = bits(w, 14, 11);
  if (!q && imm4 >= 8) return false;
  const n = q ? 16 : 8;
  clearR();
  for (let i = 0; i < n; i++) {
    const k = i + imm4;
    RB[i] = k < n ? c.VB[rn * 16 + k]! : c.VB[rm * 16 + k - n]!;
  }
  commit(c, rd, q);
  return true;
}

function table(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16);
  const len = bits(w, 14, 13) + 1,
    tbx = (w >>> 12) & 1;
  for (let r = 0; r < len; r++)
    for (let k = 0; k < 4; k++) SW[r * 4 + k] = c.V[((rn + r) & 31) * 4 + k]!;
  clearR();
  const n = q ? 16 : 8;
  for (let i = 0; i < n; i++) {
    const idx = c.VB[rm * 16 + i]!;
    RB[i] = idx < len * 16 ? SB[idx]! : tbx ? c.VB[rd * 16 + i]! : 0;
  }
  commit(c, rd, q);
  return true;
}

function permute(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    size = bits(w, 23, 22),
    rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16);
  const opcode = bits(w, 14, 12);
  if (size === 3 && !q) return false;
  const n = (q ? 16 : 8) >>> size,
    half = n >>> 1;
  const part = opcode >>> 2;
  clearR();
  const esize = 1 << size; // bytes
  const copyE = (dst: number, reg: number, src: number): void => {
    for (let b = 0; b < esize; b++) RB[dst * esize + b] = c.VB[reg * 16 + src * esize + b]!;
  };
  switch (opcode & 3) {
    case 1: // UZP
      for (let i = 0; i < n; i++) {
        const k = 2 * i + part;
        if (k < n) copyE(i, rn, k);
        else copyE(i, rm, k - n);
      }
      break;
    case 2: // TRN
      for (let p = 0; p < half; p++) {
        copyE(2 * p, rn, 2 * p + part);
        copyE(2 * p + 1, rm, 2 * p + part);
      }
      break;
    case 3: // ZIP
      for (let p = 0; p < half; p++) {
        copyE(2 * p, rn, p + part * half);
        copyE(2 * p + 1, rm, p + part * half);
      }
      break;
    default:
      return false;
  }
  commit(c, rd, q);
  return true;
}

function copy(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    op = (w >>> 29) & 1,
    rd = w & 31,
    rn = (w >>> 5) & 31;
  const imm5 = bits(w, 20, 16),
    imm4 = bits(w, 14, 11);
  const size = imm5 & 1 ? 0 : imm5 & 2 ? 1 : imm5 & 4 ? 2 : imm5 & 8 ? 3 : -1;
  if (size < 0) return false;
  const index = imm5 >>> (size + 1),
    eb = 1 << size;
  const R = c.R;
  if (op) {
    // INS (element)
    if (!q) return false;
    const src = imm4 >>> size;
    for (let b = 0; b < eb; b++) c.VB[rd * 16 + index * eb + b] = c.VB[rn * 16 + src * eb + b]!;
    return true;
  }
  switch (imm4) {
    case 0: {
      // DUP (element)
      if (size === 3 && !q) return false;
      clearR();
      const n = (q ? 16 : 8) / eb;
      for (let i = 0; i < n; i++)
        for (let b = 0; b < eb; b++) RB[i * eb + b] = c.VB[rn * 16 + index * eb + b]!;
      commit(c, rd, q);
      return true;
    }
    case 1: {
      // DUP (general)
      if (size === 3 && !q) return false;
      const s = rz(rn),
        lo = R[s]!,
        hi = R[s + 1]!;
      clearR();
      const n = (q ? 16 : 8) / eb;
      for (let i = 0; i < n; i++) {
        if (size === 3) {
          RW[2 * i] = lo;
          RW[2 * i + 1] = hi;
        } else put(i, size, lo);
      }
      commit(c, rd, q);
      return true;
    }
    case 3: {
      // INS (general)
      if (!q) return false;
      const s = rz(rn);
      if (size === 3) {
        c.V[rd * 4 + 2 * index] = R[s]!;
        c.V[rd * 4 + 2 * index + 1] = R[s + 1]!;
      } else if (size === 2) c.V[rd * 4 + index] = R[s]!;
      else if (size === 1) c.VH[rd * 8 + index] = R[s]!;
      else c.VB[rd * 16 + index] = R[s]!;
      return true;
    }
    case 5:
    case 7: {
      // SMOV, UMOV
      const d = wz(rd);
      if (imm4 === 7) {
        if (q ? size !== 3 : size === 3) return false;
        if (size === 3) {
          R[d] = c.V[rn * 4 + 2 * index]!;
          R[d + 1] = c.V[rn * 4 + 2 * index + 1]!;
        } else {
          R[d] = eu(c, rn, index, size);
          R[d + 1] = 0;
        }
        return true;
      }
      if (size === 3 || (size === 2 && !q)) return false;
      const v = es(c, rn, index, size);
      R[d] = v;
      R[d + 1] = q ? v >> 31 : 0;
      return true;
    }
    default:
      return false;
  }
}

/** AdvSIMDExpandImm: the 64-bit immediate into lo/hi (aLo/aHi reused). */
function expandImm(op: number, cmode: number, imm8: number): boolean {
  let lo = 0,
    hi = 0;
  switch (cmode >>> 1) {
    case 0:
      lo = hi = imm8;
      break;
    case 1:
      lo = hi = imm8 << 8;
      break;
    case 2:
      lo = hi = imm8 << 16;
      break;
    case 3:
      lo = hi = imm8 << 24;
      break;
    case 4:
      lo = hi = imm8 | (imm8 << 16);
      break;
    case 5:
      lo = hi = (imm8 << 8) | (imm8 << 24);
      break;
    case 6: {
      const v = (cmode & 1) === 0 ? (imm8 << 8) | 0xff : (imm8 << 16) | 0xffff;
      lo = hi = v;
      break;
    }
    default:
      if ((cmode & 1) === 0) {
        if (op === 0) {
          const b = imm8 * 0x01010101;
          lo = hi = b | 0;
        } else {
          for (let i = 0; i < 4; i++) {
            if ((imm8 >>> i) & 1) lo |= 0xff << (8 * i);
            if ((imm8 >>> (i + 4)) & 1) hi |= 0xff << (8 * i);
          }
        }
      } else {
        if (op === 0) lo = hi = expandFp32(imm8);
        else {
          lo = 0;
          hi = expandFp64Hi(imm8);
        }
      }
  }
  aLo = lo | 0;
  aHi = hi | 0;
  return true;
}

function modifiedImm(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    op = (w >>> 29) & 1,
    cmode = bits(w, 15, 12),
    rd = w & 31;
  if ((w >>> 11) & 1) return false;
  const imm8 = (bits(w, 18, 16) << 5) | bits(w, 9, 5);
  if (cmode === 15 && op === 1 && q === 0) return false;
  expandImm(op, cmode, imm8);
  let lo = aLo,
    hi = aHi;
  const V = c.V,
    b = rd * 4;
  const orrBic = (cmode & 1) === 1 && cmode < 12;
  if (orrBic) {
    for (let k = 0; k < 4; k++) {
      const m = k & 1 ? hi : lo;
      if (k >= 2 && !q) V[b + k] = 0;
      else V[b + k] = op ? V[b + k]! & ~m : V[b + k]! | m;
    }
    return true;
  }
  if (op && cmode < 14) {
    lo = ~lo;
    hi = ~hi;
  } // MVNI
  V[b] = lo;
  V[b + 1] = hi;
  if (q) {
    V[b + 2] = lo;
    V[b + 3] = hi;
  } else {
    V[b + 2] = 0;
    V[b + 3] = 0;
  }
  return true;
}

// ---- integer lane operations -------------------------------------------------------------------

/** Saturates v to esize bits (signed or unsigned), raising FPSR.QC. */
function sat(c: SimdHost, v: number, esize: number, unsigned: boolean): number {
  const max = unsigned ? 2 ** esize - 1 : 2 ** (esize - 1) - 1,
    min = unsigned ? 0 : -(2 ** (esize - 1));
  if (v > max) {
    c.fpsr |= 1 << 27;
    return max;
  }
  if (v < min) {
    c.fpsr |= 1 << 27;
    return min;
  }
  return v;
}
function sat64(c: SimdHost, v: bigint, unsigned: boolean): bigint {
  const max = unsigned ? (1n << 64n) - 1n : (1n << 63n) - 1n,
    min = unsigned ? 0n : -(1n << 63n);
  if (v > max) {
    c.fpsr |= 1 << 27;
    return max;
  }
  if (v < min) {
    c.fpsr |= 1 << 27;
    return min;
  }
  return v;
}

/** Shift by a signed register amount (SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL...), esize < 64. */
function shlReg(
  c: SimdHost,
  a: number,
  sh: number,
  esize: number,
  unsigned: boolean,
  round: boolean,
  saturate: boolean,
): number {
  if (sh >= 0) {
    if (sh >= esize + 1) {
      if (saturate && a !== 0) return sat(c, a > 0 ? Infinity : -Infinity, esize, unsigned);
      return 0;
    }
    const r = a * 2 ** sh;
    return saturate ? sat(c, r, esize, unsigned) : r;
  }
  const s = -sh;
  if (s > esize) return round ? 0 : unsigned || a >= 0 ? 0 : -1;
  let r = a / 2 ** s;
  r = round ? Math.floor(r + 0.5) : Math.floor(r);
  return r;
}
function shlReg64(
  c: SimdHost,
  a: bigint,
  sh: number,
  unsigned: boolean,
  round: boolean,
  saturate: boolean,
): bigint {
  if (sh >= 0) {
    const r = sh >= 128 ? (a === 0n ? 0n : a > 0n ? 1n << 200n : -(1n << 200n)) : a << BigInt(sh);
    return saturate ? sat64(c, r, unsigned) : r;
  }
  const s = BigInt(Math.min(-sh, 100));
  if (round) return (a + (1n << (s - 1n))) >> s;
  return a >> s;
}

/** Three registers of the same type (vector when !scalar). */
function threeSame(c: SimdHost, w: number, scalar: boolean): boolean {
  const q = scalar ? 0 : (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    size = bits(w, 23, 22);
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16),
    opcode = bits(w, 15, 11);
  if (opcode >= 0x18) return fpThreeSame(c, w, scalar);
  const V = c.V;
  if (opcode === 3) {
    // logical
    if (scalar) return false;
    const words = q ? 4 : 2;
    clearR();
    for (let i = 0; i < words; i++) {
      const a = V[rn * 4 + i]!,
        b = V[rm * 4 + i]!,
        d = V[rd * 4 + i]!;
      let r: number;
      if (!u) r = size === 0 ? a & b : size === 1 ? a & ~b : size === 2 ? a | b : a | ~b;
      else
        r =
          size === 0
            ? a ^ b
            : size === 1
              ? (d & a) | (~d & b)
              : size === 2
                ? (a & b) | (d & ~b)
                : (d & b) | (a & ~b);
      RW[i] = r;
    }
    commit(c, rd, q);
    return true;
  }
  if (size === 3 && !q && !scalar) return false;
  const n = scalar ? 1 : (q ? 16 : 8) >>> size;
  const esize = 8 << size;
  clearR();
  if (size === 3) {
    for (let i = 0; i < n; i++) {
      const a = u ? q64(c, rn, i) : s64(c, rn, i),
        b = u ? q64(c, rm, i) : s64(c, rm, i);
      let r: bigint;
      switch (opcode) {
        case 1:
          r = sat64(c, a + b, u === 1);
          break; // SQADD/UQADD
        case 5:
          r = sat64(c, a - b, u === 1);
          break; // SQSUB/UQSUB
        case 6:
          r = a > b ? -1n : 0n;
          break; // CMGT/CMHI
        case 7:
          r = a >= b ? -1n : 0n;
          break; // CMGE/CMHS
        case 8:
        case 9:
        case 10:
        case 11: {
          // SSHL/USHL, SQSHL/UQSHL, SRSHL/URSHL, SQRSHL/UQRSHL
          const sh = (V[rm * 4 + 2 * i]! << 24) >> 24;
          r = shlReg64(c, a, sh, u === 1, (opcode & 2) === 2, (opcode & 1) === 1);
          break;
        }
        case 16:
          r = u ? a - b : a + b;
          break;
        case 17:
          r = u ? (a === b ? -1n : 0n) : (a & b) !== 0n ? -1n : 0n;
          break; // CMEQ / CMTST
        case 23:
          if (scalar || u) return false;
          r = 0n;
          break; // ADDP (handled below)
        default:
          return false;
      }
      RQ[i] = BigInt.asUintN(64, r);
    }
    if (opcode === 23) {
      RQ[0] = BigInt.asUintN(64, q64(c, rn, 0) + q64(c, rn, 1));
      RQ[1] = BigInt.asUintN(64, q64(c, rm, 0) + q64(c, rm, 1));
    }
    commit(c, rd, scalar ? 1 : q);
    return true;
  }
  if (scalar && !(opcode === 1 || opcode === 5 || opcode === 9 || opcode === 11 || opcode === 22))
    return false;
  const pairwise = opcode === 20 || opcode === 21 || opcode === 23;
  const signed = u === 0 || opcode === 22; // SQRDMULH (U = 1) is signed too
  for (let i = 0; i < n; i++) {
    let a: number, b: number;
    if (pairwise) {
      const j = 2 * i,
        src = j < n ? rn : rm,
        k = j < n ? j : j - n;
      a = signed ? es(c, src, k, size) : eu(c, src, k, size);
      b = signed ? es(c, src, k + 1, size) : eu(c, src, k + 1, size);
    } else {
      a = signed ? es(c, rn, i, size) : eu(c, rn, i, size);
      b = signed ? es(c, rm, i, size) : eu(c, rm, i, size);
    }
    let r: number;
    switch (opcode) {
      case 0:
        r = Math.floor((a + b) / 2);
        break; // SHADD/UHADD
      case 1:
        r = sat(c, a + b, esize, u === 1);
        break;
      case 2:
        r = Math.floor((a + b + 1) / 2);
        break; // SRHADD/URHADD
      case 4:
        r = Math.floor((a - b) / 2);
        break; // SHSUB/UHSUB
      case 5:
        r = sat(c, a - b, esize, u === 1);
        break;
      case 6:
        r = a > b ? -1 : 0;
        break;
      case 7:
        r = a >= b ? -1 : 0;
        break;
      case 8:
      case 9:
      case 10:
      case 11: {
        const sh = (es(c, rm, i, size) << 24) >> 24;
        r = shlReg(c, a, sh, esize, u === 1, (opcode & 2) === 2, (opcode & 1) === 1);
        break;
      }
      case 12:
        r = a > b ? a : b;
        break; // SMAX/UMAX
      case 13:
        r = a < b ? a : b;
        break; // SMIN/UMIN
      case 14:
        r = Math.abs(a - b);
        break; // SABD/UABD
      case 15:
        r = eu(c, rd, i, size) + Math.abs(a - b);
        break; // SABA/UABA
      case 16:
        r = u ? a - b : a + b;
        break;
      case 17:
        r = u ? (a === b ? -1 : 0) : (a & b) !== 0 ? -1 : 0;
        break;
      case 18: {
        // MLA/MLS
        const p = size === 2 ? Math.imul(a, b) : a * b;
        r = u ? eu(c, rd, i, size) - p : eu(c, rd, i, size) + p;
        if (size === 2) r |= 0;
        break;
      }
      case 19: {
        // MUL / PMUL
        if (u) {
          if (size !== 0) return false;
          r = pmul(a, b, 8);
        } else r = size === 2 ? Math.imul(a, b) : a * b;
        break;
      }
      case 20:
        r = a > b ? a : b;
        break; // SMAXP/UMAXP
      case 21:
        r = a < b ? a : b;
        break; // SMINP/UMINP
      case 22: {
        // SQDMULH / SQRDMULH
        if (size === 0 || size === 3) return false;
        if (size === 2) {
          const p = BigInt(a) * BigInt(b) * 2n + (u ? 1n << 31n : 0n);
          r = Number(sat64(c, p >> 32n, false));
          r = sat(c, r, 32, false);
        } else r = sat(c, Math.floor((2 * a * b + (u ? 1 << 15 : 0)) / 65536), 16, false);
        break;
      }
      case 23:
        if (u) return false;
        r = a + b;
        break; // ADDP
      default:
        return false;
    }
    put(i, size, r);
  }
  commit(c, rd, scalar ? 1 : q);
  return true;
}

function pmul(a: number, b: number, n: number): number {
  let r = 0;
  for (let i = 0; i < n; i++) if ((b >>> i) & 1) r ^= a << i;
  return r;
}

/** FP three-same (vector or scalar). */
function fpThreeSame(c: SimdHost, w: number, scalar: boolean): boolean {
  const q = scalar ? 0 : (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    a = (w >>> 23) & 1,
    sz = (w >>> 22) & 1;
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16),
    opcode = bits(w, 15, 11) & 7;
  if (sz && !q && !scalar) return false;
  const n = scalar ? 1 : sz ? 2 : q ? 4 : 2;
  const key = (u << 4) | (a << 3) | opcode;
  if (
    scalar &&
    !(
      key === 0x03 ||
      key === 0x04 ||
      key === 0x07 ||
      key === 0x0f ||
      key === 0x14 ||
      key === 0x15 ||
      key === 0x1c ||
      key === 0x1d ||
      key === 0x1a
    )
  )
    return false; // FMULX, FCMxx, FACGx, FRECPS, FRSQRTS, FABD
  const pair =
    u === 1 &&
    !scalar &&
    (key === 0x10 || key === 0x18 || key === 0x12 || key === 0x16 || key === 0x1e);
  const V = c.V;
  clearR();
  for (let i = 0; i < n; i++) {
    let xr = rn,
      xi = i,
      yr = rm,
      yi = i;
    if (pair) {
      const j = 2 * i;
      if (j < n) {
        xr = rn;
        xi = j;
        yr = rn;
        yi = j + 1;
      } else {
        xr = rm;
        xi = j - n;
        yr = rm;
        yi = j - n + 1;
      }
    }
    if (!sz) {
      const x = s32(c, xr, xi),
        y = s32(c, yr, yi);
      let r: number;
      switch (key) {
        case 0x00:
        case 0x10:
          r = maxmin32(x, y, true, true);
          break; // FMAXNM(P)
        case 0x08:
        case 0x18:
          r = maxmin32(x, y, false, true);
          break; // FMINNM(P)
        case 0x01:
          r = fma32(s32(c, rd, i), x, y);
          break; // FMLA
        case 0x09:
          r = fma32(s32(c, rd, i), neg32(x), y);
          break; // FMLS
        case 0x02:
        case 0x12:
          r = bin32(FADD, x, y);
          break; // FADD, FADDP
        case 0x0a:
          r = bin32(FSUB, x, y);
          break;
        case 0x03:
          r = bin32(FMULX, x, y);
          break;
        case 0x13:
          r = bin32(FMUL, x, y);
          break;
        case 0x04:
          r = cmp32(x, y, 0, false) ? -1 : 0;
          break; // FCMEQ
        case 0x14:
          r = cmp32(x, y, 1, false) ? -1 : 0;
          break; // FCMGE
        case 0x1c:
          r = cmp32(x, y, 2, false) ? -1 : 0;
          break; // FCMGT
        case 0x15:
          r = cmp32(x, y, 1, true) ? -1 : 0;
          break; // FACGE
        case 0x1d:
          r = cmp32(x, y, 2, true) ? -1 : 0;
          break; // FACGT
        case 0x06:
        case 0x16:
          r = maxmin32(x, y, true, false);
          break; // FMAX(P)
        case 0x0e:
        case 0x1e:
          r = maxmin32(x, y, false, false);
          break; // FMIN(P)
        case 0x17:
          r = bin32(FDIV, x, y);
          break;
        case 0x07:
          r = step32(x, y, false);
          break; // FRECPS
        case 0x0f:
          r = step32(x, y, true);
          break; // FRSQRTS
        case 0x1a:
          r = bin32(FSUB, x, y) & 0x7fffffff;
          break; // FABD (the sign of a NaN too)
        default:
          return false;
      }
      RW[i] = r;
    } else {
      const xl = V[xr * 4 + 2 * xi]!,
        xh = V[xr * 4 + 2 * xi + 1]!,
        yl = V[yr * 4 + 2 * yi]!,
        yh = V[yr * 4 + 2 * yi + 1]!;
      switch (key) {
        case 0x00:
        case 0x10:
          maxmin64(xl, xh, yl, yh, true, true);
          break;
        case 0x08:
        case 0x18:
          maxmin64(xl, xh, yl, yh, false, true);
          break;
        case 0x01:
          fma64(V[rd * 4 + 2 * i]!, V[rd * 4 + 2 * i + 1]!, xl, xh, yl, yh);
          break;
        case 0x09:
          fma64(V[rd * 4 + 2 * i]!, V[rd * 4 + 2 * i + 1]!, xl, xh ^ 0x80000000, yl, yh);
          break;
        case 0x02:
        case 0x12:
          bin64(FADD, c, xr, xi, yr, yi);
          break;
        case 0x0a:
          bin64(FSUB, c, xr, xi, yr, yi);
          break;
        case 0x03:
          bin64(FMULX, c, xr, xi, yr, yi);
          break;
        case 0x13:
          bin64(FMUL, c, xr, xi, yr, yi);
          break;
        case 0x04:
          D.lo = D.hi = cmp64(xl, xh, yl, yh, 0, false) ? -1 : 0;
          break;
        case 0x14:
          D.lo = D.hi = cmp64(xl, xh, yl, yh, 1, false) ? -1 : 0;
          break;
        case 0x1c:
          D.lo = D.hi = cmp64(xl, xh, yl, yh, 2, false) ? -1 : 0;
          break;
        case 0x15:
          D.lo = D.hi = cmp64(xl, xh, yl, yh, 1, true) ? -1 : 0;
          break;
        case 0x1d:
          D.lo = D.hi = cmp64(xl, xh, yl, yh, 2, true) ? -1 : 0;
          break;
        case 0x06:
        case 0x16:
          maxmin64(xl, xh, yl, yh, true, false);
          break;
        case 0x0e:
        case 0x1e:
          maxmin64(xl, xh, yl, yh, false, false);
          break;
        case 0x17:
          bin64(FDIV, c, xr, xi, yr, yi);
          break;
        case 0x07:
          step64(xl, xh, yl, yh, false);
          break;
        case 0x0f:
          step64(xl, xh, yl, yh, true);
          break;
        case 0x1a:
          bin64(FSUB, c, xr, xi, yr, yi);
          D.hi &= 0x7fffffff;
          break;
        default:
          return false;
      }
      RW[2 * i] = D.lo;
      RW[2 * i + 1] = D.hi;
    }
  }
  commit(c, rd, scalar ? 1 : q);
  return true;
}

function threeDifferent(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    size = bits(w, 23, 22);
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16),
    opcode = bits(w, 15, 12);
  if (size === 3) return execCrypto(c, w); // PMULL{2} Vd.1Q, Vn.1D, Vm.1D
  const n = 8 >>> size,
    esize = 8 << size,
    wsize = size + 1;
  const hiPart = q ? n : 0; // the "2" forms take the upper half of narrow sources
  const signed = u === 0;
  const rdA = (r: number, i: number, sz: number): number =>
    signed ? es(c, r, i, sz) : eu(c, r, i, sz);
  clearR();
  if (opcode === 4 || opcode === 6) {
    // ADDHN/RADDHN/SUBHN/RSUBHN: wide inputs, narrow output
    if (size === 2) {
      for (let i = 0; i < n; i++) {
        let r = opcode === 4 ? q64(c, rn, i) + q64(c, rm, i) : q64(c, rn, i) - q64(c, rm, i);
        if (u) r += 1n << 31n;
        RW[i] = Number(BigInt.asUintN(64, r) >> 32n) | 0;
      }
    } else {
      for (let i = 0; i < n; i++) {
        let r =
          opcode === 4
            ? eu(c, rn, i, wsize) + eu(c, rm, i, wsize)
            : eu(c, rn, i, wsize) - eu(c, rm, i, wsize);
        if (u) r += 2 ** (esize - 1);
        put(i, size, Math.floor(r / 2 ** esize));
      }
    }
    if (q) {
      for (let k = 0; k < 2; k++) RW[k + 2] = RW[k]!;
      RW[0] = c.V[rd * 4]!;
      RW[1] = c.V[rd * 4 + 1]!;
    }
    commit(c, rd, q);
    return true;
  }
  if (size === 2 && opcode !== 1 && opcode !== 3) {
    // 32-bit elements widen to 64: BigInt lanes
    for (let i = 0; i < 2; i++) {
      const a = BigInt(rdA(rn, hiPart + i, 2)),
        b = BigInt(rdA(rm, hiPart + i, 2));
      const acc = signed ? s64(c, rd, i) : q64(c, rd, i);
      let r: bigint;
      switch (opcode) {
        case 0:
          r = a + b;
          break;
        case 2:
          r = a - b;
          break;
        case 5:
          r = acc + (a > b ? a - b : b - a);
          break;
        case 7:
          r = a > b ? a - b : b - a;
          break;
        case 8:
          r = acc + a * b;
          break;
        case 10:
          r = acc - a * b;
          break;
        case 12:
          r = a * b;
          break;
        case 9:
        case 11:
        case 13: {
          if (u) return false;
          const p = sat64(c, 2n * a * b, false);
          r = opcode === 13 ? p : sat64(c, opcode === 9 ? acc + p : acc - p, false);
          break;
        }
        default:
          return false;
      }
      RQ[i] = BigInt.asUintN(64, r);
    }
    commit(c, rd, 1);
    return true;
  }
  for (let i = 0; i < n; i++) {
    let r: number;
    const wide = opcode === 1 || opcode === 3;
    if (size === 2 && wide) {
      const a = signed ? s64(c, rn, i) : q64(c, rn, i),
        b = BigInt(rdA(rm, hiPart + i, 2));
      RQ[i] = BigInt.asUintN(64, opcode === 1 ? a + b : a - b);
      if (i === 1) break;
      continue;
    }
    const a = wide ? rdA(rn, i, wsize) : rdA(rn, hiPart + i, size),
      b = rdA(rm, hiPart + i, size);
    const acc = rdA(rd, i, wsize);
    switch (opcode) {
      case 0:
      case 1:
        r = a + b;
        break; // ADDL/ADDW
      case 2:
      case 3:
        r = a - b;
        break; // SUBL/SUBW
      case 5:
        r = acc + Math.abs(a - b);
        break; // ABAL
      case 7:
        r = Math.abs(a - b);
        break; // ABDL
      case 8:
        r = acc + a * b;
        break; // MLAL
      case 10:
        r = acc - a * b;
        break; // MLSL
      case 12:
        r = a * b;
        break; // MULL
      case 14: {
        if (u || size !== 0) return false;
        r = pmul(a & 0xff, b & 0xff, 8);
        break;
      } // PMULL (8-bit)
      case 9:
      case 11:
      case 13: {
        // SQDMLAL/SQDMLSL/SQDMULL (16-bit)
        if (u || size !== 1) return false;
        const p = sat(c, 2 * a * b, 32, false);
        r = opcode === 13 ? p : sat(c, opcode === 9 ? acc + p : acc - p, 32, false);
        break;
      }
      default:
        return false;
    }
    if (size === 2 && wide) continue;
    put(i, wsize, r);
  }
  if (size === 2 && (opcode === 1 || opcode === 3)) {
    commit(c, rd, 1);
    return true;
  }
  commit(c, rd, 1);
  return true;
}

function twoMisc(c: SimdHost, w: number, scalar: boolean): boolean {
  const q = scalar ? 0 : (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    size = bits(w, 23, 22);
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    opcode = bits(w, 16, 12);
  const V = c.V;
  // FP forms: opcodes 0x0c-0x0f with size<1> = 1 and 0x16-0x1f
  if (
    (opcode >= 0x0c && opcode <= 0x0f && size & 2) ||
    opcode >= 0x16 ||
    (opcode === 0x14 && false)
  )
    return fpTwoMisc(c, w, scalar);
  const n = scalar ? 1 : (q ? 16 : 8) >>> size,
    esize = 8 << size;
  clearR();
  switch (opcode) {
    case 0:
    case 1: {
      // REV64 / REV32 (u), REV16
      if (scalar || (opcode === 1 && u)) return false;
      const container = opcode === 1 ? 2 : u ? 4 : 8; // bytes
      const eb = 1 << size;
      if (eb >= container) return false;
      const total = q ? 16 : 8;
      for (let base = 0; base < total; base += container) {
        for (let e = 0; e < container / eb; e++) {
          const src = base + e * eb,
            dst = base + container - (e + 1) * eb;
          for (let b = 0; b < eb; b++) RB[dst + b] = c.VB[rn * 16 + src + b]!;
        }
      }
      commit(c, rd, q);
      return true;
    }
    case 2:
    case 6: {
      // SADDLP/UADDLP, SADALP/UADALP
      if (scalar || size === 3) return false;
      const m = n / 2;
      for (let i = 0; i < m; i++) {
        if (size === 2) {
          const a = u ? BigInt(eu(c, rn, 2 * i, 2)) : BigInt(es(c, rn, 2 * i, 2)),
            b = u ? BigInt(eu(c, rn, 2 * i + 1, 2)) : BigInt(es(c, rn, 2 * i + 1, 2));
          RQ[i] = BigInt.asUintN(64, a + b + (opcode === 6 ? q64(c, rd, i) : 0n));
        } else {
          const a = u ? eu(c, rn, 2 * i, size) : es(c, rn, 2 * i, size),
            b = u ? eu(c, rn, 2 * i + 1, size) : es(c, rn, 2 * i + 1, size);
          put(i, size + 1, a + b + (opcode === 6 ? eu(c, rd, i, size + 1) : 0));
        }
      }
      commit(c, rd, q);
      return true;
    }
    case 4: {
      // CLS / CLZ
      if (scalar || size === 3) return false;
      for (let i = 0; i < n; i++) {
        const x = eu(c, rn, i, size);
        let r: number;
        if (u) r = Math.clz32(x) - (32 - esize);
        else {
          const s = es(c, rn, i, size);
          r = Math.clz32(((s ^ (s >> 31)) << (32 - esize)) | ((1 << (32 - esize)) - 1)) - 1;
          if (esize === 32) r = Math.clz32(s ^ (s >> 31)) - 1;
        }
        put(i, size, r);
      }
      commit(c, rd, q);
      return true;
    }
    case 5: {
      // CNT / NOT / RBIT
      if (scalar) return false;
      const total = q ? 16 : 8;
      if (!u) {
        if (size !== 0) return false;
        for (let i = 0; i < total; i++) {
          let x = c.VB[rn * 16 + i]!,
            k = 0;
          while (x) {
            k += x & 1;
            x >>>= 1;
          }
          RB[i] = k;
        }
      } else if (size === 0) for (let i = 0; i < total; i++) RB[i] = ~c.VB[rn * 16 + i]!;
      else if (size === 1)
        for (let i = 0; i < total; i++) {
          const x = c.VB[rn * 16 + i]!;
          let r = 0;
          for (let b = 0; b < 8; b++) r |= ((x >>> b) & 1) << (7 - b);
          RB[i] = r;
        }
      else return false;
      commit(c, rd, q);
      return true;
    }
    case 7:
    case 3: // SQABS/SQNEG, SUQADD/USQADD
    case 8:
    case 9:
    case 10:
    case 11: {
      // CMGT/CMGE #0, CMEQ/CMLE #0, CMLT #0, ABS/NEG
      if (size === 3 && !q && !scalar) return false;
      if (scalar && size !== 3 && opcode !== 7 && opcode !== 3) return false;
      if (opcode === 10 && u) return false;
      for (let i = 0; i < n; i++) {
        if (size === 3) {
          const a = s64(c, rn, i);
          let r: bigint;
          switch (opcode) {
            case 8:
              r = (u ? a >= 0n : a > 0n) ? -1n : 0n;
              break;
            case 9:
              r = (u ? a <= 0n : a === 0n) ? -1n : 0n;
              break;
            case 10:
              r = a < 0n ? -1n : 0n;
              break;
            case 11:
              r = u ? -a : a < 0n ? -a : a;
              break;
            case 7:
              r = sat64(c, u ? -a : a < 0n ? -a : a, false);
              break;
            default:
              r = u
                ? sat64(c, q64(c, rd, i) + a, true)
                : sat64(c, s64(c, rd, i) + q64(c, rn, i), false);
          }
          RQ[i] = BigInt.asUintN(64, r);
          continue;
        }
        const a = es(c, rn, i, size);
        let r: number;
        switch (opcode) {
          case 8:
            r = (u ? a >= 0 : a > 0) ? -1 : 0;
            break;
          case 9:
            r = (u ? a <= 0 : a === 0) ? -1 : 0;
            break;
          case 10:
            r = a < 0 ? -1 : 0;
            break;
          case 11:
            r = u ? -a : Math.abs(a);
            break;
          case 7:
            r = sat(c, u ? -a : Math.abs(a), esize, false);
            break;
          default:
            r = u
              ? sat(c, eu(c, rd, i, size) + a, esize, true)
              : sat(c, es(c, rd, i, size) + eu(c, rn, i, size), esize, false);
        }
        put(i, size, r);
      }
      commit(c, rd, scalar ? 1 : q);
      return true;
    }
    case 0x12:
    case 0x14: {
      // XTN/SQXTUN (u, 0x12), SQXTN/UQXTN (0x14)
      if (size === 3) return false;
      if (opcode === 0x12 && !u && scalar) return false;
      const m = scalar ? 1 : 8 >>> size;
      for (let i = 0; i < m; i++) {
        let r: number;
        if (size === 2) {
          const a = opcode === 0x14 && !u ? s64(c, rn, i) : q64(c, rn, i);
          const sa = opcode === 0x12 && u ? s64(c, rn, i) : a;
          if (opcode === 0x12 && !u) r = Number(a & 0xffffffffn) | 0;
          else r = satNarrow(c, sa, 32, opcode === 0x12 ? true : u === 1);
        } else {
          const a =
            opcode === 0x14 && !u
              ? es(c, rn, i, size + 1)
              : opcode === 0x12 && u
                ? es(c, rn, i, size + 1)
                : eu(c, rn, i, size + 1);
          r = opcode === 0x12 && !u ? a : sat(c, a, esize, opcode === 0x12 ? true : u === 1);
        }
        put(i, size, r);
      }
      if (!scalar && q) {
        RW[2] = RW[0]!;
        RW[3] = RW[1]!;
        RW[0] = V[rd * 4]!;
        RW[1] = V[rd * 4 + 1]!;
      }
      commit(c, rd, scalar ? 1 : q);
      return true;
    }
    case 0x13: {
      // SHLL
      if (!u || scalar || size === 3) return false;
      const m = 8 >>> size,
        off = q ? m : 0;
      for (let i = 0; i < m; i++) {
        const a = eu(c, rn, off + i, size);
        if (size === 2) RQ[i] = BigInt(a) << 32n;
        else put(i, size + 1, a * 2 ** esize);
      }
      commit(c, rd, 1);
      return true;
    }
    default:
      return false;
  }
}

function satNarrow(c: SimdHost, v: bigint, esize: number, unsigned: boolean): number {
  const max = unsigned ? (1n << BigInt(esize)) - 1n : (1n << BigInt(esize - 1)) - 1n,
    min = unsigned ? 0n : -(1n << BigInt(esize - 1));
  if (v > max) {
    c.fpsr |= 1 << 27;
    v = max;
  } else if (v < min) {
    c.fpsr |= 1 << 27;
    v = min;
  }
  return Number(BigInt.asIntN(32, v));
}

function fpTwoMisc(c: SimdHost, w: number, scalar: boolean): boolean {
  const q = scalar ? 0 : (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    a = (w >>> 23) & 1,
    sz = (w >>> 22) & 1;
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    opcode = bits(w, 16, 12);
  const V = c.V;
  if (opcode === 0x16 || opcode === 0x17) {
    // FCVTN/FCVTXN, FCVTL
    if (scalar && !(opcode === 0x16 && u)) return false;
    if (a || (opcode === 0x17 && u)) return false;
    clearR();
    if (opcode === 0x17) {
      // FCVTL: widen the lower/upper half
      if (!sz) {
        // half to single: four lanes from the lower or upper 64 bits
        for (let i = 0; i < 4; i++) RW[i] = half2single(c, c.VH[rn * 8 + (q ? 4 : 0) + i]!);
        commit(c, rd, 1);
        return true;
      }
      for (let i = 0; i < 2; i++) {
        const b = in32(V[rn * 4 + (q ? 2 : 0) + i]!);
        if (isNaN32(b)) {
          if ((b & 0x400000) === 0) fpEnv.flags |= IOC;
          if ((c.fpcr >>> 25) & 1) {
            RW[2 * i] = 0;
            RW[2 * i + 1] = DEFAULT_NAN64_HI;
          } else {
            RW[2 * i] = (b & 0x7) << 29;
            RW[2 * i + 1] = (b & 0x80000000) | 0x7ff80000 | ((b & 0x3fffff) >>> 3);
          }
        } else {
          f64Bits(f32(b));
          RW[2 * i] = D.lo;
          RW[2 * i + 1] = D.hi;
        }
      }
      commit(c, rd, 1);
      return true;
    }
    if (!sz) {
      // single to half: four lanes into the lower or upper 64 bits
      if (u || scalar) return false;
      for (let i = 0; i < 4; i++) RH[i] = single2half(c, V[rn * 4 + i]!);
      if (q) {
        RW[2] = RW[0]!;
        RW[3] = RW[1]!;
        RW[0] = V[rd * 4]!;
        RW[1] = V[rd * 4 + 1]!;
      }
      commit(c, rd, q);
      return true;
    }
    const m = scalar ? 1 : 2;
    for (let i = 0; i < m; i++) {
      const lo = V[rn * 4 + 2 * i]!,
        hi = V[rn * 4 + 2 * i + 1]!;
      let r: number;
      if (isNaN64(lo, hi)) {
        if ((hi & 0x80000) === 0) fpEnv.flags |= IOC;
        r =
          (c.fpcr >>> 25) & 1
            ? DEFAULT_NAN32
            : (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29) | 0;
      } else {
        const x = in64(lo, hi);
        if (u) {
          // FCVTXN: round to odd
          const saved = c.fpcr;
          fpEnv.fpcr = (saved & ~(3 << 22)) | (3 << 22);
          const flagsBefore = fpEnv.flags;
          let v = convert(x, F32);
          if (((fpEnv.flags & 16) !== 0 && (flagsBefore & 16) === 0) || (v !== x && isFinite(x))) {
            const bb = f32Bits(v);
            if (v !== x && (bb & 1) === 0 && isFinite(v)) v = f32(bb | 1);
          }
          fpEnv.fpcr = saved;
          r = f32Bits(v);
        } else r = f32Bits(convert(x, F32));
      }
      RW[i] = r;
    }
    if (!scalar && q) {
      RW[2] = RW[0]!;
      RW[3] = RW[1]!;
      RW[0] = V[rd * 4]!;
      RW[1] = V[rd * 4 + 1]!;
    }
    commit(c, rd, scalar ? 1 : q);
    return true;
  }
  if (sz && !q && !scalar) return false;
  const n = scalar ? 1 : sz ? 2 : q ? 4 : 2;
  const key = (u << 6) | (a << 5) | opcode;
  clearR();
  for (let i = 0; i < n; i++) {
    if (!sz) {
      const x = s32(c, rn, i);
      let r: number;
      switch (key) {
        case 0x2c:
          r = cmp32(x, 0, 2, false) ? -1 : 0;
          break; // FCMGT #0
        case 0x2d:
          r = cmp32(x, 0, 0, false) ? -1 : 0;
          break; // FCMEQ #0
        case 0x2e:
          r = cmp32(0, x, 2, false) ? -1 : 0;
          break; // FCMLT #0
        case 0x6c:
          r = cmp32(x, 0, 1, false) ? -1 : 0;
          break; // FCMGE #0
        case 0x6d:
          r = cmp32(0, x, 1, false) ? -1 : 0;
          break; // FCMLE #0
        case 0x2f:
          if (scalar) return false;
          r = x & 0x7fffffff;
          break; // FABS
        case 0x6f:
          if (scalar) return false;
          r = neg32(x);
          break; // FNEG
        case 0x7f:
          if (scalar) return false;
          r = sqrt32(x);
          break; // FSQRT
        case 0x18:
          r = rint32(x, 0, false);
          break;
        case 0x38:
          r = rint32(x, 1, false);
          break;
        case 0x19:
          r = rint32(x, 2, false);
          break;
        case 0x39:
          r = rint32(x, 3, false);
          break;
        case 0x58:
          r = rint32(x, 4, false);
          break;
        case 0x59:
          r = rint32(x, fpcrMode(c), true);
          break;
        case 0x79:
          r = rint32(x, fpcrMode(c), false);
          break;
        case 0x1a:
        case 0x3a:
        case 0x1b:
        case 0x3b:
        case 0x1c:
        case 0x5a:
        case 0x7a:
        case 0x5b:
        case 0x7b:
        case 0x5c: {
          const mode = [0, 1, 2, 3, 4][opcode === 0x1c ? 4 : (opcode - 0x1a) * 2 + a]!;
          fcvtInt(F32, x, 0, 0, u === 1, false, mode);
          r = I.lo;
          break;
        }
        case 0x1d:
        case 0x5d:
          r = f32Bits(fromFixed(x, 0, u === 1, false, 0, F32));
          break; // SCVTF/UCVTF
        case 0x3d:
          r = Number(recipEstimateBits(BigInt(x >>> 0), 32)) | 0;
          break; // FRECPE
        case 0x7d:
          r = Number(rsqrtEstimateBits(BigInt(x >>> 0), 32)) | 0;
          break; // FRSQRTE
        case 0x3f:
          if (!scalar) return false;
          r = Number(recpXBits(BigInt(x >>> 0), 32)) | 0;
          break; // FRECPX
        case 0x3c:
        case 0x7c:
          if (scalar) return false;
          r = unsignedEstimate(x, u === 1);
          break; // URECPE, URSQRTE
        default:
          return false;
      }
      if (
        scalar &&
        (key === 0x18 ||
          key === 0x38 ||
          key === 0x19 ||
          key === 0x39 ||
          key === 0x58 ||
          key === 0x59 ||
          key === 0x79)
      )
        return false;
      RW[i] = r;
    } else {
      const lo = V[rn * 4 + 2 * i]!,
        hi = V[rn * 4 + 2 * i + 1]!;
      switch (key) {
        case 0x2c:
          D.lo = D.hi = cmp64(lo, hi, 0, 0, 2, false) ? -1 : 0;
          break;
        case 0x2d:
          D.lo = D.hi = cmp64(lo, hi, 0, 0, 0, false) ? -1 : 0;
          break;
        case 0x2e:
          D.lo = D.hi = cmp64(0, 0, lo, hi, 2, false) ? -1 : 0;
          break;
        case 0x6c:
          D.lo = D.hi = cmp64(lo, hi, 0, 0, 1, false) ? -1 : 0;
          break;
        case 0x6d:
          D.lo = D.hi = cmp64(0, 0, lo, hi, 1, false) ? -1 : 0;
          break;
        case 0x2f:
          if (scalar) return false;
          D.lo = lo;
          D.hi = hi & 0x7fffffff;
          break;
        case 0x6f:
          if (scalar) return false;
          D.lo = lo;
          D.hi = hi ^ 0x80000000;
          break;
        case 0x7f:
          if (scalar) return false;
          sqrt64(lo, hi);
          break;
        case 0x18:
          if (scalar) return false;
          rint64(lo, hi, 0, false);
          break;
        case 0x38:
          if (scalar) return false;
          rint64(lo, hi, 1, false);
          break;
        case 0x19:
          if (scalar) return false;
          rint64(lo, hi, 2, false);
          break;
        case 0x39:
          if (scalar) return false;
          rint64(lo, hi, 3, false);
          break;
        case 0x58:
          if (scalar) return false;
          rint64(lo, hi, 4, false);
          break;
        case 0x59:
          if (scalar) return false;
          rint64(lo, hi, fpcrMode(c), true);
          break;
        case 0x79:
          if (scalar) return false;
          rint64(lo, hi, fpcrMode(c), false);
          break;
        case 0x1a:
        case 0x3a:
        case 0x1b:
        case 0x3b:
        case 0x1c:
        case 0x5a:
        case 0x7a:
        case 0x5b:
        case 0x7b:
        case 0x5c: {
          const mode = opcode === 0x1c ? 4 : (opcode - 0x1a) * 2 + a;
          fcvtInt(F64, lo, hi, 0, u === 1, true, mode);
          D.lo = I.lo;
          D.hi = I.hi;
          break;
        }
        case 0x1d:
        case 0x5d:
          f64Bits(fromFixed(lo, hi, u === 1, true, 0, F64));
          break;
        case 0x3d:
          fromBits64(recipEstimateBits(toBits64(lo, hi), 64));
          break;
        case 0x7d:
          fromBits64(rsqrtEstimateBits(toBits64(lo, hi), 64));
          break;
        case 0x3f:
          if (!scalar) return false;
          fromBits64(recpXBits(toBits64(lo, hi), 64));
          break;
        default:
          return false;
      }
      RW[2 * i] = D.lo;
      RW[2 * i + 1] = D.hi;
    }
  }
  commit(c, rd, scalar ? 1 : q);
  return true;
}

/** FPConvert half -> single (exact; NaNs keep their payload, quietened). */
function half2single(c: SimdHost, b: number): number {
  if (isNaN16(b)) {
    if ((b & 0x200) === 0) fpEnv.flags |= IOC;
    if ((c.fpcr >>> 25) & 1) return DEFAULT_NAN32;
    return ((b & 0x8000) << 16) | 0x7fc00000 | ((b & 0x1ff) << 13);
  }
  return f32Bits(f16(b));
}

/** FPConvert single -> half (rounded in the FPCR mode; FZ applies to the single input). */
function single2half(c: SimdHost, b: number): number {
  b = in32(b);
  if (isNaN32(b)) {
    if ((b & 0x400000) === 0) fpEnv.flags |= IOC;
    if ((c.fpcr >>> 25) & 1) return 0x7e00;
    return ((b >>> 16) & 0x8000) | 0x7e00 | ((b >>> 13) & 0x1ff);
  }
  return f16Bits(convert(f32(b), F16));
}

function acrossLanes(c: SimdHost, w: number): boolean {
  const q = (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    size = bits(w, 23, 22);
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    opcode = bits(w, 16, 12);
  clearR();
  if (opcode === 0x0c || opcode === 0x0f) {
    // FMAXNMV/FMINNMV, FMAXV/FMINV (4S only)
    if (!u || !q || size & 1) return false;
    const isMax = (size & 2) === 0,
      num = opcode === 0x0c;
    const x = c.V[rn * 4]!,
      y = c.V[rn * 4 + 1]!,
      z = c.V[rn * 4 + 2]!,
      t = c.V[rn * 4 + 3]!;
    RW[0] = maxmin32(maxmin32(x, y, isMax, num), maxmin32(z, t, isMax, num), isMax, num);
    commit(c, rd, 0);
    return true;
  }
  if (size === 3 || (size === 2 && !q)) return false;
  const n = (q ? 16 : 8) >>> size,
    esize = 8 << size;
  const signed = u === 0;
  let acc = signed ? es(c, rn, 0, size) : eu(c, rn, 0, size);
  for (let i = 1; i < n; i++) {
    const x = signed ? es(c, rn, i, size) : eu(c, rn, i, size);
    switch (opcode) {
      case 3:
        acc += x;
        break; // SADDLV/UADDLV
      case 0x0a:
        if (x > acc) acc = x;
        break; // SMAXV/UMAXV
      case 0x1a:
        if (x < acc) acc = x;
        break; // SMINV/UMINV
      case 0x1b:
        if (u) return false;
        acc += x;
        break; // ADDV
      default:
        return false;
    }
  }
  if (opcode === 3) {
    if (size === 2) RQ[0] = BigInt.asUintN(64, BigInt(acc));
    else put(0, size + 1, acc);
  } else if (opcode === 0x0a || opcode === 0x1a || opcode === 0x1b) put(0, size, acc % 2 ** esize);
  else return false;
  commit(c, rd, 0);
  return true;
}

function shiftImm(c: SimdHost, w: number, scalar: boolean): boolean {
  const q = scalar ? 0 : (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    immh = bits(w, 22, 19),
    immb = bits(w, 18, 16);
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    opcode = bits(w, 15, 11);
  const size = immh & 8 ? 3 : immh & 4 ? 2 : immh & 2 ? 1 : 0;
  const esize = 8 << size,
    imm = (immh << 3) | immb;
  const shr = 2 * esize - imm,
    shl = imm - esize;
  const V = c.V;
  if (opcode === 0x1c || opcode === 0x1f) {
    // SCVTF/UCVTF/FCVTZS/FCVTZU (fixed point)
    if (size < 2 || (size === 3 && !q && !scalar)) return false;
    const n = scalar ? 1 : size === 3 ? 2 : q ? 4 : 2;
    clearR();
    for (let i = 0; i < n; i++) {
      if (size === 2) {
        const x = V[rn * 4 + i]!;
        if (opcode === 0x1c) RW[i] = f32Bits(fromFixed(x, 0, u === 1, false, shr, F32));
        else {
          fcvtInt(F32, x, 0, shr, u === 1, false, 3);
          RW[i] = I.lo;
        }
      } else {
        const lo = V[rn * 4 + 2 * i]!,
          hi = V[rn * 4 + 2 * i + 1]!;
        if (opcode === 0x1c) {
          f64Bits(fromFixed(lo, hi, u === 1, true, shr, F64));
          RW[2 * i] = D.lo;
          RW[2 * i + 1] = D.hi;
        } else {
          fcvtInt(F64, lo, hi, shr, u === 1, true, 3);
          RW[2 * i] = I.lo;
          RW[2 * i + 1] = I.hi;
        }
      }
    }
    commit(c, rd, scalar ? 1 : q);
    return true;
  }
  if (opcode >= 0x10 && opcode <= 0x13) {
    // narrowing shifts
    if (size === 3) return false;
    const wide = size + 1;
    const m = scalar ? 1 : 8 >>> size;
    const round = (opcode & 1) === 1;
    const narrowSize = size,
      nb = esize;
    const shift = 2 * esize - imm; // shr computed for the narrow esize
    void narrowSize;
    clearR();
    for (let i = 0; i < m; i++) {
      let r: number;
      // source element (wide, 2*esize bits)
      const signedSrc = (opcode >= 0x12 && !u) || (opcode <= 0x11 && u); // SQSHRN(s), SQSHRUN (u, signed source)
      if (wide === 3) {
        let a = signedSrc ? s64(c, rn, i) : q64(c, rn, i);
        if (round) a += 1n << BigInt(shift - 1);
        a >>= BigInt(shift);
        if (opcode <= 0x11 && !u) r = Number(BigInt.asIntN(32, a));
        else r = satNarrow(c, a, 32, u === 1);
      } else {
        let a = signedSrc ? es(c, rn, i, wide) : eu(c, rn, i, wide);
        if (round) a += 2 ** (shift - 1);
        a = Math.floor(a / 2 ** shift);
        if (opcode <= 0x11 && !u) r = a;
        else r = sat(c, a, nb, u === 1);
      }
      if (scalar && opcode <= 0x11 && !u) return false;
      put(i, size, r);
    }
    if (!scalar && q) {
      RW[2] = RW[0]!;
      RW[3] = RW[1]!;
      RW[0] = V[rd * 4]!;
      RW[1] = V[rd * 4 + 1]!;
    }
    commit(c, rd, scalar ? 1 : q);
    return true;
  }
  if (opcode === 0x14) {
    // SSHLL/USHLL (SXTL/UXTL)
    if (scalar || size === 3) return false;
    const m = 8 >>> size,
      off = q ? m : 0;
    clearR();
    for (let i = 0; i < m; i++) {
      if (size === 2) {
        const a = u ? BigInt(eu(c, rn, off + i, 2)) : BigInt(es(c, rn, off + i, 2));
        RQ[i] = BigInt.asUintN(64, a << BigInt(shl));
      } else put(i, size + 1, (u ? eu(c, rn, off + i, size) : es(c, rn, off + i, size)) * 2 ** shl);
    }
    commit(c, rd, 1);
    return true;
  }
  if (size === 3 && !q && !scalar) return false;
  if (scalar && size !== 3 && !(opcode === 0x0e || opcode === 0x0c)) return false;
  const n = scalar ? 1 : (q ? 16 : 8) >>> size;
  clearR();
  for (let i = 0; i < n; i++) {
    if (size === 3) {
      const a = u ? q64(c, rn, i) : s64(c, rn, i),
        d = q64(c, rd, i);
      let r: bigint;
      switch (opcode) {
        case 0x00:
          r = a >> BigInt(shr);
          break;
        case 0x02:
          r = d + (a >> BigInt(shr));
          break;
        case 0x04:
          r = (a + (1n << BigInt(shr - 1))) >> BigInt(shr);
          break;
        case 0x06:
          r = d + ((a + (1n << BigInt(shr - 1))) >> BigInt(shr));
          break;
        case 0x08: {
          if (!u) return false;
          const mask = shr === 64 ? 0n : ((1n << 64n) - 1n) >> BigInt(shr);
          r = shr === 64 ? d : (d & ~mask) | (q64(c, rn, i) >> BigInt(shr));
          break;
        }
        case 0x0a:
          r = u
            ? (d & ((1n << BigInt(shl)) - 1n)) | (q64(c, rn, i) << BigInt(shl))
            : a << BigInt(shl);
          break;
        case 0x0c:
          if (!u) return false;
          r = sat64(c, s64(c, rn, i) << BigInt(shl), true);
          break; // SQSHLU
        case 0x0e:
          r = sat64(c, a << BigInt(shl), u === 1);
          break;
        default:
          return false;
      }
      RQ[i] = BigInt.asUintN(64, r);
      continue;
    }
    const a = u ? eu(c, rn, i, size) : es(c, rn, i, size),
      d = eu(c, rd, i, size);
    let r: number;
    switch (opcode) {
      case 0x00:
        r = Math.floor(a / 2 ** shr);
        break; // SSHR/USHR
      case 0x02:
        r = d + Math.floor(a / 2 ** shr);
        break; // SSRA/USRA
      case 0x04:
        r = Math.floor((a + 2 ** (shr - 1)) / 2 ** shr);
        break; // SRSHR/URSHR
      case 0x06:
        r = d + Math.floor((a + 2 ** (shr - 1)) / 2 ** shr);
        break; // SRSRA/URSRA
      case 0x08: {
        // SRI
        if (!u) return false;
        const mask = shr === esize ? 0 : Math.floor((2 ** esize - 1) / 2 ** shr);
        r = shr === esize ? d : d - (d % (mask + 1)) + Math.floor(eu(c, rn, i, size) / 2 ** shr);
        if (shr !== esize) r = (d & ~mask) | Math.floor(eu(c, rn, i, size) / 2 ** shr);
        break;
      }
      case 0x0a: // SHL / SLI
        r = u ? (d & ((1 << shl) - 1)) | (eu(c, rn, i, size) << shl) : a * 2 ** shl;
        if (size === 2) r = u ? (d & ((2 ** shl - 1) | 0)) | (eu(c, rn, i, size) << shl) : a << shl;
        break;
      case 0x0c:
        if (!u) return false;
        r = sat(c, es(c, rn, i, size) * 2 ** shl, esize, true);
        break; // SQSHLU
      case 0x0e:
        r = sat(c, a * 2 ** shl, esize, u === 1);
        break; // SQSHL/UQSHL
      default:
        return false;
    }
    put(i, size, r);
  }
  commit(c, rd, scalar ? 1 : q);
  return true;
}

function byElement(c: SimdHost, w: number, scalar: boolean): boolean {
  const q = scalar ? 0 : (w >>> 30) & 1,
    u = (w >>> 29) & 1,
    size = bits(w, 23, 22);
  const l = (w >>> 21) & 1,
    m = (w >>> 20) & 1,
    h = (w >>> 11) & 1;
  const rd = w & 31,
    rn = (w >>> 5) & 31,
    opcode = bits(w, 15, 12);
  const V = c.V;
  const isFp = opcode === 1 || opcode === 5 || opcode === 9;
  if (isFp) {
    if (size < 2) return false;
    const sz = size & 1;
    if (sz && (l || (!q && !scalar))) return false;
    const rm = (m << 4) | bits(w, 19, 16),
      index = sz ? h : (h << 1) | l;
    const n = scalar ? 1 : sz ? 2 : q ? 4 : 2;
    clearR();
    for (let i = 0; i < n; i++) {
      if (!sz) {
        const x = s32(c, rn, i),
          y = s32(c, rm, index);
        RW[i] =
          opcode === 9
            ? bin32(u ? FMULX : FMUL, x, y)
            : fma32(s32(c, rd, i), opcode === 5 ? neg32(x) : x, y);
      } else {
        if (opcode === 9) bin64(u ? FMULX : FMUL, c, rn, i, rm, index);
        else {
          const xl = V[rn * 4 + 2 * i]!,
            xh = V[rn * 4 + 2 * i + 1]!;
          fma64(
            V[rd * 4 + 2 * i]!,
            V[rd * 4 + 2 * i + 1]!,
            xl,
            opcode === 5 ? xh ^ 0x80000000 : xh,
            V[rm * 4 + 2 * index]!,
            V[rm * 4 + 2 * index + 1]!,
          );
        }
        RW[2 * i] = D.lo;
        RW[2 * i + 1] = D.hi;
      }
    }
    if (u && opcode !== 9) return false;
    commit(c, rd, scalar ? 1 : q);
    return true;
  }
  if (size === 0 || size === 3) return false;
  const rm = size === 1 ? bits(w, 19, 16) : (m << 4) | bits(w, 19, 16);
  const index = size === 1 ? (h << 2) | (l << 1) | m : (h << 1) | l;
  const long =
    opcode === 2 || opcode === 6 || opcode === 10 || opcode === 3 || opcode === 7 || opcode === 11;
  const esize = 8 << size;
  const signed = u === 0;
  clearR();
  if (long) {
    if (scalar) return false;
    const k = 8 >>> size,
      off = q ? k : 0;
    const b = signed ? es(c, rm, index, size) : eu(c, rm, index, size);
    for (let i = 0; i < k; i++) {
      const a = signed ? es(c, rn, off + i, size) : eu(c, rn, off + i, size);
      if (size === 2) {
        const p = BigInt(a) * BigInt(b),
          acc = signed ? s64(c, rd, i) : q64(c, rd, i);
        let r: bigint;
        switch (opcode) {
          case 2:
            r = acc + p;
            break;
          case 6:
            r = acc - p;
            break;
          case 10:
            r = p;
            break;
          case 3:
          case 7:
          case 11: {
            if (u) return false;
            const d2 = sat64(c, 2n * p, false);
            r = opcode === 11 ? d2 : sat64(c, opcode === 3 ? acc + d2 : acc - d2, false);
            break;
          }
          default:
            return false;
        }
        RQ[i] = BigInt.asUintN(64, r);
      } else {
        const p = a * b,
          acc = signed ? es(c, rd, i, 2) : eu(c, rd, i, 2);
        let r: number;
        switch (opcode) {
          case 2:
            r = acc + p;
            break;
          case 6:
            r = acc - p;
            break;
          case 10:
            r = p;
            break;
          case 3:
          case 7:
          case 11: {
            if (u) return false;
            const d2 = sat(c, 2 * p, 32, false);
            r = opcode === 11 ? d2 : sat(c, opcode === 3 ? acc + d2 : acc - d2, 32, false);
            break;
          }
          default:
            return false;
        }
        RW[i] = r;
      }
    }
    commit(c, rd, 1);
    return true;
  }
  if (scalar && (opcode === 0 || opcode === 4 || opcode === 8)) return false;
  const n = scalar ? 1 : (q ? 16 : 8) >>> size;
  for (let i = 0; i < n; i++) {
    const a = es(c, rn, i, size),
      b = es(c, rm, index, size),
      d = es(c, rd, i, size);
    let r: number;
    switch (opcode) {
      case 0:
        if (!u) return false;
        r = d + (size === 2 ? Math.imul(a, b) : a * b);
        break; // MLA
      case 4:
        if (!u) return false;
        r = d - (size === 2 ? Math.imul(a, b) : a * b);
        break; // MLS
      case 8:
        if (u) return false;
        r = size === 2 ? Math.imul(a, b) : a * b;
        break; // MUL
      case 12:
      case 13: {
        // SQDMULH / SQRDMULH
        if (u) return false;
        const rnd = opcode === 13;
        if (size === 2)
          r = satNarrow(c, (BigInt(a) * BigInt(b) * 2n + (rnd ? 1n << 31n : 0n)) >> 32n, 32, false);
        else r = sat(c, Math.floor((2 * a * b + (rnd ? 1 << 15 : 0)) / 65536), 16, false);
        break;
      }
      default:
        return false;
    }
    if (size === 2) r |= 0;
    put(i, size, r);
  }
  void esize;
  commit(c, rd, scalar ? 1 : q);
  return true;
}

// ---- Advanced SIMD scalar ----------------------------------------------------------------------

function scalarSimd(c: SimdHost, w: number): boolean {
  const b24 = (w >>> 24) & 1,
    b21 = (w >>> 21) & 1,
    b10 = (w >>> 10) & 1;
  if (b24) {
    if (b10) return (w >>> 23) & 1 || bits(w, 22, 19) === 0 ? false : shiftImm(c, w, true);
    return byElement(c, w, true);
  }
  if (b21) {
    if (b10) return threeSame(c, w, true);
    if (bits(w, 11, 10) === 0) return scalarThreeDifferent(c, w);
    const x = bits(w, 20, 17);
    if (x === 0) return twoMisc(c, w, true);
    if (x === 8) return scalarPairwise(c, w);
    if (x === 4) return execCrypto(c, w); // SHA1H/SHA1SU1/SHA256SU0
    return false;
  }
  if (
    ((w >>> 29) & 1) === 0 &&
    bits(w, 23, 21) === 0 &&
    ((w >>> 15) & 1) === 0 &&
    b10 === 1 &&
    bits(w, 14, 11) === 0
  ) {
    // DUP (element), scalar: MOV Vd, Vn.T[i]
    const rd = w & 31,
      rn = (w >>> 5) & 31,
      imm5 = bits(w, 20, 16);
    const size = imm5 & 1 ? 0 : imm5 & 2 ? 1 : imm5 & 4 ? 2 : imm5 & 8 ? 3 : -1;
    if (size < 0) return false;
    const index = imm5 >>> (size + 1),
      eb = 1 << size;
    clearR();
    for (let b = 0; b < eb; b++) RB[b] = c.VB[rn * 16 + index * eb + b]!;
    commit(c, rd, 1);
    return true;
  }
  return execCrypto(c, w); // SHA1C/P/M/SU0, SHA256H/H2/SU1
}

/** SQDMLAL, SQDMLSL, SQDMULL on scalars (H -> S, S -> D). */
function scalarThreeDifferent(c: SimdHost, w: number): boolean {
  const u = (w >>> 29) & 1,
    size = bits(w, 23, 22),
    rd = w & 31,
    rn = (w >>> 5) & 31,
    rm = bits(w, 20, 16),
    opcode = bits(w, 15, 12);
  if (u || (size !== 1 && size !== 2) || !(opcode === 9 || opcode === 11 || opcode === 13))
    return false;
  clearR();
  if (size === 1) {
    const p = sat(c, 2 * es(c, rn, 0, 1) * es(c, rm, 0, 1), 32, false);
    RW[0] =
      opcode === 13 ? p : sat(c, opcode === 9 ? c.V[rd * 4]! + p : c.V[rd * 4]! - p, 32, false);
  } else {
    const p = sat64(c, 2n * BigInt(c.V[rn * 4]!) * BigInt(c.V[rm * 4]!), false);
    RQ[0] = BigInt.asUintN(
      64,
      opcode === 13 ? p : sat64(c, opcode === 9 ? s64(c, rd, 0) + p : s64(c, rd, 0) - p, false),
    );
  }
  commit(c, rd, 1);
  return true;
}

function scalarPairwise(c: SimdHost, w: number): boolean {
  const u = (w >>> 29) & 1,
    size = bits(w, 23, 22),
    rd = w & 31,
    rn = (w >>> 5) & 31,
    opcode = bits(w, 16, 12);
  clearR();
  if (!u && opcode === 0x1b) {
    // ADDP (scalar)
    if (size !== 3) return false;
    RQ[0] = BigInt.asUintN(64, q64(c, rn, 0) + q64(c, rn, 1));
    commit(c, rd, 1);
    return true;
  }
  if (!u) return false;
  const sz = size & 1,
    isMin = (size & 2) !== 0,
    V = c.V;
  if (!sz) {
    const x = V[rn * 4]!,
      y = V[rn * 4 + 1]!;
    switch (opcode) {
      case 0x0c:
        RW[0] = maxmin32(x, y, !isMin, true);
        break;
      case 0x0d:
        if (isMin) return false;
        RW[0] = bin32(FADD, x, y);
        break;
      case 0x0f:
        RW[0] = maxmin32(x, y, !isMin, false);
        break;
      default:
        return false;
    }
  } else {
    switch (opcode) {
      case 0x0c:
        maxmin64(V[rn * 4]!, V[rn * 4 + 1]!, V[rn * 4 + 2]!, V[rn * 4 + 3]!, !isMin, true);
        break;
      case 0x0d:
        if (isMin) return false;
        bin64(FADD, c, rn, 0, rn, 1);
        break;
      case 0x0f:
        maxmin64(V[rn * 4]!, V[rn * 4 + 1]!, V[rn * 4 + 2]!, V[rn * 4 + 3]!, !isMin, false);
        break;
      default:
        return false;
    }
    RW[0] = D.lo;
    RW[1] = D.hi;
  }
  commit(c, rd, 1);
  return true;
}

// ---- decoding without effects ------------------------------------------------------------------

let dryHost: SimdHost | undefined;

/**
 * True when {@link execSimd} implements the word: it is run on a throwaway register file
 * whose memory reads as zero and ignores writes (used by `decodeInsn`, and so that an
 * unimplemented or unallocated encoding is UNDEFINED before any FP access trap, as on QEMU).
 * @param w - the instruction word (an FP/SIMD encoding).
 * @returns whether it executes.
 */
export function simdImplemented(w: number): boolean {
  if (dryHost === undefined) {
    const V = new Int32Array(34 * 4);
    const nop = (): void => undefined;
    dryHost = {
      V,
      VB: new Uint8Array(V.buffer),
      VH: new Uint16Array(V.buffer),
      VQ: new BigUint64Array(V.buffer),
      R: new Int32Array(68),
      fpcr: 0,
      fpsr: 0,
      n: 0,
      z: 0,
      c: 0,
      v: 0,
      ld8: () => 0,
      ld16: () => 0,
      ld32: () => 0,
      ld64: () => {
        T[0] = 0;
        T[1] = 0;
      },
      st8: nop,
      st16: nop,
      st32: nop,
      st64: nop,
    };
  }
  return execSimd(dryHost, w | 0, 0, 0);
}
