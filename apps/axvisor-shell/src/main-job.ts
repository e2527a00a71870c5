// SPDX-License-Identifier: MIT
// The main job (`pnpm start`, `axvisor demo`): boots the bundled VMs, the kprobe guest and the
// GICv3 cluster guest on the simulated AxVisor, attaches the precompiled vmexit_stats and
// latency_hist programs to vmm:vcpu_run_exit, an hprobe and an hretprobe to functions of the EL2
// image and guest kprobes to the kprobe guest, runs a span of virtual time and reports consoles,
// exits, the latency histogram, the busiest events, the probes and a Chrome trace-event file.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDuration, Log2Histogram, renderHistogram, renderTable } from 'axebpf';
import {
  bundledConfig,
  bundledImage,
  exitReasonName,
  HYPERCALL,
  LONG_RUNNING_VMS,
  parseVmConfig,
  PROBE_VMS,
} from '@axebpf/axvisor-vmm';
import { guestKprobeTable, hprobeTable } from './commands.js';
import { runWithScripts, scriptsSection, startScripts } from './script-commands.js';
import { bundledVms, Session } from './session.js';
import type { VmSource } from './session.js';

/** Options of {@link runMainJob}. */
export interface MainJobOptions {
  /** Virtual time to run (default one second). */
  durationNs?: bigint;
  /** Where to write the Chrome trace (default `axvisor-trace.json` in the working directory). */
  traceFile?: string;
  /** Rows of the top-events table (default 8). */
  top?: number;
  /** bpftrace-like programs to run alongside (`--bt`), reported at the end. */
  scripts?: readonly string[];
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
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** The EL2 function of the demo's hprobe (at its entry). */
export const DEMO_HPROBE = 'handle_hvc';
/** The EL2 function of the demo's hretprobe. */
export const DEMO_HRETPROBE = 'handle_exit';
/** The kprobe guest's functions the demo probes: entry of one, return of the other. */
export const DEMO_KPROBE = 'kp_add';
/** The kprobe guest function whose returns the demo records. */
export const DEMO_KRETPROBE = 'kp_fact';
/** The mmu guest's function the demo probes by symbol (it runs in the upper half). */
export const DEMO_MMU_KPROBE = 'upper_main';
/** VM id of the cluster guest (its configuration's id; kept as a name for the demo's report). */
export const DEMO_CLUSTER_VM_ID = 8;

function source(name: string, id?: number): VmSource {
  const config = parseVmConfig(bundledConfig(name), `${name}.toml`);
  return {
    config: id === undefined ? config : { ...config, id },
    image: bundledImage(config.kernelPath),
  };
}

/**
 * The demo's VMs: the bundled ones, the kprobe guest (`PROBE_VMS`) and the 4-vCPU GICv3
 * cluster guest (`LONG_RUNNING_VMS`, id {@link DEMO_CLUSTER_VM_ID} in its configuration).
 * @returns the VM sources.
 */
export function demoVms(): VmSource[] {
  return [
    ...bundledVms(),
    ...PROBE_VMS.map((n) => source(n)),
    ...LONG_RUNNING_VMS.map((n) => source(n)),
  ];
}

type Ring = { consume(visit: (data: Uint8Array) => void): number };
const ring = (session: Session, name: string): Ring => session.rt.ebpf.map(name) as unknown as Ring;
const u64s = (d: Uint8Array): bigint[] => {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return Array.from({ length: d.byteLength >> 3 }, (_, i) => v.getBigUint64(8 * i, true));
};
const bump = <K>(m: Map<K, number>, k: K): void => void m.set(k, (m.get(k) ?? 0) + 1);

/** The probes of the demo and what their programs recorded (ring buffers drained as it runs). */
interface DemoProbes {
  /** The kprobe guest's VM id (undefined if it is not among the VMs). */
  kprobeVm: number | undefined;
  /** The mmu guest's VM id, when it is probed. */
  mmuVm?: number | undefined;
  /** handle_hvc entries by (exit code x1, function number x2), from hprobe_entry's ring. */
  hvcCalls: Map<string, number>;
  /** handle_exit return values (exit trace codes), from hprobe_exit's ring. */
  exitReturns: Map<bigint, number>;
  /** kp_fact return values, from kp_fact_ret's ring. */
  factReturns: Map<bigint, number>;
  /** Consumes the ring buffers. */
  drain(): void;
}

function attachProbes(session: Session): DemoProbes {
  const { rt, vmm } = session;
  const load = (name: string, object: string) =>
    rt.ebpf.loadObject(name, rt.precompiled.object(object));
  load('hprobe_entry', 'hprobe_entry');
  load('hprobe_exit', 'hprobe_exit');
  rt.hprobe.attach(DEMO_HPROBE, 'hprobe_entry');
  rt.hprobe.attach(DEMO_HRETPROBE, 'hprobe_exit', { ret: true });
  const kvm = vmm.vms().find((v) => v.config.name === 'kprobe')?.id;
  const p: DemoProbes = {
    kprobeVm: kvm,
    hvcCalls: new Map(),
    exitReturns: new Map(),
    factReturns: new Map(),
    drain: () => undefined,
  };
  if (kvm !== undefined) {
    // precompiled kprobe/ programs read the pt_regs layout; hprobe_exit (x0 at the return) is
    // loaded a second time, with its own ring, for the guest function's returns
    load('kprobe_args', 'kprobe_args');
    load('kp_fact_ret', 'hprobe_exit');
    rt.guestKprobes.attach(`vm${kvm}:${DEMO_KPROBE}`, 'kprobe_args', {
      mode: 'BrkInject',
      context: 'pt-regs',
    });
    rt.guestKprobes.attach(`vm${kvm}:${DEMO_KRETPROBE}`, 'kp_fact_ret', {
      mode: 'BrkInject',
      ret: true,
      context: 'pt-regs',
    });
  }
  // the mmu guest by symbol: placed at the ELF address before its MMU is on, hit when the guest
  // runs the function through its upper-half alias (the BRK is in guest physical memory). BRK
  // mode: stage-2 fault mode would page-step every instruction of the guest's only code page
  // (about 9,500 more exits, each one also a handle_exit hretprobe hit: a second of wall time).
  const mvm = vmm.vms().find((v) => v.config.name === 'mmu')?.id;
  if (mvm !== undefined && kvm !== undefined)
    rt.guestKprobes.attach(`vm${mvm}:${DEMO_MMU_KPROBE}`, 'kprobe_args', {
      mode: 'BrkInject',
      context: 'pt-regs',
    });
  p.mmuVm = kvm === undefined ? undefined : mvm;
  p.drain = () => {
    ring(session, 'hprobe_entry:probe_events').consume((d) => {
      const [, , code, nr] = u64s(d); // pc, x0 = ctx, x1 = exit code, x2 = function number
      bump(p.hvcCalls, `${code}:${nr}`);
    });
    ring(session, 'hprobe_exit:probe_returns').consume((d) => bump(p.exitReturns, u64s(d)[1]!));
    if (kvm !== undefined)
      ring(session, 'kp_fact_ret:probe_returns').consume((d) => bump(p.factReturns, u64s(d)[1]!));
  };
  return p;
}

// Names of the function numbers handle_hvc sees in x2: the axebpf hypercall ABI and PSCI.
const HVC_NAMES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(HYPERCALL).map(([name, nr]) => [hex(nr), name])),
  '0x84000000': 'PSCI_VERSION',
  '0x84000002': 'CPU_OFF',
  '0x84000008': 'SYSTEM_OFF',
  '0xc4000003': 'CPU_ON',
};

