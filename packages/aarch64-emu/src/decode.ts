// SPDX-License-Identifier: MIT
// A64 decoder: turns one 32-bit instruction word into a predecoded operation (see ops.ts).
// Encodings follow the Arm Architecture Reference Manual (DDI 0487) "A64 instruction set
// encoding" tables; grouping as in its top-level decode on bits [28:25].

import { OP, SLOT_SINK, SLOT_ZR, STRIDE } from './ops.js';
import { decodeAtomic, decodeCas, decodeCasp } from './lse.js';
import { MSR_CONTINUES } from './sysregs.js';

/** Register slot for a source where 31 means XZR. */
const rz = (n: number): number => (n === 31 ? SLOT_ZR : n * 2);
/** Register slot for a destination where 31 means XZR (write discarded). */
const wz = (n: number): number => (n === 31 ? SLOT_SINK : n * 2);
/** Register slot where 31 means SP. */
const rs = (n: number): number => n * 2;

/**
 * Extracts bits [hi:lo] of a word.
 * @param w - the word.
 * @param hi - highest bit.
 * @param lo - lowest bit.
 * @returns the unsigned field.
 */
export function bits(w: number, hi: number, lo: number): number {
  return ((w >>> lo) & (hi - lo === 31 ? 0xffffffff : (1 << (hi - lo + 1)) - 1)) >>> 0;
}

/**
 * Sign-extends the low `width` bits of a value.
 * @param v - the value.
 * @param width - field width in bits (1..32).
 * @returns the signed value.
 */
export function signExtend(v: number, width: number): number {
  const s = 32 - width;
  return (v << s) >> s;
}

/** Result of {@link decodeBitMasks}: wmask and tmask as 64-bit bigints. */
export interface BitMasks {
  /** The immediate (wmask). */
  wmask: bigint;
  /** The bitfield top mask (tmask). */
  tmask: bigint;
}

const ones = (n: number): bigint => (1n << BigInt(n)) - 1n;

/**
 * DecodeBitMasks from the Arm ARM: the logical-immediate and bitfield masks.
 * @param n - N bit.
 * @param imms - imms field.
 * @param immr - immr field.
 * @param immediate - true for logical immediates (all-ones element is then reserved).
 * @param dataSize - 32 or 64.
 * @returns the masks, or undefined for a reserved encoding.
 */
export function decodeBitMasks(
  n: number,
  imms: number,
  immr: number,
  immediate: boolean,
  dataSize: number,
): BitMasks | undefined {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return undefined;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return undefined;
  const levels = (1 << len) - 1;
  if (immediate && (imms & levels) === levels) return undefined;
  const s = imms & levels;
  const r = immr & levels;
  const diff = (s - r) & levels;
  const esize = 1 << len;
  if (esize > dataSize) return undefined;
  const welem = ones(s + 1);
  const telem = ones(diff + 1);
  const emask = ones(esize);
  const rot = r === 0 ? welem : ((welem >> BigInt(r)) | (welem << BigInt(esize - r))) & emask;
  let wmask = 0n;
  let tmask = 0n;
  for (let i = 0; i < dataSize; i += esize) {
    wmask |= rot << BigInt(i);
    tmask |= telem << BigInt(i);
  }
  return { wmask, tmask };
}

const lo32 = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn) | 0;

/** Kind of a decoded instruction for block building. */
export const TERMINATES = 1;

/**
 * Decodes one instruction into `out` at slot offset `o`.
 * @param w - the instruction word.
 * @param out - predecoded operation array.
 * @param o - offset (a multiple of {@link STRIDE}).
 * @returns 1 if the instruction ends a basic block, else 0.
 */
