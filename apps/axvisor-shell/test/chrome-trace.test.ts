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

const built = existsSync(
  fileURLToPath(new URL('../../../packages/axebpf/dist/index.js', import.meta.url)),
);

/**
 * The format's rules (Trace Event Format, the JSON object form): each event has a name, a `ph`
 * this trace uses, integer pid and tid, `ts` in microseconds (finite, not negative) except for
 * metadata; X has a `dur` >= 0; i has a scope; C has numeric args; M is a process/thread name or
 * sort index with its arg. Slices (X) on one thread nest: none starts inside another and ends
 * after it. Every pid and (pid, tid) with events is named.
 * @returns the problems found (empty when the trace follows the rules).
 */
function formatProblems(trace: {
  traceEvents: TraceEventJson[];
  displayTimeUnit?: string;
}): string[] {
  const problems: string[] = [];
  const processNames = new Set<number>();
  const threadNames = new Set<string>();
  const slices = new Map<string, { ts: number; end: number; name: string }[]>();
  if (!Array.isArray(trace.traceEvents)) return ['traceEvents is not an array'];
  if (trace.displayTimeUnit !== undefined && !['ms', 'ns'].includes(trace.displayTimeUnit))
    problems.push(`displayTimeUnit ${trace.displayTimeUnit}`);
  for (const [i, e] of trace.traceEvents.entries()) {
    const where = `event ${i} (${e.ph} ${e.name})`;
    if (typeof e.name !== 'string' || e.name === '') problems.push(`${where}: no name`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid))
      problems.push(`${where}: pid/tid not integers`);
    if (!['X', 'i', 'C', 'M'].includes(e.ph)) problems.push(`${where}: unexpected ph`);
    if (e.ph === 'M') {
      const key = e.name === 'process_name' || e.name === 'thread_name' ? 'name' : 'sort_index';
      if (
        !['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index'].includes(e.name)
      )
        problems.push(`${where}: unknown metadata`);
      if (e.args?.[key] === undefined) problems.push(`${where}: metadata without args.${key}`);
      if (e.name === 'process_name') processNames.add(e.pid);
      if (e.name === 'thread_name') threadNames.add(`${e.pid}/${e.tid}`);
      continue;
    }
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0)
      problems.push(`${where}: ts ${e.ts}`);
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || !Number.isFinite(e.dur) || e.dur < 0)
        problems.push(`${where}: dur ${e.dur}`);
      const list = slices.get(`${e.pid}/${e.tid}`) ?? [];
      list.push({ ts: e.ts!, end: e.ts! + e.dur!, name: e.name });
      slices.set(`${e.pid}/${e.tid}`, list);
    }
    if (e.ph === 'i' && !['t', 'p', 'g'].includes(e.s ?? ''))
      problems.push(`${where}: instant without scope`);
    if (
      e.ph === 'C' &&
      (e.args === undefined || Object.values(e.args).some((v) => typeof v !== 'number'))
    )
      problems.push(`${where}: counter args not numeric`);
  }
  for (const e of trace.traceEvents) {
    if (e.ph === 'M') continue;
    if (!processNames.has(e.pid)) problems.push(`pid ${e.pid} has no process_name`);
    if (e.ph !== 'C' && !threadNames.has(`${e.pid}/${e.tid}`))
      problems.push(`thread ${e.pid}/${e.tid} has no thread_name`);
  }
  const eps = 1e-6; // µs, for float rounding of ns / 1000
  for (const [thread, list] of slices) {
    list.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: { end: number; name: string }[] = [];
    for (const s of list) {
      while (stack.length > 0 && stack.at(-1)!.end <= s.ts + eps) stack.pop();
      const parent = stack.at(-1);
      if (parent !== undefined && s.end > parent.end + eps)
        problems.push(
          `thread ${thread}: ${s.name} at ${s.ts} overlaps ${parent.name} ending ${parent.end}`,
        );
      stack.push(s);
    }
  }
  return [...new Set(problems)];
}

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
