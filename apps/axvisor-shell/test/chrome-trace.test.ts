// The demo's Chrome trace, checked against the JSON Trace Event Format's rules (Perfetto's trace
// processor is not published on npm, so it cannot load the trace here) and against what a
// Perfetto user expects to see: a process per VM, a named thread per vCPU, exits named by
// AxVisor's reason with their fields, the EL2 hypervisor and the probes on their own tracks, and
// an exits/s counter per VM.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_REASON_CODE } from '@axebpf/axvisor-vmm';
import { describe, expect, it } from 'vitest';
import { HYPERVISOR_PID, VM_PID_BASE } from '../src/chrome-trace.js';
import type { TraceEventJson } from '../src/chrome-trace.js';
import { runMainJob } from '../src/main-job.js';
import { formatProblems } from './trace-format.js';

const built = existsSync(
  fileURLToPath(new URL('../../../packages/axebpf/dist/index.js', import.meta.url)),
);

describe('formatProblems (the format rules the trace is checked against)', () => {
  it('finds an unnamed thread, a missing dur and overlapping slices', () => {
    const bad: TraceEventJson[] = [
      { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'p' } },
      { name: 'a', ph: 'X', ts: 0, dur: 10, pid: 1, tid: 5 },
      { name: 'b', ph: 'X', ts: 5, dur: 10, pid: 1, tid: 5 },
      { name: 'c', ph: 'X', ts: 5, pid: 1, tid: 5 },
    ];
    const p = formatProblems({ traceEvents: bad });
    expect(p).toContain('thread 1/5 has no thread_name');
    expect(p.some((x) => x.includes('dur undefined'))).toBe(true);
    expect(p.some((x) => x.includes('b at 5 overlaps a'))).toBe(true);
  });
});

describe.skipIf(!built)('the demo trace, as Perfetto shows it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axvisor-trace-'));
  const result = runMainJob({ durationNs: 200_000_000n, traceFile: join(dir, 'trace.json') });
  const trace = JSON.parse(readFileSync(result.traceFile, 'utf8')) as {
    traceEvents: TraceEventJson[];
    displayTimeUnit: string;
  };
  const events = trace.traceEvents;
  const threadName = new Map(
    events.filter((e) => e.name === 'thread_name').map((e) => [e.tid, String(e.args!['name'])]),
  );
  const processName = new Map(
    events.filter((e) => e.name === 'process_name').map((e) => [e.pid, String(e.args!['name'])]),
  );
  const vmIds = [...processName.keys()].filter((p) => p >= VM_PID_BASE).map((p) => p - VM_PID_BASE);

  it('follows the JSON Trace Event Format', () => {
    expect(formatProblems(trace)).toEqual([]);
  });

  it('has one process per VM and one for the hypervisor, each named', () => {
    expect(processName.get(HYPERVISOR_PID)).toBe('axvisor hypervisor (EL2)');
    expect(vmIds.length).toBeGreaterThanOrEqual(7);
    for (const vm of vmIds) expect(processName.get(VM_PID_BASE + vm)).toBe(`vm${vm}`);
  });

  it('puts guest run slices and exits on one named thread per vCPU, in its VM', () => {
    const runs = events.filter((e) => e.cat === 'vcpu' && e.ph === 'X');
    const exits = events.filter((e) => e.cat === 'exit');
    expect(runs.length).toBeGreaterThan(100);
    expect(exits.length).toBeGreaterThan(100);
    const vcpuThreads = new Set<string>();
    for (const e of [...runs, ...exits]) {
      const name = threadName.get(e.tid)!;
      const m = /^vm(\d+) vcpu(\d+)$/.exec(name);
      expect({ name, vcpuThread: m !== null }).toEqual({ name, vcpuThread: true });
      expect(VM_PID_BASE + Number(m![1])).toBe(e.pid);
      vcpuThreads.add(name);
    }
    // the cluster guest's four vCPUs each have their own track
    for (const v of [0, 1, 2, 3]) expect(vcpuThreads.has(`vm8 vcpu${v}`)).toBe(true);
  });

  it('names exits by AxVisor reason, with the record fields as args', () => {
    const exits = events.filter((e) => e.cat === 'exit');
    const reasons = new Set<string>();
    for (const e of exits) {
      const code = EXIT_REASON_CODE[e.name as keyof typeof EXIT_REASON_CODE];
      expect({ name: e.name, known: code !== undefined }).toEqual({ name: e.name, known: true });
      expect(e.args).toMatchObject({ exit_reason: code, vm_id: e.pid - VM_PID_BASE });
      expect(String(e.args!['pc'])).toMatch(/^0x[0-9a-f]+$/);
      expect(typeof e.args!['guest_ns']).toBe('number');
      reasons.add(e.name);
    }
    expect([...reasons]).toEqual(
      expect.arrayContaining(['Hypercall', 'SystemDown', 'Halt', 'SendIPI', 'ExternalInterrupt']),
    );
  });

  it('shows the EL2 handling of each exit on the hypervisor, one track per physical CPU', () => {
    const el2 = events.filter((e) => e.cat === 'el2');
    expect(el2.length).toBe(events.filter((e) => e.cat === 'exit').length);
    for (const e of el2) {
      expect(e.pid).toBe(HYPERVISOR_PID);
      expect(threadName.get(e.tid)).toMatch(/^pcpu\d+ EL2$/);
      expect(e.name).toMatch(/^handle [A-Za-z]+$/);
    }
  });

  it('puts each probe type on its own named tracks: hypervisor probes in the hypervisor, guest probes in their VM', () => {
    const byType = (t: string) => events.filter((e) => e.cat === t);
    for (const t of ['hprobe', 'hretprobe']) {
      expect(byType(t).length).toBeGreaterThan(0);
      for (const e of byType(t)) {
        expect(e.pid).toBe(HYPERVISOR_PID);
        expect(threadName.get(e.tid)).toMatch(new RegExp(`^${t} \\(pcpu\\d+\\)$`));
      }
    }
    // return probes are slices from entry to return
    expect(byType('hretprobe').every((e) => e.ph === 'X' && e.dur! > 0)).toBe(true);
    expect(byType('kprobe').length).toBeGreaterThan(0);
    for (const e of [...byType('kprobe'), ...byType('kretprobe')]) {
      expect(threadName.get(e.tid)).toMatch(
        new RegExp(`^vm${e.pid - VM_PID_BASE} vcpu\\d+ ${e.cat}$`),
      );
    }
  });

  it('has an exits/s counter track per VM whose samples add up to the VM exits', () => {
    const interval = 0.01; // s, the default counter interval
    for (const vm of vmIds) {
      const exits = events.filter((e) => e.cat === 'exit' && e.pid === VM_PID_BASE + vm).length;
      const samples = events.filter((e) => e.ph === 'C' && e.pid === VM_PID_BASE + vm);
      if (exits === 0) continue;
      expect(samples.every((e) => e.name === 'exits/s')).toBe(true);
      const total = samples.reduce((n, e) => n + Number(e.args!['exits/s']) * interval, 0);
      expect(Math.round(total)).toBe(exits);
    }
  });
});
