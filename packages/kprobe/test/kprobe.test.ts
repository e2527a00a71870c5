// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { Cpu } from '@axebpf/aarch64-emu';
import { KprobeError, attachToCpu, decodeProbeInsn } from '../src/index.js';
import type { PtRegs } from '../src/index.js';
import {
  RAM_BASE,
  SLOT_BASE,
  expected,
  firstDifference,
  hookMode,
  machine,
  manager,
  results,
  runToEnd,
  snapshot,
  successors,
  summary,
  sym,
  timesExecuted,
  unprobed,
  withoutStack,
} from './harness.js';

const STEPPABLE = [
  'p_add',
  'p_str',
  'p_ldr',
  'p_stp',
  'p_ldp',
  'p_nop',
  'p_bti',
  'p_mrs',
  'p_dmb',
  'p_mov',
  'p_madd',
  'p_cmp',
  'p_csel',
  'p_fact',
  'p_sum4',
];
const SIMULATED: Record<string, string> = {
  p_adr: 'adr',
  p_adrp: 'adrp',
  p_b: 'b',
  p_bl: 'bl',
  p_bcond: 'b.cond',
  p_cbz: 'cbz',
  p_cbnz: 'cbnz',
  p_tbz: 'tbz',
  p_tbnz: 'tbnz',
  p_br: 'br',
  p_blr: 'blr',
  p_ret: 'ret',
  p_ldrx: 'ldr-literal',
  p_ldrw: 'ldr-literal',
  p_ldrsw: 'ldrsw-literal',
};
const REJECTED: Record<string, string> = {
  r_ldxr: 'exclusive',
  r_atomic: 'atomic-sequence',
  r_stxr: 'exclusive',
  r_ldar: 'exclusive',
  r_stlr: 'exclusive',
  r_msr_imm: 'msr',
  r_msr_reg: 'msr',
  r_mrs_daif: 'mrs-daif',
  r_svc: 'exception',
  r_hvc: 'exception',
  r_smc: 'exception',
  r_brk: 'exception',
  r_hlt: 'exception',
  r_eret: 'eret',
  r_wfi: 'hint',
  r_wfe: 'hint',
  r_yield: 'hint',
  r_sev: 'hint',
  r_prfm_lit: 'literal',
  r_fp_lit: 'literal',
  r_udf: 'undecodable',
};

describe('the test program', () => {
  it('computes the expected results without probes', () => {
    const m = machine();
    runToEnd(m);
    const r = results(m);
    expect(r[0]).toBe(10n);
    expect(r[1]).toBe(0xa00n);
    expect(r[2]).toBe(0x1234n * 2n + 1n);
    expect(r[3]).toBe(sym('adr_target'));
    expect(r[4]).toBe(sym('far_page'));
    expect(r[5]).toBe(6n);
    expect(r[6]).toBe(101n);
    expect(r.slice(7, 17)).toEqual([20n, 10n, 2n, 1n, 3n, 4n, 5n, 6n, 8n, 7n]);
    expect(r[17]).toBe(107n);
    expect(r[18]).toBe(4n);
    expect(r[19]).toBe(42n);
    expect(r[20]).toBe(BigInt.asUintN(64, 0x1122334455667788n + 0xdeadbeefn - 0x7fffffffn));
    expect(r[22]).toBe(120n);
    expect(r[23]).toBe(6n);
    expect(r[24]).toBe(0x2c21160bn);
    expect(r[25]).toBe(4n);
  });
});

describe('probe on each class of displaced instruction', () => {
  const cases = [
    ...STEPPABLE.map((l) => [l, 'steppable'] as const),
    ...Object.keys(SIMULATED).map((l) => [l, 'simulated'] as const),
  ];
  it.each(cases)(
    '%s (%s) leaves registers and memory exactly as the unprobed run',
    (label, kind) => {
      const address = sym(label);
      const cls = decodeProbeInsn(unprobedWord(address), address);
      expect(cls.kind).toBe(kind);
      if (cls.kind === 'simulated') expect(cls.sim.op).toBe(SIMULATED[label]);
      const m = machine();
      const mgr = manager(m);
      hookMode(m, mgr);
      const prePcs: bigint[] = [];
      const postPcs: bigint[] = [];
      const probe = mgr.registerKprobe({
        symbol: label,
        preHandler: (_p, regs) => {
          prePcs.push(regs.pc);
        },
        postHandler: (_p, regs) => {
          postPcs.push(regs.pc);
        },
      });
      expect(m.probeMem.readInsn(address)).toBe(0xd4200080);
      expect(mgr.slotOf(probe) === undefined).toBe(kind === 'simulated');
      runToEnd(m);
      const times = timesExecuted(address);
      expect(times).toBeGreaterThan(0);
      expect(probe.hits).toBe(times);
      expect(prePcs).toEqual(Array(times).fill(address));
      expect(postPcs).toEqual(successors(address));
      mgr.unregister(probe);
      expect(summary(snapshot(m), unprobed().snap)).toEqual(expected(unprobed().snap));
      // a stepped instruction costs the BRK #4 and the BRK #6; a simulated one only the BRK #4
      expect(m.cpu.insnCount - unprobed().insns).toBe(kind === 'steppable' ? times * 2 : 0);
    },
  );
});

