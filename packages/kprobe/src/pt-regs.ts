// SPDX-License-Identifier: MIT
// Register access for probe handlers: the PtRegs interface and its implementation over a
// trap frame laid out like Linux/Starry arm64 `struct pt_regs`.
// Layout facts from torvalds/linux arch/arm64/include/asm/ptrace.h and Starry-OS/kprobe
// src/arch/aarch64 (PtRegs): regs[31], sp, pc, pstate, orig_x0, syscallno, ... (8 bytes each).

import { KprobeError } from './errors.js';

/**
 * The registers a probe handler sees and may change: X0..X30, SP, PC and PSTATE (in SPSR
 * layout: NZCV in bits 31:28).
 *
 * @remarks Plays the role of Linux's `struct pt_regs` / Starry's `PtRegs`. Two
 * implementations ship with this package: {@link TrapFrameRegs} (over the bytes of a trap
 * frame saved by an exception vector) and `CpuRegs` (directly over an emulator `Cpu`).
 */
export interface PtRegs {
  /**
   * Reads X0..X30.
   * @param index - register number 0..30.
   * @returns the value as an unsigned 64-bit bigint.
   */
  getX(index: number): bigint;
  /**
   * Writes X0..X30.
   * @param index - register number 0..30.
   * @param value - the value (taken modulo 2^64).
   */
  setX(index: number, value: bigint): void;
  /** The interrupted stack pointer. */
  sp: bigint;
  /** The program counter (where execution resumes). */
  pc: bigint;
  /** PSTATE in SPSR layout (NZCV in bits 31:28). */
  pstate: number;
}

/** Byte offsets of the fields of a trap frame in `struct pt_regs` order. */
// prettier-ignore
export const PT_REGS_OFFSET = {
  /** X0 at 0, X1 at 8, …, X30 at 240. */
  REGS: 0,
  SP: 248,
  PC: 256,
  PSTATE: 264,
  ORIG_X0: 272,
  SYSCALLNO: 280,
} as const;

/** Bytes a {@link TrapFrameRegs} needs: regs[31] + sp + pc + pstate (what axebpf's hprobe copies). */
export const PT_REGS_MIN_SIZE = 272;
/** Size of the full Linux/Starry `struct pt_regs` on arm64 (with orig_x0, syscallno, padding). */
export const PT_REGS_SIZE = 288;

const MASK64 = (1n << 64n) - 1n;

/**
 * {@link PtRegs} over the bytes of a trap frame in Linux/Starry `struct pt_regs` order
 * (little-endian, 8 bytes per field):
 *
 * | offset | field |
 * | --- | --- |
 * | 0 + 8·n | X*n* (n = 0..30) |
 * | 248 | SP (the interrupted SP) |
 * | 256 | PC (ELR of the exception) |
 * | 264 | PSTATE (SPSR of the exception) |
 * | 272 | orig_x0 (not used here) |
 * | 280 | syscallno (i32), padding (not used here) |
 *
 * @example
 * ```ts
 * const bytes = memory.read(frameAddress, PT_REGS_MIN_SIZE);
 * const regs = new TrapFrameRegs(bytes);
 * if (manager.handleBrk(regs, esr & 0xffff)) memory.write(frameAddress, bytes);
 * ```
 */
export class TrapFrameRegs implements PtRegs {
  /** The frame bytes (changes are made in place). */
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  /**
   * @param bytes - the frame, at least {@link PT_REGS_MIN_SIZE} bytes; modified in place.
   * @throws {KprobeError} `BAD_ARGUMENT` when the buffer is shorter than {@link PT_REGS_MIN_SIZE}.
   */
  constructor(bytes: Uint8Array) {
    if (bytes.length < PT_REGS_MIN_SIZE) {
      throw new KprobeError({
        code: 'BAD_ARGUMENT',
        message: `trap frame of ${bytes.length} bytes, need at least ${PT_REGS_MIN_SIZE}`,
      });
    }
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Reads a trap frame from memory.
   * @param memory - anything with `read(address, length)` (an emulator `PhysicalMemory`).
   * @param address - address of the frame.
   * @param length - bytes to copy; default {@link PT_REGS_MIN_SIZE}.
   * @returns the registers over a copy of the frame; write back with {@link TrapFrameRegs.writeTo}.
   */
  static read(
    memory: { read(address: bigint, length: number): Uint8Array },
    address: bigint,
    length = PT_REGS_MIN_SIZE,
  ): TrapFrameRegs {
    return new TrapFrameRegs(memory.read(address, length));
  }

  /**
   * Writes the (possibly changed) frame back to memory.
   * @param memory - anything with `write(address, bytes)`.
   * @param address - address of the frame.
   */
  writeTo(memory: { write(address: bigint, data: Uint8Array): void }, address: bigint): void {
    memory.write(address, this.bytes);
  }

  /**
   * Reads X0..X30 from the frame.
   * @param index - register number 0..30.
   * @returns the value.
   * @throws {KprobeError} `BAD_ARGUMENT` for another index.
   */
  getX(index: number): bigint {
    checkIndex(index);
    return this.view.getBigUint64(index * 8, true);
  }

  /**
   * Writes X0..X30 in the frame.
   * @param index - register number 0..30.
   * @param value - the value (modulo 2^64).
   * @throws {KprobeError} `BAD_ARGUMENT` for another index.
   */
  setX(index: number, value: bigint): void {
    checkIndex(index);
    this.view.setBigUint64(index * 8, value & MASK64, true);
  }

  /** The interrupted SP. */
  get sp(): bigint {
    return this.view.getBigUint64(PT_REGS_OFFSET.SP, true);
  }
  set sp(value: bigint) {
    this.view.setBigUint64(PT_REGS_OFFSET.SP, value & MASK64, true);
  }

  /** The PC execution resumes at. */
  get pc(): bigint {
    return this.view.getBigUint64(PT_REGS_OFFSET.PC, true);
  }
  set pc(value: bigint) {
    this.view.setBigUint64(PT_REGS_OFFSET.PC, value & MASK64, true);
  }

  /** PSTATE (SPSR layout, low 32 bits of the field). */
  get pstate(): number {
    return this.view.getUint32(PT_REGS_OFFSET.PSTATE, true);
  }
  set pstate(value: number) {
    this.view.setBigUint64(PT_REGS_OFFSET.PSTATE, BigInt(value >>> 0), true);
  }
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > 30) {
    throw new KprobeError({
      code: 'BAD_ARGUMENT',
      message: `register \`x${index}\` does not exist (0..30)`,
    });
  }
}
