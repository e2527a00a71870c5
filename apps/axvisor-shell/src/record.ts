// SPDX-License-Identifier: MIT
// `trace record FILE`: every event of the runtime's pipeline streamed to a file as it happens
// (JSON lines), whatever the event ring keeps or drops; and the reader that turns such a file
// into a Chrome trace-event file for Perfetto.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { EventRing, TraceEvent } from 'axebpf';
import { ShellError } from './errors.js';

/** One recorded event, as a line of the file. */
export interface RecordedEvent {
  /** Timestamp in platform ns. */
  ts: number;
  /** Probe type (`tracepoint`, `hprobe`, `hretprobe`, `kprobe`, `kretprobe`). */
  type: string;
  /** Physical CPU. */
  cpu: number;
  /** VM id (0: the hypervisor). */
  vm: number;
  /** Event id. */
  id: number;
  /** Event name. */
  name: string;
  /** Up to four arguments, as hex text. */
  args: string[];
  /** Duration in ns (0: none). */
  dur: number;
}

const FLUSH_BYTES = 1 << 16;

/**
 * Streams events to a file. Lines are buffered and written every 64 KiB, on {@link flush} and on
 * {@link stop}; no event is left out, whatever the ring does when it is full.
 */
export class EventRecorder {
  /** The file written. */
  readonly file: string;
  #fd: number;
  #chunks: string[] = [];
  #bytes = 0;
  #count = 0;
  readonly #unfollow: () => void;

  /**
   * Opens (truncates) the file and starts following the ring.
   * @param events - the runtime's event ring (its followers see every event).
   * @param file - the path.
   * @throws {ShellError} `BAD_ARGUMENT` when the file cannot be opened.
   */
  constructor(events: EventRing, file: string) {
    this.file = file;
    try {
      this.#fd = openSync(file, 'w');
    } catch (e) {
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `cannot write \`${file}\`: ${(e as Error).message}`,
        cause: e,
      });
    }
    this.#unfollow = events.follow((e) => this.#write(e));
  }

  #write(e: TraceEvent): void {
    const line = `${JSON.stringify({ ts: Number(e.timestampNs), type: e.probeType, cpu: e.cpuId, vm: e.vmId, id: e.eventId, name: e.name, args: e.args.map((a) => `0x${a.toString(16)}`), dur: Number(e.durationNs) } satisfies RecordedEvent)}\n`;
    this.#chunks.push(line);
    this.#bytes += line.length;
    this.#count++;
    if (this.#bytes >= FLUSH_BYTES) this.flush();
  }

  /** Events recorded so far. */
  get count(): number {
    return this.#count;
  }

  /** Writes the buffered lines out. */
  flush(): void {
    if (this.#chunks.length === 0 || this.#fd < 0) return;
    writeSync(this.#fd, this.#chunks.join(''));
    this.#chunks = [];
    this.#bytes = 0;
  }

  /** Stops following, writes what is buffered and closes the file. Idempotent. */
  stop(): void {
    if (this.#fd < 0) return;
    this.#unfollow();
    this.flush();
    closeSync(this.#fd);
    this.#fd = -1;
  }
}

/**
 * Reads a file written by {@link EventRecorder}.
 * @param file - the path.
 * @returns the events, in the order they happened.
 * @throws {ShellError} `BAD_ARGUMENT` for an unreadable file or a line that is not an event
 * (with its line number).
 */
export function readRecording(file: string): RecordedEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ShellError({
      code: 'BAD_ARGUMENT',
      message: `cannot read \`${file}\`: ${(e as Error).message}`,
      cause: e,
    });
  }
  const out: RecordedEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    let e: RecordedEvent;
    try {
      e = JSON.parse(lines[i]!) as RecordedEvent;
    } catch {
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `${file}:${i + 1}: not a recorded event (written by \`trace record\`)`,
      });
    }
    if (typeof e.ts !== 'number' || typeof e.name !== 'string')
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `${file}:${i + 1}: not a recorded event (written by \`trace record\`)`,
      });
    out.push(e);
  }
  return out;
}

/**
 * Turns a recording into Chrome trace-event JSON (Perfetto, chrome://tracing): one process per
 * VM (vm0 is the hypervisor), one thread per physical CPU; events with a duration are slices
 * ending at their timestamp, the others instant events; args and ids go into `args`.
 * @param events - the recording.
 * @returns the JSON text.
 */
export function chromeTraceFromRecording(events: readonly RecordedEvent[]): string {
  const vms = [...new Set(events.map((e) => e.vm))].sort((a, b) => a - b);
  const meta = vms.map((vm) => ({
    name: 'process_name',
    ph: 'M',
    pid: vm,
    tid: 0,
    cat: '__metadata',
    args: { name: vm === 0 ? 'axvisor' : `vm${vm}` },
  }));
  const body = events.map((e) => {
    const args = {
      id: e.id,
      type: e.type,
      ...Object.fromEntries(e.args.map((a, i) => [`arg${i}`, a])),
    };
    return e.dur > 0
      ? {
          name: e.name,
          cat: e.type,
          ph: 'X',
          ts: (e.ts - e.dur) / 1000,
          dur: e.dur / 1000,
          pid: e.vm,
          tid: e.cpu,
          args,
        }
      : {
          name: e.name,
          cat: e.type,
          ph: 'i',
          s: 't',
          ts: e.ts / 1000,
          pid: e.vm,
          tid: e.cpu,
          args,
        };
  });
  return JSON.stringify({ traceEvents: [...meta, ...body], displayTimeUnit: 'ns' });
}
