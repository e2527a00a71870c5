// SPDX-License-Identifier: MIT
// Public decoding API: one instruction word to the executor's operation name and its GNU
// objdump text, or a DecodeError for words the emulator does not execute.

import { CPU_MODELS, type CpuModel } from './cpu-model.js';
import { decodeInto } from './decode.js';
import { disassemble } from './disasm.js';
import { simdImplemented } from './fpsimd/execute.js';
import { DecodeError } from './errors.js';
import { OP, OP_NAMES, STRIDE } from './ops.js';

/** A decoded instruction. */
export interface DecodedInsn {
  /** The instruction word. */
  word: number;
  /** Name of the executor operation (for example `ADD_I`, `LDRX`, `BCOND`). */
  op: string;
  /** GNU objdump-syntax text. */
  text: string;
  /** True when the instruction ends a basic block (branches, exceptions, system). */
  endsBlock: boolean;
}

/** Options of {@link decodeInsn}. */
export interface DecodeInsnOptions {
  /**
   * The processor the word is decoded for (default `'default'`): on a model without FEAT_LSE
   * (`'cortex-a57'`, what Linux VMs run on) the LSE atomics are undefined, as the executor treats them.
   */
  model?: CpuModel;
}

/**
 * Decodes one instruction word.
 * @param word - the 32-bit instruction.
 * @param pc - its address (for PC-relative operands in `text`); default 0.
 * @param options - the CPU model.
 * @returns the operation and its text.
 * @throws {DecodeError} `UNSUPPORTED` for SIMD/FP encodings the emulator does not execute (the
 *   ARMv8.2 crypto extensions, FP16 arithmetic, unallocated SIMD/FP space),
 *   `UNALLOCATED` for every other word the executor treats as undefined (this includes
 *   extensions such as PAC, MTE and LDAPR, and the LSE atomics on a model without them).
 */
export function decodeInsn(word: number, pc = 0n, options: DecodeInsnOptions = {}): DecodedInsn {
  const out = new Int32Array(STRIDE);
  const ends = decodeInto(word >>> 0, out, 0) === 1;
  const op = out[0]!;
  const noLse =
    !CPU_MODELS[options.model ?? 'default'].lse &&
    (op === OP.LSE_AMO || op === OP.LSE_CAS || op === OP.LSE_CASP);
  if (op === OP.UNDEF || noLse || (op === OP.SIMD && !simdImplemented(word))) {
    const op0 = (word >>> 25) & 15;
    const simd = (op0 & 7) === 7 || ((op0 & 5) === 4 && ((word >>> 26) & 1) === 1);
    throw new DecodeError({
      code: simd ? 'UNSUPPORTED' : 'UNALLOCATED',
      message: `${simd ? 'unsupported (SIMD/FP)' : 'undefined'} instruction \`0x${(word >>> 0).toString(16).padStart(8, '0')}\`${noLse ? ` (LSE atomic; the ${options.model} has no FEAT_LSE)` : ''}`,
      insn: word >>> 0,
      pc,
    });
  }
  return { word: word >>> 0, op: OP_NAMES[op]!, text: disassemble(word, pc), endsBlock: ends };
}
