// SPDX-License-Identifier: MIT
// The host sees BRKs the way the EL2 hypervisor does: the program's own vector saves a
// struct pt_regs frame and calls the host, which runs the manager on TrapFrameRegs.
import { describe, expect, it } from 'vitest';
import {
  KprobeError,
  PT_REGS_MIN_SIZE,
  PT_REGS_OFFSET,
  TrapFrameRegs,
  handleTrapFrame,
} from '../src/index.js';
import {
  expected,
  machine,
  manager,
  results,
  runToEnd,
  snapshot,
  successors,
  summary,
  sym,
  timesExecuted,
  trapFrameMode,
  unprobed,
  withoutStack,
} from './harness.js';

const LABELS = [
  'p_add',
  'p_ldr',
  'p_stp',
  'p_mrs',
  'p_bl',
  'p_bcond',
  'p_cbz',
  'p_tbz',
  'p_blr',
  'p_ret',
  'p_ldrx',
  'p_ldrsw',
  'p_adrp',
];

describe('BRK handling through a trap frame at EL2', () => {
  it.each(LABELS)('%s gives the unprobed results and registers', (label) => {
    const m = machine();
    const mgr = manager(m);
    const esrs: number[] = [];
    trapFrameMode(m, mgr, (esr) => esrs.push(esr));
    const pre: bigint[] = [];
    const post: bigint[] = [];
    const p = mgr.registerKprobe({
      symbol: label,
      preHandler: (_p, r) => {
        pre.push(r.pc);
      },
      postHandler: (_p, r) => {
        post.push(r.pc);
      },
    });
    runToEnd(m);
    const times = timesExecuted(sym(label));
    expect(p.hits).toBe(times);
    expect(pre).toEqual(Array(times).fill(sym(label)));
    expect(post).toEqual(successors(sym(label)));
    const stepped = mgr.slotOf(p) !== undefined;
    // EC 0x3C (BRK), IL, imm 4 at the probe; imm 6 at the end of the slot
    const want = stepped ? [0xf2000004, 0xf2000006] : [0xf2000004];
    expect(esrs).toEqual(Array.from({ length: times }, () => want).flat());
    mgr.unregister(p);
    // the vector's frames are left below SP, so the stack region differs
    const ref = withoutStack(unprobed().snap);
    expect(summary(withoutStack(snapshot(m)), ref)).toEqual(expected(ref));
  });

  it('runs kretprobes through the frame (LR rewritten in the saved x30)', () => {
    const m = machine();
    const mgr = manager(m);
    trapFrameMode(m, mgr);
    const returns: bigint[] = [];
    mgr.registerKretprobe({
      symbol: 'f_fact',
      maxactive: 4,
      returnHandler: ({ returnValue }) => {
        returns.push(returnValue);
      },
    });
    runToEnd(m);
    expect(returns).toEqual([2n, 6n, 24n, 120n, 1n, 2n, 6n]);
    expect(results(m).slice(22, 24)).toEqual([120n, 6n]);
  });

  it('leaves a BRK that is not a probe to the host (handled = false)', () => {
    const m = machine();
    const mgr = manager(m);
    const frame = new TrapFrameRegs(new Uint8Array(PT_REGS_MIN_SIZE));
    frame.pc = sym('r_brk');
    expect(mgr.handleException(frame, 0xf2000001)).toBe(false);
    frame.pc = sym('p_add');
    expect(mgr.handleException(frame, 0xf2000004)).toBe(false); // no probe there
    expect(mgr.handleException(frame, 0x96000045)).toBe(false); // a data abort
  });
});

describe('TrapFrameRegs', () => {
  it('uses the struct pt_regs layout', () => {
    const bytes = new Uint8Array(288);
    const r = new TrapFrameRegs(bytes);
    for (let i = 0; i < 31; i++) r.setX(i, BigInt(i + 1) * 0x0101010101010101n);
    r.sp = 0x1111n;
    r.pc = 0x2222n;
    r.pstate = 0x600003c9;
    const v = new DataView(bytes.buffer);
    expect(v.getBigUint64(0, true)).toBe(0x0101010101010101n);
    expect(v.getBigUint64(240, true)).toBe(31n * 0x0101010101010101n);
    expect([PT_REGS_OFFSET.SP, PT_REGS_OFFSET.PC, PT_REGS_OFFSET.PSTATE]).toEqual([248, 256, 264]);
    expect(v.getBigUint64(248, true)).toBe(0x1111n);
    expect(v.getBigUint64(256, true)).toBe(0x2222n);
    expect(v.getBigUint64(264, true)).toBe(0x600003c9n);
    expect(r.getX(30)).toBe(31n * 0x0101010101010101n);
    r.setX(0, -1n);
    expect(r.getX(0)).toBe(0xffffffffffffffffn);
  });

  it('rejects short buffers and bad register numbers', () => {
    expect(() => new TrapFrameRegs(new Uint8Array(271))).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT' }),
    );
    const r = new TrapFrameRegs(new Uint8Array(272));
    let err: unknown;
    try {
      r.getX(31);
    } catch (e) {
      err = e;
    }
    expect(KprobeError.isInstance(err) && err.code).toBe('BAD_ARGUMENT');
  });
});

describe('handleTrapFrame', () => {
  it('fixes up a fault of a stepped instruction in the frame (PC back to the probe)', () => {
    const m = machine();
    const mgr = manager(m);
    const frameAt = sym('buffer');
    const p = mgr.registerKprobe({ symbol: 'p_ldr' });
    const frame = new TrapFrameRegs(new Uint8Array(PT_REGS_MIN_SIZE));
    frame.pc = sym('p_ldr');
    frame.pstate = 0x9;
    frame.writeTo(m.mem, frameAt);
    expect(handleTrapFrame(mgr, m.mem, frameAt, 0xf2000004)).toBe('handled');
    expect(TrapFrameRegs.read(m.mem, frameAt).pc).toBe(mgr.slotOf(p));
    expect(handleTrapFrame(mgr, m.mem, frameAt, 0x96000045)).toBe('fault-fixed-up'); // data abort in the slot
    const after = TrapFrameRegs.read(m.mem, frameAt);
    expect([after.pc, after.pstate]).toEqual([sym('p_ldr'), 0x9]);
    expect(handleTrapFrame(mgr, m.mem, frameAt, 0x96000045)).toBe('not-ours'); // not in a slot any more
    expect(handleTrapFrame(mgr, m.mem, frameAt, 0xf2000001)).toBe('not-ours');
  });
});
