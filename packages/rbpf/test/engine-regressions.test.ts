// Programs at the edges of the Wasm compiler's control flow and arithmetic lowering, run on both
// engines with the expected result. Differences found by the differential tests go here too.
import { describe, expect, it } from 'vitest';
import { assemble, EbpfVm, verify, VmError } from '../src/index.js';

const engines = ['interpreter', 'wasm'] as const;

const cases: {
  name: string;
  source: string;
  ctx?: number[];
  value?: bigint;
  code?: string;
  pc?: number;
  insnCount?: number;
}[] = [
  {
    name: 'conditional backward jump to its own block',
    source: 'mov %r0, 0\nl: add %r0, 1\njlt %r0, 5, l\nexit',
    value: 5n,
    insnCount: 12,
  },
  {
    name: 'backward jump to the instruction itself ends on the budget',
    source: 'mov %r0, 0\nl: ja l\nexit',
    code: 'BUDGET_EXHAUSTED',
  },
  {
    name: 'add carries into the upper half',
    source: 'lddw %r0, 0x00000001ffffffff\nadd %r0, 1\nexit',
    value: 0x200000000n,
  },
  {
    name: 'add of a negative immediate borrows',
    source: 'lddw %r0, 0x0000000100000000\nadd %r0, -1\nexit',
    value: 0xffffffffn,
  },
  {
    name: 'add reg to itself carries',
    source: 'lddw %r0, 0x80000000ffffffff\nadd %r0, %r0\nexit',
    value: 0x1fffffffen,
  },
  {
    name: 'sub borrows from the upper half',
    source: 'lddw %r0, 0x0000000200000000\nsub %r0, 1\nexit',
    value: 0x1ffffffffn,
  },
  {
    name: 'sub of a negative immediate carries',
    source: 'lddw %r0, 0x00000000ffffffff\nsub %r0, -1\nexit',
    value: 0x100000000n,
  },
  {
    name: 'sub reg borrows',
    source: 'mov %r0, 0\nlddw %r1, 0x00000000ffffffff\nsub %r0, %r1\nexit',
    value: 0xffffffff00000001n,
  },
  {
    name: 'INT64_MIN / -1 wraps',
    source: 'lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit',
    value: 0x8000000000000000n,
  },
  {
    name: 'INT64_MIN % -1 is 0',
    source: 'lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit',
    value: 0n,
  },
  {
    name: 'INT32_MIN / -1 wraps and zero-extends',
    source: 'lddw %r0, 0xffffffff80000000\nsdiv32 %r0, -1\nexit',
    value: 0x80000000n,
  },
  {
    name: 'mod32 by zero zero-extends dst',
    source: 'lddw %r0, 0x1234567800000007\nmov %r1, 0\nmod32 %r0, %r1\nexit',
    value: 7n,
  },
  {
    name: 'mod64 by zero leaves dst',
    source: 'lddw %r0, 0x1234567800000007\nmov %r1, 0\nmod %r0, %r1\nexit',
    value: 0x1234567800000007n,
  },
  {
    name: 'cmpxchg32 compares the low half of r0 only',
    source:
      'stw [%r10-4], 9\nlddw %r0, 0xffffffff00000009\nmov %r1, 5\nlock cmpxchg32 [%r10-4], %r1\nldxw %r0, [%r10-4]\nexit',
    value: 5n,
  },
  {
    name: 'fetch32 zero-extends the old value',
    source:
      'stw [%r10-4], -1\nlddw %r1, 0xffffffffffffffff\nlock fetch add32 [%r10-4], %r1\nmov %r0, %r1\nexit',
    value: 0xffffffffn,
  },
  {
    name: 'callee sees caller registers and returns r1-r5 changes',
    source:
      'mov %r1, 3\nmov %r6, 4\ncall local f\nadd %r0, %r1\nexit\nf: mov %r0, %r6\nmov %r1, 10\nexit',
    value: 14n,
  },
  {
    name: 'shift counts are masked',
    source:
      'mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nmov32 %r2, 1\nmov32 %r3, 33\nlsh32 %r2, %r3\nadd %r0, %r2\nexit',
    value: 4n,
  },
  {
    name: 'running past the end faults at the end',
    source: 'mov %r0, 1\njeq %r0, 2, -2\nadd %r0, 1',
    code: 'JUMP_OUT_OF_CODE',
    pc: 3,
  },
  {
    name: 'load one byte past the context',
    source: 'ldxb %r0, [%r1+4]\nexit',
    ctx: [1, 2, 3, 4],
    code: 'ACCESS_VIOLATION',
    pc: 0,
  },
  {
    name: 'pointer arithmetic that crosses a segment boundary',
    source: 'mov %r2, %r1\nsub %r2, 1\nldxb %r0, [%r2+1]\nexit',
    ctx: [7],
    value: 7n,
  },
];

describe.each(engines)('%s engine regressions', (engine) => {
  it.each(cases)('$name', (c) => {
    const vm = new EbpfVm(assemble(c.source), { engine, maxInstructions: 1000 });
    const ctx = c.ctx ? new Uint8Array(c.ctx) : undefined;
    if (c.code !== undefined) {
      let err: unknown;
      try {
        vm.run(ctx);
      } catch (e) {
        err = e;
      }
      expect(VmError.isInstance(err)).toBe(true);
      expect((err as VmError).code).toBe(c.code);
      if (c.pc !== undefined) expect((err as VmError).pc).toBe(c.pc);
      return;
    }
    const r = vm.run(ctx);
    expect(r.value).toBe(c.value);
    if (c.insnCount !== undefined) expect(r.insnCount).toBe(c.insnCount);
  });
});

describe('stack frames (issue 23)', () => {
  const fault = (source: string, engine: (typeof engines)[number]) => {
    const vm = new EbpfVm(assemble(source), { engine });
    try {
      return `ok ${vm.run().value}`;
    } catch (e) {
      if (!VmError.isInstance(e)) throw e;
      return `${e.code}@${e.pc} ${e.access?.region ?? ''}`;
    }
  };

  it.each(engines)('a frame touches only its own 512 bytes (%s)', (engine) => {
    expect(fault('stdw [%r10-520], 1\nmov %r0, 0\nexit', engine)).toBe('ACCESS_VIOLATION@0 none');
    expect(fault('stdw [%r10-512], 7\nldxdw %r0, [%r10-512]\nexit', engine)).toBe('ok 7');
    expect(fault('stdw [%r10+0], 1\nmov %r0, 0\nexit', engine)).toMatch(
      /^ACCESS_VIOLATION@0 stack/,
    );
    // A callee cannot reach its caller's frame through its own r10 (it could before).
    expect(
      fault(
        'stdw [%r10-8], 5\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf: stdw [%r10+504], 9\nmov %r0, 0\nexit',
        engine,
      ),
    ).toMatch(/^ACCESS_VIOLATION@4/);
    // Frames are separate: the callee's [r10-8] is not the caller's.
    expect(
      fault(
        'stdw [%r10-8], 5\ncall local f\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit\nf: stdw [%r10-8], 9\nldxdw %r0, [%r10-8]\nexit',
        engine,
      ),
    ).toBe('ok 14');
  });

  it('the verifier rejects [r10-520]', () => {
    expect(() =>
      verify(assemble('stdw [%r10-520], 1\nmov %r0, 0\nexit'), {
        programType: 'raw-memory',
        memorySize: 8,
      }),
    ).toThrow(expect.objectContaining({ code: 'OUT_OF_BOUNDS', pc: 0 }));
  });
});
