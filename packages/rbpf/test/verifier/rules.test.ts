import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler.js';
import type { VerifierErrorCode, VerifyOptions } from '../../src/verifier/index.js';
import { verify, VerifierError } from '../../src/verifier/index.js';

const RAW: VerifyOptions = { programType: 'raw-memory', memorySize: 16 };
const MAPS = new Map([[1, { keySize: 4, valueSize: 8, name: 'counts' }]]);
const TP: VerifyOptions = {
  programType: 'tracepoint',
  context: { size: 16, fields: [{ offset: 8, size: 8, writable: true }] },
  maps: MAPS,
};

/** Assembles; `lddw rN, FD` becomes a map load (pseudo `src=1`) when maps are given. */
function build(src: string, opts: VerifyOptions): Uint8Array {
  const bytes = assemble(src);
  if (opts.maps !== undefined)
    for (let at = 0; at < bytes.length; at += 8)
      if (bytes[at] === 0x18) bytes[at + 1] = (bytes[at + 1]! & 0x0f) | 0x10;
  return bytes;
}

function rejection(src: string, opts: VerifyOptions): VerifierError {
  try {
    verify(build(src, opts), opts);
  } catch (e) {
    if (VerifierError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('program was accepted');
}

/** One unsafe program per rule: [rule, source, options, code, pc, register]. */
const UNSAFE: Array<
  [string, string, VerifyOptions, VerifierErrorCode, number, number | undefined]
> = [
  ['uninitialised register', 'mov %r0, %r3\nexit', RAW, 'UNINITIALIZED_REGISTER', 0, 3],
  ['r0 unset at exit', 'exit', RAW, 'UNINITIALIZED_REGISTER', 0, 0],
  [
    'r1-r5 unset after a call',
    'mov %r1, 1\ncall 5\nmov %r0, %r1\nexit',
    RAW,
    'UNINITIALIZED_REGISTER',
    2,
    1,
  ],
  ['uninitialised stack read', 'ldxdw %r0, [%r10-8]\nexit', RAW, 'UNINITIALIZED_STACK', 0, 10],
  ['stack below the frame', 'stdw [%r10-520], 1\nmov %r0, 0\nexit', RAW, 'OUT_OF_BOUNDS', 0, 10],
  ['stack above the frame top', 'stw [%r10-2], 1\nmov %r0, 0\nexit', RAW, 'OUT_OF_BOUNDS', 0, 10],
  ['memory read past its size', 'ldxdw %r0, [%r1+12]\nexit', RAW, 'OUT_OF_BOUNDS', 0, 1],
  ['memory read at a negative offset', 'ldxb %r0, [%r1-1]\nexit', RAW, 'OUT_OF_BOUNDS', 0, 1],
  [
    'unbounded index into memory',
    'ldxb %r3, [%r1]\nadd %r1, %r3\nldxb %r0, [%r1]\nexit',
    RAW,
    'OUT_OF_BOUNDS',
    2,
    1,
  ],
  [
    'unbounded scalar added to a pointer',
    'ldxdw %r3, [%r1]\nadd %r1, %r3\nmov %r0, 0\nexit',
    RAW,
    'INVALID_POINTER_ARITHMETIC',
    1,
    3,
  ],
  [
    'dereferencing a number',
    'mov %r2, 64\nldxb %r0, [%r2]\nexit',
    RAW,
    'INVALID_MEMORY_ACCESS',
    1,
    2,
  ],
  ['dereferencing null', 'mov %r2, 0\nldxb %r0, [%r2]\nexit', RAW, 'NULL_DEREFERENCE', 1, 2],
  [
    '32-bit arithmetic on a pointer',
    'add32 %r1, 4\nmov %r0, 0\nexit',
    RAW,
    'INVALID_POINTER_ARITHMETIC',
    0,
    1,
  ],
  [
    'multiplying a pointer',
    'mul %r1, 2\nmov %r0, 0\nexit',
    RAW,
    'INVALID_POINTER_ARITHMETIC',
    0,
    1,
  ],
  ['pointer returned', 'mov %r0, %r10\nexit', RAW, 'INVALID_RETURN', 1, 0],
  ['pointer stored into memory', 'stxdw [%r1], %r10\nmov %r0, 0\nexit', RAW, 'POINTER_LEAK', 0, 10],
  ['unknown helper', 'call 99\nmov %r0, 0\nexit', RAW, 'UNKNOWN_HELPER', 0, undefined],
  ['unreachable code', 'mov %r0, 0\nexit\nmov %r0, 1\nexit', RAW, 'UNREACHABLE_INSN', 2, undefined],
  [
    'falls off the end',
    'mov %r0, 0\njeq %r0, 0, +1\nexit\nmov %r0, 1',
    RAW,
    'FALLS_OFF_END',
    3,
    undefined,
  ],
  ['infinite loop', 'mov %r0, 0\nlbl:\njeq %r0, 0, lbl\nexit', RAW, 'INFINITE_LOOP', 1, undefined],
  [
    'loop whose bound is never reached',
    'mov %r0, 0\nlbl:\nadd %r0, 1\njne %r0, 0, lbl\nexit',
    { ...RAW, maxInstructions: 20_000 },
    'COMPLEXITY_LIMIT',
    2,
    undefined,
  ],
  [
    'division by a possibly-zero register',
    'ldxb %r2, [%r1]\nmov %r0, 10\ndiv %r0, %r2\nexit',
    { ...RAW, divisionByZero: 'reject' },
    'DIVISION_BY_ZERO',
    2,
    2,
  ],
  [
    'recursion',
    'call local f\nexit\nf:\ncall local f\nmov %r0, 0\nexit',
    RAW,
    'RECURSION',
    2,
    undefined,
  ],
  [
    'map value used without a null check',
    'stw [%r10-4], 0\nlddw %r1, 1\nmov %r2, %r10\nadd %r2, -4\ncall 1\nldxdw %r0, [%r0]\nexit',
    TP,
    'NULL_DEREFERENCE',
    6,
    0,
  ],
  [
    'map key not initialised',
    'lddw %r1, 1\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r0, 0\nexit',
    TP,
    'UNINITIALIZED_STACK',
    4,
    2,
  ],
  [
    'map value read past its size',
    'stw [%r10-4], 0\nlddw %r1, 1\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, out\nldxdw %r0, [%r0+4]\nexit\nout:\nexit',
    TP,
    'OUT_OF_BOUNDS',
    7,
    0,
  ],
  [
    'helper given a number for a map',
    'mov %r1, 1\nmov %r2, %r10\ncall 1\nmov %r0, 0\nexit',
    TP,
    'INVALID_HELPER_ARGUMENT',
    2,
    1,
  ],
  ['context read past the record', 'ldxdw %r0, [%r1+12]\nexit', TP, 'CONTEXT_ACCESS', 0, 1],
  ['context write to a read-only field', 'stw [%r1], 1\nmov %r0, 0\nexit', TP, 'READ_ONLY', 0, 1],
  [
    'context at a variable offset',
    'ldxb %r2, [%r1]\nand %r2, 3\nadd %r1, %r2\nldxb %r0, [%r1]\nexit',
    TP,
    'CONTEXT_ACCESS',
    3,
    1,
  ],
];

describe('safe programs', () => {
  it.each([
    [
      'map lookup with a null check',
      'stw [%r10-4], 0\nlddw %r1, 1\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, out\nldxdw %r0, [%r0]\nexit\nout:\nexit',
      TP,
    ],
    ['bounded loop', 'mov %r0, 0\nlbl:\nadd %r0, 1\njlt %r0, 10, lbl\nexit', RAW],
    [
      'memory length checked against r2',
      'jlt %r2, 8, out\nldxdw %r0, [%r1]\nexit\nout:\nmov %r0, 0\nexit',
      { programType: 'raw-memory' } as VerifyOptions,
    ],
    [
      'masked index into memory',
      'ldxb %r3, [%r1]\nand %r3, 7\nadd %r1, %r3\nldxdw %r0, [%r1]\nexit',
      RAW,
    ],
    [
      'spill and fill of a pointer',
      'stxdw [%r10-8], %r1\nldxdw %r2, [%r10-8]\nldxb %r0, [%r2+15]\nexit',
      RAW,
    ],
    ['writable context field', 'stdw [%r1+8], 1\nldxw %r0, [%r1+4]\nexit', TP],
    [
      'local call with its own frame',
      'mov %r1, 3\ncall local f\nexit\nf:\nstxdw [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit',
      RAW,
    ],
  ] as Array<[string, string, VerifyOptions]>)('%s is accepted', (_name, src, opts) => {
    const r = verify(build(src, opts), opts);
    expect(r.ok).toBe(true);
    expect(r.insnProcessed).toBeGreaterThan(0);
  });

  it('writes a kernel-like log when asked', () => {
    const r = verify(assemble('mov %r0, 1\nexit'), { ...RAW, log: 'verbose' });
    expect(r.log).toContain('0: mov');
    expect(r.log).toContain('processed 2 insns');
  });

  it('attaches the log to the error', () => {
    const e = rejection('mov %r0, 1\nmov %r0, %r4\nexit', { ...RAW, log: 'verbose' });
    expect(e.log).toContain('R0=scalar1');
    expect(e.log).toContain('r4 is read before it is set');
  });
});

describe('unsafe programs, one per rule', () => {
  it.each(UNSAFE)('%s', (_rule, src, opts, code, pc, register) => {
    const e = rejection(src, opts);
    expect(e.code).toBe(code);
    expect(e.pc).toBe(pc);
    expect(e.register).toBe(register);
    expect(e.message).toMatch(new RegExp(`\\(insn #${pc}\\)$`));
  });
});
