// SPDX-License-Identifier: MIT
// A live tracepoint: the hot `active` flag, the generated `emit`, the filter, consumers and
// counters. The role of ktracepoint's `TracePoint` (Starry-OS/tracepoint src/point.rs).

import type { FilterPredicate } from '@axebpf/tp-lexer';
import type { EmitArgs, EventDefinition, FieldSpec } from './event.js';
import { readField } from './event.js';
import type { PrintValue } from './print-format.js';
import type { TraceHost } from './host.js';
import type { TracePipe } from './trace-pipe.js';

/**
 * The record handed to consumers. One object per tracepoint is reused for every event, and
 * `bytes` is the tracepoint's scratch buffer: both are valid only during the call. Use
 * {@link TraceRecord.toBytes} to keep the bytes.
 */
export interface TraceRecord {
  /** The event's definition. */
  readonly event: EventDefinition;
  /** The event id (`common_type`). */
  readonly id: number;
  /** Scratch buffer holding the record in `[0, size)` (it may be longer). */
  readonly bytes: Uint8Array;
  /** DataView over `bytes`. */
  readonly view: DataView;
  /** Record length in bytes (fixed part + dynamic strings). */
  readonly size: number;
  /** Fire time from the host clock (ns). */
  readonly timeNs: bigint;
  /** CPU the event fired on. */
  readonly cpu: number;
  /** `common_pid`. */
  readonly pid: number;
  /** @returns a private copy of the record bytes. */
  toBytes(): Uint8Array;
  /**
   * Decodes one field.
   * @param name - field name (common fields included).
   * @returns its value (bigint for 64-bit integers), or undefined for an unknown name.
   */
  field(name: string): PrintValue | undefined;
}

/** A callback consumer: called with the record of each event that passes the filter. */
export type TraceCallback = (record: TraceRecord) => void;

/**
 * A generic program consumer: anything that runs over the record bytes (the facade wraps an
 * eBPF program, with `record.bytes`/`record.size` as its context). Counted as program runs.
 */
export interface ProgramConsumer {
  /** Discriminant. */
  readonly kind: 'program';
  /** Name shown in listings. */
  readonly name?: string;
  /**
   * Runs over one record.
   * @param record - the record (valid during the call only).
   * @returns anything; ignored.
   */
  run(record: TraceRecord): unknown;
}

/** Anything that can be attached to a tracepoint. */
export type TraceConsumer = TraceCallback | ProgramConsumer;

/** Per-event counters. */
export interface TracepointCounters {
  /** Records built (the event fired while active). */
  hits: number;
  /** Records the filter rejected. */
  filtered: number;
  /** Callback consumer calls. */
  callbackRuns: number;
  /** Program consumer runs. */
  programRuns: number;
  /** Consumers that threw. */
  errors: number;
  /** Records written to the trace pipe. */
  pipeRecords: number;
  /**
   * Events dropped because a consumer fired the same tracepoint while it was being delivered
   * (the record buffer is in use; Linux drops recursive events the same way).
   */
  recursionDrops: number;
}

type Writer = (...args: unknown[]) => number;

const TWO32 = 4294967296;
const encoder = new TextEncoder();

function write64(v: DataView, o: number, x: number | bigint): void {
  if (typeof x === 'number') {
    const hi = Math.floor(x / TWO32);
    v.setUint32(o, x - hi * TWO32, true);
    v.setUint32(o + 4, hi >>> 0, true);
  } else {
    v.setBigUint64(o, BigInt.asUintN(64, x), true);
  }
}

/** Writes a string as UTF-8 into `[o, o + max)`, returning the bytes written (no NUL). */
function writeUtf8(b: Uint8Array, o: number, max: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i < n && i < max; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    b[o + i] = c;
  }
  if (i < n && i < max) {
    // Non-ASCII: let the encoder finish, cut at a character boundary.
    i += encoder.encodeInto(s.slice(i), b.subarray(o + i, o + max)).written;
  }
  return i;
}

function writeChars(b: Uint8Array, o: number, size: number, s: string): void {
  const n = writeUtf8(b, o, size - 1, s);
  b.fill(0, o + n, o + size);
}

function writeDyn(
  b: Uint8Array,
  v: DataView,
  o: number,
  end: number,
  s: string,
  max: number,
): number {
  const n = writeUtf8(b, end, max - 1, s);
  b[end + n] = 0;
  v.setUint32(o, ((n + 1) << 16) | end, true);
  return end + n + 1;
}

/** @internal State a manager shares with its tracepoints. */
export interface TracepointContext {
  readonly host: TraceHost;
  readonly pipe: TracePipe;
}

/**
 * A registered event. Fire it with `if (tp.active) tp.emit(...)`: a disabled event costs
 * one property check and builds nothing.
 *
 * @example
 * ```ts
 * const tp = manager.define({ system: 'vmm', name: 'vm_boot', fields: [['vm_id', 'u32']] } as const);
 * manager.enable('vmm:vm_boot');
 * if (tp.active) tp.emit(1);
 * ```
 */
