// SPDX-License-Identifier: MIT
// bpftrace-tutorial-style one-liners on the simulated AxVisor, checked against the precompiled C
// programs vmexit_stats and latency_hist (and the runtime's own counters) on the same
// deterministic run, on both engines.

import { beforeAll, describe, expect, it } from 'vitest';
import { decodeKey } from '../src/index.js';
import type { ScriptRunner } from '../src/index.js';
import { latencyHist, TestSession, vmexitStats } from './harness.js';

const RUN_NS = 60_000_000n;

/** Every one-liner of the suite, by name. */
const ONE_LINERS = {
  count: 'tracepoint:vmm:vcpu_run_exit { @[args.vm_id, args.exit_reason] = count(); }',
  sum: 'tracepoint:vmm:vcpu_run_exit { @[args.vm_id, args.exit_reason] = sum(args.guest_ns); }',
  min: 'tracepoint:vmm:vcpu_run_exit { @[args.vm_id, args.exit_reason] = min(args.guest_ns); }',
  max: 'tracepoint:vmm:vcpu_run_exit { @[args.vm_id, args.exit_reason] = max(args.guest_ns); }',
  avg: 'tracepoint:vmm:vcpu_run_exit { @[args.vm_id, args.exit_reason] = avg(args.guest_ns); }',
  stats: 'tracepoint:vmm:vcpu_run_exit { @ = stats(args.guest_ns); }',
  hist: 'tracepoint:vmm:vcpu_run_exit { @ns = hist(args.guest_ns); }',
  filter:
    'tracepoint:vmm:vcpu_run_exit / args.exit_reason == 3 && args.vm_id != 2 / { @ = count(); }',
  perVm: 'tracepoint:vmm:vcpu_run_exit { @[vm] = count(); }',
  lhist: 'tracepoint:vmm:vcpu_run_exit { @l = lhist(args.guest_ns, 0, 4096, 512); }',
  ifElse:
    'tracepoint:vmm:vcpu_run_exit { $k = args.guest_ns >> 10; if ($k) { @big = count(); } else { @small = count(); } }',
  ternaryKey:
    'tracepoint:vmm:vcpu_run_exit { $r = args.exit_reason; @[$r == 1 ? "hvc" : "other"] = count(); }',
  wildcard: 'tracepoint:vmm:* { @[probe] = count(); }',
  comm: 'tracepoint:vmm:vcpu_run_exit { @[comm] = count(); }',
  printf: 'tracepoint:vmm:vm_boot { printf("vm%d boots (%s)\\n", args.vm_id, probe); }',
  beginEnd:
    'BEGIN { printf("tracing vmm exits\\n"); } tracepoint:vmm:vcpu_run_exit { @n = count(); } END { printf("bye %x\\n", 255); }',
  interval: 'interval:ms:10 { @ticks = count(); }',
  printClear:
    'tracepoint:vmm:vcpu_run_exit { @exits = count(); } interval:ms:20 { print(@exits); clear(@exits); }',
  commVcpu:
    'tracepoint:vmm:vcpu_run_exit { @[comm] = count(); } tracepoint:vmm:vcpu_run_exit { @v[args.vm_id, args.vcpu_id] = count(); }',
  hprobe: 'hprobe:handle_hvc { @[arg2] = count(); }',
  hretprobe: 'hretprobe:handle_exit { @[retval] = count(); }',
  kprobe: 'kprobe:vm6:kp_add { @[arg0, arg1] = count(); }',
  kretprobe: 'kretprobe:vm6:kp_fact { @[retval] = count(); }',
} as const;
type Name = keyof typeof ONE_LINERS;

interface Run {
  session: TestSession;
  runners: Record<Name, ScriptRunner>;
  ends: Record<Name, string>;
}

function runAll(engine: 'interpreter' | 'wasm'): Run {
  const session = new TestSession(engine);
  session.attachC('vmexit_stats');
  session.attachC('latency_hist');
  const kvm = session.kprobeVm();
  const runners = {} as Record<Name, ScriptRunner>;
  for (const [name, text] of Object.entries(ONE_LINERS) as [Name, string][])
    runners[name] = session.script(text.replace('vm6:', `vm${kvm}:`), { engine });
  session.boot();
  // one driver for all: the interval probes of every runner fire at their deadlines
  const all = Object.values(runners);
  const step = 10_000_000n;
  for (let t = 0n; t < RUN_NS; t += step) {
    session.vmm.run(step);
    for (const r of all) r.advance();
  }
  const ends = {} as Record<Name, string>;
  for (const [name, r] of Object.entries(runners) as [Name, ScriptRunner][]) ends[name] = r.stop();
  return { session, runners, ends };
}

/** A script map as `key,key -> [u64...]`. */
function entries(r: ScriptRunner, map: string): Map<string, bigint[]> {
  const spec = r.script.maps.find((m) => m.name === map)!;
  const out = new Map<string, bigint[]>();
  for (const e of r.entries(map)) {
    const v = new DataView(e.value.buffer, e.value.byteOffset, e.value.byteLength);
    out.set(
      decodeKey(spec, e.key).map(String).join(','),
      Array.from({ length: e.value.byteLength / 8 }, (_, i) => v.getBigUint64(8 * i, true)),
    );
  }
  return out;
}

