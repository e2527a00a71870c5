// The interpreter's compiled loops (src/block-compiler.ts) against the switch interpreter alone:
// the same r0, registers, memory, instruction count, and the same error at the same pc, for
// random programs whose body runs in a loop, under random budgets; code generation refused.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blockCompiler } from '../src/block-compiler.js';
import { assemble, EbpfVm, encodeInsns, HelperTable, VmError } from '../src/index.js';
import { BASE_KINDS, randomInsn, type Raw, toRaw } from './random-program.js';

const interesting = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 16),
);

function helpers(): HelperTable {
  return new HelperTable()
    .register(1, 'mix', (c) => (c.u32(1) ^ Math.imul(c.u32(2), 3) ^ c.u32(5)) >>> 0)
    .register(2, 'fail', () => {
      throw new Error('helper failed');
    });
}

interface Outcome {
  result: string;
  regs: string[];
  ctx: number[];
  compiled: number;
}

function outcome(
  bytes: Uint8Array,
  ctx: Uint8Array,
  compiled: boolean,
  maxInstructions: number,
): Outcome {
  blockCompiler.enabled = compiled;
  const before = blockCompiler.compiled;
  const vm = new EbpfVm(bytes, { engine: 'interpreter', helpers: helpers(), maxInstructions });
  const copy = ctx.slice();
  let result: string;
  try {
    const r = vm.run(copy);
    result = `ok ${r.value} ${r.insnCount}`;
  } catch (e) {
    if (!VmError.isInstance(e)) throw e;
    result = `${e.code}@${e.pc} ${JSON.stringify(e.access, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
  }
  const regs = Array.from({ length: 11 }, (_, i) => vm.register(i).toString(16));
  return { result, regs, ctx: [...copy], compiled: blockCompiler.compiled - before };
}

afterEach(() => {
  blockCompiler.enabled = true;
});

describe('compiled loops of the interpreter', () => {
  it('agree with the switch interpreter on random loop bodies (ALU, memory, atomics, jumps, helper and local calls, faults), under random budgets', () => {
    const insn = randomInsn({
      // ALU twice as often, helper calls and lddw besides
      kinds: [...BASE_KINDS, 'alu64', 'alu32', 'helper', 'lddw'],
      maxDst: 8,
      bases: [1, 10, 10],
      maxOff: 40,
      imm: interesting,
    });
    fc.assert(
      fc.property(
        fc.array(insn, { minLength: 1, maxLength: 30 }),
        fc.uint8Array({ minLength: 8, maxLength: 32 }),
        fc.integer({ min: 1, max: 6 }),
        fc.oneof(fc.constant(100_000), fc.integer({ min: 1, max: 400 })),
        (raw, ctx, trips, budget) => {
          // mov r9, trips; body; sub r9, 1; jne r9, 0, body; exit
          const n = raw.length;
          const rel = (i: number, t: number) => Math.min(n + 2, Math.floor(t * (n + 3))) - i - 1;
          const body: Raw[] = raw.map((r, i) => toRaw(r, i, rel, true));
          // lddw takes two slots: relative targets counted in instructions above become slots here,
          // so recompute them over the encoded layout (targets that land inside an lddw move on).
          const slots: number[] = [];
          let at = 1;
          for (const b of body) {
            slots.push(at);
            at += b.opcode === 0x18 ? 2 : 1;
          }
          const loopEnd = at; // sub r9
          slots.push(at, at + 1, at + 2);
          const fixed = body.map((b, i) => {
            if ((b.opcode & 7) !== 5 && (b.opcode & 7) !== 6) return b;
            if (b.opcode === 0x95 || (b.opcode === 0x85 && b.src !== 1)) return b;
            const rawRel = b.opcode === 0x06 || b.opcode === 0x85 ? b.imm : b.off;
            const target = slots[Math.max(0, Math.min(slots.length - 1, i + rawRel + 1))]!;
            const r = target - slots[i]! - 1;
            return b.opcode === 0x06 || b.opcode === 0x85 ? { ...b, imm: r } : { ...b, off: r };
          });
          const insns: Raw[] = [
            { opcode: 0xb7, dst: 9, src: 0, off: 0, imm: trips, imm2: 0 },
            ...fixed,
            { opcode: 0x17, dst: 9, src: 0, off: 0, imm: 1, imm2: 0 },
            { opcode: 0x55, dst: 9, src: 0, off: 1 - loopEnd - 2, imm: 0, imm2: 0 },
            { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 },
          ];
          const bytes = encodeInsns(insns);
          const want = outcome(bytes, ctx, false, budget);
          const got = outcome(bytes, ctx, true, budget);
          expect(got.compiled).toBe(1);
          expect({ ...got, compiled: 0 }).toEqual({ ...want, compiled: 0 });
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);

  it('stop at the same instruction for every budget, callbacks and local calls included', () => {
    const source = `
      mov %r6, 0
      mov %r7, 5
    outer:
      lddw %r1, func[cb]
      mov %r2, 3
      call 9
      add %r6, %r0
      call local f
      stxdw [%r10-8], %r6
      ldxdw %r6, [%r10-8]
      sub %r7, 1
      jne %r7, 0, outer
      mov %r0, %r6
      exit
    f:
      mov %r0, 2
    l: add %r0, 1
      jlt %r0, 6, l
      exit
    cb:
      mov %r0, 0
    l2: add %r0, 1
      jlt %r0, 4, l2
      mov %r0, 0
      exit`;
    const loop = new HelperTable().register(9, 'loop', (call) => {
      const n = call.u32(2);
      for (let i = 0; i < n; i++) call.invoke(1, [i]);
      return n;
    });
    const run = (compiled: boolean, budget: number): string => {
      blockCompiler.enabled = compiled;
      const vm = new EbpfVm(assemble(source), {
        engine: 'interpreter',
        helpers: loop,
        maxInstructions: budget,
      });
      try {
        const r = vm.run();
        return `ok ${r.value} ${r.insnCount}`;
      } catch (e) {
        if (!VmError.isInstance(e)) throw e;
        return `${e.code}@${e.pc} r6=${vm.register(6)}`;
      }
    };
    const total = Number(run(false, 1e6).split(' ')[2]);
    expect(run(true, 1e6)).toBe(run(false, 1e6));
    for (let budget = 1; budget <= total; budget++)
      expect(run(true, budget), `budget ${budget}`).toBe(run(false, budget));
  });

  it('compile only programs with loops, once per VM', () => {
    const before = blockCompiler.compiled;
    const straight = new EbpfVm(assemble('mov %r0, 1\nadd %r0, 2\nexit'), {
      engine: 'interpreter',
    });
    straight.run();
    expect(blockCompiler.compiled).toBe(before);
    const loop = new EbpfVm(assemble('mov %r0, 0\nl: add %r0, 1\njlt %r0, 10, l\nexit'), {
      engine: 'interpreter',
    });
    expect(loop.run().value).toBe(10n);
    expect(loop.run().value).toBe(10n);
    expect(blockCompiler.compiled).toBe(before + 1);
  });

  it('run on the switch alone where code generation is refused', () => {
    const refusing = function Function(): never {
      throw new EvalError('Code generation from strings disallowed for this context');
    };
    vi.stubGlobal('Function', refusing);
    try {
      const vm = new EbpfVm(assemble('mov %r0, 0\nl: add %r0, 3\njlt %r0, 30, l\nexit'), {
        engine: 'interpreter',
      });
      expect(vm.run()).toEqual({ value: 30n, insnCount: 22 });
      expect(blockCompiler.refused).toBe(true);
    } finally {
      vi.unstubAllGlobals();
      blockCompiler.refused = false;
    }
  });
});
