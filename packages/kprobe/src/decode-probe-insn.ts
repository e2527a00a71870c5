// SPDX-License-Identifier: MIT
// Classifies the instruction displaced by a probe: stepped out of line, simulated, or rejected.
// Rules from torvalds/linux arch/arm64/kernel/probes/decode-insn.c (aarch64_insn_is_steppable,
// arm_probe_decode_insn, arm_kprobe_decode_insn) and the encoding masks of
// arch/arm64/include/asm/insn.h; the instruction itself is decoded by @axebpf/aarch64-emu.

import { DecodeError, bits, decodeInsn, signExtend, type CpuModel } from '@axebpf/aarch64-emu';

/** Why an instruction cannot be probed. */
export type RejectReason =
  /** The word is not an instruction the emulator's decoder knows (undefined or unimplemented encodings). */
  | 'undecodable'
  /** Load/store exclusive or ordered (LDXR, STXR, LDAXR, LDAR, STLR…). */
  | 'exclusive'
  /** Inside an LDXR…STXR sequence: stepping would break the exclusive monitor. */
  | 'atomic-sequence'
  /** MSR (immediate or register): may change PSTATE (DAIF, SPSel) or system state. */
  | 'msr'
  /** MRS of DAIF: the interrupt mask differs while the probe runs. */
  | 'mrs-daif'
  /** SVC, HVC, SMC, BRK, HLT, DCPS: exception generation. */
  | 'exception'
  /** ERET (and its authenticated forms). */
  | 'eret'
  /** A hint outside the allow-list (WFI, WFE, YIELD, SEV, SEVL…). */
  | 'hint'
  /** A PC-relative literal access that is not simulated (PRFM literal, FP/SIMD literal loads). */
  | 'literal'
  /** Another branch form (for example authenticated branches) that is not simulated. */
  | 'branch';

/** The instructions the manager simulates instead of stepping them from a slot. */
export type SimulatedOp =
  | 'adr'
  | 'adrp'
  | 'b'
  | 'bl'
  | 'b.cond'
  | 'cbz'
  | 'cbnz'
  | 'tbz'
  | 'tbnz'
  | 'br'
  | 'blr'
  | 'ret'
  | 'ldr-literal'
  | 'ldrsw-literal';

/** A simulated instruction with its operands. */
export interface SimulatedInsn {
  /** Which instruction. */
  op: SimulatedOp;
  /** Destination (ADR/ADRP, literal loads), tested register (CBZ…/TBZ…) or target register (BR/BLR/RET). */
  reg: number;
  /** Byte offset for PC-relative forms (ADRP: the page offset, already shifted by 12). */
  offset: bigint;
  /** Condition (B.cond), bit number (TBZ/TBNZ), or operand size in bytes (CBZ/CBNZ, LDR literal: 4 or 8). */
  arg: number;
}

/** Options of {@link decodeProbeInsn}. */
export interface DecodeProbeInsnOptions {
  /**
   * The processor the probed code runs on (default `'default'`): on one without FEAT_LSE
   * (`'cortex-a57'`) the LSE atomics are undefined there, so a probe on one is rejected
   * (`undecodable`) instead of stepping a word that would fault in the slot.
   */
  model?: CpuModel;
}

/** Result of {@link decodeProbeInsn}. */
export type ProbeInsnClass =
  | { kind: 'steppable'; word: number; op: string; text: string }
  | { kind: 'simulated'; word: number; op: string; text: string; sim: SimulatedInsn }
  | { kind: 'rejected'; word: number; op: string | undefined; text: string; reason: RejectReason };

// Hint immediates (CRm:op2) that may be stepped (Linux aarch64_insn_is_steppable_hint):
// NOP 0, XPACLRI 7, PACIA1716 8, PACIB1716 10, PACIAZ 24, PACIASP 25, PACIBZ 26, PACIBSP 27,
// BTI 32, BTI c 34, BTI j 36, BTI jc 38.
const STEPPABLE_HINTS = new Set([0, 7, 8, 10, 24, 25, 26, 27, 32, 34, 36, 38]);

/** The DAIF system register as the op0:op1:CRn:CRm:op2 field of MRS (Linux AARCH64_INSN_SPCLREG_DAIF). */
const SYSREG_DAIF = 0xda11;

/**
 * Classifies the instruction at a probe point.
 *
 * @param word - the instruction word.
 * @param pc - its address (for the disassembly text of PC-relative forms); default 0.
 * @param options - the CPU model the code runs on.
 * @returns `steppable` (runs from an instruction slot), `simulated` (the manager updates
 *   registers and PC itself, no slot), or `rejected` with a {@link RejectReason}.
 *
 * @remarks Starry-OS/kprobe copies every word into the slot unchanged, so PC-relative
 * instructions compute wrong results there; this follows Linux's decoder instead. The
 * "inside an LDXR…STXR sequence" check needs the preceding code and is done by the manager.
 * Load/store exclusive *and ordered* instructions (LDAR, STLR) are rejected like Linux does,
 * since they share the exclusive encoding class.
 *
 * @example
 * ```ts
 * decodeProbeInsn(0x8b010000).kind;            // 'steppable' (add x0, x0, x1)
 * decodeProbeInsn(0x94000010, 0x1000n).kind;   // 'simulated' (bl)
 * decodeProbeInsn(0xd4000001).kind;            // 'rejected' (svc #0), reason 'exception'
 * ```
 */
