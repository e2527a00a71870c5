// SPDX-License-Identifier: MIT
// ARMv8.1 Large System Extensions (FEAT_LSE) atomics: the atomic memory operations LDADD,
// LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN and SWP (and their ST<op> aliases,
// Rt = XZR), CAS and CASP, in B/H/W/X sizes with acquire/release forms. Decoding follows the
// Arm ARM (DDI 0487) "Atomic memory operations" and "Compare and swap" encodings; written here.
// One instruction of one CPU runs to completion before anything else touches memory, so each
// operation is atomic as it stands; acquire/release ordering needs nothing more. The JIT does
// not translate these operations: its blocks hand them to the interpreter.

import { OP, SLOT_SINK, SLOT_ZR } from './ops.js';
import { T } from './u64.js';

/** Operation numbers of the atomic memory operations (slot `a` of {@link OP.LSE_AMO}). */
export const LSE_AMO = {
  ADD: 0,
  CLR: 1,
  EOR: 2,
  SET: 3,
  SMAX: 4,
  SMIN: 5,
  UMAX: 6,
  UMIN: 7,
  SWP: 8,
} as const;

/** The memory side of the executor that the atomics use (implemented by `Cpu`). */
export interface LseMemory {
  /** Loads `1 << size` bytes at `lo:hi` into `T` (zero-extended); faults as a load does. */
  lseLoad(lo: number, hi: number, size: number): void;
  /** Stores the low `1 << size` bytes of `vl:vh` at `lo:hi`; faults as a store does. */
  lseStore(lo: number, hi: number, size: number, vl: number, vh: number): void;
  /** Raises the alignment fault of a misaligned atomic access. */
  lseAlignmentFault(lo: number, hi: number, write: boolean): never;
}

function set(
  out: Int32Array,
  o: number,
  op: number,
  rn: number,
  a: number,
  b: number,
  c: number,
  d: number,
): number {
  out[o] = op;
  out[o + 1] = 0;
  out[o + 2] = rn;
  out[o + 3] = 0;
  out[o + 4] = a;
  out[o + 5] = b;
  out[o + 6] = c;
  out[o + 7] = d;
  return 0;
}

/**
 * Decodes the atomic memory operations group (load/store register, bit 21 set, bits [11:10] 0).
 * Slots: rn = base (SP allowed), a = {@link LSE_AMO} operation, b = Rs, c = size, d = Rt.
 * @param w - the instruction word.
 * @param out - predecoded operations.
 * @param o - slot offset.
 * @returns 0, or -1 when unallocated (or LDAPR, FEAT_LRCPC, not implemented).
 */
export function decodeAtomic(w: number, out: Int32Array, o: number): number {
  if (((w >>> 26) & 1) !== 0) return -1;
  const size = w >>> 30,
    o3 = (w >>> 15) & 1,
    opc = (w >>> 12) & 7;
  const rs = (w >>> 16) & 31,
    rn = (w >>> 5) & 31,
    rt = w & 31;
  let op: number;
  if (o3 === 0) op = opc;
  else if (opc === 0) op = LSE_AMO.SWP;
  else return -1;
  return set(out, o, OP.LSE_AMO, rn * 2, op, rs, size, rt);
}

/**
 * Decodes CAS, CASA, CASL, CASAL (B/H/W/X): `o2 = 1, o1 = 1` in the load/store exclusive group.
 * Slots: rn = base, b = Rs (compare, then the old value), c = size, d = Rt (new value).
 * @param w - the instruction word.
 * @param out - predecoded operations.
 * @param o - slot offset.
 * @returns 0, or -1 when unallocated (Rt2 not 31).
 */
export function decodeCas(w: number, out: Int32Array, o: number): number {
  if (((w >>> 10) & 31) !== 31) return -1;
  return set(out, o, OP.LSE_CAS, ((w >>> 5) & 31) * 2, 0, (w >>> 16) & 31, w >>> 30, w & 31);
}

/**
 * Decodes CASP, CASPA, CASPL, CASPAL (W and X pairs): `size = 0x, o2 = 0, o1 = 1`.
 * Slots: rn = base, b = Rs (even), c = element size (2 or 3), d = Rt (even).
 * @param w - the instruction word.
 * @param out - predecoded operations.
 * @param o - slot offset.
 * @returns 0, or -1 when unallocated (odd Rs or Rt, Rt2 not 31).
 */
