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
// Events are kept in typed-array columns of 32 bytes each, not as objects (about 500 bytes with
// their `args`): a name, category and set of constant args is interned once as a "shape", and an
// event holds its time, duration, thread, shape and one 64-bit value (a pc). A long traced run
// then grows by little (issue 25: 1.6 KB of RSS per exit with objects). The JSON is built only
// by toJson.

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
  /**
   * The VM and vCPU running when a probe event is delivered (events are delivered as they are
   * emitted, inside the exit handling of the vCPU that hit): places a guest probe on its vCPU's
   * track when the `vmm:vcpu_run_enter` tracepoint that says which vCPU runs is off.
   */
  current?: () => { vmId: number; vcpuId: number };
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
// Return-probe slices of tasks that interleave on one vCPU (a task sleeps in the function while
// others enter and leave it) overlap without nesting; each overlapping one goes to a further
// lane of the vCPU's kretprobe track: lane n >= 1 at slot 600 + 50 (n - 1) + vCPU.
const LANE_SLOT = 600;
const MAX_LANES = 8;
/** Outer slices a lane remembers for the overlap check (older ones are forgotten). */
const LANE_MEMORY = 1024;
const PROBE_TYPES = ['hprobe', 'hretprobe', 'kprobe', 'kretprobe'] as const;
type ProbeTypeName = (typeof PROBE_TYPES)[number];

const us = (ns: bigint): number => Number(ns) / 1000;
const num = (v: unknown): Arg =>
  typeof v === 'bigint'
    ? v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : `0x${v.toString(16)}`
    : typeof v === 'number' || typeof v === 'string'
      ? v
      : String(v);

/** The exit's name as AxVisor's `AxVCpuExitReason` calls it (`exit 99` for an unknown code). */
const exitName = (code: number): string => exitReasonName(code) ?? `exit ${code}`;

/**
 * How an arg takes its value from the event's columns instead of its shape: `hex`, the 64-bit
 * value column as `0x…`; `dur`, the duration column (an instant's spare one) as a number.
 */
type Var = 'hex' | 'dur';

/** An arg of a shape: a constant, or a value read from the event's columns. */
type ArgSpec = readonly [key: string, value: Arg | { readonly v: Var }];

/** What events share: name, category, phase, scope and args (interned; {@link ChromeTrace}). */
interface Shape {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'X' | 'i';
  readonly s: 't' | 'p' | undefined;
  /** The args, or 'previous' for the args of the event stored just before (an exit's). */
  readonly args: readonly ArgSpec[] | 'previous';
}

const HEX = { v: 'hex' } as const;
const DUR_NS = { v: 'dur' } as const;
const CHUNK_BITS = 14;
/** Events per chunk of columns. */
const CHUNK = 1 << CHUNK_BITS;
/** Bytes per event of the columns below. */
const EVENT_BYTES = 32;

