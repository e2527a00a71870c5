// SPDX-License-Identifier: MIT
// The 64-byte TraceEvent record and a bounded ring of them.
// Layout from Iscreamx/axebpf src/event.rs (see docs); the ring is written here: the original's
// ring buffer never worked and its fallback queue delivered events twice when it would have.

/** Size of one encoded {@link TraceEvent} in bytes. */
export const TRACE_EVENT_SIZE = 64;

/** Probe type codes, as in the Rust original (byte 8 of the record). */
export const PROBE_TYPE = {
  tracepoint: 0,
  hprobe: 1,
  hretprobe: 2,
  kprobe: 3,
  kretprobe: 4,
} as const;

/** Name of a probe type. */
export type ProbeType = keyof typeof PROBE_TYPE;

const PROBE_TYPE_NAMES: readonly ProbeType[] = [
  'tracepoint',
  'hprobe',
  'hretprobe',
  'kprobe',
  'kretprobe',
];

/**
 * One event in the pipeline, decoded. On the wire it is 64 bytes, little-endian:
 * `timestamp_ns u64 @0, probe_type u8 @8, cpu_id u8 @9, vm_id u16 @10, event_id u32 @12,
 * name_offset u16 @16, nr_args u8 @18, args [u64; 4] @24, duration_ns u64 @56`.
 */
export interface TraceEvent {
  /** Time the event fired, in platform nanoseconds. */
  timestampNs: bigint;
  /** What kind of probe produced it. */
  probeType: ProbeType;
  /** CPU it fired on (truncated to 8 bits in the record). */
  cpuId: number;
  /** VM it concerns (0 = none). */
  vmId: number;
  /** Numeric id of the event (tracepoint id or probe id). */
  eventId: number;
  /** Event name, resolved from the name table (`unknown` if not registered). */
  name: string;
  /** Up to four arguments. */
  args: bigint[];
  /** Duration in nanoseconds (0 = none): run time for exits, entry-to-return for return probes. */
  durationNs: bigint;
}

/** What {@link EventRing.emit} takes: the event without its resolved name. */
export interface EventInput {
  timestampNs: bigint;
  probeType: ProbeType;
  cpuId: number;
  vmId: number;
  eventId: number;
  /** Event name; registered in the ring's name table on first use. */
  name: string;
  args?: readonly bigint[];
  durationNs?: bigint;
}

/**
 * Encodes an event into 64 bytes.
 * @param event - the event (at most four args).
 * @param nameOffset - index of its name in the name table (0xffff = none).
 * @param out - destination of at least 64 bytes; a fresh array when omitted.
 * @returns the destination.
 */
export function encodeTraceEvent(
  event: EventInput,
  nameOffset: number,
  out: Uint8Array = new Uint8Array(TRACE_EVENT_SIZE),
): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, TRACE_EVENT_SIZE);
  const args = event.args ?? [];
  if (args.length > 4)
    throw new RangeError(`a trace event has at most 4 args, got \`${args.length}\``);
  view.setBigUint64(0, BigInt.asUintN(64, event.timestampNs), true);
  view.setUint8(8, PROBE_TYPE[event.probeType]);
  view.setUint8(9, event.cpuId & 0xff);
  view.setUint16(10, event.vmId & 0xffff, true);
  view.setUint32(12, event.eventId >>> 0, true);
  view.setUint16(16, nameOffset & 0xffff, true);
  view.setUint8(18, args.length);
  view.setUint8(19, 0);
  view.setUint32(20, 0, true);
  for (let i = 0; i < 4; i++)
    view.setBigUint64(24 + i * 8, BigInt.asUintN(64, args[i] ?? 0n), true);
  view.setBigUint64(56, BigInt.asUintN(64, event.durationNs ?? 0n), true);
  return out;
}

/**
 * Decodes 64 bytes into an event.
 * @param bytes - at least 64 bytes.
 * @param names - the name table to resolve `name_offset` against.
 * @returns the event.
 * @throws RangeError when fewer than 64 bytes are given (the original returned None).
 */