export function decodeProbeInsn(
  word: number,
  pc = 0n,
  options: DecodeProbeInsnOptions = {},
): ProbeInsnClass {
  word >>>= 0;
  let op: string;
  let text: string;
  try {
    const d = decodeInsn(word, pc, options.model === undefined ? {} : { model: options.model });
    op = d.op;
    text = d.text;
  } catch (e) {
    if (!DecodeError.isInstance(e)) throw e;
    // FP/SIMD literal loads are PC-relative: Linux would reject them for that reason.
    // MSR (immediate) to a PSTATE field the emulator lacks (UAO, PAN, SSBS…) is still an MSR.
    const reason: RejectReason =
      (word & 0x3b000000) >>> 0 === 0x18000000
        ? 'literal'
        : (word & 0xfff8f01f) >>> 0 === 0xd500401f
          ? 'msr'
          : 'undecodable';
    return {
      kind: 'rejected',
      word,
      op: undefined,
      text: `.inst\t0x${word.toString(16).padStart(8, '0')}`,
      reason,
    };
  }
  const reject = (reason: RejectReason): ProbeInsnClass => ({
    kind: 'rejected',
    word,
    op,
    text,
    reason,
  });
  const simulate = (sim: SimulatedInsn): ProbeInsnClass => ({
    kind: 'simulated',
    word,
    op,
    text,
    sim,
  });

  switch (op) {
    case 'ADR': {
      const imm = BigInt(signExtend((bits(word, 23, 5) << 2) | bits(word, 30, 29), 21));
      return word >>> 31 === 1
        ? simulate({ op: 'adrp', reg: word & 31, offset: imm << 12n, arg: 0 })
        : simulate({ op: 'adr', reg: word & 31, offset: imm, arg: 0 });
    }
    case 'B':
    case 'BL':
      return simulate({
        op: op === 'B' ? 'b' : 'bl',
        reg: 0,
        offset: BigInt(signExtend(word & 0x3ffffff, 26)) * 4n,
        arg: 0,
      });
    case 'BCOND':
      return simulate({
        op: 'b.cond',
        reg: 0,
        offset: BigInt(signExtend(bits(word, 23, 5), 19)) * 4n,
        arg: word & 15,
      });
    case 'CBZ':
    case 'CBNZ':
      return simulate({
        op: op === 'CBZ' ? 'cbz' : 'cbnz',
        reg: word & 31,
        offset: BigInt(signExtend(bits(word, 23, 5), 19)) * 4n,
        arg: word >>> 31 ? 8 : 4,
      });
    case 'TBZ':
    case 'TBNZ':
      return simulate({
        op: op === 'TBZ' ? 'tbz' : 'tbnz',
        reg: word & 31,
        offset: BigInt(signExtend(bits(word, 18, 5), 14)) * 4n,
        arg: ((word >>> 31) << 5) | bits(word, 23, 19),
      });
    case 'BR':
    case 'BLR':
    case 'RET':
      return simulate({
        op: op === 'BR' ? 'br' : op === 'BLR' ? 'blr' : 'ret',
        reg: bits(word, 9, 5),
        offset: 0n,
        arg: 0,
      });
    case 'LDR_LIT': {
      const opc = word >>> 30;
      const offset = BigInt(signExtend(bits(word, 23, 5), 19)) * 4n;
      if (opc === 2) return simulate({ op: 'ldrsw-literal', reg: word & 31, offset, arg: 4 });
      return simulate({ op: 'ldr-literal', reg: word & 31, offset, arg: opc === 1 ? 8 : 4 });
    }
    case 'ERET':
      return reject('eret');
    case 'SVC':
    case 'HVC':
    case 'SMC':
    case 'BRK':
    case 'HLT':
      return reject('exception');
    case 'MSR':
    case 'MSR_IMM':
      return reject('msr');
    case 'MRS':
      return bits(word, 20, 5) === SYSREG_DAIF
        ? reject('mrs-daif')
        : { kind: 'steppable', word, op, text };
    case 'WFI':
    case 'WFE':
      return reject('hint');
    case 'LDXR':
    case 'STXR':
    case 'LDXP':
    case 'STXP':
      return reject('exclusive');
    default:
      break;
  }
  // Cases the emulator's operation names do not tell apart.
  if ((word & 0x3f000000) >>> 0 === 0x08000000) return reject('exclusive'); // LDAR/STLR and friends
  if ((word & 0xff000000) >>> 0 === 0xd8000000) return reject('literal'); // PRFM (literal)
  // LDR (literal) of an FP/SIMD register (V = 1; the general-register form is simulated above):
  // PC-relative, so it cannot run from a slot; Linux has no simulation for it either.
  if ((word & 0x3b000000) >>> 0 === 0x18000000) return reject('literal');
  if ((word & 0xfffff01f) >>> 0 === 0xd503201f) {
    // HINT
    return STEPPABLE_HINTS.has(bits(word, 11, 5))
      ? { kind: 'steppable', word, op, text }
      : reject('hint');
  }
  if ((word & 0x7c000000) >>> 0 === 0x14000000 || (word & 0xfe000000) >>> 0 === 0xd6000000)
    return reject('branch');
  return { kind: 'steppable', word, op, text };
}

/**
 * Tells whether a word is a load-exclusive (LDXR, LDAXR, LDXP, LDAXP; LDAR too, as in Linux).
 * @param word - an instruction word.
 * @returns true for a load-exclusive.
 * @internal
 */
export function isLoadExclusive(word: number): boolean {
  // Linux aarch64_insn_is_load_ex: the exclusive/ordered class with L = 1 (LDAR counts too)
  return (word & 0x3f400000) >>> 0 === 0x08400000;
}

/**
 * Tells whether a word is a store-exclusive (STXR, STLXR, STXP, STLXP; STLR too, as in Linux).
 * @param word - an instruction word.
 * @returns true for a store-exclusive.
 * @internal
 */
export function isStoreExclusive(word: number): boolean {
  // Linux aarch64_insn_is_store_ex: the exclusive/ordered class with L = 0 (STLR counts too)
  return (word & 0x3f400000) >>> 0 === 0x08000000;
}
