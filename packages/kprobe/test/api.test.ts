// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { InsnSlotAllocator, KprobeError, KprobeManager } from '../src/index.js';
import type { KprobeErrorCode, ProbeMemory } from '../src/index.js';
import { RAM_BASE, SLOT_BASE, machine, manager, sym } from './harness.js';

function codeOf(fn: () => unknown): KprobeErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    if (KprobeError.isInstance(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('InsnSlotAllocator', () => {
  it('hands out the lowest free slot and reports exhaustion', () => {
    const slots = new InsnSlotAllocator({ base: 0x1000n, count: 70, slotSize: 16 });
    const got: bigint[] = [];
    for (let i = 0; i < 70; i++) got.push(slots.alloc());
    expect(got[0]).toBe(0x1000n);
    expect(got[69]).toBe(0x1000n + 69n * 16n);
    expect(new Set(got).size).toBe(70);
    expect(slots.available).toBe(0);
    let err: unknown;
    try {
      slots.alloc();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SLOTS_EXHAUSTED', address: 0x1000n });
    slots.free(0x1000n + 33n * 16n);
    slots.free(0x1000n + 5n * 16n);
    expect(slots.alloc()).toBe(0x1000n + 5n * 16n);
    expect(slots.alloc()).toBe(0x1000n + 33n * 16n);
    expect(slots.inUseCount).toBe(70);
  });

  it('rejects bad regions and bad frees', () => {
    expect(codeOf(() => new InsnSlotAllocator({ base: 0x1002n }))).toBe('BAD_SLOT_REGION');
    expect(codeOf(() => new InsnSlotAllocator({ base: 0x1000n, count: 0 }))).toBe(
      'BAD_SLOT_REGION',
    );
    expect(codeOf(() => new InsnSlotAllocator({ base: 0x1000n, slotSize: 4 }))).toBe(
      'BAD_SLOT_REGION',
    );
    expect(codeOf(() => new InsnSlotAllocator({ base: 0x1000n, slotSize: 18 }))).toBe(
      'BAD_SLOT_REGION',
    );
    const slots = new InsnSlotAllocator({ base: 0x1000n });
    expect(slots.end).toBe(0x1000n + 64n * 32n);
    expect(codeOf(() => slots.free(0x1000n))).toBe('NOT_REGISTERED');
    slots.alloc();
    expect(codeOf(() => slots.free(0x1008n))).toBe('NOT_REGISTERED');
    expect(codeOf(() => slots.free(0x800n))).toBe('NOT_REGISTERED');
  });
});

describe('KprobeManager misuse', () => {
  it('gives typed errors with structured fields', () => {
    const m = machine();
    const mgr = manager(m);
    expect(codeOf(() => mgr.registerKprobe({ address: sym('f_add') + 2n }))).toBe(
      'UNALIGNED_ADDRESS',
    );
    expect(codeOf(() => mgr.registerKprobe({ symbol: 'f_add', offset: 1 }))).toBe(
      'UNALIGNED_ADDRESS',
    );
    expect(codeOf(() => mgr.registerKprobe({ address: 0x1000n }))).toBe('UNKNOWN_ADDRESS');
    expect(codeOf(() => mgr.registerKprobe({ symbol: 'no_such_function' }))).toBe(
      'SYMBOL_NOT_FOUND',
    );
    expect(codeOf(() => mgr.registerKprobe({}))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => mgr.registerKprobe({ address: 0n, symbol: 'f_add' }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => mgr.registerKretprobe({ symbol: 'f_add', maxactive: 0 }))).toBe(
      'BAD_ARGUMENT',
    );
    expect(codeOf(() => mgr.registerKprobe({ address: SLOT_BASE + 32n }))).toBe('RESERVED_ADDRESS');
    const p = mgr.registerKprobe({ name: 'one', symbol: 'f_add', offset: 4 });
    expect(p.address).toBe(sym('f_add') + 4n);
    expect(p.symbol).toBe('f_add');
    let err: unknown;
    try {
      mgr.registerKprobe({ name: 'one', symbol: 'f_ret' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'DUPLICATE_PROBE',
      probe: 'one',
      symbol: 'f_ret',
      address: sym('f_ret'),
    });
    mgr.unregister(p);
    expect(codeOf(() => mgr.unregister(p))).toBe('NOT_REGISTERED');
    expect(codeOf(() => mgr.enable(p))).toBe('NOT_REGISTERED');
    expect(codeOf(() => mgr.disable(p))).toBe('NOT_REGISTERED');
    const other = manager(machine());
    const q = other.registerKprobe({ symbol: 'f_add' });
    expect(codeOf(() => mgr.unregister(q))).toBe('NOT_REGISTERED');
    expect(
      codeOf(
        () =>
          new KprobeManager({
            memory: m.probeMem,
            slots: { base: SLOT_BASE },
            trampoline: 0x1002n,
          }),
      ),
    ).toBe('UNALIGNED_ADDRESS');
  });

  it('reports slot exhaustion and leaves the code untouched', () => {
    const m = machine();
    const mgr = manager(m, { slots: { base: SLOT_BASE, count: 2 } });
    mgr.registerKprobe({ symbol: 'p_add' });
    mgr.registerKprobe({ symbol: 'p_str' });
    mgr.registerKprobe({ symbol: 'p_b' }); // simulated: needs no slot
    mgr.registerKprobe({ symbol: 'p_add' }); // shares the first point
    const before = m.probeMem.readInsn(sym('p_ldr'));
    let err: unknown;
    try {
      mgr.registerKprobe({ name: 'third', symbol: 'p_ldr' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SLOTS_EXHAUSTED' });
    expect(m.probeMem.readInsn(sym('p_ldr'))).toBe(before);
    expect(mgr.get('third')).toBeUndefined();
    expect(mgr.list().map((r) => [r.address, r.mode])).toEqual([
      [sym('p_add'), 'slot'],
      [sym('p_add'), 'slot'],
      [sym('p_str'), 'slot'],
      [sym('p_b'), 'simulated'],
    ]);
  });

  it('wraps simulated literal loads of unreadable memory as SIMULATION_FAULT', () => {
    const word = 0x58000000 | (0x40 << 5); // ldr x0, pc+0x100
    const mem: ProbeMemory = {
      readInsn: () => word,
      writeInsn: () => undefined,
      syncIcache: () => undefined,
      readData: () => {
        throw new Error('bus error');
      },
    };
    const mgr = new KprobeManager({ memory: mem, slots: { base: 0x9000_0000n } });
    mgr.registerKprobe({ address: 0x1000n });
    const x = new Array<bigint>(31).fill(0n);
    const regs = {
      getX: (i: number) => x[i]!,
      setX: (i: number, v: bigint) => {
        x[i] = v;
      },
      sp: 0n,
      pc: 0x1000n,
      pstate: 0,
    };
    let err: unknown;
    try {
      mgr.handleBrk(regs, 4);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SIMULATION_FAULT', address: 0x1000n });
  });

  it('writes BRK #4 at the point and [insn, BRK #6] in the slot, with i-cache maintenance', () => {
    const m = machine();
    const mgr = manager(m);
    const original = m.probeMem.readInsn(sym('p_add'));
    const syncs = m.probeMem.icacheSyncs;
    const p = mgr.registerKprobe({ symbol: 'p_add' });
    expect(m.probeMem.readInsn(sym('p_add'))).toBe(0xd4200080);
    expect(m.probeMem.readInsn(SLOT_BASE)).toBe(original);
    expect(m.probeMem.readInsn(SLOT_BASE + 4n)).toBe(0xd42000c0);
    expect(m.probeMem.icacheSyncs - syncs).toBe(2); // the slot, then the point
    mgr.unregister(p);
    expect(m.probeMem.readInsn(sym('p_add'))).toBe(original);
    expect(RAM_BASE).toBe(0x4000_0000n);
  });
});

describe('re-entry', () => {
  it('counts a hit during another step as missed and steps it without handlers', () => {
    const m = machine();
    const mgr = manager(m);
    const calls: string[] = [];
    const a = mgr.registerKprobe({
      symbol: 'p_add',
      preHandler: () => {
        calls.push('a-pre');
      },
      postHandler: () => {
        calls.push('a-post');
      },
    });
    const b = mgr.registerKprobe({
      symbol: 'p_str',
      preHandler: () => {
        calls.push('b-pre');
      },
      postHandler: () => {
        calls.push('b-post');
      },
    });
    const x = new Array<bigint>(31).fill(0n);
    const regs = {
      getX: (i: number) => x[i]!,
      setX: (i: number, v: bigint) => {
        x[i] = v;
      },
      sp: 0n,
      pc: sym('p_add'),
      pstate: 0x9,
    };
    expect(mgr.handleBrk(regs, 4)).toBe(true); // a: pre-handler, into a's slot with DAIF masked
    expect(regs.pc).toBe(mgr.slotOf(a));
    expect(regs.pstate).toBe(0x3c9);
    regs.pc = sym('p_str'); // say an exception taken from the slot runs code probed by b
    expect(mgr.handleBrk(regs, 4)).toBe(true);
    expect(regs.pc).toBe(mgr.slotOf(b));
    regs.pc = mgr.slotOf(b)! + 4n;
    expect(mgr.handleBrk(regs, 6)).toBe(true);
    expect(regs.pc).toBe(sym('p_str') + 4n);
    regs.pc = mgr.slotOf(a)! + 4n;
    expect(mgr.handleBrk(regs, 6)).toBe(true);
    expect(regs.pc).toBe(sym('p_add') + 4n);
    expect(regs.pstate).toBe(0x9);
    expect(calls).toEqual(['a-pre', 'a-post']);
    expect([a.hits, a.missed, b.hits, b.missed]).toEqual([1, 0, 0, 1]);
  });
});

describe('unregistering during a step', () => {
  it('keeps the slot until its BRK #6 is reached, then frees it', () => {
    const m = machine();
    const mgr = manager(m);
    const original = m.probeMem.readInsn(sym('p_add'));
    const posts: bigint[] = [];
    const a = mgr.registerKprobe({
      symbol: 'p_add',
      postHandler: (_p, r) => {
        posts.push(r.pc);
      },
    });
    const slot = mgr.slotOf(a)!;
    const x = new Array<bigint>(31).fill(0n);
    const regs = {
      getX: (i: number) => x[i]!,
      setX: (i: number, v: bigint) => {
        x[i] = v;
      },
      sp: 0n,
      pc: sym('p_add'),
      pstate: 0x9,
    };
    expect(mgr.handleBrk(regs, 4)).toBe(true);
    mgr.unregister(a);
    expect(m.probeMem.readInsn(sym('p_add'))).toBe(original);
    expect(mgr.slots.inUseCount).toBe(1);
    regs.pc = slot + 4n;
    expect(mgr.handleBrk(regs, 6)).toBe(true);
    expect([regs.pc, regs.pstate]).toEqual([sym('p_add') + 4n, 0x9]);
    expect(posts).toEqual([]);
    expect(mgr.slots.inUseCount).toBe(0);
    regs.pc = slot + 4n;
    expect(mgr.handleBrk(regs, 6)).toBe(false);
  });
});

describe('code writes that fail', () => {
  it('report WRITE_FAILED and leave nothing registered or allocated', () => {
    const m = machine();
    const readOnly = sym('p_add');
    const memory: ProbeMemory = {
      readInsn: (a) => m.probeMem.readInsn(a),
      writeInsn: (a, w) => {
        if (a === readOnly) throw new Error('text is read-only');
        m.probeMem.writeInsn(a, w);
      },
      syncIcache: () => undefined,
      readData: (a, n) => m.probeMem.readData(a, n),
    };
    const mgr = new KprobeManager({
      memory,
      slots: { base: SLOT_BASE },
      resolveSymbol: (n) => sym(n),
    });
    let err: unknown;
    try {
      mgr.registerKprobe({ name: 'ro', symbol: 'p_add' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'WRITE_FAILED', address: readOnly });
    expect(mgr.slots.inUseCount).toBe(0);
    expect(mgr.list()).toEqual([]);
    expect(mgr.get('ro')).toBeUndefined();
    const q = mgr.registerKprobe({ name: 'ro', symbol: 'p_str' }); // the name is free again
    expect(q.registered).toBe(true);
    const off = mgr.registerKprobe({ symbol: 'p_add', enabled: false }); // registering disabled writes nothing there
    expect(codeOf(() => mgr.enable(off))).toBe('WRITE_FAILED');
    expect(off.enabled).toBe(false);
  });
});
