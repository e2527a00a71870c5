// SPDX-License-Identifier: MIT
// Address translation: stage 1 (EL1&0 regime with TTBR0/TTBR1, EL2 regime with TTBR0_EL2) and
// stage 2 (VTTBR_EL2/VTCR_EL2), 4 KiB granule only, with the fault status codes of the Arm ARM
// (D8 "The AArch64 Virtual Memory System Architecture"). Results are cached by the CPU's soft
// TLB; this module only walks.

import type { PhysicalMemory } from './memory.js';

/** Access kinds. */
export const ACC_READ = 0;
/** A data write. */
export const ACC_WRITE = 1;
/** An instruction fetch. */
export const ACC_EXEC = 2;

/** Translation registers the walker needs (bigints, as stored in the CPU's sysregs). */
export interface TranslationRegs {
  sctlrEl1: bigint;
  tcrEl1: bigint;
  ttbr0El1: bigint;
  ttbr1El1: bigint;
  sctlrEl2: bigint;
  tcrEl2: bigint;
  ttbr0El2: bigint;
  hcrEl2: bigint;
  vttbrEl2: bigint;
  vtcrEl2: bigint;
  /**
   * Optional stage-2 cache filled by the walker: IPA page number to PA page number * 8 +
   * stage-2 permissions, for successful walks only. Its owner drops it with the registers
   * (on every TLB flush that can change stage 2: TLBI IPAS2E1/VMALLS12E1/ALLE1, VTTBR/VTCR/HCR
   * writes), so stage-1 walks under stage 2 stop re-walking the stage-2 tables for every
   * descriptor read.
   */
  s2cache?: Map<number, number>;
}

/** Outcome of a walk: either `pa` with permissions, or a fault description. */
export interface WalkResult {
  /** Physical address (valid when `fault` is 0). */
  pa: number;
  /** Allowed accesses for this EL: bit0 read, bit1 write, bit2 execute. */
  perm: number;
  /** 0 = no fault; else the fault status code (DFSC/IFSC). */
  fault: number;
  /** True when the fault is a stage-2 fault (taken to EL2). */
  stage2: boolean;
  /** True when the stage-2 fault happened on a stage-1 table walk. */
  s1ptw: boolean;
  /** Faulting IPA (for HPFAR), when `stage2`. */
  ipa: number;
  /** True when stage 1 mapped the address with a block (a descriptor above level 3). */
  block: boolean;
}

const TWO32 = 4294967296;
const PAGE_MASK_47 = 0xffff_ffff_f000n; // bits [47:12]

function ok(pa: number, perm: number, block = false): WalkResult {
  return { pa, perm, fault: 0, stage2: false, s1ptw: false, ipa: 0, block };
}
function fail(fault: number, stage2: boolean, s1ptw: boolean, ipa: number): WalkResult {
  return { pa: 0, perm: 0, fault, stage2, s1ptw, ipa, block: false };
}

// The descriptor read last by readDesc, as unsigned 32-bit halves (the walks run without
// BigInt: they are a few percent of a kernel boot).
let dLo = 0,
  dHi = 0;

/** Reads the descriptor at `pa` into dLo/dHi; false when it is not in RAM. */
function readDesc(mem: PhysicalMemory, pa: number): boolean {
  const r = mem.find(pa, 8);
  if (!r || r.device) return false;
  const off = pa - r.base;
  dLo = r.view.getUint32(off, true);
  dHi = r.view.getUint32(off + 4, true);
  return true;
}

/** Output address bits [47:12] of the descriptor in dLo/dHi. */
const descAddr = (): number => (dHi & 0xffff) * TWO32 + ((dLo & ~0xfff) >>> 0);

/** Bits [shift + width - 1 : shift] (width <= 16) of the address whose halves are lo and hi. */
function indexBits(lo: number, hi: number, shift: number, width: number): number {
  const bits =
    shift >= 32
      ? hi >>> (shift - 32)
      : shift + width <= 32
        ? lo >>> shift
        : (lo >>> shift) | (hi << (32 - shift));
  return bits & ((1 << width) - 1);
}

/**
 * The address a leaf descriptor (in dLo/dHi) maps an input address to: the output address above
 * the block or page size (2^shift, shift <= 30: a level 0 leaf is a translation fault), the
 * input's offset (low half `lo`) below it.
 */
function leafPa(lo: number, shift: number): number {
  const low = (1 << shift) - 1;
  return (dHi & 0xffff) * TWO32 + (((dLo & ~low) >>> 0) + ((lo & low) >>> 0));
}

/**
 * Stage-2 walk of an IPA.
 * @param mem - physical memory.
 * @param regs - translation registers.
 * @param ipa - the intermediate physical address.
 * @param acc - access kind.
 * @param s1ptw - true when this is a stage-1 table read.
 * @returns the result.
 */
