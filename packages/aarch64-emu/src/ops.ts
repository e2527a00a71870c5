// SPDX-License-Identifier: MIT
// Predecoded operation numbers of the executor (internal). A predecoded instruction is eight
// int32 slots: [op, rd, rn, rm, a, b, c, d]; register slots are indices into the register
// file (already doubled: lo at R[i], hi at R[i + 1]).

/** Number of int32 slots per predecoded instruction. */
export const STRIDE = 8;
/** Register-file slot of the current stack pointer (doubled index). */
export const SLOT_SP = 62;
/** Register-file slot that always reads as zero (XZR/WZR as a source). */
export const SLOT_ZR = 64;
/** Register-file slot that swallows writes (XZR/WZR as a destination). */
export const SLOT_SINK = 66;
/** Size of the register file in int32 words. */
export const REGFILE_WORDS = 68;

// prettier-ignore
export const OP = {
  UNDEF: 0, NOP: 1,
  ADD_I: 2, ADDS_I: 3, SUB_I: 4, SUBS_I: 5,
  ADD_R: 6, ADDS_R: 7, SUB_R: 8, SUBS_R: 9,
  ADD_X: 10, ADDS_X: 11, SUB_X: 12, SUBS_X: 13,
  ADC: 14, ADCS: 15, SBC: 16, SBCS: 17,
  AND_I: 18, ORR_I: 19, EOR_I: 20, ANDS_I: 21,
  AND_R: 22, BIC_R: 23, ORR_R: 24, ORN_R: 25, EOR_R: 26, EON_R: 27, ANDS_R: 28, BICS_R: 29,
  MOV_R: 30, MOVI: 31, MOVK: 32, ADR: 33,
  SBFM: 34, BFM: 35, UBFM: 36, LSL_I: 37, LSR_I: 38, ASR_I: 39, EXTR: 40,
  CCMP_R: 41, CCMN_R: 42, CCMP_I: 43, CCMN_I: 44,
  CSEL: 45, CSINC: 46, CSINV: 47, CSNEG: 48,
  RBIT: 49, REV16: 50, REV32: 51, REV: 52, CLZ: 53, CLS: 54,
  UDIV: 55, SDIV: 56, LSLV: 57, LSRV: 58, ASRV: 59, RORV: 60,
  MADD: 61, MSUB: 62, SMADDL: 63, SMSUBL: 64, UMADDL: 65, UMSUBL: 66, SMULH: 67, UMULH: 68,
  B: 69, BL: 70, BCOND: 71, CBZ: 72, CBNZ: 73, TBZ: 74, TBNZ: 75, BR: 76, BLR: 77, RET: 78, ERET: 79,
  LDRB: 80, LDRH: 81, LDRW: 82, LDRX: 83, LDRSB_W: 84, LDRSB_X: 85, LDRSH_W: 86, LDRSH_X: 87, LDRSW: 88,
  STRB: 89, STRH: 90, STRW: 91, STRX: 92,
  LDP_W: 93, LDP_X: 94, LDPSW: 95, STP_W: 96, STP_X: 97,
  LDR_LIT: 98, LDXR: 99, STXR: 100, LDXP: 101, STXP: 102, CLREX: 103,
  SVC: 104, HVC: 105, SMC: 106, BRK: 107, HLT: 108, WFI: 109, WFE: 110,
  MRS: 111, MSR: 112, MSR_IMM: 113, SYS: 114, ISB: 115,
  // scalar FP and Advanced SIMD (executed by fpsimd/execute.ts from the word in slot 4)
  SIMD: 116,
  // CRC32B..CRC32CX: a = log2 bytes, b = 1 for CRC32C
  CRC32: 117,
  // FEAT_LSE atomics (lse.ts), numbered apart from the base set
  LSE_AMO: 200, LSE_CAS: 201, LSE_CASP: 202,
} as const;

/** Names of the operations, indexed by number (for traces and tests). */
export const OP_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [k, v] of Object.entries(OP)) names[v] = k;
  return names;
})();

/**
 * The shifted-register logical operations (AND_R..BICS_R, the interpreter's order): which
 * function, whether the second operand is inverted (BIC, ORN, EON, BICS) and whether NZCV
 * is set (ANDS, BICS). For the code generators; the interpreter tests the numbers inline.
 * @param op - one of OP.AND_R..OP.BICS_R.
 * @returns the description.
 */
export function logicalReg(op: number): {
  fn: 'and' | 'orr' | 'eor';
  invert: boolean;
  flags: boolean;
} {
  const k = op - OP.AND_R; // AND BIC ORR ORN EOR EON ANDS BICS
  return {
    fn: k === 2 || k === 3 ? 'orr' : k === 4 || k === 5 ? 'eor' : 'and',
    invert: (k & 1) === 1,
    flags: k >= 6,
  };
}