function durationText(rt: Session['rt'], event: string): string {
  const s = rt.stats.get(event);
  if (s === undefined || s.durationSamples === 0) return 'no durations';
  return `min ${formatDuration(s.minNs!)}, avg ${formatDuration(Math.round(s.avgNs!))}, max ${formatDuration(s.maxNs!)}`;
}

/** The "Probes" section: the hprobe and guest-kprobe tables and what the programs saw. */
function probesSection(session: Session, p: DemoProbes): string[] {
  const { rt, vmm } = session;
  const out: string[] = [
    '',
    '== probes: hprobe_entry on handle_hvc, hprobe_exit on the return of handle_exit (EL2), kprobe_args and kp_fact_ret on the kprobe and mmu guests ==',
  ];
  out.push(hprobeTable(session).replace(/^\n/, ''));
  const calls = (fn: string) => vmm.vms().reduce((n, vm) => n + (vm.hypCalls().get(fn) ?? 0), 0);
  const hits = (name: string, ret: boolean) =>
    rt.hprobe.list().find((h) => h.name === name && h.ret === ret)?.hits ?? 0;
  out.push(
    `${DEMO_HPROBE}: ${hits(DEMO_HPROBE, false)} hits, ${calls(DEMO_HPROBE)} calls counted by the EL2 code itself${p.hvcCalls.size === 0 ? '' : '; hprobe_entry saw (exit code x1, function x2):'}`,
  );
  const hvc = [...p.hvcCalls].map(([k, n]) => {
    const [code, nr] = k.split(':').map(BigInt) as [bigint, bigint];
    return { code, nr, n };
  });
  hvc.sort((a, b) =>
    a.code < b.code ? -1 : a.code > b.code ? 1 : a.nr < b.nr ? -1 : a.nr > b.nr ? 1 : 0,
  );
  if (hvc.length > 0)
    out.push(
      renderTable(
        ['exit code', 'x2 (function)', 'calls'],
        hvc.map((c) => [
          `${exitReasonName(Number(c.code)) ?? '?'} (${c.code})`,
          `${hex(c.nr)}${HVC_NAMES[hex(c.nr)] ? ` ${HVC_NAMES[hex(c.nr)]}` : ''}`,
          String(c.n),
        ]),
        ['l', 'l', 'r'],
      ),
    );
  const rets = [...p.exitReturns]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([code, n]) => `${exitReasonName(Number(code)) ?? '?'} ${n}`);
  const lost = hits(DEMO_HRETPROBE, true) - [...p.exitReturns.values()].reduce((a, b) => a + b, 0);
  out.push(
    `${DEMO_HRETPROBE}: ${hits(DEMO_HRETPROBE, true)} returns (${calls(DEMO_HRETPROBE)} calls counted by the EL2 code); returned exit codes: ${rets.join(', ')}${lost > 0 ? `; ${lost} records lost (ring buffer full)` : ''}`,
  );
  out.push(
    `${DEMO_HRETPROBE} entry to return, in EL2 instructions at 1 ns each: ${durationText(rt, `hretprobe:${DEMO_HRETPROBE}`)}`,
  );
  if (p.kprobeVm !== undefined) {
    out.push('', guestKprobeTable(session));
    const last = rt.ebpf.map('kprobe_args:kprobe_last_args').lookup(u32(p.kprobeVm));
    const [pc, ...args] = u64s(last);
    const printk = rt.ebpf.printk.filter((l) => l.includes(`vm${p.kprobeVm} args`));
    if (printk.length === 0) out.push(`${DEMO_KPROBE}: not called yet`);
    else
      out.push(
        `${DEMO_KPROBE}: kprobe_args's last arguments (pc ${hex(pc!)}): (${args.map(String).join(', ')}); ${printk.length} bpf_printk lines, the first: "${printk[0] ?? ''}"`,
      );
    const fact = [...p.factReturns]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([v, n]) => `${v} x${n}`);
    out.push(
      fact.length === 0
        ? `${DEMO_KRETPROBE}: no returns yet`
        : `${DEMO_KRETPROBE}: kp_fact_ret saw the return values ${fact.join(', ')}`,
    );
    out.push(
      `${DEMO_KRETPROBE} entry to return (virtual time): ${durationText(rt, rt.stats.all().find((s) => s.name.startsWith(`vm${p.kprobeVm}:${DEMO_KRETPROBE}`) && s.durationSamples > 0)?.name ?? '')}`,
    );
    if (p.mmuVm !== undefined) {
      const e = rt.guestKprobes.list().find((g) => g.vmId === p.mmuVm);
      const slot = u64s(rt.ebpf.map('kprobe_args:kprobe_last_args').lookup(u32(p.mmuVm)));
      out.push(
        e === undefined || e.hits === 0
          ? `${DEMO_MMU_KPROBE} (vm${p.mmuVm}): not called yet`
          : `${DEMO_MMU_KPROBE} (vm${p.mmuVm}): set at 0x${e.gva.toString(16)} (its ELF symbol, MMU off), ${e.hits} hit, kprobe_args saw pc ${hex(slot[0]!)} (the upper-half alias)`,
      );
    }
  }
  return out;
}

