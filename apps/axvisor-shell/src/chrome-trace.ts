// SPDX-License-Identifier: MIT
// Chrome trace-event JSON (the format Perfetto and chrome://tracing open): vCPU run slices per
// physical CPU, VM exits as instant events, VM lifecycle events. Built from tracepoint records.
// Events are kept in typed-array columns (about 32 bytes each), not as objects (about 500
// bytes with their `args`), so a long traced run grows by little: issue 25 measured 1.6 KB of
// RSS per exit with objects.

import type { TraceRecord, TracepointManager } from '@axebpf/tracepoint';

interface TraceEventJson {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 'M';
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 't' | 'p' | 'g';
  args?: Record<string, string | number>;
}

const us = (ns: bigint): number => Number(ns) / 1000;

/** Kinds of stored events: a vCPU slice, an exit, then the VM instants by name. */
const SLICE = 0;
const EXIT = 1;
const INSTANTS = ['vm_create', 'vm_boot', 'vm_shutdown', 'vm_destroy', 'hypercall', 'vcpu_halt', 'cpu_up'] as const;
const CHUNK = 1 << 14;

/** One chunk of event columns. */
class Chunk {
  readonly ts = new Float64Array(CHUNK);
  readonly dur = new Float64Array(CHUNK);
  readonly pc = new BigUint64Array(CHUNK);
  readonly tid = new Uint16Array(CHUNK);
  readonly vm = new Uint16Array(CHUNK);
  readonly vcpu = new Uint16Array(CHUNK);
  readonly kind = new Uint8Array(CHUNK);
  readonly reason = new Uint8Array(CHUNK);
}

/**
 * Collects vmm:* records into trace events while attached to a tracepoint manager.
 * Process 0 is the hypervisor (one thread per physical CPU); VM lifecycle events go to a
 * process per VM.
 */
export class ChromeTrace {
  readonly #chunks: Chunk[] = [];
  #count = 0;
  readonly #open = new Map<number, { start: bigint; vm: number; vcpu: number }>();
  readonly #vms = new Set<number>();

  /** @param manager - the tracepoints to follow (vmm:vcpu_run_enter/exit, vm_* events). */
  constructor(manager: TracepointManager) {
    manager.attach('vmm:vcpu_run_enter', (r) => this.#enter(r));
    manager.attach('vmm:vcpu_run_exit', (r) => this.#exit(r));
    INSTANTS.forEach((name, i) => manager.attach(`vmm:${name}`, (r) => this.#instant(r, 2 + i)));
  }

  #push(kind: number, ts: number, dur: number, tid: number, vm: number, vcpu: number, reason = 0, pc = 0n): void {
    const i = this.#count & (CHUNK - 1);
    if (i === 0) this.#chunks.push(new Chunk());
    const c = this.#chunks[this.#chunks.length - 1]!;
    c.kind[i] = kind;
    c.ts[i] = ts;
    c.dur[i] = dur;
    c.tid[i] = tid;
    c.vm[i] = vm;
    c.vcpu[i] = vcpu;
    c.reason[i] = reason;
    c.pc[i] = pc;
    this.#count++;
  }

  #enter(r: TraceRecord): void {
    const previous = this.#open.get(r.cpu);
    // the vCPU was preempted at the end of its quantum (no exit): its slice ends here
    if (previous !== undefined) this.#push(SLICE, us(previous.start), us(r.timeNs - previous.start), r.cpu, previous.vm, previous.vcpu);
    this.#open.set(r.cpu, { start: r.timeNs, vm: Number(r.field('vm_id')), vcpu: Number(r.field('vcpu_id')) });
  }

  #exit(r: TraceRecord): void {
    const slot = this.#open.get(r.cpu);
    const vm = Number(r.field('vm_id'));
    const vcpu = Number(r.field('vcpu_id'));
    const guestNs = BigInt(r.field('guest_ns') as bigint | number);
    const start = slot?.start ?? r.timeNs - guestNs;
    this.#open.delete(r.cpu);
    this.#push(SLICE, us(start), us(guestNs), r.cpu, vm, vcpu);
    this.#push(EXIT, us(r.timeNs), 0, r.cpu, vm, vcpu, Number(r.field('exit_reason')), BigInt.asUintN(64, BigInt(r.field('pc') as bigint | number)));
  }

  #instant(r: TraceRecord, kind: number): void {
    const vm = Number(r.field('vm_id') ?? 0);
    this.#vms.add(vm);
    this.#push(kind, us(r.timeNs), 0, 0, vm, 0);
  }

  /**
   * Closes slices still running at the end of the run (preempted vCPUs).
   * @param endNs - the end of the run.
   */
  finish(endNs: bigint): void {
    for (const [cpu, slot] of this.#open) this.#push(SLICE, us(slot.start), us(endNs - slot.start), cpu, slot.vm, slot.vcpu);
    this.#open.clear();
  }

  /** Number of events collected. */
  get eventCount(): number {
    return this.#count;
  }

  /** Bytes of the event columns (for memory checks). */
  get storedBytes(): number {
    return this.#chunks.length * CHUNK * 32;
  }

  #event(n: number): TraceEventJson {
    const c = this.#chunks[n >>> 14]!;
    const i = n & (CHUNK - 1);
    const kind = c.kind[i]!;
    const vm = c.vm[i]!;
    const vcpu = c.vcpu[i]!;
    if (kind === SLICE) return { name: `vm${vm} vcpu${vcpu}`, cat: 'vcpu', ph: 'X', ts: c.ts[i]!, dur: c.dur[i]!, pid: 0, tid: c.tid[i]!, args: { vm, vcpu } };
    if (kind === EXIT) {
      const reason = c.reason[i]!;
      return { name: `exit ${reason}`, cat: 'exit', ph: 'i', s: 't', ts: c.ts[i]!, pid: 0, tid: c.tid[i]!, args: { vm, vcpu, reason, pc: `0x${c.pc[i]!.toString(16)}` } };
    }
    return { name: INSTANTS[kind - 2]!, cat: 'vm', ph: 'i', s: 'p', ts: c.ts[i]!, pid: vm, tid: 0 };
  }

  /** @returns the trace as JSON text. */
  toJson(): string {
    const meta: TraceEventJson[] = [{ name: 'process_name', ph: 'M', pid: 0, tid: 0, cat: '__metadata', args: { name: 'axvisor (physical CPUs)' } }];
    for (const vm of [...this.#vms].sort((a, b) => a - b)) meta.push({ name: 'process_name', ph: 'M', pid: vm, tid: 0, cat: '__metadata', args: { name: `vm${vm}` } });
    const parts = meta.map((e) => JSON.stringify(e));
    for (let n = 0; n < this.#count; n++) parts.push(JSON.stringify(this.#event(n)));
    return `{"traceEvents":[${parts.join(',')}],"displayTimeUnit":"ns"}`;
  }
}
