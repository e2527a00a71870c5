// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { KprobeError } from '../src/index.js';
import type { KprobeManager } from '../src/index.js';
import type { KretprobeInstance, PtRegs } from '../src/index.js';
import {
  expected,
  hookMode,
  machine,
  manager,
  results,
  runToEnd,
  snapshot,
  summary,
  sym,
  unprobed,
  withoutStack,
} from './harness.js';

/** Unregisters every probe, then compares with the unprobed run (the stack holds dead copies of LR). */
function sameAsUnprobed(m: ReturnType<typeof machine>, mgr: KprobeManager): void {
  for (const row of mgr.list()) mgr.unregister(mgr.get(row.name)!);
  const ref = withoutStack(unprobed().snap);
  expect(summary(withoutStack(snapshot(m)), ref)).toEqual(expected(ref));
}

describe('kretprobes', () => {
  it('see the return values and the entry arguments, and return to the right place', () => {
    const m = machine();
    const mgr = manager(m, { clock: () => BigInt(m.cpu.insnCount) });
    hookMode(m, mgr);
    const entries: bigint[][] = [];
    const returns: bigint[] = [];
    const durations: bigint[] = [];
    const rp = mgr.registerKretprobe({
      symbol: 'f_add',
      entryHandler: (instance, regs) => {
        entries.push([0, 1, 2, 3].map((i) => regs.getX(i)));
        instance.data = regs.getX(0);
        expect(regs.pc).toBe(sym('f_add'));
      },
      returnHandler: ({ instance, returnValue, duration }, regs) => {
        returns.push(returnValue);
        durations.push(duration!);
        expect(regs.pc).toBe(instance.returnAddress);
        expect(regs.getX(30)).toBe(instance.returnAddress);
      },
    });
    expect(mgr.trampoline).toBeDefined();
    runToEnd(m);
    expect(entries).toEqual([
      [1n, 2n, 3n, 4n],
      [0x100n, 0x200n, 0x300n, 0x400n],
      [10n, 20n, 30n, 40n],
      [1n, 1n, 1n, 1n],
    ]);
    expect(returns).toEqual([10n, 0xa00n, 100n, 4n]);
    // instructions from the entry BRK #4 to the trampoline BRK: BRK #4, the stepped add,
    // BRK #6, add, add, ret
    expect(durations).toEqual([6n, 6n, 6n, 6n]);
    expect([rp.hits, rp.returns, rp.missed, rp.active]).toEqual([4, 4, 0, 0]);
    sameAsUnprobed(m, mgr);
  });

  it('handle recursion: every level returns through the trampoline in LIFO order', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const returns: bigint[] = [];
    const rp = mgr.registerKretprobe({
      symbol: 'f_fact',
      returnHandler: ({ returnValue }) => {
        returns.push(returnValue);
      },
    });
    runToEnd(m);
    expect(returns).toEqual([1n, 2n, 6n, 24n, 120n, 1n, 2n, 6n]);
    expect([rp.hits, rp.returns, rp.missed]).toEqual([8, 8, 0]);
    expect(results(m)[22]).toBe(120n);
    sameAsUnprobed(m, mgr);
  });

  it('count calls beyond maxactive as missed and leave them unhooked', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const returns: bigint[] = [];
    const rp = mgr.registerKretprobe({
      symbol: 'f_fact',
      maxactive: 3,
      returnHandler: ({ returnValue }) => {
        returns.push(returnValue);
      },
    });
    let maxActive = 0;
    mgr.registerKprobe({
      symbol: 'f_fact',
      preHandler: () => {
        maxActive = Math.max(maxActive, rp.active);
      },
    });
    runToEnd(m);
    // fact(5): levels 5, 4, 3 hooked, 2 and 1 missed; fact(3): all three levels hooked
    expect(returns).toEqual([6n, 24n, 120n, 1n, 2n, 6n]);
    expect([rp.hits, rp.returns, rp.missed, rp.active, maxActive]).toEqual([6, 6, 2, 0, 3]);
    sameAsUnprobed(m, mgr);
  });

  it('skip a call when the entry handler returns false', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const returns: bigint[] = [];
    mgr.registerKretprobe({
      symbol: 'f_add',
      entryHandler: (_i, regs) => regs.getX(0) !== 1n,
      returnHandler: ({ returnValue }) => {
        returns.push(returnValue);
      },
    });
    runToEnd(m);
    expect(returns).toEqual([0xa00n, 100n]);
    sameAsUnprobed(m, mgr);
  });

  it('still return correctly when unregistered with calls in flight', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const returns: bigint[] = [];
    const rp = mgr.registerKretprobe({
      symbol: 'f_fact',
      entryHandler: (_i, regs) => {
        if (regs.getX(0) === 3n) mgr.unregister(rp);
      },
      returnHandler: ({ returnValue }) => {
        returns.push(returnValue);
      },
    });
    runToEnd(m);
    expect(returns).toEqual([]);
    expect(rp.registered).toBe(false);
    expect(rp.active).toBe(0);
    expect(mgr.isArmed(sym('f_fact'))).toBe(false);
    sameAsUnprobed(m, mgr);
  });

  it('keep one instance stack per key (per task or CPU)', () => {
    const m = machine();
    let key = 'cpu0';
    const mgr = manager(m, { instanceKey: () => key });
    const seen: string[] = [];
    mgr.registerKretprobe({
      symbol: 'f_ret',
      returnHandler: ({ instance }) => {
        seen.push(`${instance.key}:${instance.returnAddress}`);
      },
    });
    const regs = fakeRegs();
    // entry on cpu0 then on cpu1, returns in the opposite CPU order
    regs.pc = sym('f_ret');
    regs.setX(30, 0x1000n);
    key = 'cpu0';
    expect(mgr.handleBrk(regs, 4)).toBe(true);
    regs.pc = sym('f_ret');
    regs.setX(30, 0x2000n);
    key = 'cpu1';
    expect(mgr.handleBrk(regs, 4)).toBe(true);
    expect(regs.getX(30)).toBe(mgr.trampoline);
    regs.pc = mgr.trampoline!;
    key = 'cpu0';
    expect(mgr.handleBrk(regs, 7)).toBe(true);
    expect(regs.pc).toBe(0x1000n);
    regs.pc = mgr.trampoline!;
    key = 'cpu1';
    expect(mgr.handleBrk(regs, 7)).toBe(true);
    expect(regs.pc).toBe(0x2000n);
    expect(seen).toEqual(['cpu0:4096', 'cpu1:8192']);
  });

  it('report a trampoline hit with nothing pending as NO_RETPROBE_INSTANCE', () => {
    const m = machine();
    const mgr = manager(m);
    mgr.registerKretprobe({ symbol: 'f_ret' });
    const regs = fakeRegs();
    regs.pc = mgr.trampoline!;
    let err: unknown;
    try {
      mgr.handleBrk(regs, 7);
    } catch (e) {
      err = e;
    }
    expect(KprobeError.isInstance(err) && err.code).toBe('NO_RETPROBE_INSTANCE');
  });

  it('use a host-given trampoline address', () => {
    const m = machine();
    const mgr = manager(m, { trampoline: sym('r_udf'), trampolineBrkImm: 0x77 });
    hookMode(m, mgr);
    const got: KretprobeInstance[] = [];
    mgr.registerKretprobe({
      symbol: 'f_ret',
      returnHandler: ({ instance }) => {
        got.push(instance);
      },
    });
    expect(m.probeMem.readInsn(sym('r_udf'))).toBe((0xd4200000 | (0x77 << 5)) >>> 0);
    expect(mgr.slots.inUseCount).toBe(1); // only the slot of f_ret's first instruction
    runToEnd(m);
    expect(got.length).toBe(5);
    // one call from main, then four from the same call site in f_loop
    expect(new Set(got.slice(1).map((i) => i.returnAddress)).size).toBe(1);
    expect(got[0]!.returnAddress).not.toBe(got[1]!.returnAddress);
    expect(results(m)[25]).toBe(4n);
  });
});

function fakeRegs(): PtRegs {
  const x = new Array<bigint>(31).fill(0n);
  return {
    getX: (i) => x[i]!,
    setX: (i, v) => {
      x[i] = v;
    },
    sp: 0x4001_8000n,
    pc: 0n,
    pstate: 0x3c9,
  };
}