export function walkStage2(
  mem: PhysicalMemory,
  regs: TranslationRegs,
  ipa: number,
  acc: number,
  s1ptw: boolean,
): WalkResult {
  const cache = regs.s2cache;
  if (cache !== undefined) {
    const e = cache.get(Math.floor(ipa / 4096));
    if (e !== undefined) {
      const perm = e & 7;
      const need = acc === ACC_WRITE ? 2 : acc === ACC_EXEC ? 4 : 1;
      // a permission fault is left to the full walk (it reports the level)
      if ((perm & need) !== 0 || (s1ptw && perm & 1))
        return ok((e - perm) * 512 + (ipa % 4096), perm);
    }
  }
  const r = walkStage2Tables(mem, regs, ipa, acc, s1ptw);
  if (cache !== undefined && r.fault === 0) {
    if (cache.size >= S2_CACHE_LIMIT) cache.clear();
    cache.set(Math.floor(ipa / 4096), Math.floor(r.pa / 4096) * 8 + r.perm);
  }
  return r;
}

/** Most entries of a stage-2 cache before it is emptied. */
const S2_CACHE_LIMIT = 8192;

function walkStage2Tables(
  mem: PhysicalMemory,
  regs: TranslationRegs,
  ipa: number,
  acc: number,
  s1ptw: boolean,
): WalkResult {
  const vtcr = regs.vtcrEl2;
  const t0sz = Number(vtcr & 63n);
  const n = 64 - t0sz;
  const sl0 = Number((vtcr >> 6n) & 3n);
  const start = sl0 === 0 ? 2 : sl0 === 1 ? 1 : 0;
  if (ipa >= 2 ** n) return fail(0x00 | start, true, s1ptw, ipa); // address size fault
  let table = Number(regs.vttbrEl2 & PAGE_MASK_47);
  const lo = ipa % TWO32 | 0,
    hi = Math.floor(ipa / TWO32);
  for (let level = start; level <= 3; level++) {
    const shift = 12 + 9 * (3 - level);
    const width = level === start ? n - shift : 9;
    const index = indexBits(lo, hi, shift, width);
    if (!readDesc(mem, table + index * 8)) return fail(0x10, true, s1ptw, ipa); // external abort on walk
    const type = dLo & 3;
    if ((type & 1) === 0 || (type === 1 && (level === 3 || level === 0)))
      return fail(0x04 | level, true, s1ptw, ipa);
    if (type === 3 && level < 3) {
      table = descAddr();
      continue;
    }
    if (((dLo >>> 10) & 1) === 0) return fail(0x08 | level, true, s1ptw, ipa); // access flag
    const s2ap = (dLo >>> 6) & 3;
    const xn = (dHi >>> 22) & 1; // bit 54
    const perm = (s2ap & 1) | (s2ap & 2) | (xn ? 0 : 4);
    const need = acc === ACC_WRITE ? 2 : acc === ACC_EXEC ? 4 : 1;
    if ((perm & need) === 0 && !(s1ptw && perm & 1)) return fail(0x0c | level, true, s1ptw, ipa);
    return ok(leafPa(lo, shift), perm);
  }
  return fail(0x07, true, s1ptw, ipa);
}

/**
 * Full translation of a virtual address for an access from `el`.
 * @param mem - physical memory.
 * @param regs - translation registers.
 * @param el - the EL of the access (0, 1 or 2).
 * @param lo - VA low half.
 * @param hi - VA high half.
 * @param acc - access kind.
 * @returns the result (PA, or the fault).
 */
export function translate(
  mem: PhysicalMemory,
  regs: TranslationRegs,
  el: number,
  lo: number,
  hi: number,
  acc: number,
): WalkResult {
  const stage2 = el < 2 && (regs.hcrEl2 & 1n) === 1n;
  const s1on = el < 2 ? (regs.sctlrEl1 & 1n) === 1n : (regs.sctlrEl2 & 1n) === 1n;
  let ipa: number;
  let perm = 7,
    block = false;
  if (!s1on) {
    if (hi >>> 16 !== 0) return fail(0x00, false, false, 0);
    ipa = hi * TWO32 + (lo >>> 0);
  } else {
    const r = walkStage1(mem, regs, el, lo, hi, acc, stage2);
    if (r.fault) return r;
    ipa = r.pa;
    perm = r.perm;
    block = r.block;
  }
  if (!stage2) return ok(ipa, perm, block);
  const s2 = walkStage2(mem, regs, ipa, acc, false);
  if (s2.fault) return s2;
  return ok(s2.pa, perm & s2.perm, block);
}

/**
 * Stage-1-only translation (for AT S1E*): the result is an IPA; stage-1 table reads still go
 * through stage 2 when HCR_EL2.VM is set.
 * @param mem - physical memory.
 * @param regs - translation registers.
 * @param el - regime EL (0/1 use EL1&0, 2 uses EL2).
 * @param va - the virtual address.
 * @param acc - access kind.
 * @returns the result.
 */