/** One chunk of event columns, views on one buffer: 8 + 8 + 8 + 4 + 4 = 32 bytes per event. */
class Chunk {
  readonly #buffer = new ArrayBuffer(CHUNK * EVENT_BYTES);
  /** Start, nanoseconds of virtual time. */
  readonly ts = new Float64Array(this.#buffer, 0, CHUNK);
  /** Duration in nanoseconds (X), or an instant's `dur` arg. */
  readonly dur = new Float64Array(this.#buffer, 8 * CHUNK, CHUNK);
  /** The `hex` arg (a pc). */
  readonly value = new BigUint64Array(this.#buffer, 16 * CHUNK, CHUNK);
  readonly tid = new Uint32Array(this.#buffer, 24 * CHUNK, CHUNK);
  readonly shape = new Uint32Array(this.#buffer, 28 * CHUNK, CHUNK);

  get byteLength(): number {
    return this.#buffer.byteLength;
  }
}

const shapeKey = (
  name: string,
  cat: string,
  ph: string,
  s: string | undefined,
  args: readonly ArgSpec[] | 'previous',
): string => {
  let key = `${ph}\0${s ?? ''}\0${cat}\0${name}`;
  if (args === 'previous') return `${key}\0^`;
  for (const [k, v] of args)
    key +=
      typeof v === 'object'
        ? `\0${k}\0@${v.v}`
        : `\0${k}\0${typeof v === 'number' ? 'n' : 's'}${v}`;
  return key;
};

/**
 * Collects `vmm:*` records (and, when given, probe events) into trace events while attached to a
 * tracepoint manager; {@link ChromeTrace.toJson} writes the trace.
 */
export class ChromeTrace {
  readonly #chunks: Chunk[] = [];
  #count = 0;
  readonly #shapes: Shape[] = [];
  readonly #shapeIds = new Map<string, number>();
  readonly #threads = new Map<number, { pid: number; name: string; sort: number }>();
  /**
   * Per kretprobe track (its lane-0 tid), per lane: the outermost slices placed, as start/end
   * pairs in ns, ascending and disjoint.
   */
  readonly #lanes = new Map<number, number[][]>();
  readonly #processes = new Map<number, { name: string; sort: number }>();
  /** The slice running on each physical CPU. */
  readonly #open = new Map<number, { start: bigint; vm: number; vcpu: number; pc: bigint }>();
  /** Exits per VM per counter interval. */
  readonly #exitBuckets = new Map<number, Map<bigint, number>>();
  readonly #interval: bigint;
  readonly #current: (() => { vmId: number; vcpuId: number }) | undefined;
  #endNs = 0n;

  /**
   * @param manager - the tracepoints to follow (vmm:vcpu_run_enter/exit and the VM events).
   * @param options - probe events, counter interval.
   */
  constructor(manager: TracepointManager, options: ChromeTraceOptions = {}) {
    this.#interval = options.counterIntervalNs ?? 10_000_000n;
    this.#current = options.current;
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

  #shape(
    name: string,
    cat: string,
    ph: 'X' | 'i',
    s: 't' | 'p' | undefined,
    args: readonly ArgSpec[] | 'previous',
  ): number {
    const key = shapeKey(name, cat, ph, s, args);
    let id = this.#shapeIds.get(key);
    if (id === undefined) {
      id = this.#shapes.length;
      this.#shapes.push({ name, cat, ph, s, args });
      this.#shapeIds.set(key, id);
    }
    return id;
  }

  /** Stores one event; times are nanoseconds. */
  #push(shape: number, tsNs: bigint, dur: number, tid: number, value = 0n): void {
    const i = this.#count & (CHUNK - 1);
    if (i === 0) this.#chunks.push(new Chunk());
    const c = this.#chunks[this.#chunks.length - 1]!;
    c.ts[i] = Number(tsNs);
    c.dur[i] = dur;
    c.value[i] = BigInt.asUintN(64, value);
    c.tid[i] = tid;
    c.shape[i] = shape;
    this.#count++;
  }

  /**
   * Names a VM's process (default `vm<id>`), e.g. `vm7 linux`.
   * @param vm - the VM id.
   * @param name - the process name Perfetto shows.
   */
  nameVm(vm: number, name: string): void {
    this.#processes.set(VM_PID_BASE + vm, { name, sort: 1 + vm });
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

  #slice(
    slot: { start: bigint; vm: number; vcpu: number; pc: bigint },
    pcpu: number,
    endNs: bigint,
  ): void {
    const { tid } = this.#vcpuThread(slot.vm, slot.vcpu);
    const shape = this.#shape(`guest on pcpu${pcpu}`, 'vcpu', 'X', undefined, [
      ['pcpu', pcpu],
      ['entry_pc', HEX],
    ]);
    this.#push(shape, slot.start, Number(endNs - slot.start), tid, slot.pc);
  }

  #enter(r: TraceRecord): void {
    this.#time(r.timeNs);
    const previous = this.#open.get(r.cpu);
    // the vCPU was preempted at the end of its quantum (no exit): its slice ends here
    if (previous !== undefined) this.#slice(previous, r.cpu, r.timeNs);
    this.#open.set(r.cpu, {
      start: r.timeNs,
      vm: Number(r.field('vm_id')),
      vcpu: Number(r.field('vcpu_id')),
      pc: BigInt(r.field('pc') as bigint | number),
    });
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
    // guest_ns goes in the instant's spare duration column, unless too wide for a double
    const guestExact = guestNs >= 0n && guestNs <= BigInt(Number.MAX_SAFE_INTEGER);
    const args: ArgSpec[] = [
      ['vm_id', vm],
      ['vcpu_id', vcpu],
      ['exit_reason', code],
      ['pc', HEX],
      ['guest_ns', guestExact ? DUR_NS : num(guestNs)],
      ['pcpu', r.cpu],
    ];
    const { tid } = this.#vcpuThread(vm, vcpu);
    this.#push(
      this.#shape(name, 'exit', 'i', 't', args),
      r.timeNs,
      guestExact ? Number(guestNs) : 0,
      tid,
      pc,
    );
    // the hypervisor's side: from the guest's stop to the exit tracepoint, the time in EL2
    // (stored right after the exit, whose args it shares)
    this.#push(
      this.#shape(`handle ${name}`, 'el2', 'X', undefined, 'previous'),
      guestEnd,
      Number(r.timeNs - guestEnd),
      this.#pcpuThread(r.cpu),
    );
    const buckets = this.#exitBuckets.get(vm) ?? new Map<bigint, number>();
    this.#exitBuckets.set(vm, buckets);
    const b = r.timeNs / this.#interval;
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
  }

  #fields(r: TraceRecord): ArgSpec[] {
    return r.event.fields.map((f) => [f.name, num(r.field(f.name))]);
  }

  #vmEvent(r: TraceRecord, name: string): void {
    this.#time(r.timeNs);
    const vm = Number(r.field('vm_id') ?? 0);
    const pid = this.#vmPid(vm);
    this.#push(
      this.#shape(name, 'vm', 'i', 'p', this.#fields(r)),
      r.timeNs,
      0,
      this.#thread(pid, VM_EVENTS_SLOT, `vm${vm} events`),
    );
  }

  /**
   * The first lane of a track where the slice [start, end] nests: no slice there starts before
   * it and ends inside it. Slices arrive in order of their end (a return probe fires at the
   * return), so a lane only needs its outermost slices.
   * @returns the lane number (0: the track itself).
   */
  #lane(track: number, start: number, end: number): number {
    let lanes = this.#lanes.get(track);
    if (lanes === undefined) this.#lanes.set(track, (lanes = []));
    for (let n = 0; n < MAX_LANES; n++) {
      const lane = (lanes[n] ??= []);
      let i = lane.length - 2;
      let fits = true;
      // outermost slices ending after `start`: those starting at or after it nest inside
      for (; i >= 0 && lane[i + 1]! > start; i -= 2) {
        if (lane[i]! < start) {
          fits = false;
          break;
        }
      }
      if (!fits && n < MAX_LANES - 1) continue;
      // the new slice is outermost: the ones it contains go
      let keep = lane.length;
      while (keep >= 2 && lane[keep - 2]! >= start) keep -= 2;
      lane.length = keep;
      lane.push(start, end);
      if (lane.length > 2 * LANE_MEMORY) lane.splice(0, lane.length - 2 * LANE_MEMORY);
      return n;
    }
    return MAX_LANES - 1;
  }

  #vcpuEvent(r: TraceRecord, name: string): void {
    this.#time(r.timeNs);
    const { tid } = this.#vcpuThread(Number(r.field('vm_id')), Number(r.field('vcpu_id')));
    this.#push(this.#shape(name, 'vcpu', 'i', 't', this.#fields(r)), r.timeNs, 0, tid);
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
    const current = guest ? this.#current?.() : undefined;
    const vcpu =
      running !== undefined && running.vm === e.vmId
        ? running.vcpu
        : current !== undefined && current.vmId === e.vmId
          ? current.vcpuId
          : undefined;
    const cpu = e.cpuId % 50;
    const tid =
      guest && vcpu !== undefined
        ? this.#thread(pid, PROBE_SLOT + 100 * k + (vcpu % 50), `vm${e.vmId} vcpu${vcpu} ${type}`)
        : this.#thread(
            pid,
            PROBE_SLOT + 100 * k + 50 + cpu,
            `${guest ? `vm${e.vmId} ` : ''}${type} (pcpu${cpu})`,
          );
    const args: ArgSpec[] = [
      ['vm_id', e.vmId],
      ['pcpu', e.cpuId],
    ];
    e.args.forEach((a, i) => args.push([`arg${i}`, `0x${a.toString(16)}`]));
    if (e.durationNs > 0n) {
      const exact = e.durationNs <= BigInt(Number.MAX_SAFE_INTEGER);
      args.push(['duration_ns', exact ? DUR_NS : num(e.durationNs)]);
      const start = e.timestampNs - e.durationNs;
      const lane =
        type === 'kretprobe' && vcpu !== undefined
          ? this.#lane(tid, Number(start), Number(e.timestampNs))
          : 0;
      this.#push(
        this.#shape(e.name, type, 'X', undefined, args),
        start,
        Number(e.durationNs),
        lane === 0
          ? tid
          : this.#thread(
              pid,
              LANE_SLOT + 50 * (lane - 1) + (vcpu! % 50),
              `vm${e.vmId} vcpu${vcpu} ${type} (${lane + 1})`,
            ),
      );
    } else {
      this.#push(this.#shape(e.name, type, 'i', 't', args), e.timestampNs, 0, tid);
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

  /**
   * The named thread tracks of a VM's process (vCPUs, probe tracks, lifecycle events), in the
   * order Perfetto sorts them.
   * @param vm - the VM id.
   * @returns the process name and the track names.
   */
  vmTracks(vm: number): { process: string; threads: string[] } {
    const pid = VM_PID_BASE + vm;
    return {
      process: this.#processes.get(pid)?.name ?? `vm${vm}`,
      threads: [...this.#threads]
        .filter(([, t]) => t.pid === pid)
        .sort((a, b) => a[0] - b[0])
        .map(([, t]) => t.name),
    };
  }

  /** Number of events collected (slices, instants; not metadata or counter samples). */
  get eventCount(): number {
    return this.#count;
  }

  /** Bytes of the event columns (for memory checks): 32 per event, in chunks of 16,384 events. */
  get storedBytes(): number {
    return this.#chunks.reduce((n, c) => n + c.byteLength, 0);
  }

  /** Builds event `n` from the columns; `previous` is the args of event `n - 1`. */
  #event(n: number, previous: Record<string, Arg> | undefined): TraceEventJson {
    const c = this.#chunks[n >>> CHUNK_BITS]!;
    const i = n & (CHUNK - 1);
    const shape = this.#shapes[c.shape[i]!]!;
    const tid = c.tid[i]!;
    const pid = this.#threads.get(tid)!.pid;
    let args: Record<string, Arg>;
    if (shape.args === 'previous') args = previous ?? {};
    else {
      args = {};
      for (const [k, v] of shape.args)
        args[k] =
          typeof v !== 'object' ? v : v.v === 'hex' ? `0x${c.value[i]!.toString(16)}` : c.dur[i]!;
    }
    const ts = c.ts[i]! / 1000;
    return shape.ph === 'X'
      ? { name: shape.name, cat: shape.cat, ph: 'X', ts, dur: c.dur[i]! / 1000, pid, tid, args }
      : { name: shape.name, cat: shape.cat, ph: 'i', s: shape.s ?? 't', ts, pid, tid, args };
  }

  /** Calls `f` on each stored event in order (each built from the columns, then dropped). */
  #eachEvent(f: (e: TraceEventJson) => void): void {
    let previous: Record<string, Arg> | undefined;
    for (let n = 0; n < this.#count; n++) {
      const e = this.#event(n, previous);
      previous = e.args;
      f(e);
    }
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
        out.push({
          name: 'exits/s',
          cat: 'counter',
          ph: 'C',
          ts: us(b * this.#interval),
          pid,
          tid: 0,
          args: { 'exits/s': (buckets.get(b) ?? 0) * perSecond },
        });
      }
      out.push({
        name: 'exits/s',
        cat: 'counter',
        ph: 'C',
        ts: us((last + 1n) * this.#interval),
        pid,
        tid: 0,
        args: { 'exits/s': 0 },
      });
    }
    return out;
  }

  /** @returns the trace as JSON text (`{ traceEvents, displayTimeUnit }`). */
  toJson(): string {
    const parts: string[] = [];
    const counters = this.#counters();
    for (const e of this.#metadata()) parts.push(JSON.stringify(e));
    this.#eachEvent((e) => parts.push(JSON.stringify(e)));
    for (const e of counters) parts.push(JSON.stringify(e));
    return `{"traceEvents":[${parts.join(',')}],"displayTimeUnit":"ns"}`;
  }

  /** @returns the trace events: metadata (process and thread names and order) first. */
  traceEvents(): TraceEventJson[] {
    const counters = this.#counters();
    const events = this.#metadata();
    this.#eachEvent((e) => events.push(e));
    return [...events, ...counters];
  }

  /** Process and thread names and order. */
  #metadata(): TraceEventJson[] {
    const meta: TraceEventJson[] = [];
    for (const [pid, p] of [...this.#processes].sort((a, b) => a[0] - b[0])) {
      meta.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: p.name } });
      meta.push({ name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: p.sort } });
    }
    for (const [tid, t] of [...this.#threads].sort((a, b) => a[0] - b[0])) {
      meta.push({ name: 'thread_name', ph: 'M', pid: t.pid, tid, args: { name: t.name } });
      meta.push({
        name: 'thread_sort_index',
        ph: 'M',
        pid: t.pid,
        tid,
        args: { sort_index: t.sort },
      });
    }
    return meta;
  }
}
