// SPDX-License-Identifier: MIT
// Per-CPU rings of trace records and their trace_pipe text. Line format after Linux
// kernel/trace/trace_output.c (comm-pid, [cpu], latency flags, secs.usecs) with the
// `<sys>:<name>:` event column this project uses; written here.

import type { EventDefinition } from './event.js';
import { TracepointError } from './errors.js';

/** What happens when a CPU's ring is full. */
export type RingMode = 'overwrite' | 'drop-newest';

/** One recorded event. */
export interface TraceEntry {
  /** Time the event fired (ns, from the host clock at fire time). */
  readonly timeNs: bigint;
  /** CPU it fired on. */
  readonly cpu: number;
  /** `common_pid`. */
  readonly pid: number;
  /** Task name at fire time. */
  readonly comm: string;
  /** `common_flags`. */
  readonly flags: number;
  /** `common_preempt_count`. */
  readonly preemptCount: number;
  /** Event id (`common_type`). */
  readonly id: number;
  /** The event's definition. */
  readonly event: EventDefinition;
  /** A copy of the record bytes. */
  readonly record: Uint8Array;
}

/** Options of {@link TracePipe}. */
export interface TracePipeOptions {
  /** Entries per CPU ring (default 4096). */
  readonly entriesPerCpu?: number;
  /** Full-ring policy (default `overwrite`, as Linux's default). */
  readonly mode?: RingMode;
}

const CHUNK_BYTES = 1 << 16;

/** An entry whose record bytes live in a shared chunk (no typed array per entry on the hot path). */
class PipeEntry implements TraceEntry {
  constructor(
    readonly timeNs: bigint,
    readonly cpu: number,
    readonly pid: number,
    readonly comm: string,
    readonly flags: number,
    readonly preemptCount: number,
    readonly id: number,
    readonly event: EventDefinition,
    readonly chunk: Uint8Array,
    readonly offset: number,
    readonly size: number,
  ) {}
  get record(): Uint8Array {
    return this.chunk.subarray(this.offset, this.offset + this.size);
  }
}

class CpuRing {
  readonly slots: (TraceEntry | undefined)[];
  head = 0;
  count = 0;
  lost = 0;
  lostUnreported = 0;
  written = 0;
  constructor(readonly capacity: number) {
    this.slots = new Array<TraceEntry | undefined>(capacity).fill(undefined);
  }
}

/**
 * Latency-format flags of an entry, five characters as Linux prints them: irqs-off (`d`/`X`),
 * need-resched (`N`/`n`/`p`), hardirq/softirq (`Z`/`z`/`H`/`h`/`s`), preempt depth and
 * migrate-disable depth (hex digit or `.`).
 *
 * @param flags - `common_flags`.
 * @param preempt - `common_preempt_count`.
 * @returns the five characters.
 */
export function latencyFlags(flags: number, preempt: number): string {
  const irqs = flags & 0x01 ? 'd' : flags & 0x02 ? 'X' : '.';
  const nr = flags & 0x04;
  const pr = flags & 0x20;
  const resched = nr && pr ? 'N' : nr ? 'n' : pr ? 'p' : '.';
  const nmi = flags & 0x40;
  const hard = flags & 0x08;
  const soft = flags & 0x10;
  const ctx = nmi && hard ? 'Z' : nmi ? 'z' : hard && soft ? 'H' : hard ? 'h' : soft ? 's' : '.';
  const depth = preempt & 0xf;
  const migrate = (preempt >> 4) & 0xf;
  return (
    irqs +
    resched +
    ctx +
    (depth ? depth.toString(16) : '.') +
    (migrate ? migrate.toString(16) : '.')
  );
}

/**
 * Formats one entry as a trace_pipe line (without the newline):
 * `<comm>-<pid> [cpu] flags <secs.usecs>: <sys>:<name>: <fields>`.
 *
 * @param e - the entry.
 * @returns the line.
 */