export function translateStage1(
  mem: PhysicalMemory,
  regs: TranslationRegs,
  el: number,
  va: bigint,
  acc: number,
): WalkResult {
  const s1on = el < 2 ? (regs.sctlrEl1 & 1n) === 1n : (regs.sctlrEl2 & 1n) === 1n;
  if (!s1on) return va >> 48n ? fail(0x00, false, false, 0) : ok(Number(va), 7);
  const lo = Number(va & 0xffffffffn) | 0,
    hi = Number((va >> 32n) & 0xffffffffn) | 0;
  return walkStage1(mem, regs, el, lo, hi, acc, el < 2 && (regs.hcrEl2 & 1n) === 1n);
}

function walkStage1(
  mem: PhysicalMemory,
  regs: TranslationRegs,
  el: number,
  lo: number,
  hi: number,
  acc: number,
  stage2: boolean,
): WalkResult {
  const el2 = el === 2;
  /** Whether VA bits [63:n] are all zero (`ones` false) or all one. */
  const top = (n: number, ones: boolean): boolean => {
    const want = ones ? -1 : 0;
    return n >= 32 ? hi >> (n - 32) === want : (hi | 0) === want && lo >> n === want;
  };
  const tcr = el2 ? regs.tcrEl2 : regs.tcrEl1;
  let tsz: number,
    ttbr: bigint,
    upper = false;
  // TxSZ below 16 or above 39 is out of range for the 4K granule: use the nearest valid size
  const clamp = (v: number): number => (v < 16 ? 16 : v > 39 ? 39 : v);
  const t0sz = clamp(Number(tcr & 63n));
  if (el2) {
    tsz = t0sz;
    ttbr = regs.ttbr0El2;
    if (!top(64 - tsz, false)) return fail(0x04, false, false, 0);
  } else {
    const t1sz = clamp(Number((tcr >> 16n) & 63n));
    if (top(64 - t0sz, false)) {
      if ((tcr >> 7n) & 1n) return fail(0x04, false, false, 0); // EPD0
      tsz = t0sz;
      ttbr = regs.ttbr0El1;
    } else if (top(64 - t1sz, true)) {
      if ((tcr >> 23n) & 1n) return fail(0x04, false, false, 0); // EPD1
      tsz = t1sz;
      ttbr = regs.ttbr1El1;
      upper = true;
    } else return fail(0x04, false, false, 0);
  }
  void upper;
  const n = 64 - tsz;
  const start = n > 39 ? 0 : n > 30 ? 1 : 2;
  let table = Number(ttbr & PAGE_MASK_47);
  let apTable = 0,
    xnTable = 0,
    pxnTable = 0;
  for (let level = start; level <= 3; level++) {
    const shift = 12 + 9 * (3 - level);
    const width = level === start ? n - shift : 9; // at most 9
    // VA bits [shift + width - 1 : shift], from the two halves
    const index = indexBits(lo, hi, shift, width);
    let descPa = table + index * 8;
    if (stage2) {
      const s2 = walkStage2(mem, regs, descPa, ACC_READ, true);
      if (s2.fault) return s2;
      descPa = s2.pa;
    }
    if (!readDesc(mem, descPa)) return fail(0x10, false, false, 0);
    const type = dLo & 3;
    if ((type & 1) === 0 || (type === 1 && (level === 3 || level === 0)))
      return fail(0x04 | level, false, false, 0);
    if (type === 3 && level < 3) {
      // APTable bits 62:61, XNTable/UXNTable 60, PXNTable 59
      if (!el2) {
        apTable |= (dHi >>> 29) & 3;
        xnTable |= (dHi >>> 28) & 1;
        pxnTable |= (dHi >>> 27) & 1;
      } else {
        apTable |= (dHi >>> 29) & 2;
        xnTable |= (dHi >>> 28) & 1;
      }
      table = descAddr();
      continue;
    }
    if (((dLo >>> 10) & 1) === 0) return fail(0x08 | level, false, false, 0);
    const ap = (dLo >>> 6) & 3;
    let perm: number;
    if (el2) {
      const write = (ap & 2) === 0 && (apTable & 2) === 0;
      const exec = ((dHi >>> 22) & 1) === 0 && !xnTable; // XN: bit 54
      perm = 1 | (write ? 2 : 0) | (exec ? 4 : 0);
    } else {
      const el0Access = (ap & 1) === 1 && (apTable & 1) === 0;
      const write = (ap & 2) === 0 && (apTable & 2) === 0;
      const uxn = ((dHi >>> 22) & 1) === 1 || xnTable === 1; // UXN: bit 54
      const pxn = ((dHi >>> 21) & 1) === 1 || pxnTable === 1 || (el0Access && write); // PXN: bit 53; EL0-writable is PXN
      if (el === 0) perm = (el0Access ? 1 | (write ? 2 : 0) : 0) | (!uxn && el0Access ? 4 : 0);
      else perm = 1 | (write ? 2 : 0) | (pxn ? 0 : 4);
    }
    const need = acc === ACC_WRITE ? 2 : acc === ACC_EXEC ? 4 : 1;
    if ((perm & need) === 0) return fail(0x0c | level, false, false, 0);
    return ok(leafPa(lo, shift), perm, level < 3);
  }
  return fail(0x07, false, false, 0);
}