export function decodeInto(w: number, out: Int32Array, o: number): number {
  for (let i = 0; i < STRIDE; i++) out[o + i] = 0;
  const op0 = bits(w, 28, 25);
  let t = 0;
  if ((op0 & 0b1110) === 0b1000) t = dpImm(w, out, o);
  else if ((op0 & 0b1110) === 0b1010) t = branchSys(w, out, o);
  else if ((op0 & 0b0101) === 0b0100) t = (w >>> 26) & 1 ? simd(w, out, o) : loadStore(w, out, o);
  else if ((op0 & 0b0111) === 0b0101) t = dpReg(w, out, o);
  else if ((op0 & 0b0111) === 0b0111) t = simd(w, out, o);
  else t = -1;
  if (t < 0) {
    out[o] = OP.UNDEF;
    out[o + 4] = w;
    return TERMINATES;
  }
  return t;
}

/** FP/SIMD loads, stores and data processing: decoded when executed (fpsimd/execute.ts). */
function simd(w: number, out: Int32Array, o: number): number {
  return set(out, o, OP.SIMD, 0, 0, 0, w | 0);
}

function set(
  out: Int32Array,
  o: number,
  op: number,
  rd: number,
  rn: number,
  rm: number,
  a = 0,
  b = 0,
  c = 0,
  d = 0,
): number {
  out[o] = op;
  out[o + 1] = rd;
  out[o + 2] = rn;
  out[o + 3] = rm;
  out[o + 4] = a;
  out[o + 5] = b;
  out[o + 6] = c;
  out[o + 7] = d;
  return 0;
}

function dpImm(w: number, out: Int32Array, o: number): number {
  const sf = w >>> 31;
  const rd = bits(w, 4, 0),
    rn = bits(w, 9, 5);
  switch (bits(w, 25, 23)) {
    case 0:
    case 1: {
      // ADR / ADRP
      const imm = signExtend(bits(w, 23, 5), 19) * 4 + bits(w, 30, 29);
      if (sf) {
        const off = BigInt(imm) << 12n;
        return set(out, o, OP.ADR, wz(rd), 0, 0, lo32(off), hi32(off), 1);
      }
      return set(out, o, OP.ADR, wz(rd), 0, 0, imm, imm < 0 ? -1 : 0, 0);
    }
    case 2: {
      // add/sub immediate
      const isSub = (w >>> 30) & 1,
        isS = (w >>> 29) & 1;
      const imm = bits(w, 21, 10) << (((w >>> 22) & 1) * 12);
      const op = isSub ? (isS ? OP.SUBS_I : OP.SUB_I) : isS ? OP.ADDS_I : OP.ADD_I;
      return set(out, o, op, isS ? wz(rd) : rs(rd), rs(rn), 0, imm, 0, sf);
    }
    case 4: {
      // logical immediate
      const n = (w >>> 22) & 1;
      if (!sf && n) return -1;
      const m = decodeBitMasks(n, bits(w, 15, 10), bits(w, 21, 16), true, sf ? 64 : 32);
      if (!m) return -1;
      const opc = bits(w, 30, 29);
      const op = [OP.AND_I, OP.ORR_I, OP.EOR_I, OP.ANDS_I][opc]!;
      return set(
        out,
        o,
        op,
        opc === 3 ? wz(rd) : rs(rd),
        rz(rn),
        0,
        lo32(m.wmask),
        hi32(m.wmask),
        sf,
      );
    }
    case 5: {
      // move wide
      const opc = bits(w, 30, 29),
        hw = bits(w, 22, 21),
        imm16 = bits(w, 20, 5);
      if (opc === 1 || (!sf && hw >= 2)) return -1;
      if (opc === 3) return set(out, o, OP.MOVK, wz(rd), 0, 0, hw * 16, imm16, sf);
      let v = BigInt(imm16) << BigInt(hw * 16);
      if (opc === 0) v = ~v;
      v = BigInt.asUintN(sf ? 64 : 32, v);
      return set(out, o, OP.MOVI, wz(rd), 0, 0, lo32(v), hi32(v), sf);
    }
    case 6: {
      // bitfield
      const opc = bits(w, 30, 29),
        n = (w >>> 22) & 1,
        immr = bits(w, 21, 16),
        imms = bits(w, 15, 10);
      if (opc === 3 || n !== sf || (!sf && (immr >= 32 || imms >= 32))) return -1;
      const size = sf ? 64 : 32;
      const m = decodeBitMasks(n, imms, immr, false, size);
      if (!m) return -1;
      if (opc === 2 && imms + 1 === immr)
        return set(out, o, OP.LSL_I, wz(rd), rz(rn), 0, size - 1 - imms, 0, sf);
      if (opc === 2 && imms === size - 1)
        return set(out, o, OP.LSR_I, wz(rd), rz(rn), 0, immr, 0, sf);
      if (opc === 0 && imms === size - 1)
        return set(out, o, OP.ASR_I, wz(rd), rz(rn), 0, immr, 0, sf);
      const op = [OP.SBFM, OP.BFM, OP.UBFM][opc]!;
      // BFM reads its destination: keep the source-side slot for rd in rm's place.
      return set(
        out,
        o,
        op,
        wz(rd),
        rz(rn),
        immr | (imms << 8) | (sf << 16) | (rz(rd) << 17),
        lo32(m.wmask),
        hi32(m.wmask),
        lo32(m.tmask),
        hi32(m.tmask),
      );
    }
    case 7: {
      // extract
      const n = (w >>> 22) & 1,
        imms = bits(w, 15, 10);
      if (bits(w, 30, 29) !== 0 || (w >>> 21) & 1 || n !== sf || (!sf && imms >= 32)) return -1;
      return set(out, o, OP.EXTR, wz(rd), rz(rn), rz(bits(w, 20, 16)), imms, 0, sf);
    }
    default:
      return -1;
  }
}