export function decodeTraceEvent(bytes: Uint8Array, names: readonly string[] = []): TraceEvent {
  if (bytes.length < TRACE_EVENT_SIZE) {
    throw new RangeError(`a trace event is 64 bytes, got \`${bytes.length}\``);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, TRACE_EVENT_SIZE);
  const nrArgs = Math.min(view.getUint8(18), 4);
  const args: bigint[] = [];
  for (let i = 0; i < nrArgs; i++) args.push(view.getBigUint64(24 + i * 8, true));
  const nameOffset = view.getUint16(16, true);
  return {
    timestampNs: view.getBigUint64(0, true),
    probeType: PROBE_TYPE_NAMES[view.getUint8(8)] ?? 'tracepoint',
    cpuId: view.getUint8(9),
    vmId: view.getUint16(10, true),
    eventId: view.getUint32(12, true),
    name: names[nameOffset] ?? 'unknown',
    args,
    durationNs: view.getBigUint64(56, true),
  };
}

/** Filter for reading events: every given condition must hold. */
export interface EventFilter {
  /** Only these probe types. */
  probeTypes?: readonly ProbeType[];
  /** Only this VM. */
  vmId?: number;
  /** Only events whose name matches (exact string, or a RegExp). */
  name?: string | RegExp;
}

/** What happens when an event arrives and the ring is full. */
export type OverflowMode = 'drop-newest' | 'overwrite-oldest';

/** Counters of an {@link EventRing}. */
export interface EventRingStats {
  /** Events offered to the ring. */
  emitted: number;
  /** Events lost because the ring was full (dropped or overwritten before being read). */
  lost: number;
  /** Events currently waiting to be read. */
  pending: number;
  /** Capacity in events. */
  capacity: number;
  /** What a full ring does. */
  mode: OverflowMode;
}

/**
 * A bounded ring of 64-byte events in one preallocated buffer. Emitting never allocates once a
 * name is known; nothing is lost silently: {@link EventRing.stats} counts what overflow cost.
 *
 * @example
 * ```ts
 * const ring = new EventRing({ capacity: 1024 });
 * ring.emit({ timestampNs: 1n, probeType: 'tracepoint', cpuId: 0, vmId: 1, eventId: 7, name: 'vmm:vcpu_run_exit' });
 * for (const ev of ring.drain()) console.log(ev.name, ev.vmId);
 * ```
 */
export class EventRing {
  #capacity: number;
  #bytes: Uint8Array;
  #mode: OverflowMode;
  readonly #names: string[] = [];
  readonly #nameIndex = new Map<string, number>();
  #head = 0; // index of the oldest pending event
  #count = 0;
  #emitted = 0;
  #lost = 0;
  readonly #listeners = new Set<(event: TraceEvent) => void>();