export function formatEntry(e: TraceEntry): string {
  const secs = e.timeNs / 1_000_000_000n;
  const usecs = (e.timeNs % 1_000_000_000n) / 1000n;
  const task = `${e.comm.slice(0, 16).padStart(16)}-${String(e.pid).padEnd(7)}`;
  const cpu = String(e.cpu).padStart(3, '0');
  return `${task} [${cpu}] ${latencyFlags(e.flags, e.preemptCount)} ${String(secs).padStart(5)}.${String(usecs).padStart(6, '0')}: ${e.event.system}:${e.event.name}: ${e.event.render(e.record)}`;
}

/**
 * Per-CPU rings of records with a consuming reader (trace_pipe) and a non-consuming one
 * (the `trace` file).
 *
 * @remarks Differences from ktracepoint's `TracePipeRaw`: one ring per CPU, the timestamp is
 * stored when the event fires (the original read the clock when the pipe was read), a
 * `drop-newest` mode, and a lost counter that readers see (`CPU:N [LOST M EVENTS]`).
 */
export class TracePipe {
  readonly #rings: CpuRing[] = [];
  readonly #capacity: number;
  #mode: RingMode;
  #chunk = new Uint8Array(CHUNK_BYTES);
  #chunkPos = 0;

  /** @param options - ring size and full-ring policy. */
  constructor(options: TracePipeOptions = {}) {
    const cap = options.entriesPerCpu ?? 4096;
    if (!Number.isInteger(cap) || cap < 1) {
      throw new TracepointError({
        code: 'INVALID_ARGUMENT',
        message: `ring size \`${cap}\` must be a positive integer`,
      });
    }
    this.#capacity = cap;
    this.#mode = options.mode ?? 'overwrite';
  }

  /** Entries per CPU ring. */
  get entriesPerCpu(): number {
    return this.#capacity;
  }

  /** Full-ring policy. */
  get mode(): RingMode {
    return this.#mode;
  }
  set mode(mode: RingMode) {
    this.#mode = mode;
  }

  #ring(cpu: number): CpuRing {
    let r = this.#rings[cpu];
    if (r === undefined) {
      r = new CpuRing(this.#capacity);
      this.#rings[cpu] = r;
    }
    return r;
  }