function dpReg(w: number, out: Int32Array, o: number): number {
  const sf = w >>> 31;
  const rd = bits(w, 4, 0),
    rn = bits(w, 9, 5),
    rm = bits(w, 20, 16);
  const op1 = (w >>> 28) & 1;
  const op2 = bits(w, 24, 21);
  if (!op1) {
    if ((op2 & 8) === 0) {
      // logical shifted register
      const imm6 = bits(w, 15, 10);
      if (!sf && imm6 >= 32) return -1;
      const opc = bits(w, 30, 29),
        nbit = (w >>> 21) & 1,
        type = bits(w, 23, 22);
      if (opc === 1 && !nbit && imm6 === 0 && rn === 31)
        return set(out, o, OP.MOV_R, wz(rd), 0, rz(rm), 0, 0, sf);
      const op = [
        [OP.AND_R, OP.BIC_R],
        [OP.ORR_R, OP.ORN_R],
        [OP.EOR_R, OP.EON_R],
        [OP.ANDS_R, OP.BICS_R],
      ][opc]![nbit]!;
      return set(out, o, op, wz(rd), rz(rn), rz(rm), type, imm6, sf);
    }
    const isSub = (w >>> 30) & 1,
      isS = (w >>> 29) & 1;
    if ((op2 & 1) === 0) {
      // add/sub shifted register
      const type = bits(w, 23, 22),
        imm6 = bits(w, 15, 10);
      if (type === 3 || (!sf && imm6 >= 32)) return -1;
      const op = isSub ? (isS ? OP.SUBS_R : OP.SUB_R) : isS ? OP.ADDS_R : OP.ADD_R;
      return set(out, o, op, wz(rd), rz(rn), rz(rm), type, imm6, sf);
    }
    // add/sub extended register
    const opt = bits(w, 23, 22),
      imm3 = bits(w, 12, 10);
    if (opt !== 0 || imm3 > 4) return -1;
    const op = isSub ? (isS ? OP.SUBS_X : OP.SUB_X) : isS ? OP.ADDS_X : OP.ADD_X;
    return set(out, o, op, isS ? wz(rd) : rs(rd), rs(rn), rz(rm), bits(w, 15, 13), imm3, sf);
  }
  if (op2 === 0) {
    // add/sub with carry
    if (bits(w, 15, 10) !== 0) return -1;
    const op = [OP.ADC, OP.ADCS, OP.SBC, OP.SBCS][bits(w, 30, 29)]!;
    return set(out, o, op, wz(rd), rz(rn), rz(rm), 0, 0, sf);
  }
  if (op2 === 2) {
    // conditional compare
    if (!((w >>> 29) & 1) || (w >>> 10) & 1 || (w >>> 4) & 1) return -1;
    const isImm = (w >>> 11) & 1,
      isSub = (w >>> 30) & 1;
    const op = isImm ? (isSub ? OP.CCMP_I : OP.CCMN_I) : isSub ? OP.CCMP_R : OP.CCMN_R;
    return set(
      out,
      o,
      op,
      0,
      rz(rn),
      isImm ? 0 : rz(rm),
      isImm ? rm : 0,
      bits(w, 15, 12),
      sf,
      w & 15,
    );
  }
  if (op2 === 4) {
    // conditional select
    if ((w >>> 29) & 1) return -1;
    const o2 = bits(w, 11, 10);
    if (o2 > 1) return -1;
    const op = [
      [OP.CSEL, OP.CSINC],
      [OP.CSINV, OP.CSNEG],
    ][(w >>> 30) & 1]![o2]!;
    return set(out, o, op, wz(rd), rz(rn), rz(rm), 0, bits(w, 15, 12), sf);
  }
  if (op2 === 6) {
    if ((w >>> 29) & 1) return -1;
    const opcode = bits(w, 15, 10);
    if ((w >>> 30) & 1) {
      // 1-source
      if (rm !== 0) return -1;
      let op = -1;
      switch (opcode) {
        case 0:
          op = OP.RBIT;
          break;
        case 1:
          op = OP.REV16;
          break;
        case 2:
          op = sf ? OP.REV32 : OP.REV;
          break;
        case 3:
          op = sf ? OP.REV : -1;
          break;
        case 4:
          op = OP.CLZ;
          break;
        case 5:
          op = OP.CLS;
          break;
      }
      if (op < 0) return -1;
      return set(out, o, op, wz(rd), rz(rn), 0, 0, 0, sf);
    }
    let op = -1;
    switch (opcode) {
      case 2:
        op = OP.UDIV;
        break;
      case 3:
        op = OP.SDIV;
        break;
      case 8:
        op = OP.LSLV;
        break;
      case 9:
        op = OP.LSRV;
        break;
      case 10:
        op = OP.ASRV;
        break;
      case 11:
        op = OP.RORV;
        break;
    }
    if (opcode >= 16 && opcode <= 23) {
      // CRC32{,C}{B,H,W,X}: X with sf = 1 only
      const sz = opcode & 3;
      if ((sz === 3) !== (sf === 1)) return -1;
      return set(out, o, OP.CRC32, wz(rd), rz(rn), rz(rm), sz, (opcode >>> 2) & 1, 0);
    }
    if (op < 0) return -1;
    return set(out, o, op, wz(rd), rz(rn), rz(rm), 0, 0, sf);
  }
  if (op2 & 8) {
    // 3-source
    if (bits(w, 30, 29) !== 0) return -1;
    const op31 = bits(w, 23, 21),
      o0 = (w >>> 15) & 1,
      ra = bits(w, 14, 10);
    let op = -1;
    if (op31 === 0) op = o0 ? OP.MSUB : OP.MADD;
    else if (sf) {
      if (op31 === 1) op = o0 ? OP.SMSUBL : OP.SMADDL;
      else if (op31 === 5) op = o0 ? OP.UMSUBL : OP.UMADDL;
      else if (op31 === 2 && !o0) op = OP.SMULH;
      else if (op31 === 6 && !o0) op = OP.UMULH;
    }
    if (op < 0) return -1;
    return set(out, o, op, wz(rd), rz(rn), rz(rm), rz(ra), 0, sf);
  }
  return -1;
}