function unprobedWord(address: bigint): number {
  const m = machine();
  return m.probeMem.readInsn(address);
}

describe('rejected instructions', () => {
  it.each(Object.entries(REJECTED))(
    '%s is rejected (%s) and nothing is patched',
    (label, reason) => {
      const m = machine();
      const mgr = manager(m, { functionStart: () => sym('f_rejected') });
      const before = m.mem.read(RAM_BASE, 1 << 20);
      const address = sym(label);
      let err: unknown;
      try {
        mgr.registerKprobe({ address });
      } catch (e) {
        err = e;
      }
      expect(KprobeError.isInstance(err)).toBe(true);
      const e = err as KprobeError;
      expect(e.code).toBe('REJECTED_INSN');
      expect(e.reason).toBe(reason);
      expect(e.address).toBe(address);
      expect(e.insn).toBe(m.probeMem.readInsn(address));
      expect(typeof e.text).toBe('string');
      expect(firstDifference(m.mem.read(RAM_BASE, 1 << 20), before)).toBe(-1);
      expect(mgr.slots.inUseCount).toBe(0);
      expect(mgr.list()).toEqual([]);
    },
  );

  it('steps FP/SIMD instructions out of line (the emulator executes them), as Linux does', () => {
    const m = machine();
    expect(decodeProbeInsn(m.probeMem.readInsn(sym('r_fadd'))).kind).toBe('steppable');
  });

  it('rejects an LSE atomic where the probed CPU has no LSE (cortex-a57), and steps it on one that has', () => {
    const LDADD = 0xf8200020; // ldadd x0, x0, [x1]
    expect(decodeProbeInsn(LDADD).kind).toBe('steppable');
    expect(decodeProbeInsn(LDADD, 0n, { model: 'cortex-a57' })).toMatchObject({
      kind: 'rejected',
      reason: 'undecodable',
    });
    const m = machine();
    const address = sym('r_fadd');
    m.probeMem.writeInsn(address, LDADD);
    expect(() => manager(m, { cpuModel: 'cortex-a57' }).registerKprobe({ address })).toThrow(
      expect.objectContaining({ code: 'REJECTED_INSN', reason: 'undecodable' }),
    );
    const mgr = manager(m);
    expect(mgr.slotOf(mgr.registerKprobe({ address }))).toBe(SLOT_BASE);
  });

  it('gives the disassembly of the rejected instruction', () => {
    const m = machine();
    const mgr = manager(m);
    expect(() => mgr.registerKprobe({ symbol: 'r_svc' })).toThrow(
      expect.objectContaining({ code: 'REJECTED_INSN', text: 'svc\t#0x0' }),
    );
  });

  it('steps an instruction after the STXR that closes a sequence', () => {
    const m = machine();
    const mgr = manager(m, { functionStart: () => sym('f_rejected') });
    const p = mgr.registerKprobe({ symbol: 'r_after_stxr' });
    expect(mgr.slotOf(p)).toBe(SLOT_BASE);
  });
});

