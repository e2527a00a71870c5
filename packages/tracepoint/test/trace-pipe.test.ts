import { describe, expect, it } from 'vitest';
import { ManualTraceHost, TracePipe, TracepointManager, latencyFlags } from '../src/index.js';

function setup(opts: ConstructorParameters<typeof TracePipe>[0] = {}) {
  const host = new ManualTraceHost({ timeNs: 1_000_000_000n, comm: 'axvisor' });
  const mgr = new TracepointManager({ host, pipe: opts });
  const tp = mgr.define({
    system: 'vmm',
    name: 'timer_tick',
    fields: [['timestamp', 'u64']],
    print: 'ts=%llu',
  } as const);
  mgr.enable('vmm:timer_tick');
  return { host, mgr, tp };
}

describe('trace pipe text', () => {
  it('formats lines like trace_pipe with the fire-time timestamp', () => {
    const { host, mgr, tp } = setup();
    host.currentPid = 1234;
    host.advance(234_567_891n);
    tp.emit(7);
    // Reading later does not change the time printed (the Rust original read the clock here).
    host.advance(5_000_000_000n);
    expect(mgr.pipe.readText()).toBe(
      '         axvisor-1234    [000] .....     1.234567: vmm:timer_tick: ts=7\n',
    );
    expect(mgr.pipe.readText()).toBe('');
  });

  it('merges CPUs in timestamp order', () => {
    const { host, mgr, tp } = setup();
    host.cpu = 1;
    host.time = 3_000n;
    tp.emit(1);
    host.cpu = 0;
    host.time = 2_000n;
    tp.emit(2);
    host.cpu = 2;
    host.time = 2_500n;
    tp.emit(3);
    expect(mgr.pipe.read().map((e) => [e.cpu, e.timeNs])).toEqual([
      [0, 2000n],
      [2, 2500n],
      [1, 3000n],
    ]);
  });

  it('overwrites the oldest entries and reports lost events once', () => {
    const { host, mgr, tp } = setup({ entriesPerCpu: 2, mode: 'overwrite' });
    for (let i = 1; i <= 5; i++) {
      host.advance(1000n);
      tp.emit(i);
    }
    expect(mgr.pipe.lost()).toBe(3);
    expect(mgr.pipe.lost(0)).toBe(3);
    const text = mgr.pipe.readText();
    expect(text.split('\n')[0]).toBe('CPU:0 [LOST 3 EVENTS]');
    expect(text).toContain('ts=4\n');
    expect(text).toContain('ts=5\n');
    expect(text).not.toContain('ts=3\n');
    tp.emit(6);
    expect(mgr.pipe.readText()).not.toContain('LOST');
  });

  it('drops the newest entries in drop-newest mode', () => {
    const { mgr, tp } = setup({ entriesPerCpu: 2, mode: 'drop-newest' });
    for (let i = 1; i <= 4; i++) tp.emit(i);
    expect(mgr.pipe.read().map((e) => e.event.decode(e.record)['timestamp'])).toEqual([1n, 2n]);
    expect(mgr.pipe.lost()).toBe(2);
  });

  it('shows the trace file header without consuming', () => {
    const { mgr, tp } = setup();
    tp.emit(1);
    tp.emit(2);
    const snap = mgr.pipe.snapshotText(4);
    expect(snap.split('\n').slice(0, 3)).toEqual([
      '# tracer: nop',
      '#',
      '# entries-in-buffer/entries-written: 2/2   #P:4',
    ]);
    expect(snap.match(/vmm:timer_tick/g)).toHaveLength(2);
    expect(mgr.pipe.size).toBe(2);
    mgr.pipe.clear();
    expect(mgr.pipe.size).toBe(0);
  });

  it('spells latency flags like Linux', () => {
    expect(latencyFlags(0, 0)).toBe('.....');
    expect(latencyFlags(0x01 | 0x04 | 0x20 | 0x08, 1)).toBe('dNh1.');
    expect(latencyFlags(0x02 | 0x04 | 0x10, 0x2f)).toBe('Xnsf2');
    expect(latencyFlags(0x40 | 0x08, 0)).toBe('..Z..');
  });

  it('rejects a zero-sized ring', () => {
    expect(() => new TracePipe({ entriesPerCpu: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