/**
 * Runs the main job.
 * @param options - duration, trace file, table size.
 * @returns the report, the trace file path and the wall time.
 */
export function runMainJob(options: MainJobOptions = {}): MainJobResult {
  const started = performance.now();
  const durationNs = options.durationNs ?? 1_000_000_000n;
  const session = new Session(demoVms());
  const { rt, vmm, trace } = session;
  for (const name of ['vmexit_stats', 'latency_hist']) {
    rt.ebpf.loadObject(name, rt.precompiled.object(name));
    rt.ebpf.attach(name, 'vmm:vcpu_run_exit');
  }
  rt.tracepoints.enableSubsystem('vmm');
  const probes = attachProbes(session);
  const scripts = startScripts(session, options.scripts ?? []);
  const vms = vmm.vms();
  for (const vm of vms) vmm.startVm(vm.id);
  // The programs' ring buffers hold a few thousand records and the hretprobe on handle_exit
  // fires at every exit: drain them as the probes' events come (and once at the end).
  const unfollow = rt.events.follow(() => probes.drain(), {
    probeTypes: ['hprobe', 'hretprobe', 'kretprobe'],
  });
  if (scripts.length === 0) vmm.run(durationNs);
  else runWithScripts(session, scripts, durationNs);
  unfollow();
  probes.drain();
  // The cluster guest never powers off: the host stops it at the end of the run.
  for (const vm of vms)
    if (LONG_RUNNING_VMS.some((n) => n === vm.config.name) && vm.status !== 'Stopped')
      vmm.stopVm(vm.id);
  trace.finish(vmm.timeNs);

  const out: string[] = [];
  const insns = vms.reduce((n, vm) => n + vm.vcpus.reduce((m, v) => m + v.insns, 0), 0);
  const exits = vms.reduce(
    (n, vm) =>
      n + vm.vcpus.reduce((m, v) => m + [...v.exits.values()].reduce((a, b) => a + b, 0), 0),
    0,
  );
  out.push(
    `axvisor: ${vms.length} VMs (${vms.map((v) => `vm${v.id} ${v.config.name}`).join(', ')}), vmexit_stats and latency_hist attached to vmm:vcpu_run_exit`,
  );
  if (probes.kprobeVm !== undefined)
    out.push(
      `probes: hprobe on ${DEMO_HPROBE}, hretprobe on ${DEMO_HRETPROBE} (the EL2 image), kprobe on vm${probes.kprobeVm}:${DEMO_KPROBE}, kretprobe on vm${probes.kprobeVm}:${DEMO_KRETPROBE}${probes.mmuVm === undefined ? '' : `, kprobe on vm${probes.mmuVm}:${DEMO_MMU_KPROBE}`} (see == probes ==)`,
    );
  out.push(
    `ran ${formatDuration(Number(vmm.timeNs))} of virtual time: ${insns} guest instructions, ${exits} VM exits`,
  );
  const el2 = vms.reduce((n, vm) => n + vm.vcpus.reduce((m, v) => m + v.el2Insns, 0), 0);
  if (vmm.hypImage !== undefined)
    out.push(
      `exits handled by the EL2 image (hyp/hyp.elf): ${el2} EL2 instructions, ${exits > 0 ? (el2 / exits).toFixed(1) : '0'} per exit, the hprobe traps included (not virtual time)`,
    );
  for (const vm of vms) {
    out.push(
      '',
      `== console of vm${vm.id} (${vm.config.name}): ${vm.status}${vm.stopReason ? `, ${vm.stopReason}` : ''} ==`,
      vm.console.trimEnd(),
    );
  }

  // vmexit_stats: key {u32 vm_id, u32 reason} -> {u64 count, total_ns, min_ns, max_ns}
  const stats = rt.ebpf.map('vmexit_stats:exit_stats');
  const rows: {
    vm: number;
    reason: number;
    count: bigint;
    total: bigint;
    min: bigint;
    max: bigint;
  }[] = [];
  stats.forEach((key, value) => {
    const k = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    rows.push({
      vm: k.getUint32(0, true),
      reason: k.getUint32(4, true),
      count: v.getBigUint64(0, true),
      total: v.getBigUint64(8, true),
      min: v.getBigUint64(16, true),
      max: v.getBigUint64(24, true),
    });
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
  const minNs =
    rows.length > 0
      ? Number(rows.reduce((m, r) => (r.min < m ? r.min : m), rows[0]!.min))
      : undefined;
  const maxNs =
    rows.length > 0
      ? Number(rows.reduce((m, r) => (r.max > m ? r.max : m), rows[0]!.max))
      : undefined;
  const sum = Number(rows.reduce((s, r) => s + r.total, 0n));
  const histogram = Log2Histogram.fromBuckets(counts, {
    ...(minNs === undefined ? {} : { min: minNs }),
    ...(maxNs === undefined ? {} : { max: maxNs }),
    sum,
  });
  out.push(
    '',
    renderHistogram(histogram.snapshot(), {
      title: '== guest run time before each VM exit, ns (latency_hist) ==',
    }),
  );

  const top = rt.tracepoints
    .list()
    .map((t) => ({ name: t.name, hits: rt.tracepoints.counters(t.name).hits }))
    .filter((t) => t.hits > 0)
    .sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name))
    .slice(0, options.top ?? 8);
  out.push(
    '',
    '== top events ==',
    renderTable(
      ['event', 'hits'],
      top.map((t) => [t.name, String(t.hits)]),
    ),
  );
  out.push(...probesSection(session, probes));
  out.push(...scriptsSection(scripts));
  const programs = rt.ebpf
    .programs()
    .map((p) => [p.name, String(p.stats.runs), String(p.stats.errors), String(p.stats.insns)]);
  out.push(
    '',
    '== programs ==',
    renderTable(['program', 'runs', 'errors', 'eBPF insns'], programs),
  );

  const traceFile = resolve(options.traceFile ?? 'axvisor-trace.json');
  writeFileSync(traceFile, trace.toJson());
  out.push(
    '',
    `trace: ${trace.eventCount} events in Chrome trace-event format (open in https://ui.perfetto.dev or chrome://tracing)`,
  );
  return { report: out.join('\n'), traceFile, wallMs: performance.now() - started };
}
