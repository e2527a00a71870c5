// SPDX-License-Identifier: MIT
// eBPF instruction encoding constants, as named in RFC 9669 and linux/bpf_common.h / bpf.h.

/* prettier-ignore */
export const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03,
  BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_JMP32 = 0x06, BPF_ALU64 = 0x07;

/* prettier-ignore */
export const BPF_K = 0x00, BPF_X = 0x08;

/* prettier-ignore */
export const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40,
  BPF_AND = 0x50, BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90,
  BPF_XOR = 0xa0, BPF_MOV = 0xb0, BPF_ARSH = 0xc0, BPF_END = 0xd0;

/* prettier-ignore */
export const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40,
  BPF_JNE = 0x50, BPF_JSGT = 0x60, BPF_JSGE = 0x70, BPF_CALL = 0x80, BPF_EXIT = 0x90,
  BPF_JLT = 0xa0, BPF_JLE = 0xb0, BPF_JSLT = 0xc0, BPF_JSLE = 0xd0;

/* prettier-ignore */
export const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10, BPF_DW = 0x18;

/* prettier-ignore */
export const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60, BPF_MEMSX = 0x80,
  BPF_ATOMIC = 0xc0;

/** Atomic operation codes (in `imm`); `BPF_FETCH` is or-ed in to return the old value. */
/* prettier-ignore */
export const BPF_FETCH = 0x01, BPF_XCHG = 0xe0 | BPF_FETCH, BPF_CMPXCHG = 0xf0 | BPF_FETCH;

/** `src` of a call: helper by id, or a BPF-to-BPF call to `pc + imm + 1`. */
export const BPF_PSEUDO_CALL = 1;
/** `src` of `lddw`: imm is a map fd / a map fd with a value offset in the second imm. */
/* prettier-ignore */
export const BPF_PSEUDO_MAP_FD = 1, BPF_PSEUDO_MAP_VALUE = 2;
/** `src` of `lddw`: the address of a BPF function at `pc + imm + 1` (callbacks). */
export const BPF_PSEUDO_FUNC = 4;
/** High word of a function pointer loaded by `lddw` with `BPF_PSEUDO_FUNC` (never a valid data segment). */
export const FUNC_POINTER_TAG = -2;

/** Whole opcodes used by the interpreter's switch, named as in rbpf/ubpf. */
/* prettier-ignore */
export const OP = {
  LDDW: 0x18,
  LDXW: 0x61, LDXH: 0x69, LDXB: 0x71, LDXDW: 0x79,
  LDXSW: 0x81, LDXSH: 0x89, LDXSB: 0x91,
  STW: 0x62, STH: 0x6a, STB: 0x72, STDW: 0x7a,
  STXW: 0x63, STXH: 0x6b, STXB: 0x73, STXDW: 0x7b,
  ATOMIC_W: 0xc3, ATOMIC_DW: 0xdb,
  ADD32_IMM: 0x04, ADD32_REG: 0x0c, SUB32_IMM: 0x14, SUB32_REG: 0x1c,
  MUL32_IMM: 0x24, MUL32_REG: 0x2c, DIV32_IMM: 0x34, DIV32_REG: 0x3c,
  OR32_IMM: 0x44, OR32_REG: 0x4c, AND32_IMM: 0x54, AND32_REG: 0x5c,
  LSH32_IMM: 0x64, LSH32_REG: 0x6c, RSH32_IMM: 0x74, RSH32_REG: 0x7c,
  NEG32: 0x84, MOD32_IMM: 0x94, MOD32_REG: 0x9c, XOR32_IMM: 0xa4, XOR32_REG: 0xac,
  MOV32_IMM: 0xb4, MOV32_REG: 0xbc, ARSH32_IMM: 0xc4, ARSH32_REG: 0xcc,
  LE: 0xd4, BE: 0xdc,
  ADD64_IMM: 0x07, ADD64_REG: 0x0f, SUB64_IMM: 0x17, SUB64_REG: 0x1f,
  MUL64_IMM: 0x27, MUL64_REG: 0x2f, DIV64_IMM: 0x37, DIV64_REG: 0x3f,
  OR64_IMM: 0x47, OR64_REG: 0x4f, AND64_IMM: 0x57, AND64_REG: 0x5f,
  LSH64_IMM: 0x67, LSH64_REG: 0x6f, RSH64_IMM: 0x77, RSH64_REG: 0x7f,
  NEG64: 0x87, MOD64_IMM: 0x97, MOD64_REG: 0x9f, XOR64_IMM: 0xa7, XOR64_REG: 0xaf,
  MOV64_IMM: 0xb7, MOV64_REG: 0xbf, ARSH64_IMM: 0xc7, ARSH64_REG: 0xcf,
  BSWAP: 0xd7,
  JA: 0x05, JEQ_IMM: 0x15, JEQ_REG: 0x1d, JGT_IMM: 0x25, JGT_REG: 0x2d,
  JGE_IMM: 0x35, JGE_REG: 0x3d, JSET_IMM: 0x45, JSET_REG: 0x4d,
  JNE_IMM: 0x55, JNE_REG: 0x5d, JSGT_IMM: 0x65, JSGT_REG: 0x6d,
  JSGE_IMM: 0x75, JSGE_REG: 0x7d, CALL: 0x85, CALLX: 0x8d, EXIT: 0x95,
  JLT_IMM: 0xa5, JLT_REG: 0xad, JLE_IMM: 0xb5, JLE_REG: 0xbd,
  JSLT_IMM: 0xc5, JSLT_REG: 0xcd, JSLE_IMM: 0xd5, JSLE_REG: 0xdd,
  JA32: 0x06, JEQ32_IMM: 0x16, JEQ32_REG: 0x1e, JGT32_IMM: 0x26, JGT32_REG: 0x2e,
  JGE32_IMM: 0x36, JGE32_REG: 0x3e, JSET32_IMM: 0x46, JSET32_REG: 0x4e,
  JNE32_IMM: 0x56, JNE32_REG: 0x5e, JSGT32_IMM: 0x66, JSGT32_REG: 0x6e,
  JSGE32_IMM: 0x76, JSGE32_REG: 0x7e, JLT32_IMM: 0xa6, JLT32_REG: 0xae,
  JLE32_IMM: 0xb6, JLE32_REG: 0xbe, JSLT32_IMM: 0xc6, JSLT32_REG: 0xce,
  JSLE32_IMM: 0xd6, JSLE32_REG: 0xde,
} as const;

/** Size in bytes of each BPF size code. */
export function sizeOf(sizeCode: number): 1 | 2 | 4 | 8 {
  return sizeCode === BPF_B ? 1 : sizeCode === BPF_H ? 2 : sizeCode === BPF_W ? 4 : 8;
}

/** Instruction size in bytes. */
export const INSN_SIZE = 8;
/** Stack bytes per call frame (kernel MAX_BPF_STACK). */
export const STACK_FRAME_SIZE = 512;
/** Maximum nested call frames (kernel MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
/** Frame pointer register. */
export const FP_REG = 10;
