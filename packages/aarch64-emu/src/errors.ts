// SPDX-License-Identifier: MIT
// Error family of @axebpf/aarch64-emu: architectural exceptions, decoder and input errors.

const BRAND = Symbol.for('axebpf.error');
const FAULT_BRAND = Symbol.for('axebpf.error.A64Fault');
const DECODE_BRAND = Symbol.for('axebpf.error.DecodeError');
const LOAD_BRAND = Symbol.for('axebpf.error.EmuInputError');

/** Codes an {@link A64Fault} can carry (architectural exception kinds). */
export type A64FaultCode =
  | 'UNDEFINED_INSTRUCTION'
  | 'DATA_ABORT'
  | 'INSTRUCTION_ABORT'
  | 'PC_ALIGNMENT'
  | 'SP_ALIGNMENT'
  | 'BREAKPOINT'
  | 'SUPERVISOR_CALL'
  | 'HYPERVISOR_CALL'
  | 'SECURE_MONITOR_CALL'
  | 'UNSUPPORTED_SYSCALL'
  | 'EXCEPTION';

/** Options of the {@link A64Fault} constructor. */
export interface A64FaultOptions {
  /** Machine-readable reason. */
  code: A64FaultCode;
  /** Human-readable message (lower case, values in backticks). */
  message: string;
  /** Virtual address of the instruction concerned. */
  pc: bigint;
  /** Exception class (ESR.EC) the architecture gives this exception. */
  ec: number;
  /** Instruction-specific syndrome (ESR.ISS). */
  iss: number;
  /** Faulting data/instruction address, for aborts. */
  address?: bigint | undefined;
  /** Instruction word, when known. */
  insn?: number;
  /** Wrapped cause. */
  cause?: unknown;
}

/**
 * An architectural exception that was not handled inside the emulated machine (for example an
 * undefined instruction in a user-mode program, which Linux would turn into SIGILL).
 *
 * @remarks Use {@link A64Fault.isInstance} rather than `instanceof`.
 */
export class A64Fault extends Error {
  /** Machine-readable reason. */
  readonly code: A64FaultCode;
  /** Virtual address of the instruction. */
  readonly pc: bigint;
  /** ESR exception class. */
  readonly ec: number;
  /** ESR instruction-specific syndrome. */
  readonly iss: number;
  /** Faulting address (aborts), if any. */
  readonly address: bigint | undefined;
  /** Instruction word, if known. */
  readonly insn: number | undefined;
  readonly [BRAND] = true;
  readonly [FAULT_BRAND] = true;

  /** @param options - code, message and structured fields. */
  constructor(options: A64FaultOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'A64Fault';
    this.code = options.code;
    this.pc = options.pc;
    this.ec = options.ec;
    this.iss = options.iss;
    this.address = options.address;
    this.insn = options.insn;
  }

  /**
   * Tells whether a value is an A64Fault, from any copy of this package.
   * @param value - anything caught.
   * @returns true for an A64Fault.
   */
  static isInstance(value: unknown): value is A64Fault {
    return typeof value === 'object' && value !== null && FAULT_BRAND in value;
  }
}

/** Codes a {@link DecodeError} can carry. */
export type DecodeErrorCode = 'UNALLOCATED' | 'UNSUPPORTED';

/** Options of the {@link DecodeError} constructor. */
export interface DecodeErrorOptions {
  /** Machine-readable reason. */
  code: DecodeErrorCode;
  /** Human-readable message. */
  message: string;
  /** The instruction word. */
  insn: number;
  /** Its address, when known. */
  pc?: bigint;
}

/**
 * A word that is not a supported A64 instruction, reported by the decoding APIs
 * ({@link decodeInsn}). The executor does not throw it: it raises the architectural
 * Undefined Instruction exception instead.
 */
export class DecodeError extends Error {
  /** `UNALLOCATED` (architecturally undefined) or `UNSUPPORTED` (valid A64 the emulator lacks). */
  readonly code: DecodeErrorCode;
  /** The instruction word. */
  readonly insn: number;
  /** Its address, when known. */
  readonly pc: bigint | undefined;
  readonly [BRAND] = true;
  readonly [DECODE_BRAND] = true;

  /** @param options - code, message and structured fields. */
  constructor(options: DecodeErrorOptions) {
    super(options.message);
    this.name = 'DecodeError';
    this.code = options.code;
    this.insn = options.insn;
    this.pc = options.pc;
  }

  /**
   * Tells whether a value is a DecodeError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for a DecodeError.
   */
  static isInstance(value: unknown): value is DecodeError {
    return typeof value === 'object' && value !== null && DECODE_BRAND in value;
  }
}

/** Codes an {@link EmuInputError} can carry. */
export type EmuInputErrorCode =
  | 'BAD_ELF'
  | 'UNSUPPORTED_ELF'
  | 'SEGMENT_OUT_OF_MEMORY'
  | 'BAD_ARGUMENT'
  | 'FILE_NOT_FOUND'
  | 'BAD_ADDRESS';

/** Options of the {@link EmuInputError} constructor. */
export interface EmuInputErrorOptions {
  /** Machine-readable reason. */
  code: EmuInputErrorCode;
  /** Human-readable message. */
  message: string;
  /** Byte offset in the input file, when known. */
  offset?: number;
  /** The offending command-line argument or field, when known. */
  argument?: string;
  /** Address concerned, when known. */
  address?: bigint;
  /** Wrapped cause. */
  cause?: unknown;
}

/** Bad input to the loader or the CLI: malformed or unsupported ELF images, bad arguments. */
export class EmuInputError extends Error {
  /** Machine-readable reason. */
  readonly code: EmuInputErrorCode;
  /** Byte offset in the input file, if any. */
  readonly offset: number | undefined;
  /** Offending argument or field, if any. */
  readonly argument: string | undefined;
  /** Address concerned, if any. */
  readonly address: bigint | undefined;
  readonly [BRAND] = true;
  readonly [LOAD_BRAND] = true;

  /** @param options - code, message and structured fields. */
  constructor(options: EmuInputErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EmuInputError';
    this.code = options.code;
    this.offset = options.offset;
    this.argument = options.argument;
    this.address = options.address;
  }

  /**
   * Tells whether a value is an EmuInputError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for an EmuInputError.
   */
  static isInstance(value: unknown): value is EmuInputError {
    return typeof value === 'object' && value !== null && LOAD_BRAND in value;
  }
}
