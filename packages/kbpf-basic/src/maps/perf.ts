// SPDX-License-Identifier: MIT
// PERF_EVENT_ARRAY map and the per-CPU perf event buffers it points to. Semantics of Linux
// kernel/bpf/arraymap.c (fd arrays) and kernel/trace/bpf_trace.c (bpf_perf_event_output); role of
// Starry-OS/kbpf-basic src/map/array.rs (PerfEventArray) and src/perf/.

import { BPF_ANY, ERRNO } from '../constants.js';
import { checkedCurrentCpu } from '../platform.js';
import type { MapAttr, MapContext } from './base.js';
import { BpfMap, round8 } from './base.js';

/** One entry of a {@link PerfEventBuffer}: a sample, or a count of samples lost at that point. */
export type PerfRecord = { kind: 'sample'; data: Uint8Array } | { kind: 'lost'; count: number };

/**
 * A perf event's sample buffer (the role of a perf ring's data pages): a byte capacity, filled
 * by `bpf_perf_event_output`. A sample that does not fit is dropped and recorded as a `lost`
 * record at that point of the stream (like `PERF_RECORD_LOST`), so readers always see the loss.
 */
export class PerfEventBuffer {
  /** CPU the event belongs to; output from another CPU fails with EOPNOTSUPP, as in Linux. */
  readonly cpu: number;
  /** Capacity in bytes (each sample takes its size + 12, rounded up to 8). */
  readonly capacity: number;
  /** Samples lost since creation. */
  lostTotal = 0;
  #used = 0;
  #records: PerfRecord[] = [];

  /**
   * @param cpu - the CPU.
   * @param capacity - bytes of sample space. Default 64 KiB.
   */
  constructor(cpu: number, capacity = 65536) {
    this.cpu = cpu;
    this.capacity = capacity;
  }

  /** Cost in bytes of a sample of `size` bytes (perf header 8 + size word 4 + data, 8-aligned). */
  static recordBytes(size: number): number {
    return round8(12 + size);
  }

  /**
   * Appends a sample.
   * @param data - the sample (copied by the caller).
   * @returns true when stored, false when dropped (and counted).
   */
  write(data: Uint8Array): boolean {
    const cost = PerfEventBuffer.recordBytes(data.length);
    if (this.#used + cost > this.capacity) {
      this.lostTotal++;
      const last = this.#records[this.#records.length - 1];
      if (last?.kind === 'lost') last.count++;
      else this.#records.push({ kind: 'lost', count: 1 });
      return false;
    }
    this.#used += cost;
    this.#records.push({ kind: 'sample', data });
    return true;
  }

  /**
   * Removes and returns the buffered records in order.
   * @returns samples and lost markers.
   */
  drain(): PerfRecord[] {
    const out = this.#records;
    this.#records = [];
    this.#used = 0;
    return out;
  }
}

/**
 * A perf event array: `maxEntries` slots, each holding a perf event (set through bpf() with the
 * event's fd, or directly with {@link PerfEventArrayMap.set}). `bpf_perf_event_output` writes to
 * the slot of the current CPU (`BPF_F_CURRENT_CPU`) or an explicit index.
 */
export class PerfEventArrayMap extends BpfMap {
  readonly #events: (PerfEventBuffer | undefined)[];
  readonly #resolve: ((fd: number) => PerfEventBuffer | undefined) | undefined;

  /**
   * @param attr - validated attributes (see {@link createMap}).
   * @param ctx - address space and platform.
   * @param resolveFd - turns an fd written through bpf() into a perf event.
   */
  constructor(
    attr: MapAttr,
    ctx: MapContext,
    resolveFd?: (fd: number) => PerfEventBuffer | undefined,
  ) {
    super(attr, ctx);
    this.#events = new Array<PerfEventBuffer | undefined>(attr.maxEntries).fill(undefined);
    this.#resolve = resolveFd;
  }

  override get size(): number {
    return this.#events.filter((e) => e !== undefined).length;
  }

  /**
   * Puts a perf event into a slot directly.
   * @param index - slot.
   * @param event - the event, or undefined to clear.
   * @throws {MapError} `E2BIG` for an index out of range.
   */
  set(index: number, event: PerfEventBuffer | undefined): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries)
      throw this.fail('E2BIG', `index ${index} is out of range (${this.maxEntries} entries)`);
    this.#events[index] = event;
  }

  /**
   * @param index - slot.
   * @returns the event in a slot.
   */
  get(index: number): PerfEventBuffer | undefined {
    return this.#events[index];
  }

  #index(key: Uint8Array): number {
    this.checkSize(key, 4, 'key');
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }

  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkWritable();
    if (flags !== BPF_ANY) throw this.fail('EINVAL', 'fd arrays only take BPF_ANY');
    const i = this.#index(key);
    this.checkSize(value, 4, 'value');
    if (i >= this.maxEntries)
      throw this.fail('E2BIG', `index ${i} is out of range (${this.maxEntries} entries)`);
    const fd = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    const event = this.#resolve?.(fd);
    if (event === undefined) throw this.fail('EBADF', `fd ${fd} is not a perf event`);
    this.#events[i] = event;
  }

  override delete(key: Uint8Array): void {
    this.checkWritable();
    const i = this.#index(key);
    if (i >= this.maxEntries) throw this.fail('E2BIG', `index ${i} is out of range`);
    if (this.#events[i] === undefined) throw this.fail('ENOENT', `slot ${i} is empty`);
    this.#events[i] = undefined;
  }

  override getNextKey(key: Uint8Array | undefined): Uint8Array {
    const i = key === undefined ? -1 : this.#index(key);
    const next = key === undefined || i >= this.maxEntries ? 0 : i + 1;
    if (next >= this.maxEntries) throw this.fail('ENOENT', 'no next key');
    return new Uint8Array(new Uint32Array([next]).buffer);
  }

  /**
   * `bpf_perf_event_output` core.
   * @param flags - low 32 bits: index or `BPF_F_CURRENT_CPU`; other bits must be 0.
   * @param data - the sample (a copy).
   * @returns 0 or -errno (`EINVAL`, `E2BIG`, `ENOENT`, `EOPNOTSUPP`, `ENOSPC` when lost).
   */
  output(flags: bigint, data: Uint8Array): number {
    if (flags >> 32n !== 0n) return -ERRNO.EINVAL;
    const cpu = checkedCurrentCpu(this.platform);
    const index = flags === 0xffffffffn ? cpu : Number(flags);
    if (index >= this.maxEntries) return -ERRNO.E2BIG;
    const event = this.#events[index];
    if (event === undefined) return -ERRNO.ENOENT;
    if (event.cpu !== cpu) return -ERRNO.EOPNOTSUPP;
    return event.write(data) ? 0 : -ERRNO.ENOSPC;
  }
}
