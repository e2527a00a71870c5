// SPDX-License-Identifier: MIT
// The error a program gets when the verifier cannot prove it safe.

const BRAND = Symbol.for('axebpf.error');
const VERIFIER_BRAND = Symbol.for('axebpf.error.VerifierError');

/** Codes of {@link VerifierError}: why a program was not proven safe. */
export type VerifierErrorCode =
  | 'UNREACHABLE_INSN'
  | 'FALLS_OFF_END'
  | 'JUMP_OUT_OF_SUBPROGRAM'
  | 'UNKNOWN_HELPER'
  | 'INVALID_CALL'
  | 'CALL_DEPTH_EXCEEDED'
  | 'RECURSION'
  | 'UNINITIALIZED_REGISTER'
  | 'UNINITIALIZED_STACK'
  | 'INVALID_MEMORY_ACCESS'
  | 'OUT_OF_BOUNDS'
  | 'NULL_DEREFERENCE'
  | 'INVALID_POINTER_ARITHMETIC'
  | 'POINTER_LEAK'
  | 'INVALID_HELPER_ARGUMENT'
  | 'CONTEXT_ACCESS'
  | 'READ_ONLY'
  | 'DIVISION_BY_ZERO'
  | 'INFINITE_LOOP'
  | 'COMPLEXITY_LIMIT'
  | 'INVALID_RETURN'
  | 'INVALID_MAP'
  | 'UNSUPPORTED';

/**
 * A program the verifier rejects. Carries the instruction index and, where one register is to
 * blame, that register; the message says what to change and ends with `(insn #N)`.
 *
 * @example
 * ```ts
 * try { verify(program, { programType: 'raw-memory' }); }
 * catch (e) { if (VerifierError.isInstance(e)) console.error(e.code, e.pc, e.register); }
 * ```
 */
export class VerifierError extends Error {
  /** Reason. */
  readonly code: VerifierErrorCode;
  /** Instruction index of the offending instruction. */
  readonly pc: number;
  /** Byte offset of the instruction. */
  readonly offset: number;
  /** The register to blame (0..10), when there is one. */
  readonly register: number | undefined;
  /** The verifier log up to the failure, when a log was requested. */
  log: string | undefined;
  readonly [BRAND] = true;
  readonly [VERIFIER_BRAND] = true;

  /** @param o - code, message, pc and optional register. */
  constructor(o: { code: VerifierErrorCode; message: string; pc: number; register?: number }) {
    super(`${o.message} (insn #${o.pc})`);
    this.name = 'VerifierError';
    this.code = o.code;
    this.pc = o.pc;
    this.offset = o.pc * 8;
    this.register = o.register;
    this.log = undefined;
  }

  /** @returns true for a VerifierError from any copy of this package. */
  static isInstance(value: unknown): value is VerifierError {
    return typeof value === 'object' && value !== null && VERIFIER_BRAND in value;
  }
}