export function decodeCasp(w: number, out: Int32Array, o: number): number {
  const rs = (w >>> 16) & 31,
    rt = w & 31;
  if (((w >>> 10) & 31) !== 31 || (rs & 1) !== 0 || (rt & 1) !== 0) return -1;
  return set(out, o, OP.LSE_CASP, ((w >>> 5) & 31) * 2, 0, rs, 2 + ((w >>> 30) & 1), rt);
}

const src = (n: number): number => (n === 31 ? SLOT_ZR : n * 2);
const dst = (n: number): number => (n === 31 ? SLOT_SINK : n * 2);
/** Mask of the low `1 << size` bytes of the low half (sizes 0..2). */
const MASK = [0xff, 0xffff, -1, -1];
/** Sign-extends the low `1 << size` bytes of a low half. */
const sext = (v: number, size: number): number =>
  size === 0 ? (v << 24) >> 24 : size === 1 ? (v << 16) >> 16 : v;

/** Signed compare of two 64-bit values in halves: negative, zero or positive. */
function cmpS(al: number, ah: number, bl: number, bh: number): number {
  return ah !== bh ? (ah < bh ? -1 : 1) : al === bl ? 0 : al >>> 0 < bl >>> 0 ? -1 : 1;
}
/** Unsigned compare of two 64-bit values in halves. */
function cmpU(al: number, ah: number, bl: number, bh: number): number {
  return ah !== bh ? (ah >>> 0 < bh >>> 0 ? -1 : 1) : al === bl ? 0 : al >>> 0 < bl >>> 0 ? -1 : 1;
}

/** `lo:hi + step` with the carry. Result in T. */
function addr(lo: number, hi: number, step: number): void {
  const l = (lo >>> 0) + step;
  T[0] = l | 0;
  T[1] = (hi + (l > 0xffffffff ? 1 : 0)) | 0;
}

/**
 * Executes one predecoded LSE operation ({@link OP.LSE_AMO}, {@link OP.LSE_CAS},
 * {@link OP.LSE_CASP}).
 * @param m - the CPU's memory access.
 * @param ops - predecoded operations.
 * @param o - slot offset.
 * @param R - the register file (32-bit halves).
 */
