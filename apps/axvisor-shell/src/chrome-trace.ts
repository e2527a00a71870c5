// SPDX-License-Identifier: MIT
// Chrome trace-event JSON (the JSON Trace Event Format that Perfetto and chrome://tracing open),
// built from tracepoint records and probe events:
//   - the hypervisor is one process, with one thread per physical CPU (`pcpu0 EL2`) holding the
//     EL2 time of each exit, and threads for the hypervisor probes (`hretprobe (pcpu0)`);
//   - each VM is one process (`vm7`), with one thread per vCPU (`vm7 vcpu1`) holding its
//     guest run slices and its exits, named by AxVisor's exit reason with the record's fields as
//     args; one thread for the VM's lifecycle events; a thread per guest probe type and vCPU
//     (`vm7 vcpu1 kretprobe`);
//     and an `exits/s` counter track.
// Timestamps are microseconds of virtual time (`ts`, `dur`), as the format wants.

import { exitReasonName } from '@axebpf/axvisor-vmm';
import type { TraceRecord, TracepointManager } from '@axebpf/tracepoint';
import type { EventRing, TraceEvent } from 'axebpf';

type Arg = string | number;

/** One event of the JSON Trace Event Format. */
export interface TraceEventJson {
  name: string;
  cat?: string;
  /** X complete slice, i instant, C counter, M metadata. */
  ph: 'X' | 'i' | 'C' | 'M';
  /** Microseconds. */
  ts?: number;
  /** Microseconds (X only). */
  dur?: number;
  pid: number;
  tid: number;
  /** Instant scope: thread, process, global. */
  s?: 't' | 'p' | 'g';
  args?: Record<string, Arg>;
}

/** Options of {@link ChromeTrace}. */
export interface ChromeTraceOptions {
  /** Probe events to show on the probe tracks (the runtime's event ring). */
  events?: EventRing;
  /** Width of one `exits/s` counter sample, in virtual nanoseconds (default 10 ms). */
  counterIntervalNs?: bigint;
}

/** The hypervisor's process id (VMs are `VM_PID_BASE + vm id`). */
export const HYPERVISOR_PID = 1;
/** Process id of VM 0; VM n is `VM_PID_BASE + n`. */
export const VM_PID_BASE = 1000;

// Thread ids are unique across the trace: `pid * 1000 + slot`. Slices on one thread must nest,
// so probes get a thread per probe type and vCPU (guest probes) or physical CPU (hypervisor's).
const PCPU_SLOT = 0; // hypervisor: pcpu n at slot n; VM: vCPU n at slot 1 + n (n < 200)
const PROBE_SLOT = 200; // probe type k: slot 200 + 100k + vCPU (guest), + 50 + pcpu (hypervisor)
const VM_EVENTS_SLOT = 999;
const PROBE_TYPES = ['hprobe', 'hretprobe', 'kprobe', 'kretprobe'] as const;
type ProbeTypeName = (typeof PROBE_TYPES)[number];