  /**
   * Stores an entry in its CPU's ring.
   * @param entry - the entry (its `record` must be a private copy).
   * @returns false when the entry was dropped (drop-newest on a full ring).
   */
  push(entry: TraceEntry): boolean {
    const r = this.#ring(entry.cpu);
    r.written++;
    if (r.count === r.capacity) {
      r.lost++;
      r.lostUnreported++;
      if (this.#mode === 'drop-newest') return false;
      r.slots[r.head] = entry;
      r.head = (r.head + 1) % r.capacity;
      return true;
    }
    r.slots[(r.head + r.count) % r.capacity] = entry;
    r.count++;
    return true;
  }

  /**
   * Copies a record into the pipe's storage and stores an entry for it: the hot path of an
   * enabled event (no allocation but the entry object).
   * @param event - the event.
   * @param id - its id.
   * @param bytes - buffer holding the record in `[0, size)`.
   * @param size - record length.
   * @param timeNs - fire time.
   * @param cpu - CPU.
   * @param pid - pid.
   * @param comm - task name.
   * @param flags - `common_flags`.
   * @param preempt - `common_preempt_count`.
   * @returns false when the entry was dropped.
   * @internal
   */
  pushRecord(
    event: EventDefinition,
    id: number,
    bytes: Uint8Array,
    size: number,
    timeNs: bigint,
    cpu: number,
    pid: number,
    comm: string,
    flags: number,
    preempt: number,
  ): boolean {
    let chunk = this.#chunk;
    let pos = this.#chunkPos;
    if (pos + size > chunk.length) {
      chunk = new Uint8Array(Math.max(CHUNK_BYTES, size));
      this.#chunk = chunk;
      pos = 0;
    }
    for (let i = 0; i < size; i++) chunk[pos + i] = bytes[i]!;
    this.#chunkPos = pos + size;
    return this.push(
      new PipeEntry(timeNs, cpu, pid, comm, flags, preempt, id, event, chunk, pos, size),
    );
  }

  /** Entries currently stored, over all CPUs. */
  get size(): number {
    let n = 0;
    for (const r of this.#rings) if (r !== undefined) n += r.count;
    return n;
  }

  /** Entries ever offered to the rings, over all CPUs. */
  get written(): number {
    let n = 0;
    for (const r of this.#rings) if (r !== undefined) n += r.written;
    return n;
  }

  /**
   * Events lost (overwritten or dropped), in total or for one CPU.
   * @param cpu - a CPU, or all when omitted.
   * @returns the count since creation or the last {@link TracePipe.clear}.
   */
  lost(cpu?: number): number {
    if (cpu !== undefined) return this.#rings[cpu]?.lost ?? 0;
    let n = 0;
    for (const r of this.#rings) if (r !== undefined) n += r.lost;
    return n;
  }

  /** CPUs that have a ring. */
  get cpus(): number[] {
    const out: number[] = [];
    this.#rings.forEach((r, i) => {
      if (r !== undefined) out.push(i);
    });
    return out;
  }

  #entries(consume: boolean, max: number, onLost?: (cpu: number, n: number) => void): TraceEntry[] {
    const out: TraceEntry[] = [];
    const cursors = this.#rings.map(() => 0);
    if (onLost !== undefined) {
      this.#rings.forEach((r, cpu) => {
        if (r !== undefined && r.lostUnreported > 0) {
          onLost(cpu, r.lostUnreported);
          if (consume) r.lostUnreported = 0;
        }
      });
    }
    while (out.length < max) {
      // Merge the per-CPU rings by timestamp, as trace_pipe does (ties: lower CPU first).
      let best = -1;
      let bestTime = 0n;
      for (let cpu = 0; cpu < this.#rings.length; cpu++) {
        const r = this.#rings[cpu];
        if (r === undefined) continue;
        const k = consume ? 0 : cursors[cpu]!;
        if (k >= r.count) continue;
        const e = r.slots[(r.head + k) % r.capacity]!;
        if (best < 0 || e.timeNs < bestTime) {
          best = cpu;
          bestTime = e.timeNs;
        }
      }
      if (best < 0) break;
      const r = this.#rings[best]!;
      if (consume) {
        out.push(r.slots[r.head]!);
        r.slots[r.head] = undefined;
        r.head = (r.head + 1) % r.capacity;
        r.count--;
      } else {
        out.push(r.slots[(r.head + cursors[best]!) % r.capacity]!);
        cursors[best]!++;
      }
    }
    return out;
  }

  /**
   * Takes up to `max` entries out of the rings, oldest first across CPUs.
   * @param max - the most to take (default all).
   * @returns the entries.
   */
  read(max = Infinity): TraceEntry[] {
    return this.#entries(true, max);
  }

  /**
   * Takes up to `max` entries and formats them as trace_pipe lines, preceded by a
   * `CPU:N [LOST M EVENTS]` line for each CPU that lost events since the last read.
   * @param max - the most entries to take (default all).
   * @returns the text, one line per entry, each ending with a newline.
   */
  readText(max = Infinity): string {
    let text = '';
    const entries = this.#entries(true, max, (cpu, n) => {
      text += `CPU:${cpu} [LOST ${n} EVENTS]\n`;
    });
    for (const e of entries) text += formatEntry(e) + '\n';
    return text;
  }

  /**
   * The `trace` file: the ftrace header and every stored entry, without consuming them.
   * @param cpuCount - the `#P:` value (default: the highest CPU with a ring + 1).
   * @returns the text.
   */
  snapshotText(cpuCount?: number): string {
    const entries = this.#entries(false, Infinity);
    const p = cpuCount ?? this.#rings.length;
    let text =
      '# tracer: nop\n#\n' +
      `# entries-in-buffer/entries-written: ${entries.length}/${this.written}   #P:${p}\n#\n` +
      '#                                _-----=> irqs-off/BH-disabled\n' +
      '#                               / _----=> need-resched\n' +
      '#                              | / _---=> hardirq/softirq\n' +
      '#                              || / _--=> preempt-depth\n' +
      '#                              ||| / _-=> migrate-disable\n' +
      '#                              |||| /     delay\n' +
      '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n' +
      '#              | |         |   |||||     |         |\n';
    for (const e of entries) text += formatEntry(e) + '\n';
    return text;
  }

  /** Drops every entry and resets the counters. */
  clear(): void {
    this.#rings.length = 0;
  }
}