  /**
   * @param options - `capacity` in events (default 4096, at least 1) and the overflow mode
   * (default `drop-newest`, as a BPF ring buffer does).
   */
  constructor(options: { capacity?: number; mode?: OverflowMode } = {}) {
    const capacity = options.capacity ?? 4096;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got \`${capacity}\``);
    }
    this.#capacity = capacity;
    this.#mode = options.mode ?? 'drop-newest';
    this.#bytes = new Uint8Array(capacity * TRACE_EVENT_SIZE);
  }

  /**
   * Registers a name and returns its offset in the name table (idempotent).
   * @param name - event name such as `vmm:vcpu_run_exit`.
   * @returns its index; the table holds at most 65,535 names.
   */
  registerName(name: string): number {
    const known = this.#nameIndex.get(name);
    if (known !== undefined) return known;
    if (this.#names.length >= 0xffff)
      throw new RangeError('event name table is full (65,535 names)');
    const index = this.#names.length;
    this.#names.push(name);
    this.#nameIndex.set(name, index);
    return index;
  }

  /** The name table, index = `name_offset`. */
  get names(): readonly string[] {
    return this.#names;
  }

  /**
   * Adds an event. When the ring is full, `drop-newest` drops this event and
   * `overwrite-oldest` replaces the oldest unread one; either way `lost` grows by one.
   * Followers (see {@link EventRing.follow}) see every event, including dropped ones.
   * @param event - the event.
   * @returns false when the event itself was dropped.
   */
  emit(event: EventInput): boolean {
    const nameOffset = this.registerName(event.name);
    this.#emitted++;
    if (this.#listeners.size > 0) {
      const decoded: TraceEvent = {
        timestampNs: event.timestampNs,
        probeType: event.probeType,
        cpuId: event.cpuId & 0xff,
        vmId: event.vmId & 0xffff,
        eventId: event.eventId >>> 0,
        name: event.name,
        args: [...(event.args ?? [])],
        durationNs: event.durationNs ?? 0n,
      };
      for (const listener of this.#listeners) listener(decoded);
    }
    let slot: number;
    if (this.#count === this.#capacity) {
      this.#lost++;
      if (this.#mode === 'drop-newest') return false;
      slot = this.#head;
      this.#head = (this.#head + 1) % this.#capacity;
    } else {
      slot = (this.#head + this.#count) % this.#capacity;
      this.#count++;
    }
    encodeTraceEvent(
      event,
      nameOffset,
      this.#bytes.subarray(slot * TRACE_EVENT_SIZE, (slot + 1) * TRACE_EVENT_SIZE),
    );
    return true;
  }

  /**
   * Removes and returns pending events, oldest first (the `trace dump` consumer).
   * Events that do not match the filter are removed too.
   * @param options - `max` events to return (0 or omitted = all) and a filter.
   * @returns the matching events.
   */
  drain(options: { max?: number; filter?: EventFilter } = {}): TraceEvent[] {
    const max = options.max ?? 0;
    const out: TraceEvent[] = [];
    while (this.#count > 0 && (max === 0 || out.length < max)) {
      const slot = this.#head;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#count--;
      const event = decodeTraceEvent(
        this.#bytes.subarray(slot * TRACE_EVENT_SIZE, (slot + 1) * TRACE_EVENT_SIZE),
        this.#names,
      );
      if (matchesFilter(event, options.filter)) out.push(event);
    }
    return out;
  }

  /**
   * Returns pending events without removing them, oldest first.
   * @param filter - optional filter.
   * @returns the matching events.
   */
  peek(filter?: EventFilter): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) % this.#capacity;
      const event = decodeTraceEvent(
        this.#bytes.subarray(slot * TRACE_EVENT_SIZE, (slot + 1) * TRACE_EVENT_SIZE),
        this.#names,
      );
      if (matchesFilter(event, filter)) out.push(event);
    }
    return out;
  }

  /**
   * Calls `listener` for every event as it is emitted (the `trace stream` consumer).
   * @param listener - called synchronously with the decoded event.
   * @param filter - optional filter.
   * @returns a function that stops following.
   */
  follow(listener: (event: TraceEvent) => void, filter?: EventFilter): () => void {
    const wrapped =
      filter === undefined
        ? listener
        : (event: TraceEvent) => {
            if (matchesFilter(event, filter)) listener(event);
          };
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** @returns the ring's counters. */
  stats(): EventRingStats {
    return {
      emitted: this.#emitted,
      lost: this.#lost,
      pending: this.#count,
      capacity: this.#capacity,
      mode: this.#mode,
    };
  }

  /**
   * Changes the capacity and/or the overflow mode (ftrace's `buffer_size_kb` and `overwrite`).
   * Pending events are kept, the newest ones when they no longer fit (the others count as lost).
   * @param options - new capacity in events (a positive integer) and mode.
   * @throws RangeError for a capacity that is not a positive integer.
   */
  configure(options: { capacity?: number; mode?: OverflowMode }): void {
    if (options.mode !== undefined) this.#mode = options.mode;
    const capacity = options.capacity ?? this.#capacity;
    if (capacity === this.#capacity) return;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ring capacity must be a positive integer, got \`${capacity}\``);
    const bytes = new Uint8Array(capacity * TRACE_EVENT_SIZE);
    const keep = Math.min(this.#count, capacity);
    const skip = this.#count - keep;
    for (let i = 0; i < keep; i++) {
      const from = ((this.#head + skip + i) % this.#capacity) * TRACE_EVENT_SIZE;
      bytes.set(this.#bytes.subarray(from, from + TRACE_EVENT_SIZE), i * TRACE_EVENT_SIZE);
    }
    this.#lost += skip;
    this.#bytes = bytes;
    this.#capacity = capacity;
    this.#head = 0;
    this.#count = keep;
  }

  /** Drops pending events; counters other than `pending` are kept. */
  clear(): void {
    this.#head = 0;
    this.#count = 0;
  }
}

/**
 * Tells whether an event passes a filter.
 * @param event - the event.
 * @param filter - the filter (undefined passes everything).
 * @returns true when every condition holds.
 */
export function matchesFilter(event: TraceEvent, filter: EventFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.probeTypes !== undefined && !filter.probeTypes.includes(event.probeType)) return false;
  if (filter.vmId !== undefined && event.vmId !== filter.vmId) return false;
  if (filter.name !== undefined) {
    if (
      typeof filter.name === 'string' ? event.name !== filter.name : !filter.name.test(event.name)
    )
      return false;
  }
  return true;
}