export class Tracepoint<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  /**
   * True when firing does anything: the event is enabled and something consumes it (the
   * trace pipe is recording, or a consumer is attached). Read it at the fire site; never
   * write it.
   */
  readonly active: boolean = false;
  /** The event id (`common_type`). */
  readonly id: number;
  /** The definition. */
  readonly event: EventDefinition<F>;
  /** Counters, updated in place. */
  readonly counters: TracepointCounters = {
    hits: 0,
    filtered: 0,
    callbackRuns: 0,
    programRuns: 0,
    errors: 0,
    pipeRecords: 0,
    recursionDrops: 0,
  };
  /**
   * Fires the event with one value per field, in field order. Does nothing unless
   * {@link Tracepoint.active}. Integer values wrap to the field width; strings are cut to
   * fit (`char[N]` keeps N-1 bytes and a NUL).
   */
  readonly emit: (...args: EmitArgs<F>) => void;

  /** @internal True while a record is being delivered (guards the scratch buffer). */
  busy = false;
  #enabled = false;
  #recording = true;
  #filter: FilterPredicate | undefined;
  #filterText: string | undefined;
  #callbacks: TraceCallback[] = [];
  #programs: ProgramConsumer[] = [];
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #record: {
    event: EventDefinition;
    id: number;
    bytes: Uint8Array;
    view: DataView;
    size: number;
    timeNs: bigint;
    cpu: number;
    pid: number;
    toBytes(): Uint8Array;
    field(name: string): PrintValue | undefined;
  };
  readonly #ctx: TracepointContext;

  /** @internal Created by {@link TracepointManager.register}. */
  constructor(event: EventDefinition<F>, id: number, ctx: TracepointContext) {
    this.event = event;
    this.id = id;
    this.#ctx = ctx;
    this.#bytes = new Uint8Array(event.maxSize);
    this.#view = new DataView(this.#bytes.buffer);
    this.#view.setUint16(0, id, true);
    const bytes = this.#bytes;
    const view = this.#view;
    const byName = new Map(event.allFields.map((f) => [f.name, f]));
    const decoder = new TextDecoder();
    const record = {
      event: event as EventDefinition,
      id,
      bytes,
      view,
      size: 0,
      timeNs: 0n,
      cpu: 0,
      pid: 0,
      toBytes: () => bytes.slice(0, record.size),
      field: (name: string) => {
        const f = byName.get(name);
        return f === undefined
          ? undefined
          : readField(f, bytes.subarray(0, record.size), view, decoder);
      },
    };
    this.#record = record;
    const deliver = (size: number): void => this.#deliver(size);
    let emit: ((...args: EmitArgs<F>) => void) | undefined;
    try {
      // One generated function per event: exact arity, no argument array, field writes inlined.
      const write = buildWriter(event, bytes, view);
      const params = event.fields.map((_, i) => `a${i}`).join(', ');
      emit = new Function(
        'tp',
        'write',
        'deliver',
        `return function emit(${params}) {\n  if (!tp.active) return;\n  if (tp.busy) { tp.counters.recursionDrops++; return; }\n  deliver(write(${params}));\n};`,
      )(this, write, deliver) as (...args: EmitArgs<F>) => void;
    } catch (e) {
      // Hosts that forbid code generation (CSP, --disallow-code-generation-from-strings).
      if (!(e instanceof EvalError)) throw e;
      const write = closureWriter(event, bytes, view);
      emit = (...args: EmitArgs<F>): void => {
        if (!this.active) return;
        if (this.busy) {
          this.counters.recursionDrops++;
          return;
        }
        deliver(write(args));
      };
    }
    this.emit = emit;
  }

  /** `system:name`. */
  get fullName(): string {
    return this.event.fullName;
  }

  /** Whether the event is enabled (its `enable` file reads 1). */
  get isEnabled(): boolean {
    return this.#enabled;
  }

  /** The current filter text, or undefined when there is none. */
  get filterText(): string | undefined {
    return this.#filterText;
  }

  /** Number of attached consumers. */
  get consumerCount(): number {
    return this.#callbacks.length + this.#programs.length;
  }

  /** Names of the attached program consumers. */
  get programNames(): string[] {
    return this.#programs.map((p) => p.name ?? 'program');
  }

  #update(): void {
    (this as { active: boolean }).active =
      this.#enabled && (this.#recording || this.#callbacks.length + this.#programs.length > 0);
  }

  /** @internal */
  setEnabled(on: boolean): void {
    this.#enabled = on;
    this.#update();
  }

  /** @internal */
  setRecording(on: boolean): void {
    this.#recording = on;
    this.#update();
  }

  /** @internal */
  setFilter(text: string | undefined, predicate: FilterPredicate | undefined): void {
    this.#filterText = text;
    this.#filter = predicate;
  }

  /** @internal */
  addConsumer(c: TraceConsumer): void {
    if (typeof c === 'function') this.#callbacks = [...this.#callbacks, c];
    else this.#programs = [...this.#programs, c];
    this.#update();
  }

  /** @internal */
  removeConsumer(c: TraceConsumer): boolean {
    const before = this.consumerCount;
    if (typeof c === 'function') this.#callbacks = this.#callbacks.filter((x) => x !== c);
    else this.#programs = this.#programs.filter((x) => x !== c);
    this.#update();
    return this.consumerCount < before;
  }

  #deliver(size: number): void {
    this.busy = true;
    try {
      this.#deliverRecord(size);
    } finally {
      this.busy = false;
    }
  }

  #deliverRecord(size: number): void {
    const counters = this.counters;
    counters.hits++;
    const host = this.#ctx.host;
    const view = this.#view;
    const pid = host.pid === undefined ? 0 : host.pid();
    const flags = host.irqFlags === undefined ? 0 : host.irqFlags();
    const preempt = host.preemptCount === undefined ? 0 : host.preemptCount();
    view.setUint8(2, flags);
    view.setUint8(3, preempt);
    view.setInt32(4, pid, true);
    const filter = this.#filter;
    if (filter !== undefined && !filter(this.#bytes, view)) {
      counters.filtered++;
      return;
    }
    const rec = this.#record;
    rec.size = size;
    rec.timeNs = host.timeNs();
    rec.cpu = host.cpuId();
    rec.pid = pid;
    const callbacks = this.#callbacks;
    for (let i = 0; i < callbacks.length; i++) {
      counters.callbackRuns++;
      try {
        callbacks[i]!(rec);
      } catch {
        counters.errors++;
      }
    }
    const programs = this.#programs;
    for (let i = 0; i < programs.length; i++) {
      counters.programRuns++;
      try {
        programs[i]!.run(rec);
      } catch {
        counters.errors++;
      }
    }
    if (this.#recording) {
      counters.pipeRecords++;
      this.#ctx.pipe.pushRecord(
        this.event,
        this.id,
        this.#bytes,
        size,
        rec.timeNs,
        rec.cpu,
        pid,
        host.comm === undefined ? 'axvisor' : host.comm(),
        flags,
        preempt,
      );
    }
  }
}