describe('handlers', () => {
  it('show the pre-handler the arguments the caller passed in x0..x3', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const seen: bigint[][] = [];
    mgr.registerKprobe({
      symbol: 'f_sum4',
      preHandler: (_p, r) => {
        seen.push([0, 1, 2, 3].map((i) => r.getX(i)));
      },
    });
    mgr.registerKprobe({
      symbol: 'f_add',
      preHandler: (_p, r) => {
        seen.push([0, 1, 2, 3].map((i) => r.getX(i)));
      },
    });
    runToEnd(m);
    expect(seen).toEqual([
      [1n, 2n, 3n, 4n],
      [0x100n, 0x200n, 0x300n, 0x400n],
      [10n, 20n, 30n, 40n],
      [1n, 1n, 1n, 1n],
      [11n, 22n, 33n, 44n],
    ]);
  });

  it('let a pre-handler change registers (the probed code sees the change)', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    mgr.registerKprobe({
      symbol: 'f_ret',
      preHandler: (_p, r) => {
        r.setX(0, r.getX(0) + 1000n);
      },
    });
    runToEnd(m);
    expect(results(m)[19]).toBe(1042n);
  });

  it('share one probe point between several probes (one patched word, one slot)', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const order: string[] = [];
    const a = mgr.registerKprobe({
      name: 'a',
      symbol: 'f_add',
      preHandler: () => {
        order.push('a-pre');
      },
      postHandler: () => {
        order.push('a-post');
      },
    });
    const b = mgr.registerKprobe({
      name: 'b',
      symbol: 'f_add',
      preHandler: () => {
        order.push('b-pre');
      },
    });
    const c = mgr.registerKprobe({
      name: 'c',
      symbol: 'p_add',
      enabled: false,
      preHandler: () => {
        order.push('c-pre');
      },
    });
    const r = mgr.registerKretprobe({
      name: 'r',
      symbol: 'f_add',
      returnHandler: ({ returnValue }) => {
        order.push(`ret=${returnValue}`);
      },
    });
    expect(mgr.slots.inUseCount).toBe(2); // one slot for the point, one for the trampoline
    expect(mgr.slotOf(a)).toBe(mgr.slotOf(b));
    runToEnd(m);
    const times = timesExecuted(sym('f_add'));
    expect(times).toBe(4);
    expect([a.hits, b.hits, c.hits, r.hits, r.returns]).toEqual([4, 4, 0, 4, 4]);
    expect(order.slice(0, 4)).toEqual(['a-pre', 'b-pre', 'a-post', 'ret=10']);
    for (const p of [a, b, c]) mgr.unregister(p);
    expect(mgr.isArmed(sym('f_add'))).toBe(true);
    mgr.unregister(r);
    expect(mgr.isArmed(sym('f_add'))).toBe(false);
    const ref = withoutStack(unprobed().snap);
    expect(summary(withoutStack(snapshot(m)), ref)).toEqual(expected(ref));
  });

  it('disable and enable re-patch the point; disabled probes do not count', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const original = m.probeMem.readInsn(sym('f_ret'));
    const p = mgr.registerKprobe({ symbol: 'f_ret', enabled: false });
    expect(p.enabled).toBe(false);
    expect(m.probeMem.readInsn(sym('f_ret'))).toBe(original);
    mgr.enable(p);
    expect(m.probeMem.readInsn(sym('f_ret'))).toBe(0xd4200080);
    mgr.disable(p);
    expect(m.probeMem.readInsn(sym('f_ret'))).toBe(original);
    runToEnd(m);
    expect(p.hits).toBe(0);
    expect(summary(snapshot(m), unprobed().snap)).toEqual(expected(unprobed().snap));
  });

  it('count hits equal to the number of calls (f_ret: 1 + 4 loop calls)', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const p = mgr.registerKprobe({ symbol: 'f_ret' });
    runToEnd(m);
    expect(p.hits).toBe(5);
    expect(p.missed).toBe(0);
  });

  it('report a throwing handler as HANDLER_FAILED with the cause', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const boom = new Error('boom');
    mgr.registerKprobe({
      name: 'bad',
      symbol: 'f_add',
      preHandler: () => {
        throw boom;
      },
    });
    let err: unknown;
    try {
      runToEnd(m);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'HANDLER_FAILED',
      probe: 'bad',
      address: sym('f_add'),
      cause: boom,
    });
  });

  it('unregister restores the original bytes byte for byte and frees the slot', () => {
    const m = machine();
    const mgr = manager(m);
    const before = m.mem.read(RAM_BASE, Number(SLOT_BASE - RAM_BASE));
    const probes = [...STEPPABLE, ...Object.keys(SIMULATED)].map((l) =>
      mgr.registerKprobe({ symbol: l }),
    );
    expect(mgr.slots.inUseCount).toBe(STEPPABLE.length);
    expect(firstDifference(m.mem.read(RAM_BASE, Number(SLOT_BASE - RAM_BASE)), before)).toBe(
      Number(sym('p_add') - RAM_BASE),
    );
    for (const p of probes) mgr.unregister(p);
    expect(firstDifference(m.mem.read(RAM_BASE, Number(SLOT_BASE - RAM_BASE)), before)).toBe(-1);
    expect(mgr.slots.inUseCount).toBe(0);
  });

  it('run all probes at once and still match the unprobed run', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const probes = [...STEPPABLE, ...Object.keys(SIMULATED)].map((l) =>
      mgr.registerKprobe({ symbol: l }),
    );
    runToEnd(m);
    for (const p of probes) expect(p.hits).toBe(timesExecuted(p.address));
    for (const p of probes) mgr.unregister(p);
    expect(summary(snapshot(m), unprobed().snap)).toEqual(expected(unprobed().snap));
  });
});

