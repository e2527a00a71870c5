// SPDX-License-Identifier: MIT
// What the verifier proved about a program, kept where only this package can read it: the Wasm
// engine runs a program without per-access bounds checks only when the verifier accepted these
// very instructions and the run's context is at least what the verifier assumed.

import type { Program } from './program.js';

/** The assumptions a successful verification made about the run. @internal */
export interface VerifiedFacts {
  /** The decoded instructions that were verified (copies: later changes to the program do not count). */
  readonly arrays: readonly ArrayLike<number>[];
  /** Context bytes the verifier let the program access without a runtime length check. */
  readonly contextBytes: number;
  /** Whether the verifier let the program store into the context. */
  readonly contextWritable: boolean;
}

// Module-private: nothing outside the package can mark a program as verified.
const proven = new WeakMap<Program, VerifiedFacts>();

/**
 * Records that the verifier accepted a program. Called by `verify` only.
 * @param program - the program as verified.
 * @param contextBytes - see {@link VerifiedFacts.contextBytes}.
 * @param contextWritable - see {@link VerifiedFacts.contextWritable}.
 * @internal
 */
export function recordVerified(
  program: Program,
  contextBytes: number,
  contextWritable: boolean,
): void {
  proven.set(program, {
    arrays: decoded(program).map((a) => a.slice()),
    contextBytes,
    contextWritable,
  });
}

/**
 * The facts of a program's last successful verification, if its instructions are still the
 * ones verified.
 * @param program - a program.
 * @returns the facts, or undefined when it was not verified (or was changed since).
 * @internal
 */
export function verifiedFacts(program: Program): VerifiedFacts | undefined {
  const facts = proven.get(program);
  if (facts === undefined) return undefined;
  const now = decoded(program);
  for (let k = 0; k < now.length; k++) {
    const a = now[k]!;
    const b = facts.arrays[k]!;
    if (a.length !== b.length) return undefined;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return undefined;
  }
  return facts;
}

/** The arrays the engines execute (the bytecode itself is not read after decoding). */
function decoded(p: Program): (Uint8Array | Int16Array | Int32Array)[] {
  return [p.opcode, p.dst, p.src, p.offset, p.imm, p.imm2];
}