/** Sysreg key: op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2 (the MRS/MSR bits [20:5]). */
function sysKey(w: number): number {
  return bits(w, 20, 5);
}

function branchSys(w: number, out: Int32Array, o: number): number {
  const top = bits(w, 31, 29);
  if ((top & 3) === 0) {
    // B / BL
    const off = signExtend(bits(w, 25, 0), 26) * 4;
    set(out, o, top ? OP.BL : OP.B, 0, 0, 0, off);
    return TERMINATES;
  }
  if (top === 2) {
    if ((w >>> 25) & 1) return -1;
    if ((w >>> 24) & 1 || (w >>> 4) & 1) return -1;
    set(out, o, OP.BCOND, 0, 0, 0, signExtend(bits(w, 23, 5), 19) * 4, w & 15);
    return TERMINATES;
  }
  if ((top & 3) === 1) {
    const rt = bits(w, 4, 0);
    if ((w >>> 25) & 1) {
      // TBZ/TBNZ
      const bit = ((w >>> 31) << 5) | bits(w, 23, 19);
      set(
        out,
        o,
        (w >>> 24) & 1 ? OP.TBNZ : OP.TBZ,
        rz(rt),
        0,
        0,
        signExtend(bits(w, 18, 5), 14) * 4,
        bit,
      );
    } else {
      set(
        out,
        o,
        (w >>> 24) & 1 ? OP.CBNZ : OP.CBZ,
        rz(rt),
        0,
        0,
        signExtend(bits(w, 23, 5), 19) * 4,
        0,
        w >>> 31,
      );
    }
    return TERMINATES;
  }
  if (top !== 6) return -1;
  if ((w >>> 25) & 1) {
    // unconditional branch (register)
    const opc = bits(w, 24, 21),
      op2 = bits(w, 20, 16),
      op3 = bits(w, 15, 10),
      op4 = w & 31;
    const rn = bits(w, 9, 5);
    if (op2 !== 31 || op3 !== 0 || op4 !== 0) return -1;
    if (opc === 0) set(out, o, OP.BR, 0, rz(rn), 0);
    else if (opc === 1) set(out, o, OP.BLR, 0, rz(rn), 0);
    else if (opc === 2) set(out, o, OP.RET, 0, rz(rn), 0);
    else if (opc === 4 && rn === 31) set(out, o, OP.ERET, 0, 0, 0);
    else return -1;
    return TERMINATES;
  }
  if (((w >>> 24) & 1) === 0) {
    // exception generation
    const opc = bits(w, 23, 21),
      ll = w & 3,
      op2 = bits(w, 4, 2),
      imm = bits(w, 20, 5);
    if (op2 !== 0) return -1;
    let op = -1;
    if (opc === 0) op = ll === 1 ? OP.SVC : ll === 2 ? OP.HVC : ll === 3 ? OP.SMC : -1;
    else if (opc === 1 && ll === 0) op = OP.BRK;
    else if (opc === 2 && ll === 0) op = OP.HLT;
    if (op < 0) return -1;
    set(out, o, op, 0, 0, 0, imm);
    return TERMINATES;
  }
  if (bits(w, 24, 22) !== 0b100) return -1;
  // system instructions
  const l = (w >>> 21) & 1,
    sop0 = bits(w, 20, 19),
    op1 = bits(w, 18, 16),
    crn = bits(w, 15, 12);
  const crm = bits(w, 11, 8),
    op2 = bits(w, 7, 5),
    rt = bits(w, 4, 0);
  if (sop0 === 0) {
    if (l) return -1;
    if (crn === 2 && op1 === 3 && rt === 31) {
      // hints
      const hint = (crm << 3) | op2;
      if (hint === 3) {
        set(out, o, OP.WFI, 0, 0, 0);
        return TERMINATES;
      }
      if (hint === 2) {
        set(out, o, OP.WFE, 0, 0, 0);
        return TERMINATES;
      }
      set(out, o, OP.NOP, 0, 0, 0, hint);
      return 0;
    }
    if (crn === 3 && op1 === 3 && rt === 31) {
      // barriers
      if (op2 === 2) return set(out, o, OP.CLREX, 0, 0, 0);
      if (op2 === 4 || op2 === 5) return set(out, o, OP.NOP, 0, 0, 0, -1);
      if (op2 === 6) {
        set(out, o, OP.ISB, 0, 0, 0);
        return TERMINATES;
      }
      return -1;
    }
    if (crn === 4 && rt === 31) {
      // MSR (immediate)
      const field = (op1 << 3) | op2;
      // SPSel (0,5), DAIFSet (3,6), DAIFClr (3,7)
      if (field !== 5 && field !== 30 && field !== 31) return -1;
      set(out, o, OP.MSR_IMM, 0, 0, 0, field, crm);
      return TERMINATES;
    }
    return -1;
  }
  if (sop0 === 1) {
    // SYS / SYSL
    if (l) return -1;
    set(out, o, OP.SYS, 0, rz(rt), 0, sysKey(w));
    return TERMINATES;
  }
  if (l) return set(out, o, OP.MRS, wz(rt), 0, 0, sysKey(w), rt);
  set(out, o, OP.MSR, 0, rz(rt), 0, sysKey(w), rt);
  // plain registers (exception state, SP_EL0...): the block goes on after the write
  return MSR_CONTINUES.has(sysKey(w)) ? 0 : TERMINATES;
}