describe('faults in a slot', () => {
  it('move the PC back to the probe address and call the fault handler', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    const seen: bigint[] = [];
    let first = true;
    mgr.registerKprobe({
      symbol: 'p_ldr',
      // unmapped on the first hit: the stepped LDR aborts
      preHandler: (_p, r: PtRegs) => {
        if (first) r.setX(1, 0x1000n);
        first = false;
      },
      faultHandler: (_p, r) => {
        seen.push(r.pc);
        r.setX(1, sym('buffer'));
        return true;
      }, // retry with x1 fixed
    });
    runToEnd(m);
    expect(seen).toEqual([sym('p_ldr')]);
    expect(results(m)).toEqual(resultsOfUnprobed());
  });

  it('deliver an unhandled fault with ELR = the probe address', () => {
    const m = machine();
    const mgr = manager(m);
    hookMode(m, mgr);
    m.cpu.stopOnEl2 = true;
    mgr.registerKprobe({
      symbol: 'p_ldr',
      preHandler: (_p, r) => {
        r.setX(1, 0x1000n);
      },
    });
    m.cpu.run(100_000);
    const ELR_EL2 = (3 << 14) | (4 << 11) | (4 << 7) | (0 << 3) | 1;
    const ESR_EL2 = (3 << 14) | (4 << 11) | (5 << 7) | (2 << 3) | 0;
    expect(m.cpu.getSysReg(ELR_EL2)).toBe(sym('p_ldr'));
    expect(Number(m.cpu.getSysReg(ESR_EL2)) >>> 26).toBe(0x25); // data abort, same EL
    expect(m.cpu.pc).toBe(sym('vectors') + 0x200n);
    expect(m.cpu.getPstate() & 0x3c0).toBe(0x3c0);
  });
});

function resultsOfUnprobed(): bigint[] {
  const m = machine();
  runToEnd(m);
  return results(m);
}

describe('at EL1 (a kernel probing itself)', () => {
  function el1Run(probe: boolean): { results: bigint[]; hits: number } {
    const m = machine();
    const cpu = new Cpu({ memory: m.mem, highestEl: 1 });
    cpu.setPstate(0x3c5); // EL1h
    cpu.sp = sym('stack_top');
    cpu.pc = sym('main');
    cpu.setX(30, sym('done'));
    let hits = 0;
    if (probe) {
      const mgr = manager(m);
      attachToCpu(cpu, mgr);
      const probes = ['p_add', 'p_bl', 'p_bcond', 'p_ldrsw', 'f_fact'].map((l) =>
        mgr.registerKprobe({ symbol: l }),
      );
      const rp = mgr.registerKretprobe({ symbol: 'f_fact', maxactive: 2 });
      const why = cpu.run(1_000_000);
      expect([why, cpu.pc]).toEqual(['wfi', sym('done') + 4n]);
      hits = probes.reduce((n, p) => n + p.hits, 0) + rp.returns;
      expect(rp.missed).toBe(4);
    } else {
      expect(cpu.run(1_000_000)).toBe('wfi');
    }
    return { results: results(m), hits };
  }

  it('gives the same results with probes as without', () => {
    const plain = el1Run(false);
    const probed = el1Run(true);
    expect(probed.results).toEqual(plain.results);
    const expectedHits =
      ['p_add', 'p_bl', 'p_bcond', 'p_ldrsw', 'f_fact'].reduce(
        (n, l) => n + timesExecuted(sym(l)),
        0,
      ) + 4;
    expect(probed.hits).toBe(expectedHits);
  });
});