function buildWriter(event: EventDefinition, bytes: Uint8Array, view: DataView): Writer {
  const lines: string[] = [];
  event.fields.forEach((f, i) => {
    const a = `a${i}`;
    const o = f.offset;
    switch (f.type) {
      case 'u8':
        lines.push(`v.setUint8(${o}, ${a});`);
        break;
      case 's8':
        lines.push(`v.setInt8(${o}, ${a});`);
        break;
      case 'bool':
        lines.push(`v.setUint8(${o}, ${a} ? 1 : 0);`);
        break;
      case 'u16':
        lines.push(`v.setUint16(${o}, ${a}, true);`);
        break;
      case 's16':
        lines.push(`v.setInt16(${o}, ${a}, true);`);
        break;
      case 'u32':
        lines.push(`v.setUint32(${o}, ${a}, true);`);
        break;
      case 's32':
        lines.push(`v.setInt32(${o}, ${a}, true);`);
        break;
      case 'u64':
      case 's64':
        lines.push(`w64(v, ${o}, ${a});`);
        break;
      case 'string':
        lines.push(`end = wdyn(b, v, ${o}, end, String(${a}), ${event.maxStringBytes});`);
        break;
      default:
        lines.push(`wchars(b, ${o}, ${f.size}, String(${a}));`);
    }
  });
  const params = event.fields.map((_, i) => `a${i}`).join(', ');
  const src = `return function write(${params}) {\n  let end = ${event.fixedSize};\n  ${lines.join('\n  ')}\n  return end;\n};`;
  return new Function('b', 'v', 'w64', 'wchars', 'wdyn', src)(
    bytes,
    view,
    write64,
    writeChars,
    writeDyn,
  ) as Writer;
}

function closureWriter(
  event: EventDefinition,
  bytes: Uint8Array,
  view: DataView,
): (args: readonly unknown[]) => number {
  const steps = event.fields.map((f): ((x: unknown, end: number) => number) => {
    const o = f.offset;
    switch (f.type) {
      case 'u8':
        return (x, end) => (view.setUint8(o, x as number), end);
      case 's8':
        return (x, end) => (view.setInt8(o, x as number), end);
      case 'bool':
        return (x, end) => (view.setUint8(o, x ? 1 : 0), end);
      case 'u16':
        return (x, end) => (view.setUint16(o, x as number, true), end);
      case 's16':
        return (x, end) => (view.setInt16(o, x as number, true), end);
      case 'u32':
        return (x, end) => (view.setUint32(o, x as number, true), end);
      case 's32':
        return (x, end) => (view.setInt32(o, x as number, true), end);
      case 'u64':
      case 's64':
        return (x, end) => (write64(view, o, x as number | bigint), end);
      case 'string':
        return (x, end) => writeDyn(bytes, view, o, end, String(x), event.maxStringBytes);
      default:
        return (x, end) => (writeChars(bytes, o, f.size, String(x)), end);
    }
  });
  return (args) => {
    let end = event.fixedSize;
    for (let i = 0; i < steps.length; i++) end = steps[i]!(args[i], end);
    return end;
  };
}
