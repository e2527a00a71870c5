// SPDX-License-Identifier: MIT
// Error families of @axebpf/rbpf: program (load-time) errors, VM (run-time) faults, assembler errors.

const BRAND = Symbol.for('axebpf.error');

/** Codes of {@link ProgramError}: bytecode rejected when it is loaded. */
export type ProgramErrorCode =
  | 'TRUNCATED'
  | 'EMPTY_PROGRAM'
  | 'INCOMPLETE_LDDW'
  | 'INVALID_REGISTER'
  | 'UNKNOWN_OPCODE'
  | 'JUMP_OUT_OF_CODE'
  | 'JUMP_INTO_LDDW'
  | 'INVALID_CALL_TARGET'
  | 'INVALID_INSTRUCTION';

/** Codes of {@link VmError}: faults while a program runs. */
export type VmErrorCode =
  | 'ACCESS_VIOLATION'
  | 'UNKNOWN_HELPER'
  | 'HELPER_ERROR'
  | 'BUDGET_EXHAUSTED'
  | 'CALL_DEPTH_EXCEEDED'
  | 'JUMP_OUT_OF_CODE'
  | 'UNKNOWN_OPCODE'
  | 'UNRESOLVED_LDDW'
  | 'OUT_OF_MEMORY'
  | 'INVALID_CALLBACK';

/** Codes of {@link AsmError}. */
export type AsmErrorCode =
  | 'SYNTAX'
  | 'UNKNOWN_MNEMONIC'
  | 'BAD_OPERAND'
  | 'UNKNOWN_LABEL'
  | 'DUPLICATE_LABEL'
  | 'OUT_OF_RANGE';

function brandOf(name: string): symbol {
  return Symbol.for(`axebpf.error.${name}`);
}
const PROGRAM_BRAND = brandOf('ProgramError');
const VM_BRAND = brandOf('VmError');
const ASM_BRAND = brandOf('AsmError');

const suffix = (pc: number | undefined) => (pc === undefined ? '' : ` (insn #${pc})`);

/** Bytecode that cannot be loaded: always carries the instruction index `pc`. */
export class ProgramError extends Error {
  /** Reason. */
  readonly code: ProgramErrorCode;
  /** Instruction index. */
  readonly pc: number;
  /** Byte offset of the instruction in the input. */
  readonly offset: number;
  /** The opcode, for opcode errors. */
  readonly opcode: number | undefined;
  readonly [BRAND] = true;
  readonly [PROGRAM_BRAND] = true;

  /** @param o - code, message, pc and optional opcode. */
  constructor(o: { code: ProgramErrorCode; message: string; pc: number; opcode?: number }) {
    super(`${o.message}${suffix(o.pc)}`);
    this.name = 'ProgramError';
    this.code = o.code;
    this.pc = o.pc;
    this.offset = o.pc * 8;
    this.opcode = o.opcode;
  }

  /** @returns true for a ProgramError from any copy of this package. */
  static isInstance(value: unknown): value is ProgramError {
    return typeof value === 'object' && value !== null && PROGRAM_BRAND in value;
  }
}

/** Where a memory access went wrong. */
export interface AccessInfo {
  /** 64-bit address accessed. */
  address: bigint;
  /** Access width in bytes. */
  size: number;
  /** Direction. */
  access: 'load' | 'store';
  /** Region the address fell in or nearest to, or `none`. */
  region: string;
}

/** A fault while a program runs; carries the pc of the faulting instruction. */
export class VmError extends Error {
  /** Reason. */
  readonly code: VmErrorCode;
  /** Instruction index of the faulting instruction. */
  readonly pc: number;
  /** Details of an `ACCESS_VIOLATION`. */
  readonly access: AccessInfo | undefined;
  /** Helper id for helper errors. */
  readonly helper: number | undefined;
  /** Opcode for opcode errors. */
  readonly opcode: number | undefined;
  readonly [BRAND] = true;
  readonly [VM_BRAND] = true;

  /** @param o - code, message, pc and structured details. */
  constructor(o: {
    code: VmErrorCode;
    message: string;
    pc: number;
    access?: AccessInfo;
    helper?: number;
    opcode?: number;
    cause?: unknown;
  }) {
    super(`${o.message}${suffix(o.pc)}`, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'VmError';
    this.code = o.code;
    this.pc = o.pc;
    this.access = o.access;
    this.helper = o.helper;
    this.opcode = o.opcode;
  }

  /** @returns true for a VmError from any copy of this package. */
  static isInstance(value: unknown): value is VmError {
    return typeof value === 'object' && value !== null && VM_BRAND in value;
  }
}

/** An assembler error with its 1-based line and column. */
export class AsmError extends Error {
  /** Reason. */
  readonly code: AsmErrorCode;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  readonly [BRAND] = true;
  readonly [ASM_BRAND] = true;

  /** @param o - code, message, line and column. */
  constructor(o: { code: AsmErrorCode; message: string; line: number; column: number }) {
    super(`${o.message} (line ${o.line}, column ${o.column})`);
    this.name = 'AsmError';
    this.code = o.code;
    this.line = o.line;
    this.column = o.column;
  }

  /** @returns true for an AsmError from any copy of this package. */
  static isInstance(value: unknown): value is AsmError {
    return typeof value === 'object' && value !== null && ASM_BRAND in value;
  }
}
