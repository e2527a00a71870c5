// SPDX-License-Identifier: MIT
// Building programs in code, with labels, instead of text.

import { AsmError } from './errors.js';
import type { Insn } from './program.js';
import { Program } from './program.js';

/** ALU operations by name. */
export type AluOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'sdiv'
  | 'or'
  | 'and'
  | 'lsh'
  | 'rsh'
  | 'mod'
  | 'smod'
  | 'xor'
  | 'mov'
  | 'arsh';
/** Conditional jumps by name. */
export type JumpOp =
  | 'jeq'
  | 'jgt'
  | 'jge'
  | 'jset'
  | 'jne'
  | 'jsgt'
  | 'jsge'
  | 'jlt'
  | 'jle'
  | 'jslt'
  | 'jsle';
/** Memory access widths. */
export type Width = 'b' | 'h' | 'w' | 'dw';
/** Atomic operations (`fetch` variants return the old value in the source register). */
export type AtomicOp =
  | 'add'
  | 'or'
  | 'and'
  | 'xor'
  | 'fetch_add'
  | 'fetch_or'
  | 'fetch_and'
  | 'fetch_xor'
  | 'xchg'
  | 'cmpxchg';

/* prettier-ignore */
const ALU: Record<AluOp, number> = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, sdiv: 0x30, or: 0x40, and: 0x50, lsh: 0x60,
  rsh: 0x70, mod: 0x90, smod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0,
};
/* prettier-ignore */
const JMP: Record<JumpOp, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70,
  jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
};
const WIDTH: Record<Width, number> = { b: 0x10, h: 0x08, w: 0x00, dw: 0x18 };
/* prettier-ignore */
const ATOMIC: Record<AtomicOp, number> = {
  add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, fetch_add: 0x01, fetch_or: 0x41, fetch_and: 0x51,
  fetch_xor: 0xa1, xchg: 0xe1, cmpxchg: 0xf1,
};

/** A register operand: `{ reg: n }`; anything else given as a number is an immediate. */
export interface Reg {
  /** Register number 0–10. */
  reg: number;
}

/**
 * A register operand.
 * @param n - register number 0–10.
 * @returns the operand.
 */
export function reg(n: number): Reg {
  return { reg: n };
}

/** A jump or call target: a label name, or an instruction index. */
export type Target = string | number;
type Pending = { insn: Omit<Insn, 'pc'>; slot: number; label?: string; field?: 'off' | 'imm' };

/**
 * Builds a program instruction by instruction. Jump and call targets are label names or
 * relative offsets; labels are resolved by {@link ProgramBuilder.build}.
 *
 * @example
 * ```ts
 * const prog = new ProgramBuilder()
 *   .alu64('mov', 0, 0)
 *   .label('loop')
 *   .alu64('add', 0, 1)
 *   .jump('jlt', 0, 10, 'loop')
 *   .exit()
 *   .build();
 * ```
 */
export class ProgramBuilder {
  readonly #items: Pending[] = [];
  readonly #labels = new Map<string, number>();
  #slot = 0;

  #push(insn: Omit<Insn, 'pc'>, label?: { name: string; field: 'off' | 'imm' }): this {
    const item: Pending = { insn, slot: this.#slot };
    if (label) {
      item.label = label.name;
      item.field = label.field;
    }
    this.#items.push(item);
    this.#slot += insn.opcode === 0x18 ? 2 : 1;
    return this;
  }

