// SPDX-License-Identifier: MIT
// The main job (`pnpm start`, `axvisor demo`): boots the bundled VMs on the simulated AxVisor,
// attaches the precompiled vmexit_stats and latency_hist programs to vmm:vcpu_run_exit, runs a
// span of virtual time and reports consoles, exits, the latency histogram, the busiest events
// and a Chrome trace-event file.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDuration, Log2Histogram, renderHistogram, renderTable } from 'axebpf';
import { exitReasonName } from '@axebpf/axvisor-vmm';
import { Session } from './session.js';

/** Options of {@link runMainJob}. */
export interface MainJobOptions {
  /** Virtual time to run (default one second). */
  durationNs?: bigint;
  /** Where to write the Chrome trace (default `axvisor-trace.json` in the working directory). */
  traceFile?: string;
  /** Rows of the top-events table (default 8). */
  top?: number;
}

/** What {@link runMainJob} produced. */
export interface MainJobResult {
  /** The report text (deterministic: the same for every run of the same options). */
  report: string;
  /** Absolute path of the trace file. */
  traceFile: string;
  /** Wall-clock milliseconds the run took (not part of the report). */
  wallMs: number;
}

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/**
 * Runs the main job.
 * @param options - duration, trace file, table size.
 * @returns the report, the trace file path and the wall time.
 */
export function runMainJob(options: MainJobOptions = {}): MainJobResult {
  const started = performance.now();
  const durationNs = options.durationNs ?? 1_000_000_000n;
  const session = new Session();
  const { rt, vmm, trace } = session;
  for (const name of ['vmexit_stats', 'latency_hist']) {
    rt.ebpf.loadObject(name, rt.precompiled.object(name));
    rt.ebpf.attach(name, 'vmm:vcpu_run_exit');
  }
  rt.tracepoints.enableSubsystem('vmm');
  const vms = vmm.vms();
  for (const vm of vms) vmm.startVm(vm.id);
  vmm.run(durationNs);
  trace.finish(vmm.timeNs);

  const out: string[] = [];
  const insns = vms.reduce((n, vm) => n + vm.vcpus.reduce((m, v) => m + v.insns, 0), 0);
  const exits = vms.reduce((n, vm) => n + vm.vcpus.reduce((m, v) => m + [...v.exits.values()].reduce((a, b) => a + b, 0), 0), 0);
  out.push(`axvisor: ${vms.length} VMs (${vms.map((v) => `vm${v.id} ${v.config.name}`).join(', ')}), vmexit_stats and latency_hist attached to vmm:vcpu_run_exit`);
  out.push(`ran ${formatDuration(Number(vmm.timeNs))} of virtual time: ${insns} guest instructions, ${exits} VM exits`);
  const el2 = vms.reduce((n, vm) => n + vm.vcpus.reduce((m, v) => m + v.el2Insns, 0), 0);
  if (vmm.hypImage !== undefined) out.push(`exits handled by the EL2 image (hyp/hyp.elf): ${el2} EL2 instructions, ${exits > 0 ? (el2 / exits).toFixed(1) : '0'} per exit (not virtual time)`);
  for (const vm of vms) {
    out.push('', `== console of vm${vm.id} (${vm.config.name}): ${vm.status}${vm.stopReason ? `, ${vm.stopReason}` : ''} ==`, vm.console.trimEnd());
  }

  // vmexit_stats: key {u32 vm_id, u32 reason} -> {u64 count, total_ns, min_ns, max_ns}
  const stats = rt.ebpf.map('vmexit_stats:exit_stats');
  const rows: { vm: number; reason: number; count: bigint; total: bigint; min: bigint; max: bigint }[] = [];
  stats.forEach((key, value) => {
    const k = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    rows.push({ vm: k.getUint32(0, true), reason: k.getUint32(4, true), count: v.getBigUint64(0, true), total: v.getBigUint64(8, true), min: v.getBigUint64(16, true), max: v.getBigUint64(24, true) });
  });
  rows.sort((a, b) => a.vm - b.vm || a.reason - b.reason);
  out.push('', '== VM exits per VM and reason (vmexit_stats) ==');
  out.push(
    renderTable(
      ['vm', 'reason', 'count', 'guest time before exit: total', 'min', 'avg', 'max'],
      rows.map((r) => [
        `vm${r.vm}`,
        `${exitReasonName(r.reason) ?? '?'} (${r.reason})`,
        String(r.count),
        formatDuration(Number(r.total)),
        formatDuration(Number(r.min)),
        formatDuration(Number(r.total / (r.count || 1n))),
        formatDuration(Number(r.max)),
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
  );

  // latency_hist: array of 64 u64, bucket i = [2^i, 2^(i+1)) (0 also in bucket 0): shift by one
  // into the facade's buckets, where bucket k = [2^(k-1), 2^k).
  const hist = rt.ebpf.map('latency_hist:latency_hist');
  const counts: number[] = [0];
  for (let i = 0; i < 64; i++) {
    const v = hist.lookup(u32(i));
    counts.push(Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
  }
  const minNs = rows.length > 0 ? Number(rows.reduce((m, r) => (r.min < m ? r.min : m), rows[0]!.min)) : undefined;
  const maxNs = rows.length > 0 ? Number(rows.reduce((m, r) => (r.max > m ? r.max : m), rows[0]!.max)) : undefined;
  const sum = Number(rows.reduce((s, r) => s + r.total, 0n));
  const histogram = Log2Histogram.fromBuckets(counts, { ...(minNs === undefined ? {} : { min: minNs }), ...(maxNs === undefined ? {} : { max: maxNs }), sum });
  out.push('', renderHistogram(histogram.snapshot(), { title: '== guest run time before each VM exit, ns (latency_hist) ==' }));

  const top = rt.tracepoints
    .list()
    .map((t) => ({ name: t.name, hits: rt.tracepoints.counters(t.name).hits }))
    .filter((t) => t.hits > 0)
    .sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name))
    .slice(0, options.top ?? 8);
  out.push('', '== top events ==', renderTable(['event', 'hits'], top.map((t) => [t.name, String(t.hits)])));
  const programs = rt.ebpf.programs().map((p) => [p.name, String(p.stats.runs), String(p.stats.errors), String(p.stats.insns)]);
  out.push('', '== programs ==', renderTable(['program', 'runs', 'errors', 'eBPF insns'], programs));

  const traceFile = resolve(options.traceFile ?? 'axvisor-trace.json');
  writeFileSync(traceFile, trace.toJson());
  out.push('', `trace: ${trace.eventCount} events in Chrome trace-event format (open in https://ui.perfetto.dev or chrome://tracing)`);
  return { report: out.join('\n'), traceFile, wallMs: performance.now() - started };
}