const sum = (xs: Iterable<bigint>): bigint => [...xs].reduce((a, b) => a + b, 0n);

describe('one-liners against the C programs', () => {
  let run: Run;
  let c: ReturnType<typeof vmexitStats>;
  let hist: bigint[];
  beforeAll(() => {
    run = runAll('interpreter');
    c = vmexitStats(run.session.rt);
    hist = latencyHist(run.session.rt);
  }, 120_000);

  it('sees VM exits at all', () => {
    expect(c.size).toBeGreaterThan(5);
  });

  it('count() per (vm, reason) equals vmexit_stats count', () => {
    const got = entries(run.runners.count, '@');
    expect(new Map([...got].map(([k, v]) => [k, v[0]]))).toEqual(
      new Map([...c].map(([k, v]) => [k, v.count])),
    );
  });

  it('sum(), min(), max() and avg() equal vmexit_stats total, min, max and total/count', () => {
    for (const [k, v] of c) {
      expect(entries(run.runners.sum, '@').get(k)?.[0]).toBe(v.total);
      expect(entries(run.runners.min, '@').get(k)?.[0]).toBe(v.min);
      expect(entries(run.runners.max, '@').get(k)?.[0]).toBe(v.max);
      const [n, total] = entries(run.runners.avg, '@').get(k)!;
      expect([n, total]).toEqual([v.count, v.total]);
    }
    expect(run.ends.avg).toContain(`@[1, 3]: ${c.get('1,3')!.total / c.get('1,3')!.count}`);
  });

  it('stats() equals the sums over vmexit_stats', () => {
    const count = sum([...c.values()].map((v) => v.count));
    const total = sum([...c.values()].map((v) => v.total));
    expect(run.ends.stats).toBe(`@: count ${count}, average ${total / count}, total ${total}\n\n`);
  });

  it('hist() buckets equal latency_hist buckets (bpftrace splits [0] and [1] that the C bucket 0 joins)', () => {
    const h = entries(run.runners.hist, '@ns');
    const bucket = (i: number): bigint => h.get(`|${i}`)?.[0] ?? 0n;
    // keys of a scalar hist map decode to no parts: rebuild from raw keys
    const raw = new Map<number, bigint>();
    for (const e of run.runners.hist.entries('@ns')) {
      const k = new DataView(e.key.buffer, e.key.byteOffset, e.key.byteLength);
      raw.set(
        Number(k.getBigUint64(8, true)),
        new DataView(e.value.buffer, e.value.byteOffset).getBigUint64(0, true),
      );
    }
    void bucket;
    expect(raw.get(0) ?? 0n).toBe(0n);
    expect((raw.get(1) ?? 0n) + (raw.get(2) ?? 0n)).toBe(hist[0]);
    for (let i = 1; i < 62; i++) expect(raw.get(i + 2) ?? 0n).toBe(hist[i]);
    expect(run.ends.hist).toMatch(/^@ns:\n(\[[^\n]+\d+ \|@*\s*\|\n)+\n$/);
  });

  it('a filter with && and != counts what vmexit_stats has for those keys', () => {
    const want = sum(
      [...c].filter(([k]) => k.endsWith(',3') && !k.startsWith('2,')).map(([, v]) => v.count),
    );
    expect(entries(run.runners.filter, '@').get('')?.[0]).toBe(want);
  });

  it('the vm builtin keys counts per VM', () => {
    const per = new Map<string, bigint>();
    for (const [k, v] of c) per.set(k.split(',')[0]!, (per.get(k.split(',')[0]!) ?? 0n) + v.count);
    expect(new Map([...entries(run.runners.perVm, '@')].map(([k, v]) => [k, v[0]]))).toEqual(per);
  });

  it('lhist() buckets agree with the log2 buckets where their edges meet', () => {
    const raw = new Map<number, bigint>();
    for (const e of run.runners.lhist.entries('@l')) {
      raw.set(
        Number(new DataView(e.key.buffer, e.key.byteOffset).getBigUint64(8, true)),
        new DataView(e.value.buffer, e.value.byteOffset).getBigUint64(0, true),
      );
    }
    const l = (i: number): bigint => raw.get(i) ?? 0n;
    expect(l(0)).toBe(0n);
    expect(l(1)).toBe(sum(hist.slice(0, 9))); // [0, 512)
    expect(l(2)).toBe(hist[9]); // [512, 1024)
    expect(l(3) + l(4)).toBe(hist[10]); // [1024, 2048)
    expect(l(5) + l(6) + l(7) + l(8)).toBe(hist[11]); // [2048, 4096)
    expect(l(9)).toBe(sum(hist.slice(12))); // [4096, ...)
    expect(run.ends.lhist).toContain('[4096, ...)');
  });

  it('if/else on a shifted field splits as the log2 buckets do', () => {
    expect(entries(run.runners.ifElse, '@big').get('')?.[0] ?? 0n).toBe(sum(hist.slice(10)));
    expect(entries(run.runners.ifElse, '@small').get('')?.[0] ?? 0n).toBe(sum(hist.slice(0, 10)));
  });

  it('a ternary string key counts hypercall exits', () => {
    const hvc = sum([...c].filter(([k]) => k.endsWith(',1')).map(([, v]) => v.count));
    const all = sum([...c.values()].map((v) => v.count));
    expect(entries(run.runners.ternaryKey, '@').get('hvc')?.[0]).toBe(hvc);
    expect(entries(run.runners.ternaryKey, '@').get('other')?.[0]).toBe(all - hvc);
  });

  it('tracepoint:vmm:* counts every tracepoint as its hit counter', () => {
    const got = entries(run.runners.wildcard, '@');
    expect(got.size).toBeGreaterThan(3);
    for (const [probe, [n]] of got) {
      expect(n).toBe(
        BigInt(run.session.rt.tracepoints.counters(probe.replace('tracepoint:', '')).hits),
      );
    }
    expect(got.get('tracepoint:vmm:vcpu_run_exit')?.[0]).toBe(
      sum([...c.values()].map((v) => v.count)),
    );
  });

  it('comm names the vCPU task that exited', () => {
    const byComm = entries(run.runners.commVcpu, '@');
    const byVcpu = entries(run.runners.commVcpu, '@v');
    expect(byComm.size).toBeGreaterThan(1);
    expect(new Map([...byComm].map(([k, v]) => [k, v[0]]))).toEqual(
      new Map([...byVcpu].map(([k, v]) => [`vm${k.split(',')[0]}-vcpu${k.split(',')[1]}`, v[0]])),
    );
    expect(sum([...entries(run.runners.comm, '@').values()].map((v) => v[0]!))).toBe(
      sum([...c.values()].map((v) => v.count)),
    );
  });

  it('printf formats on the host, in event order', () => {
    const vms = run.session.vmm
      .vms()
      .map((v) => `vm${v.id} boots (tracepoint:vmm:vm_boot)\n`)
      .join('');
    expect(run.runners.printf.output).toBe(vms);
  });

  it('BEGIN runs first and END last', () => {
    const n = sum([...c.values()].map((v) => v.count));
    expect(run.runners.beginEnd.output).toBe(`tracing vmm exits\nbye ff\n@n: ${n}\n\n`);
  });

  it('interval:ms:10 fires once per 10 ms of virtual time', () => {
    expect(run.ends.interval).toBe(`@ticks: ${RUN_NS / 10_000_000n}\n\n`);
  });

  it('print() and clear() in an interval probe account for every exit', () => {
    const printed = [...run.runners.printClear.output.matchAll(/@exits: (\d+)/g)].map((m) =>
      BigInt(m[1]!),
    );
    expect(printed.length).toBeGreaterThan(1);
    expect(sum(printed)).toBe(sum([...c.values()].map((v) => v.count)));
  });

  it('hprobe:handle_hvc counts as many calls as the probe hits', () => {
    const got = entries(run.runners.hprobe, '@');
    expect(got.size).toBeGreaterThan(0);
    const hvcCalls = run.session.vmm
      .vms()
      .reduce((n, vm) => n + (vm.hypCalls().get('handle_hvc') ?? 0), 0);
    expect(sum([...got.values()].map((v) => v[0]!))).toBe(BigInt(hvcCalls));
  });

  it('hretprobe:handle_exit sees the exit codes of vmexit_stats', () => {
    const got = entries(run.runners.hretprobe, '@');
    const perReason = new Map<string, bigint>();
    for (const [k, v] of c)
      perReason.set(k.split(',')[1]!, (perReason.get(k.split(',')[1]!) ?? 0n) + v.count);
    for (const [code, [n]] of got) expect(n).toBeLessThanOrEqual(perReason.get(code) ?? 0n);
    expect(got.size).toBeGreaterThan(0);
  });

  it('kprobe and kretprobe on the kprobe guest see its calls', () => {
    const adds = entries(run.runners.kprobe, '@');
    const facts = entries(run.runners.kretprobe, '@');
    expect(adds.size).toBeGreaterThan(0);
    expect(facts.size).toBeGreaterThan(0);
    const factorials = new Set(
      Array.from({ length: 20 }, (_, i) =>
        String(Array.from({ length: i + 1 }, (_, j) => BigInt(j + 1)).reduce((a, b) => a * b, 1n)),
      ),
    );
    for (const k of facts.keys()) expect(factorials.has(k)).toBe(true);
  });

  it('gives the same output on the Wasm engine for every one-liner', () => {
    const wasm = runAll('wasm');
    for (const name of Object.keys(ONE_LINERS) as Name[]) {
      expect({ name, end: wasm.ends[name], output: wasm.runners[name].output }).toEqual({
        name,
        end: run.ends[name],
        output: run.runners[name].output,
      });
    }
  }, 240_000);
});
