// SPDX-License-Identifier: MIT
// Chrome trace-event JSON (the format Perfetto and chrome://tracing open): vCPU run slices per
// physical CPU, VM exits as instant events, VM lifecycle events. Built from tracepoint records.

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

/**
 * Collects vmm:* records into trace events while attached to a tracepoint manager.
 * Process 0 is the hypervisor (one thread per physical CPU); VM lifecycle events go to a
 * process per VM.
 */
export class ChromeTrace {
  readonly #events: TraceEventJson[] = [];
  readonly #open = new Map<string, { start: bigint; vm: number; vcpu: number; pc: bigint }>();
  readonly #vms = new Set<number>();

  /** @param manager - the tracepoints to follow (vmm:vcpu_run_enter/exit, vm_* events). */
  constructor(manager: TracepointManager) {
    manager.attach('vmm:vcpu_run_enter', (r) => this.#enter(r));
    manager.attach('vmm:vcpu_run_exit', (r) => this.#exit(r));
    for (const name of ['vm_create', 'vm_boot', 'vm_shutdown', 'vm_destroy', 'hypercall', 'vcpu_halt', 'cpu_up']) {
      manager.attach(`vmm:${name}`, (r) => this.#instant(r, name));
    }
  }

  #enter(r: TraceRecord): void {
    const previous = this.#open.get(`${r.cpu}`);
    if (previous !== undefined) {
      // the vCPU was preempted at the end of its quantum (no exit): its slice ends here
      this.#events.push({ name: `vm${previous.vm} vcpu${previous.vcpu}`, cat: 'vcpu', ph: 'X', ts: us(previous.start), dur: us(r.timeNs - previous.start), pid: 0, tid: r.cpu, args: { vm: previous.vm, vcpu: previous.vcpu } });
    }
    const vm = Number(r.field('vm_id'));
    const vcpu = Number(r.field('vcpu_id'));
    this.#open.set(`${r.cpu}`, { start: r.timeNs, vm, vcpu, pc: BigInt(r.field('pc') as bigint | number) });
  }

  #exit(r: TraceRecord): void {
    const slot = this.#open.get(`${r.cpu}`);
    const vm = Number(r.field('vm_id'));
    const vcpu = Number(r.field('vcpu_id'));
    const guestNs = BigInt(r.field('guest_ns') as bigint | number);
    const start = slot?.start ?? r.timeNs - guestNs;
    this.#open.delete(`${r.cpu}`);
    this.#events.push({ name: `vm${vm} vcpu${vcpu}`, cat: 'vcpu', ph: 'X', ts: us(start), dur: us(guestNs), pid: 0, tid: r.cpu, args: { vm, vcpu } });
    this.#events.push({ name: `exit ${String(r.field('exit_reason'))}`, cat: 'exit', ph: 'i', s: 't', ts: us(r.timeNs), pid: 0, tid: r.cpu, args: { vm, vcpu, reason: Number(r.field('exit_reason')), pc: `0x${BigInt(r.field('pc') as bigint | number).toString(16)}` } });
  }

  #instant(r: TraceRecord, name: string): void {
    const vm = Number(r.field('vm_id') ?? 0);
    this.#vms.add(vm);
    this.#events.push({ name, cat: 'vm', ph: 'i', s: 'p', ts: us(r.timeNs), pid: vm, tid: 0 });
  }

  /**
   * Closes slices still running at the end of the run (preempted vCPUs).
   * @param endNs - the end of the run.
   */
  finish(endNs: bigint): void {
    for (const [cpu, slot] of this.#open) {
      this.#events.push({ name: `vm${slot.vm} vcpu${slot.vcpu}`, cat: 'vcpu', ph: 'X', ts: us(slot.start), dur: us(endNs - slot.start), pid: 0, tid: Number(cpu), args: { vm: slot.vm, vcpu: slot.vcpu } });
    }
    this.#open.clear();
  }

  /** Number of events collected. */
  get eventCount(): number {
    return this.#events.length;
  }

  /** @returns the trace as JSON text. */
  toJson(): string {
    const meta: TraceEventJson[] = [{ name: 'process_name', ph: 'M', pid: 0, tid: 0, cat: '__metadata', args: { name: 'axvisor (physical CPUs)' } }];
    for (const vm of [...this.#vms].sort((a, b) => a - b)) meta.push({ name: 'process_name', ph: 'M', pid: vm, tid: 0, cat: '__metadata', args: { name: `vm${vm}` } });
    return JSON.stringify({ traceEvents: [...meta, ...this.#events], displayTimeUnit: 'ns' });
  }
}