export function execLse(m: LseMemory, ops: Int32Array, o: number, R: Int32Array): void {
  const kind = ops[o]!,
    base = ops[o + 2]!,
    rs = ops[o + 5]!,
    size = ops[o + 6]!,
    rt = ops[o + 7]!;
  const al = R[base]!,
    ah = R[base + 1]!;
  if (kind === OP.LSE_CASP) {
    const step = size === 3 ? 8 : 4;
    if ((al & (2 * step - 1)) !== 0) m.lseAlignmentFault(al, ah, true);
    const s0 = src(rs),
      s1 = src(rs + 1),
      t0 = src(rt),
      t1 = src(rt + 1);
    const c0l = R[s0]!,
      c0h = size === 3 ? R[s0 + 1]! : 0,
      c1l = R[s1]!,
      c1h = size === 3 ? R[s1 + 1]! : 0;
    addr(al, ah, step);
    const bl = T[0]!,
      bh = T[1]!;
    m.lseLoad(al, ah, size);
    const o0l = T[0]!,
      o0h = T[1]!;
    m.lseLoad(bl, bh, size);
    const o1l = T[0]!,
      o1h = T[1]!;
    if (o0l === c0l && o0h === c0h && o1l === c1l && o1h === c1h) {
      m.lseStore(al, ah, size, R[t0]!, R[t0 + 1]!);
      m.lseStore(bl, bh, size, R[t1]!, R[t1 + 1]!);
    }
    const d0 = dst(rs),
      d1 = dst(rs + 1);
    R[d0] = o0l;
    R[d0 + 1] = o0h;
    R[d1] = o1l;
    R[d1 + 1] = o1h;
    return;
  }
  const bytes = 1 << size;
  if ((al & (bytes - 1)) !== 0) m.lseAlignmentFault(al, ah, true);
  const sl = R[src(rs)]! & MASK[size]!,
    sh = size === 3 ? R[src(rs) + 1]! : 0;
  m.lseLoad(al, ah, size);
  const ol = T[0]!,
    oh = T[1]!;
  if (kind === OP.LSE_CAS) {
    if (ol === sl && oh === sh) m.lseStore(al, ah, size, R[src(rt)]!, R[src(rt) + 1]!);
    const d = dst(rs);
    R[d] = ol;
    R[d + 1] = oh;
    return;
  }
  let nl: number, nh: number;
  switch (ops[o + 4]!) {
    case LSE_AMO.ADD: {
      const l = (ol >>> 0) + (sl >>> 0);
      nl = l | 0;
      nh = (oh + sh + (l > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case LSE_AMO.CLR:
      nl = ol & ~sl;
      nh = oh & ~sh;
      break;
    case LSE_AMO.EOR:
      nl = ol ^ sl;
      nh = oh ^ sh;
      break;
    case LSE_AMO.SET:
      nl = ol | sl;
      nh = oh | sh;
      break;
    case LSE_AMO.SWP:
      nl = sl;
      nh = sh;
      break;
    default: {
      // max/min: signed on the access size (sign-extended), or unsigned
      const op = ops[o + 4]!;
      let c: number;
      if (op === LSE_AMO.SMAX || op === LSE_AMO.SMIN) {
        c = size === 3 ? cmpS(ol, oh, sl, sh) : Math.sign(sext(ol, size) - sext(sl, size));
      } else {
        c = cmpU(ol, oh, sl, sh);
      }
      const takeOld = op === LSE_AMO.SMAX || op === LSE_AMO.UMAX ? c >= 0 : c <= 0;
      nl = takeOld ? ol : sl;
      nh = takeOld ? oh : sh;
    }
  }
  m.lseStore(al, ah, size, nl, nh);
  const d = dst(rt);
  R[d] = ol;
  R[d + 1] = oh;
}

const AMO_NAMES = ['add', 'clr', 'eor', 'set', 'smax', 'smin', 'umax', 'umin'];
const xw = (n: number, x: boolean): string =>
  n === 31 ? (x ? 'xzr' : 'wzr') : `${x ? 'x' : 'w'}${n}`;
const base = (n: number): string => `[${n === 31 ? 'sp' : `x${n}`}]`;

/**
 * GNU objdump text of an LSE instruction this file decodes (with the `ST<op>` aliases).
 * @param w - the instruction word.
 * @returns the text, or undefined when the word is not one of them.
 */
export function disassembleLse(w: number): string | undefined {
  const out = new Int32Array(8);
  const size = w >>> 30,
    rs = (w >>> 16) & 31,
    rn = (w >>> 5) & 31,
    rt = w & 31;
  const b2927 = (w >>> 27) & 7;
  const sfx = size === 0 ? 'b' : size === 1 ? 'h' : '';
  if (b2927 === 7 && ((w >>> 24) & 3) === 0 && ((w >>> 21) & 1) === 1 && ((w >>> 10) & 3) === 0) {
    if (decodeAtomic(w, out, 0) !== 0) return undefined;
    const a = (w >>> 23) & 1 ? 'a' : '',
      l = (w >>> 22) & 1 ? 'l' : '',
      x = size === 3,
      op = out[4]!;
    if (op === LSE_AMO.SWP) return `swp${a}${l}${sfx}\t${xw(rs, x)}, ${xw(rt, x)}, ${base(rn)}`;
    if (rt === 31 && a === '') return `st${AMO_NAMES[op]}${l}${sfx}\t${xw(rs, x)}, ${base(rn)}`;
    return `ld${AMO_NAMES[op]}${a}${l}${sfx}\t${xw(rs, x)}, ${xw(rt, x)}, ${base(rn)}`;
  }
  if (b2927 === 1 && ((w >>> 24) & 7) === 0 && ((w >>> 21) & 1) === 1) {
    const a = (w >>> 22) & 1 ? 'a' : '',
      l = (w >>> 15) & 1 ? 'l' : '';
    if ((w >>> 23) & 1) {
      if (decodeCas(w, out, 0) !== 0) return undefined;
      return `cas${a}${l}${sfx}\t${xw(rs, size === 3)}, ${xw(rt, size === 3)}, ${base(rn)}`;
    }
    if (size >= 2 || decodeCasp(w, out, 0) !== 0) return undefined;
    const x = size === 1;
    return `casp${a}${l}\t${xw(rs, x)}, ${xw(rs + 1, x)}, ${xw(rt, x)}, ${xw(rt + 1, x)}, ${base(rn)}`;
  }
  return undefined;
}
