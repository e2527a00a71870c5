// SPDX-License-Identifier: MIT
// Programs decoded once into struct-of-arrays typed arrays, validated at load time.

import { ProgramError } from './errors.js';
import { OP } from './opcodes.js';

/** One decoded instruction (for tools; the interpreter reads the typed arrays). */
export interface Insn {
  /** Instruction index. */
  pc: number;
  /** Opcode byte. */
  opcode: number;
  /** Destination register. */
  dst: number;
  /** Source register (or pseudo type for `lddw` and `call`). */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
  /** For `lddw`: the upper 32 bits (the second slot's imm); else 0. */
  imm2: number;
}

const ATOMIC_OPS = new Set([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);

/** Opcodes accepted at load time (the rest is `UNKNOWN_OPCODE`). */
export const VALID_OPCODES: ReadonlySet<number> = new Set(Object.values(OP));

function isJump(op: number): boolean {
  const cls = op & 7;
  if (cls !== 5 && cls !== 6) return false;
  const code = op & 0xf0;
  return code !== 0x80 && code !== 0x90; // not call/exit
}

/**
 * An eBPF program decoded once. Each 8-byte slot is one entry of the arrays; `lddw` takes two
 * slots, the second holding only the upper immediate (mirrored into `imm2` of the first).
 *
 * @example
 * ```ts
 * const prog = Program.fromBytes(bytes);
 * prog.length; // slots
 * ```
 */
export class Program {
  /** Number of 8-byte slots. */
  readonly length: number;
  /** Opcode per slot. */
  readonly opcode: Uint8Array;
  /** Destination register per slot. */
  readonly dst: Uint8Array;
  /** Source register per slot. */
  readonly src: Uint8Array;
  /** Offset per slot. */
  readonly offset: Int16Array;
  /** Immediate per slot. */
  readonly imm: Int32Array;
  /** Upper immediate of `lddw` at its first slot. */
  readonly imm2: Int32Array;
  /** The bytecode (a copy; changing the input later does not affect the program). */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    const n = bytes.length / 8;
    this.length = n;
    this.bytes = bytes;
    this.opcode = new Uint8Array(n);
    this.dst = new Uint8Array(n);
    this.src = new Uint8Array(n);
    this.offset = new Int16Array(n);
    this.imm = new Int32Array(n);
    this.imm2 = new Int32Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let pc = 0; pc < n; pc++) {
      const at = pc * 8;
      this.opcode[pc] = bytes[at]!;
      const regs = bytes[at + 1]!;
      this.dst[pc] = regs & 0x0f;
      this.src[pc] = regs >> 4;
      this.offset[pc] = view.getInt16(at + 2, true);
      this.imm[pc] = view.getInt32(at + 4, true);
    }
  }

  /**
   * Decodes and validates bytecode.
   * @param input - eBPF bytecode, little-endian, any alignment; copied.
   * @returns the program.
   * @throws {ProgramError} `TRUNCATED` (length not a multiple of 8), `EMPTY_PROGRAM`,
   * `INCOMPLETE_LDDW`, `INVALID_REGISTER`, `UNKNOWN_OPCODE`, `INVALID_INSTRUCTION` (bad
   * operand fields for the opcode), `JUMP_OUT_OF_CODE`, `JUMP_INTO_LDDW`, `INVALID_CALL_TARGET`.
   */
  static fromBytes(input: Uint8Array): Program {
    if (input.length % 8 !== 0) {
      throw new ProgramError({
        code: 'TRUNCATED',
        pc: Math.floor(input.length / 8),
        message: `bytecode length \`${input.length}\` is not a multiple of 8`,
      });
    }
    if (input.length === 0)
      throw new ProgramError({
        code: 'EMPTY_PROGRAM',
        pc: 0,
        message: 'program has no instructions',
      });
    const prog = new Program(input.slice());
    prog.#validate();
    return prog;
  }

  /**
   * Builds a program from decoded instructions (see also `ProgramBuilder`).
   * @param insns - instructions; `lddw` as one entry with `imm2` (it takes two slots).
   * @returns the program.
   */
  static fromInsns(insns: readonly Omit<Insn, 'pc'>[]): Program {
    return Program.fromBytes(encodeInsns(insns));
  }

  #validate(): void {
    const n = this.length;
    const secondHalf = new Uint8Array(n);
    for (let pc = 0; pc < n; pc++) {
      if (this.opcode[pc] === OP.LDDW) {
        if (pc + 1 >= n)
          throw new ProgramError({
            code: 'INCOMPLETE_LDDW',
            pc,
            message: '`lddw` without its second half',
          });
        if (
          this.opcode[pc + 1] !== 0 ||
          this.dst[pc + 1] !== 0 ||
          this.src[pc + 1] !== 0 ||
          this.offset[pc + 1] !== 0
        ) {
          throw new ProgramError({
            code: 'INCOMPLETE_LDDW',
            pc,
            message: 'second half of `lddw` must have opcode, registers and offset 0',
          });
        }
        this.imm2[pc] = this.imm[pc + 1]!;
        secondHalf[pc + 1] = 1;
        pc++;
      }
    }
    for (let pc = 0; pc < n; pc++) {
      if (secondHalf[pc]) continue;
      const op = this.opcode[pc]!;
      const dst = this.dst[pc]!;
      const src = this.src[pc]!;
      const off = this.offset[pc]!;
      const imm = this.imm[pc]!;
      const bad = (message: string): never => {
        throw new ProgramError({ code: 'INVALID_INSTRUCTION', pc, opcode: op, message });
      };
      if (!VALID_OPCODES.has(op)) {
        throw new ProgramError({
          code: 'UNKNOWN_OPCODE',
          pc,
          opcode: op,
          message: `unknown opcode \`0x${op.toString(16).padStart(2, '0')}\``,
        });
      }
      if (dst > 10)
        throw new ProgramError({
          code: 'INVALID_REGISTER',
          pc,
          opcode: op,
          message: `invalid destination register \`r${dst}\``,
        });
      const cls = op & 7;
      if (dst === 10 && (cls === 4 || cls === 7 || cls === 1 || op === OP.LDDW)) {
        throw new ProgramError({
          code: 'INVALID_REGISTER',
          pc,
          opcode: op,
          message: 'the frame pointer `r10` is read-only',
        });
      }
      const srcIsReg = (op & 0x08) !== 0 && (cls === 4 || cls === 7 || cls === 5 || cls === 6);
      if (op === OP.LDDW) {
        if (src !== 0 && src !== 1 && src !== 2 && src !== 4)
          bad(`unsupported \`lddw\` pseudo source \`${src}\``);
        if (src === 4) this.#checkTarget(pc, pc + imm + 1, secondHalf, 'INVALID_CALL_TARGET');
        continue;
      }
      if (op === OP.CALL) {
        if (src > 1) bad(`unsupported call kind \`src=${src}\``);
        if (src === 1) this.#checkTarget(pc, pc + imm + 1, secondHalf, 'INVALID_CALL_TARGET');
        continue;
      }
      if (src > 10)
        throw new ProgramError({
          code: 'INVALID_REGISTER',
          pc,
          opcode: op,
          message: `invalid source register \`r${src}\``,
        });
      if (!srcIsReg && (cls === 4 || cls === 7) && src !== 0)
        bad('source register must be 0 for an immediate operand');
      if (cls === 4 || cls === 7) {
        const code = op & 0xf0;
        if (code === 0xd0) {
          if (imm !== 16 && imm !== 32 && imm !== 64)
            bad(`byte swap width must be 16, 32 or 64, got \`${imm}\``);
        } else if (code === 0x30 || code === 0x90) {
          if (off !== 0 && off !== 1)
            bad(`division offset must be 0 (unsigned) or 1 (signed), got \`${off}\``);
        } else if (code === 0xb0 && srcIsReg) {
          if (!(off === 0 || off === 8 || off === 16 || (off === 32 && cls === 7)))
            bad(`invalid sign-extension width \`${off}\``);
        } else if (off !== 0) {
          bad('offset must be 0 for this ALU instruction');
        }
      }
      if (op === OP.ATOMIC_W || op === OP.ATOMIC_DW) {
        if (!ATOMIC_OPS.has(imm)) bad(`unknown atomic operation \`0x${imm.toString(16)}\``);
      }
      if (op === OP.JA32) {
        this.#checkTarget(pc, pc + imm + 1, secondHalf, 'JUMP_OUT_OF_CODE');
      } else if (isJump(op)) {
        this.#checkTarget(pc, pc + off + 1, secondHalf, 'JUMP_OUT_OF_CODE');
      }
    }
  }

  #checkTarget(
    pc: number,
    target: number,
    secondHalf: Uint8Array,
    code: 'JUMP_OUT_OF_CODE' | 'INVALID_CALL_TARGET',
  ): void {
    if (target < 0 || target >= this.length) {
      throw new ProgramError({
        code,
        pc,
        opcode: this.opcode[pc]!,
        message: `${code === 'INVALID_CALL_TARGET' ? 'call' : 'jump'} target \`${target}\` is outside the program (0..${this.length - 1})`,
      });
    }
    if (secondHalf[target]) {
      throw new ProgramError({
        code: 'JUMP_INTO_LDDW',
        pc,
        opcode: this.opcode[pc]!,
        message: `target \`${target}\` is the second half of an \`lddw\``,
      });
    }
  }

  /**
   * The decoded instruction at a slot.
   * @param pc - slot index.
   * @returns the instruction.
   */
  insn(pc: number): Insn {
    return {
      pc,
      opcode: this.opcode[pc]!,
      dst: this.dst[pc]!,
      src: this.src[pc]!,
      off: this.offset[pc]!,
      imm: this.imm[pc]!,
      imm2: this.imm2[pc]!,
    };
  }

  /** @returns every instruction, `lddw` once (its second slot skipped). */
  insns(): Insn[] {
    const out: Insn[] = [];
    for (let pc = 0; pc < this.length; pc++) {
      out.push(this.insn(pc));
      if (this.opcode[pc] === OP.LDDW) pc++;
    }
    return out;
  }
}

/**
 * Encodes instructions into bytecode; `lddw` takes two slots (its `imm2` goes in the second).
 * @param insns - instructions.
 * @returns the bytes.
 */
export function encodeInsns(insns: readonly Omit<Insn, 'pc'>[]): Uint8Array {
  const slots = insns.reduce((n, i) => n + (i.opcode === OP.LDDW ? 2 : 1), 0);
  const bytes = new Uint8Array(slots * 8);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const i of insns) {
    bytes[at] = i.opcode;
    bytes[at + 1] = (i.dst & 0x0f) | ((i.src & 0x0f) << 4);
    view.setInt16(at + 2, i.off, true);
    view.setInt32(at + 4, i.imm, true);
    at += 8;
    if (i.opcode === OP.LDDW) {
      view.setInt32(at + 4, i.imm2, true);
      at += 8;
    }
  }
  return bytes;
}