const LDR_OPS: readonly (readonly number[])[] = [
  // size 0 (byte): STRB, LDRB, LDRSB (X), LDRSB (W)
  [OP.STRB, OP.LDRB, OP.LDRSB_X, OP.LDRSB_W],
  [OP.STRH, OP.LDRH, OP.LDRSH_X, OP.LDRSH_W],
  [OP.STRW, OP.LDRW, OP.LDRSW, -1],
  [OP.STRX, OP.LDRX, -2, -1], // -2: PRFM
];

function isStore(op: number): boolean {
  return op === OP.STRB || op === OP.STRH || op === OP.STRW || op === OP.STRX;
}

function loadStore(w: number, out: Int32Array, o: number): number {
  const rt = bits(w, 4, 0),
    rn = bits(w, 9, 5);
  const b2927 = bits(w, 29, 27);
  if (b2927 === 1 && bits(w, 25, 24) === 0) {
    // load/store exclusive and ordered
    const size = bits(w, 31, 30),
      o2 = (w >>> 23) & 1,
      l = (w >>> 22) & 1,
      o1 = (w >>> 21) & 1;
    const rsn = bits(w, 20, 16),
      rt2 = bits(w, 14, 10);
    if (bits(w, 29, 24) !== 0b001000) return -1;
    if (o2) {
      if (o1) return decodeCas(w, out, o); // CAS (FEAT_LSE, lse.ts)
      if (rsn !== 31 || rt2 !== 31) return -1;
      const op = LDR_OPS[size]![l]!;
      return set(out, o, op, l ? wz(rt) : rz(rt), rs(rn), 0, 0, 0);
    }
    if (o1) {
      if (size < 2) return decodeCasp(w, out, o); // CASP (FEAT_LSE, lse.ts)
      if (l) {
        if (rsn !== 31) return -1;
        return set(out, o, OP.LDXP, wz(rt), rs(rn), wz(rt2), 0, 0, size);
      }
      return set(out, o, OP.STXP, rz(rt), rs(rn), rz(rt2), wz(rsn), 0, size);
    }
    if (rt2 !== 31) return -1;
    if (l) {
      if (rsn !== 31) return -1;
      return set(out, o, OP.LDXR, wz(rt), rs(rn), 0, 0, 0, size);
    }
    return set(out, o, OP.STXR, rz(rt), rs(rn), wz(rsn), 0, 0, size);
  }
  if (b2927 === 3 && bits(w, 25, 24) === 0) {
    // load literal
    const opc = bits(w, 31, 30);
    const off = signExtend(bits(w, 23, 5), 19) * 4;
    if (opc === 3) return set(out, o, OP.NOP, 0, 0, 0, -2);
    return set(out, o, OP.LDR_LIT, wz(rt), 0, 0, off, 0, opc);
  }
  if (b2927 === 5) {
    // load/store pair
    const opc = bits(w, 31, 30),
      l = (w >>> 22) & 1,
      mode = bits(w, 25, 23),
      rt2 = bits(w, 14, 10);
    if (opc === 3) return -1;
    if (opc === 1 && (!l || mode === 0)) return -1; // STGP / LDPSW no-allocate
    const scale = opc === 2 ? 3 : 2;
    const imm = signExtend(bits(w, 21, 15), 7) << scale;
    // mode: 000 no-allocate offset, 001 post, 010 offset, 011 pre
    const m = mode === 1 ? 2 : mode === 3 ? 1 : 0;
    let op: number;
    if (l) op = opc === 0 ? OP.LDP_W : opc === 1 ? OP.LDPSW : OP.LDP_X;
    else op = opc === 0 ? OP.STP_W : OP.STP_X;
    // CONSTRAINED UNPREDICTABLE (same register twice, or writeback to a loaded register): undefined
    if (l && (rt === rt2 || (mode & 1 && rn !== 31 && (rn === rt || rn === rt2)))) return -1;
    return set(out, o, op, l ? wz(rt) : rz(rt), rs(rn), l ? wz(rt2) : rz(rt2), imm, m);
  }
  if (b2927 !== 7) return -1;
  // atomic memory operations (FEAT_LSE, lse.ts): register form with bit 21 set, bits [11:10] 0
  if (((w >>> 24) & 1) === 0 && ((w >>> 21) & 1) === 1 && bits(w, 11, 10) === 0)
    return decodeAtomic(w, out, o);
  const size = bits(w, 31, 30),
    opc = bits(w, 23, 22);
  const op = LDR_OPS[size]![opc]!;
  if (op === -1) return -1;
  const load = op !== -2 && !isStore(op);
  const rtSlot = load ? wz(rt) : rz(rt);
  if ((w >>> 24) & 1) {
    // unsigned offset
    if (op === -2) return set(out, o, OP.NOP, 0, 0, 0, -2);
    return set(out, o, op, rtSlot, rs(rn), 0, bits(w, 21, 10) << size, 0);
  }
  const kind = bits(w, 11, 10);
  if ((w >>> 21) & 1) {
    if (kind !== 2) return -1; // PAC loads: not supported
    const option = bits(w, 15, 13);
    if ((option & 2) === 0) return -1;
    if (op === -2) return set(out, o, OP.NOP, 0, 0, 0, -2);
    return set(
      out,
      o,
      op,
      rtSlot,
      rs(rn),
      rz(bits(w, 20, 16)),
      0,
      3,
      option,
      (w >>> 12) & 1 ? size : 0,
    );
  }
  const imm9 = signExtend(bits(w, 20, 12), 9);
  // kind 2 is LDTR/STTR: an unprivileged access; executed as a plain access (the EL0
  // permission check at EL1 is not modelled)
  if (op === -2) {
    if (kind !== 0) return -1;
    return set(out, o, OP.NOP, 0, 0, 0, -2); // PRFUM
  }
  if ((kind === 1 || kind === 3) && load && rt === rn && rn !== 31) return -1; // writeback to the loaded register
  // kind: 0 unscaled offset, 1 post-index, 3 pre-index
  return set(
    out,
    o,
    op,
    rtSlot,
    rs(rn),
    0,
    imm9,
    kind === 0 || kind === 2 ? 0 : kind === 1 ? 2 : 1,
  );
}
