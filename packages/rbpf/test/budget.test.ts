// One instruction budget per run, counted the same way on both engines, callbacks included
// (issue 26): the same count after a run, the same error at the same pc when it runs out.
import { describe, expect, it } from 'vitest';
import { assemble, EbpfVm, HelperTable, VmError } from '../src/index.js';

const engines = ['interpreter', 'wasm'] as const;

/** Runs and returns the insn count, or the fault as `code@pc`. */
function outcome(
  source: string,
  engine: (typeof engines)[number],
  maxInstructions: number,
  helpers?: HelperTable,
): string {
  const vm = new EbpfVm(assemble(source), {
    engine,
    maxInstructions,
    ...(helpers ? { helpers } : {}),
  });
  try {
    return `ok ${vm.run().insnCount}`;
  } catch (e) {
    if (!VmError.isInstance(e)) throw e;
    return `${e.code}@${e.pc}`;
  }
}

/** Helper 9: calls the callback in r1 r2 times (the shape of bpf_loop), returns the count. */
function loopHelpers(): HelperTable {
  return new HelperTable().register(9, 'loop', (call) => {
    const n = call.u32(2);
    for (let i = 0; i < n; i++) call.invoke(1, [i]);
    return n;
  });
}

const STRAIGHT = ['mov %r0, 0', ...Array.from({ length: 19 }, () => 'add %r0, 1'), 'exit'].join(
  '\n',
);
const LOOP = 'mov %r0, 0\nlddw %r1, 0x100000000\nl: add %r0, 1\njlt %r0, 7, l\nexit';
// r6 = 0; loop(cb, 50); return r6... the callback spins 20 times per call.
const CALLBACKS =
  'lddw %r1, 0\nmov %r2, 50\ncall 9\nexit\ncb: mov %r0, 0\nl: add %r0, 1\njlt %r0, 20, l\nmov %r0, 0\nexit';

describe('instruction budget', () => {
  it.each(engines)(
    'a 21-instruction straight-line program under a budget of 5 fails at pc 5 (%s)',
    (engine) => {
      expect(outcome(STRAIGHT, engine, 5)).toBe('BUDGET_EXHAUSTED@5');
      expect(outcome(STRAIGHT, engine, 21)).toBe('ok 21');
    },
  );

  it('both engines stop at the same pc for every budget, lddw counted once', () => {
    for (const source of [STRAIGHT, LOOP]) {
      const total = Number(outcome(source, 'interpreter', 1e6).split(' ')[1]);
      expect(outcome(source, 'wasm', 1e6)).toBe(`ok ${total}`);
      for (let budget = 1; budget <= total; budget++) {
        expect(outcome(source, 'wasm', budget), `budget ${budget}`).toBe(
          outcome(source, 'interpreter', budget),
        );
      }
    }
  });

  it('callbacks count against their run’s budget on both engines', () => {
    const src = CALLBACKS.replace('lddw %r1, 0', 'lddw %r1, func[cb]');
    const results = engines.map((e) => outcome(src, e, 1e6, loopHelpers()));
    // 4 main instructions + 50 callbacks of 1 + 20 * 2 + 2 instructions.
    expect(results).toEqual(['ok 2154', 'ok 2154']);
    for (const budget of [3, 4, 5, 100, 1000, 2153]) {
      const a = outcome(src, 'interpreter', budget, loopHelpers());
      expect(a).toMatch(/^BUDGET_EXHAUSTED@/);
      expect(outcome(src, 'wasm', budget, loopHelpers()), `budget ${budget}`).toBe(a);
    }
  });

  it('a forged function pointer is INVALID_CALLBACK at the helper call on both engines', () => {
    // r1 = FUNC_POINTER_TAG:4 without BPF_PSEUDO_FUNC (pc 4 is a real instruction, not a callback)
    const src = 'lddw %r1, 0xfffffffe00000004\nmov %r2, 1\ncall 9\nexit\nmov %r0, 0\nexit';
    expect(engines.map((e) => outcome(src, e, 1000, loopHelpers()))).toEqual([
      'INVALID_CALLBACK@3',
      'INVALID_CALLBACK@3',
    ]);
  });
});