  #target(
    t: Target,
    field: 'off' | 'imm',
  ): { value: number; label?: { name: string; field: 'off' | 'imm' } } {
    return typeof t === 'number' ? { value: t } : { value: 0, label: { name: t, field } };
  }

  /**
   * Defines a label at the next instruction.
   * @param name - label name.
   * @returns this builder.
   */
  label(name: string): this {
    if (this.#labels.has(name))
      throw new AsmError({
        code: 'DUPLICATE_LABEL',
        line: this.#items.length + 1,
        column: 1,
        message: `label \`${name}\` is defined twice`,
      });
    this.#labels.set(name, this.#slot);
    return this;
  }

  #alu(cls: number, op: AluOp, dst: number, src: Reg | number): this {
    const off = op === 'sdiv' || op === 'smod' ? 1 : 0;
    if (typeof src === 'number')
      return this.#push({ opcode: cls | ALU[op], dst, src: 0, off, imm: src | 0, imm2: 0 });
    return this.#push({ opcode: cls | ALU[op] | 0x08, dst, src: src.reg, off, imm: 0, imm2: 0 });
  }

  /**
   * A 64-bit ALU instruction (`dst = dst op src`).
   * @param op - operation.
   * @param dst - destination register.
   * @param src - source register (`reg(n)`) or 32-bit immediate (sign-extended).
   * @returns this builder.
   */
  alu64(op: AluOp, dst: number, src: Reg | number): this {
    return this.#alu(0x07, op, dst, src);
  }

  /**
   * A 32-bit ALU instruction (result zero-extended).
   * @param op - operation.
   * @param dst - destination register.
   * @param src - source register or immediate.
   * @returns this builder.
   */
  alu32(op: AluOp, dst: number, src: Reg | number): this {
    return this.#alu(0x04, op, dst, src);
  }

  /**
   * Negation.
   * @param dst - register.
   * @param bits - 64 or 32.
   * @returns this builder.
   */
  neg(dst: number, bits: 32 | 64 = 64): this {
    return this.#push({ opcode: bits === 64 ? 0x87 : 0x84, dst, src: 0, off: 0, imm: 0, imm2: 0 });
  }

  /**
   * Byte order conversion: `le`/`be` to the given width, or an unconditional `bswap`.
   * @param kind - `le`, `be` or `bswap`.
   * @param dst - register.
   * @param bits - 16, 32 or 64.
   * @returns this builder.
   */
  endian(kind: 'le' | 'be' | 'bswap', dst: number, bits: 16 | 32 | 64): this {
    return this.#push({
      opcode: kind === 'le' ? 0xd4 : kind === 'be' ? 0xdc : 0xd7,
      dst,
      src: 0,
      off: 0,
      imm: bits,
      imm2: 0,
    });
  }

  /**
   * Sign-extending move (`movsx`).
   * @param dst - destination.
   * @param src - source register.
   * @param from - source width in bits.
   * @param bits - 64 (ALU64) or 32 (ALU32).
   * @returns this builder.
   */
  movsx(dst: number, src: number, from: 8 | 16 | 32, bits: 32 | 64 = 64): this {
    return this.#push({ opcode: bits === 64 ? 0xbf : 0xbc, dst, src, off: from, imm: 0, imm2: 0 });
  }

  /**
   * Loads a 64-bit immediate (`lddw`).
   * @param dst - destination.
   * @param value - the value (modulo 2^64).
   * @param pseudo - pseudo source (1: map fd, 2: map value) for loaders.
   * @returns this builder.
   */
  lddw(dst: number, value: bigint | number, pseudo = 0): this {
    const v = BigInt.asUintN(64, BigInt(value));
    return this.#push({
      opcode: 0x18,
      dst,
      src: pseudo,
      off: 0,
      imm: Number(BigInt.asIntN(32, v)),
      imm2: Number(BigInt.asIntN(32, v >> 32n)),
    });
  }

  /**
   * `dst = *(width *)(src + off)`, optionally sign-extending.
   * @param width - access width.
   * @param dst - destination.
   * @param src - base register.
   * @param off - offset.
   * @param signExtend - use the sign-extending load (not for `dw`).
   * @returns this builder.
   */
  load(width: Width, dst: number, src: number, off: number, signExtend = false): this {
    return this.#push({
      opcode: (signExtend ? 0x80 : 0x60) | WIDTH[width] | 0x01,
      dst,
      src,
      off,
      imm: 0,
      imm2: 0,
    });
  }

  /**
   * `*(width *)(dst + off) = src` (register or immediate).
   * @param width - access width.
   * @param dst - base register.
   * @param off - offset.
   * @param src - register or immediate.
   * @returns this builder.
   */
  store(width: Width, dst: number, off: number, src: Reg | number): this {
    if (typeof src === 'number')
      return this.#push({
        opcode: 0x60 | WIDTH[width] | 0x02,
        dst,
        src: 0,
        off,
        imm: src | 0,
        imm2: 0,
      });
    return this.#push({
      opcode: 0x60 | WIDTH[width] | 0x03,
      dst,
      src: src.reg,
      off,
      imm: 0,
      imm2: 0,
    });
  }

  /**
   * An atomic read-modify-write on `*(dst + off)`.
   * @param op - operation.
   * @param width - `w` or `dw`.
   * @param dst - base register.
   * @param off - offset.
   * @param src - operand register.
   * @returns this builder.
   */
  atomic(op: AtomicOp, width: 'w' | 'dw', dst: number, off: number, src: number): this {
    return this.#push({
      opcode: 0xc0 | WIDTH[width] | 0x03,
      dst,
      src,
      off,
      imm: ATOMIC[op],
      imm2: 0,
    });
  }

  /**
   * Unconditional jump.
   * @param target - label or relative offset.
   * @param long - `ja32` (`gotol`) with a 32-bit offset.
   * @returns this builder.
   */
  ja(target: Target, long = false): this {
    const t = this.#target(target, long ? 'imm' : 'off');
    return this.#push(
      long
        ? { opcode: 0x06, dst: 0, src: 0, off: 0, imm: t.value, imm2: 0 }
        : { opcode: 0x05, dst: 0, src: 0, off: t.value, imm: 0, imm2: 0 },
      t.label,
    );
  }

  /**
   * Conditional jump.
   * @param op - comparison.
   * @param dst - left register.
   * @param src - right register or immediate.
   * @param target - label or relative offset.
   * @param bits - 64 (JMP) or 32 (JMP32).
   * @returns this builder.
   */
  jump(op: JumpOp, dst: number, src: Reg | number, target: Target, bits: 32 | 64 = 64): this {
    const cls = bits === 64 ? 0x05 : 0x06;
    const t = this.#target(target, 'off');
    if (typeof src === 'number')
      return this.#push(
        { opcode: cls | JMP[op], dst, src: 0, off: t.value, imm: src | 0, imm2: 0 },
        t.label,
      );
    return this.#push(
      { opcode: cls | JMP[op] | 0x08, dst, src: src.reg, off: t.value, imm: 0, imm2: 0 },
      t.label,
    );
  }

  /**
   * Calls a helper by id.
   * @param id - helper id.
   * @returns this builder.
   */
  call(id: number): this {
    return this.#push({ opcode: 0x85, dst: 0, src: 0, off: 0, imm: id, imm2: 0 });
  }

  /**
   * BPF-to-BPF call.
   * @param target - label or relative offset of the function.
   * @returns this builder.
   */
  callLocal(target: Target): this {
    const t = this.#target(target, 'imm');
    return this.#push({ opcode: 0x85, dst: 0, src: 1, off: 0, imm: t.value, imm2: 0 }, t.label);
  }

  /**
   * Calls the helper whose id is in a register (`callx`).
   * @param dst - register holding the helper id.
   * @returns this builder.
   */
  callx(dst: number): this {
    return this.#push({ opcode: 0x8d, dst, src: 0, off: 0, imm: 0, imm2: 0 });
  }

  /** @returns this builder, after appending `exit`. */
  exit(): this {
    return this.#push({ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 });
  }

  /**
   * Resolves labels and returns the instructions.
   * @returns the instructions (`lddw` once, with `imm2`).
   * @throws {AsmError} `UNKNOWN_LABEL` (line = instruction number).
   */
  insns(): Omit<Insn, 'pc'>[] {
    return this.#items.map((item, index) => {
      if (item.label === undefined) return { ...item.insn };
      const at = this.#labels.get(item.label);
      if (at === undefined)
        throw new AsmError({
          code: 'UNKNOWN_LABEL',
          line: index + 1,
          column: 1,
          message: `unknown label \`${item.label}\``,
        });
      const rel = at - item.slot - 1;
      if (item.field === 'off' && (rel < -32768 || rel > 32767)) {
        throw new AsmError({
          code: 'OUT_OF_RANGE',
          line: index + 1,
          column: 1,
          message: `jump to \`${item.label}\` is ${rel} slots away, beyond 16 bits (use \`ja(target, true)\`)`,
        });
      }
      return item.field === 'off' ? { ...item.insn, off: rel } : { ...item.insn, imm: rel };
    });
  }

  /**
   * Builds and validates the program.
   * @returns the program.
   * @throws {AsmError} for unknown labels; {@link ProgramError} for invalid instructions.
   */
  build(): Program {
    return Program.fromInsns(this.insns());
  }
}