const us = (ns: bigint): number => Number(ns) / 1000;
const num = (v: unknown): Arg => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`) : typeof v === 'number' || typeof v === 'string' ? v : String(v));

/** The exit's name as AxVisor's `AxVCpuExitReason` calls it (`exit 99` for an unknown code). */
const exitName = (code: number): string => exitReasonName(code) ?? `exit ${code}`;

/**
 * Collects `vmm:*` records (and, when given, probe events) into trace events while attached to a
 * tracepoint manager; {@link ChromeTrace.toJson} writes the trace.
 */
export class ChromeTrace {
  readonly #events: TraceEventJson[] = [];
  readonly #threads = new Map<number, { pid: number; name: string; sort: number }>();
  readonly #processes = new Map<number, { name: string; sort: number }>();
  /** The slice running on each physical CPU. */
  readonly #open = new Map<number, { start: bigint; vm: number; vcpu: number; pc: bigint }>();
  /** Exits per VM per counter interval. */
  readonly #exitBuckets = new Map<number, Map<bigint, number>>();
  readonly #interval: bigint;
  #endNs = 0n;

  /**
   * @param manager - the tracepoints to follow (vmm:vcpu_run_enter/exit and the VM events).
   * @param options - probe events, counter interval.
   */
  constructor(manager: TracepointManager, options: ChromeTraceOptions = {}) {
    this.#interval = options.counterIntervalNs ?? 10_000_000n;
    this.#processes.set(HYPERVISOR_PID, { name: 'axvisor hypervisor (EL2)', sort: 0 });
    manager.attach('vmm:vcpu_run_enter', (r) => this.#enter(r));
    manager.attach('vmm:vcpu_run_exit', (r) => this.#exit(r));
    for (const name of ['vm_create', 'vm_boot', 'vm_shutdown', 'vm_destroy']) {
      manager.attach(`vmm:${name}`, (r) => this.#vmEvent(r, name));
    }
    for (const name of ['hypercall', 'vcpu_halt', 'cpu_up', 'ipi_send']) {
      manager.attach(`vmm:${name}`, (r) => this.#vcpuEvent(r, name));
    }
    options.events?.follow((e) => this.#probe(e), { probeTypes: PROBE_TYPES });
  }

  #vmPid(vm: number): number {
    const pid = VM_PID_BASE + vm;
    if (!this.#processes.has(pid)) this.#processes.set(pid, { name: `vm${vm}`, sort: 1 + vm });
    return pid;
  }

  #thread(pid: number, slot: number, name: string): number {
    const tid = pid * 1000 + slot;
    if (!this.#threads.has(tid)) this.#threads.set(tid, { pid, name, sort: slot });
    return tid;
  }

  #vcpuThread(vm: number, vcpu: number): { pid: number; tid: number } {
    const pid = this.#vmPid(vm);
    return { pid, tid: this.#thread(pid, 1 + vcpu, `vm${vm} vcpu${vcpu}`) };
  }

  #pcpuThread(pcpu: number): number {
    return this.#thread(HYPERVISOR_PID, PCPU_SLOT + pcpu, `pcpu${pcpu} EL2`);
  }

  #time(ns: bigint): void {
    if (ns > this.#endNs) this.#endNs = ns;
  }

  #slice(slot: { start: bigint; vm: number; vcpu: number; pc: bigint }, pcpu: number, endNs: bigint): void {
    const { pid, tid } = this.#vcpuThread(slot.vm, slot.vcpu);
    this.#events.push({ name: `guest on pcpu${pcpu}`, cat: 'vcpu', ph: 'X', ts: us(slot.start), dur: us(endNs - slot.start), pid, tid, args: { pcpu, entry_pc: `0x${slot.pc.toString(16)}` } });
  }

  #enter(r: TraceRecord): void {
    this.#time(r.timeNs);
    const previous = this.#open.get(r.cpu);
    // the vCPU was preempted at the end of its quantum (no exit): its slice ends here
    if (previous !== undefined) this.#slice(previous, r.cpu, r.timeNs);
    this.#open.set(r.cpu, { start: r.timeNs, vm: Number(r.field('vm_id')), vcpu: Number(r.field('vcpu_id')), pc: BigInt(r.field('pc') as bigint | number) });
  }

  #exit(r: TraceRecord): void {
    this.#time(r.timeNs);
    const vm = Number(r.field('vm_id'));
    const vcpu = Number(r.field('vcpu_id'));
    const code = Number(r.field('exit_reason'));
    const pc = BigInt(r.field('pc') as bigint | number);
    const guestNs = BigInt(r.field('guest_ns') as bigint | number);
    const slot = this.#open.get(r.cpu) ?? { start: r.timeNs - guestNs, vm, vcpu, pc };
    this.#open.delete(r.cpu);
    const guestEnd = slot.start + guestNs <= r.timeNs ? slot.start + guestNs : r.timeNs;
    this.#slice(slot, r.cpu, guestEnd);
    const name = exitName(code);
    const args = { vm_id: vm, vcpu_id: vcpu, exit_reason: code, pc: `0x${pc.toString(16)}`, guest_ns: num(guestNs), pcpu: r.cpu };
    const { pid, tid } = this.#vcpuThread(vm, vcpu);
    this.#events.push({ name, cat: 'exit', ph: 'i', s: 't', ts: us(r.timeNs), pid, tid, args });
    // the hypervisor's side: from the guest's stop to the exit tracepoint, the time in EL2
    this.#events.push({ name: `handle ${name}`, cat: 'el2', ph: 'X', ts: us(guestEnd), dur: us(r.timeNs - guestEnd), pid: HYPERVISOR_PID, tid: this.#pcpuThread(r.cpu), args });
    const buckets = this.#exitBuckets.get(vm) ?? new Map<bigint, number>();
    this.#exitBuckets.set(vm, buckets);
    const b = r.timeNs / this.#interval;
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
  }

  #fields(r: TraceRecord): Record<string, Arg> {
    const args: Record<string, Arg> = {};
    for (const f of r.event.fields) args[f.name] = num(r.field(f.name));
    return args;
  }

  #vmEvent(r: TraceRecord, name: string): void {
    this.#time(r.timeNs);
    const vm = Number(r.field('vm_id') ?? 0);
    const pid = this.#vmPid(vm);
    this.#events.push({ name, cat: 'vm', ph: 'i', s: 'p', ts: us(r.timeNs), pid, tid: this.#thread(pid, VM_EVENTS_SLOT, `vm${vm} events`), args: this.#fields(r) });
  }

  #vcpuEvent(r: TraceRecord, name: string): void {
    this.#time(r.timeNs);
    const { pid, tid } = this.#vcpuThread(Number(r.field('vm_id')), Number(r.field('vcpu_id')));
    this.#events.push({ name, cat: 'vcpu', ph: 'i', s: 't', ts: us(r.timeNs), pid, tid, args: this.#fields(r) });
  }

  #probe(e: TraceEvent): void {
    this.#time(e.timestampNs);
    const type = e.probeType as ProbeTypeName;
    const k = PROBE_TYPES.indexOf(type);
    // hypervisor probes sit in the hypervisor's process, guest probes in their VM's
    const guest = type === 'kprobe' || type === 'kretprobe';
    const pid = guest ? this.#vmPid(e.vmId) : HYPERVISOR_PID;
    // a guest probe fires while its vCPU runs on the CPU (before the exit's tracepoint): its
    // track is the vCPU's, where calls nest; a hypervisor probe's track is the physical CPU's
    const running = this.#open.get(e.cpuId);
    const cpu = e.cpuId % 50;
    const tid =
      guest && running !== undefined && running.vm === e.vmId
        ? this.#thread(pid, PROBE_SLOT + 100 * k + (running.vcpu % 50), `vm${e.vmId} vcpu${running.vcpu} ${type}`)
        : this.#thread(pid, PROBE_SLOT + 100 * k + 50 + cpu, `${guest ? `vm${e.vmId} ` : ''}${type} (pcpu${cpu})`);
    const args: Record<string, Arg> = { vm_id: e.vmId, pcpu: e.cpuId };
    e.args.forEach((a, i) => (args[`arg${i}`] = `0x${a.toString(16)}`));
    if (e.durationNs > 0n) {
      args['duration_ns'] = num(e.durationNs);
      const start = e.timestampNs - e.durationNs;
      this.#events.push({ name: e.name, cat: type, ph: 'X', ts: us(start), dur: us(e.durationNs), pid, tid, args });
    } else {
      this.#events.push({ name: e.name, cat: type, ph: 'i', s: 't', ts: us(e.timestampNs), pid, tid, args });
    }
  }

  /**
   * Closes slices still running at the end of the run (preempted vCPUs) and ends the counters.
   * @param endNs - the end of the run.
   */
  finish(endNs: bigint): void {
    this.#time(endNs);
    for (const [cpu, slot] of this.#open) this.#slice(slot, cpu, endNs);
    this.#open.clear();
  }

  /** Number of events collected (slices, instants; not metadata or counter samples). */
  get eventCount(): number {
    return this.#events.length;
  }

  /** The `exits/s` counter samples: one per interval per VM from its first exit, then a final 0. */
  #counters(): TraceEventJson[] {
    const out: TraceEventJson[] = [];
    const perSecond = 1e9 / Number(this.#interval);
    for (const [vm, buckets] of [...this.#exitBuckets].sort((a, b) => a[0] - b[0])) {
      const pid = this.#vmPid(vm);
      const first = [...buckets.keys()].reduce((a, b) => (b < a ? b : a));
      const last = this.#endNs / this.#interval;
      for (let b = first; b <= last; b++) {
        out.push({ name: 'exits/s', cat: 'counter', ph: 'C', ts: us(b * this.#interval), pid, tid: 0, args: { 'exits/s': (buckets.get(b) ?? 0) * perSecond } });
      }
      out.push({ name: 'exits/s', cat: 'counter', ph: 'C', ts: us((last + 1n) * this.#interval), pid, tid: 0, args: { 'exits/s': 0 } });
    }
    return out;
  }

  /** @returns the trace as JSON text (`{ traceEvents, displayTimeUnit }`). */
  toJson(): string {
    return JSON.stringify({ traceEvents: this.traceEvents(), displayTimeUnit: 'ns' });
  }

  /** @returns the trace events: metadata (process and thread names and order) first. */
  traceEvents(): TraceEventJson[] {
    const counters = this.#counters();
    const meta: TraceEventJson[] = [];
    for (const [pid, p] of [...this.#processes].sort((a, b) => a[0] - b[0])) {
      meta.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: p.name } });
      meta.push({ name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: p.sort } });
    }
    for (const [tid, t] of [...this.#threads].sort((a, b) => a[0] - b[0])) {
      meta.push({ name: 'thread_name', ph: 'M', pid: t.pid, tid, args: { name: t.name } });
      meta.push({ name: 'thread_sort_index', ph: 'M', pid: t.pid, tid, args: { sort_index: t.sort } });
    }
    return [...meta, ...this.#events, ...counters];
  }
}
