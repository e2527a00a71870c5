// Helper calls on both engines: every kind of return value reaches r0 exactly (the Wasm engine
// takes int32 results from the import's return value and the rest from memory), helpers still
// read their arguments after the memory grows under them (in a callback too), and the budget
// runs out at the same pc in a loop whose body calls a helper or a local function.
import { describe, expect, it } from 'vitest';
import { AddressSpace, assemble, EbpfVm, HelperTable, VmError } from '../src/index.js';
import type { HelperFn } from '../src/index.js';

const engines = ['interpreter', 'wasm'] as const;

// r0 = 0; 20 times: r1 = r0, r0 = helper 1(r1).
const CHAIN = 'mov %r0, 0\nmov %r6, 20\nl: mov %r1, %r0\ncall 1\nsub %r6, 1\njne %r6, 0, l\nexit';

const M64 = (1n << 64n) - 1n;

/** Helper results and the r0 each must give. */
const RESULTS: [number | bigint | undefined, bigint][] = [
  [5, 5n],
  [-0x80000000, 0xffffffff80000000n], // the Wasm engine's "r0 is in memory" marker
  [0x80000000, 0x80000000n],
  [-0x80000000, 0xffffffff80000000n], // the marker again, right after a result from memory
  [-1, M64],
  [0, 0n],
  [-0, 0n],
  [2 ** 32, 1n << 32n],
  [-(2 ** 40), (1n << 64n) - (1n << 40n)],
  [2 ** 53 - 1, (1n << 53n) - 1n],
  [1.5, 1n],
  [0x7fffffff, 0x7fffffffn],
  [undefined, 0n],
  [-0x80000000, 0xffffffff80000000n],
  [-1n, M64],
  [(1n << 64n) + 7n, 7n],
  [0x1234567890abcdefn, 0x1234567890abcdefn],
  [-0x80000000, 0xffffffff80000000n],
  [-0x80000000, 0xffffffff80000000n],
  [NaN, 0n],
];

function vmOf(
  source: string,
  engine: (typeof engines)[number],
  helpers: HelperTable,
  memory?: AddressSpace,
): EbpfVm {
  return new EbpfVm(assemble(source), {
    engine,
    helpers,
    maxInstructions: 1e6,
    ...(memory ? { memory } : {}),
  });
}

describe.each(engines)('helper calls (%s)', (engine) => {
  it('every kind of result reaches r0 exactly', () => {
    const seen: bigint[] = [];
    let k = 0;
    const helpers = new HelperTable().register(1, 'next', (c) => {
      seen.push(c.u64(1));
      return RESULTS[k++]![0];
    });
    const vm = vmOf(CHAIN, engine, helpers);
    const r = vm.run();
    expect(k).toBe(RESULTS.length);
    // each call sees the previous call's r0 as its argument
    expect(seen).toEqual([0n, ...RESULTS.slice(0, -1).map(([, want]) => want)]);
    expect(r.value).toBe(RESULTS.at(-1)![1]);
  });

  it('the marker value passes through an int32 register write too', () => {
    const helpers = new HelperTable().register(1, 'marker', () => -0x80000000);
    const vm = vmOf('mov %r0, 7\ncall 1\nmov32 %r1, %r0\nadd %r0, %r1\nexit', engine, helpers);
    expect(vm.run().value).toBe((0xffffffff80000000n + 0x80000000n) & M64);
  });

  it('helpers read their arguments after the memory grew under them', () => {
    const memory = new AddressSpace({ initialBytes: 1 << 17 });
    const before = memory.generation;
    let grown = 0;
    const sum: HelperFn = (c) => c.u64(1) + c.u64(2) + c.u64(3) + c.u64(4) + c.u64(5);
    const helpers = new HelperTable().register(1, 'sum', sum).register(2, 'grow', (c) => {
      memory.map(`grown${grown++}`, 1 << 20, true);
      return c.u64(1) + 1n;
    });
    const source = [
      'mov %r6, 0',
      'mov %r7, 3',
      'l: mov %r1, %r7',
      'call 2', // grows the memory
      'mov %r1, %r0',
      'lddw %r2, 0x100000000',
      'mov %r3, 3',
      'mov %r4, 4',
      'mov %r5, 5',
      'call 1', // reads all five arguments
      'add %r6, %r0',
      'sub %r7, 1',
      'jne %r7, 0, l',
      'mov %r0, %r6',
      'exit',
    ].join('\n');
    const vm = vmOf(source, engine, helpers, memory);
    // (r7 + 1) + 2^32 + 12 for r7 = 3, 2, 1
    expect(vm.run().value).toBe(9n + 3n * ((1n << 32n) + 12n));
    expect(memory.generation - before).toBeGreaterThanOrEqual(3);
  });

  it('a helper reads its arguments after a callback grew the memory', () => {
    const memory = new AddressSpace({ initialBytes: 1 << 17 });
    const before = memory.generation;
    let grown = 0;
    const helpers = new HelperTable()
      .register(9, 'loop', (c) => {
        const n = c.u32(2);
        let total = 0n;
        for (let i = 0; i < n; i++) total += c.invoke(1, [i]);
        // r3..r5 of this call, read after the callbacks ran
        return total + c.u64(3) + c.u64(4) + c.u64(5) + c.u64(2);
      })
      .register(2, 'grow', (c) => {
        memory.map(`grown${grown++}`, 1 << 20, true);
        return c.u64(1) * 10n;
      });
    const source = [
      'lddw %r1, func[cb]',
      'mov %r2, 3',
      'mov %r3, 100',
      'lddw %r4, 0x700000000',
      'mov %r5, 1000',
      'call 9',
      'exit',
      'cb: call 2', // r1 = i
      'exit',
    ].join('\n');
    const vm = vmOf(source, engine, helpers, memory);
    expect(vm.run().value).toBe(0n + 10n + 20n + 100n + 0x700000000n + 1000n + 3n);
    expect(memory.generation - before).toBeGreaterThanOrEqual(3);
  });

  it('helper failures name the call’s pc and helper', () => {
    const boom = new Error('boom');
    const helpers = new HelperTable()
      .register(1, 'ok', () => 1)
      .register(3, 'fails', () => {
        throw boom;
      });
    const fault = (source: string): VmError => {
      try {
        vmOf(source, engine, helpers).run();
      } catch (e) {
        if (VmError.isInstance(e)) return e;
        throw e;
      }
      throw new Error('no fault');
    };
    const failed = fault('call 1\ncall 1\ncall 3\nexit');
    expect([failed.code, failed.pc, failed.helper, failed.cause]).toEqual([
      'HELPER_ERROR',
      2,
      3,
      boom,
    ]);
    const unknown = fault('call 1\nmov %r2, 0x7fffffff\nadd %r2, 6\ncall %r2\nexit');
    expect([unknown.code, unknown.pc, unknown.helper]).toEqual(['UNKNOWN_HELPER', 3, -0x7ffffffb]);
  });
});

