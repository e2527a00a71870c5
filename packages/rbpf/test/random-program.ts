// Random eBPF instructions for the property tests (properties.test.ts: interpreter against the
// Wasm engine; block-compiler.test.ts: compiled loops against the switch interpreter): one
// fast-check record per instruction, turned into an instruction with a branch target chosen as a
// fraction of the program.
import fc from 'fast-check';
import type { Insn } from '../src/index.js';

/** An instruction without its pc. */
export type Raw = Omit<Insn, 'pc'>;
/** ALU operation codes (the op field, bits 4-7). */
export const ALU_CODES = [
  0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0,
];
/** Conditional jump codes (the op field, bits 4-7). */
export const JMP_CODES = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
/** Atomic operations (the imm field of BPF_ATOMIC). */
export const ATOMIC_OPS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];

/** What a random instruction is. */
export type RandomKind =
  | 'alu64'
  | 'alu32'
  | 'ldx'
  | 'st'
  | 'stx'
  | 'atomic'
  | 'jmp'
  | 'jmp32'
  | 'ja'
  | 'call'
  | 'helper'
  | 'exit'
  | 'end'
  | 'lddw';

/** The kinds every engine runs without helpers or two-slot instructions. */
export const BASE_KINDS: readonly RandomKind[] = [
  'alu64',
  'alu32',
  'ldx',
  'st',
  'stx',
  'atomic',
  'jmp',
  'jmp32',
  'ja',
  'call',
  'exit',
  'end',
];

/** The random fields of one instruction. */
export interface RandomInsn {
  kind: RandomKind;
  code: number;
  x: boolean;
  dst: number;
  src: number;
  base: number;
  off: number;
  imm: number;
  pick: number;
  target: number;
}

/** The ranges a test draws from. */
export interface RandomInsnShape {
  /** Kinds to draw (repeat one to draw it more often). */
  kinds: readonly RandomKind[];
  /** Highest destination register. */
  maxDst: number;
  /** Base registers of memory accesses (repeat one to draw it more often). */
  bases: readonly number[];
  /** Memory offsets are drawn from -maxOff..maxOff. */
  maxOff: number;
  /** Immediates. */
  imm: fc.Arbitrary<number>;
}

/** The arbitrary of one random instruction's fields. */
export function randomInsn(shape: RandomInsnShape): fc.Arbitrary<RandomInsn> {
  return fc.record({
    kind: fc.constantFrom(...shape.kinds),
    code: fc.nat(255),
    x: fc.boolean(),
    dst: fc.integer({ min: 0, max: shape.maxDst }),
    src: fc.integer({ min: 0, max: 10 }),
    base: fc.constantFrom(...shape.bases),
    off: fc.integer({ min: -shape.maxOff, max: shape.maxOff }),
    imm: shape.imm,
    pick: fc.nat(1000),
    target: fc.double({ min: 0, max: 1, noNaN: true }),
  });
}

/**
 * The instruction for random fields `r` at index `i`.
 * @param rel - relative jump offset from instruction `i` to the target fraction `t`.
 * @param alignAtomicOff - round atomic offsets down to a multiple of 4.
 * @returns the instruction (`lddw` is one record: the caller lays out its second slot).
 */
export function toRaw(
  r: RandomInsn,
  i: number,
  rel: (i: number, t: number) => number,
  alignAtomicOff = false,
): Raw {
  const aluCode = ALU_CODES[r.pick % ALU_CODES.length]!;
  switch (r.kind) {
    case 'alu64':
    case 'alu32': {
      const cls = r.kind === 'alu64' ? 0x07 : 0x04;
      let off = 0;
      if ((aluCode === 0x30 || aluCode === 0x90) && r.pick % 2 === 1) off = 1;
      if (aluCode === 0xb0 && r.x) off = [0, 8, 16, 32][r.pick % (cls === 0x07 ? 4 : 3)]!;
      if (aluCode === 0x80)
        return { opcode: cls | aluCode, dst: r.dst, src: 0, off: 0, imm: 0, imm2: 0 };
      return r.x
        ? { opcode: cls | aluCode | 8, dst: r.dst, src: r.src, off, imm: 0, imm2: 0 }
        : { opcode: cls | aluCode, dst: r.dst, src: 0, off, imm: r.imm, imm2: 0 };
    }
    case 'end':
      return {
        opcode: [0xd4, 0xdc, 0xd7][r.pick % 3]!,
        dst: r.dst,
        src: 0,
        off: 0,
        imm: [16, 32, 64][r.code % 3]!,
        imm2: 0,
      };
    case 'lddw':
      return { opcode: 0x18, dst: r.dst, src: 0, off: 0, imm: r.imm, imm2: r.pick - 500 };
    case 'ldx':
      return {
        opcode: [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91][r.pick % 7]!,
        dst: r.dst,
        src: r.base,
        off: r.off,
        imm: 0,
        imm2: 0,
      };
    case 'st':
      return {
        opcode: [0x62, 0x6a, 0x72, 0x7a][r.pick % 4]!,
        dst: r.base,
        src: 0,
        off: r.off,
        imm: r.imm,
        imm2: 0,
      };
    case 'stx':
      return {
        opcode: [0x63, 0x6b, 0x73, 0x7b][r.pick % 4]!,
        dst: r.base,
        src: r.src,
        off: r.off,
        imm: 0,
        imm2: 0,
      };
    case 'atomic':
      return {
        opcode: r.x ? 0xdb : 0xc3,
        dst: r.base,
        src: r.dst,
        off: alignAtomicOff ? r.off & ~3 : r.off,
        imm: ATOMIC_OPS[r.pick % ATOMIC_OPS.length]!,
        imm2: 0,
      };
    case 'jmp':
    case 'jmp32': {
      const cls = r.kind === 'jmp' ? 0x05 : 0x06;
      const c = JMP_CODES[r.pick % JMP_CODES.length]!;
      return r.x
        ? { opcode: cls | c | 8, dst: r.dst, src: r.src, off: rel(i, r.target), imm: 0, imm2: 0 }
        : { opcode: cls | c, dst: r.dst, src: 0, off: rel(i, r.target), imm: r.imm, imm2: 0 };
    }
    case 'ja':
      return r.x
        ? { opcode: 0x06, dst: 0, src: 0, off: 0, imm: rel(i, r.target), imm2: 0 }
        : { opcode: 0x05, dst: 0, src: 0, off: rel(i, r.target), imm: 0, imm2: 0 };
    case 'call':
      return { opcode: 0x85, dst: 0, src: 1, off: 0, imm: rel(i, r.target), imm2: 0 };
    case 'helper':
      return { opcode: 0x85, dst: 0, src: 0, off: 0, imm: r.pick % 50 === 0 ? 2 : 1, imm2: 0 };
    default:
      return { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 };
  }
}