describe('budget with calls inside a loop body', () => {
  /** The run's count and r0, or its fault; and how many helper calls it made either way. */
  const outcome = (source: string, engine: (typeof engines)[number], budget: number): string => {
    let calls = 0;
    const helpers = new HelperTable()
      .register(1, 'inc', (c) => {
        calls++;
        return c.u64(1) + 1n;
      })
      .register(9, 'loop', (c) => {
        calls++;
        for (let i = 0; i < c.u32(2); i++) c.invoke(1, [i]);
        return 0;
      });
    const vm = new EbpfVm(assemble(source), { engine, helpers, maxInstructions: budget });
    try {
      const r = vm.run();
      return `ok ${r.insnCount} ${r.value} after ${calls} calls`;
    } catch (e) {
      if (!VmError.isInstance(e)) throw e;
      return `${e.code}@${e.pc} after ${calls} calls`;
    }
  };
  const sources = [
    // a helper call in the middle of a one-block loop
    'mov %r6, 6\nmov %r0, 0\nl: mov %r1, %r0\ncall 1\nadd %r0, 2\nsub %r6, 1\njne %r6, 0, l\nexit',
    // two calls with an lddw (counted once) between them
    'mov %r6, 4\nmov %r0, 0\nl: mov %r1, %r0\ncall 1\nlddw %r2, 0x100000000\nmov %r1, %r0\ncall 1\nsub %r6, 1\njne %r6, 0, l\nexit',
    // a call as the last instruction of a block (the next one is a jump target)
    'mov %r6, 6\nmov %r0, 0\nl: mov %r1, %r0\ncall 1\nm: sub %r6, 1\njeq %r6, 2, m\njne %r6, 0, l\nexit',
    // a helper calling back into the program inside the loop
    'mov %r6, 3\nl: lddw %r1, func[cb]\nmov %r2, 2\ncall 9\nsub %r6, 1\njne %r6, 0, l\nexit\ncb: mov %r0, 0\nadd %r0, 1\nexit',
    // a local call inside the loop
    'mov %r6, 5\nmov %r0, 0\nl: mov %r1, %r0\ncall local f\nsub %r6, 1\njne %r6, 0, l\nexit\nf: mov %r0, %r1\nadd %r0, 3\nexit',
  ];
  it.each(sources)('both engines stop at the same pc for every budget: %s', (source) => {
    const total = Number(outcome(source, 'interpreter', 1e6).split(' ')[1]);
    expect(total).toBeGreaterThan(20);
    expect(outcome(source, 'wasm', 1e6)).toBe(outcome(source, 'interpreter', 1e6));
    for (let budget = 1; budget <= total; budget++) {
      expect(outcome(source, 'wasm', budget), `budget ${budget}`).toBe(
        outcome(source, 'interpreter', budget),
      );
    }
  });
});
