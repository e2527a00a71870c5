// SPDX-License-Identifier: MIT
// The tracepoint manager: registry, ids, enable/disable, filters, consumers and the pipe.
// The role of ktracepoint's `TracingEventsManager`/`EventInfo` files and axebpf's
// `TracepointManager` (Iscreamx/axebpf src/tracepoint.rs), as an object per runtime.

import { LexError, compileFilterText } from '@axebpf/tp-lexer';
import { defineEvent } from './event.js';
import type { EventDefinition, EventSpec, FieldSpec } from './event.js';
import { TracepointError } from './errors.js';
import { wallClockHost } from './host.js';
import type { TraceHost } from './host.js';
import { TracePipe } from './trace-pipe.js';
import type { TracePipeOptions } from './trace-pipe.js';
import { Tracepoint } from './tracepoint.js';
import type { TraceConsumer, TracepointCounters } from './tracepoint.js';

/** Options of {@link TracepointManager}. */
export interface TracepointManagerOptions {
  /** Clock, CPU and task source read at fire time (default: wall clock, CPU 0). */
  readonly host?: TraceHost;
  /** The pipe, or options for a new one. */
  readonly pipe?: TracePipe | TracePipeOptions;
  /** First id given to events without a fixed id (default 1). */
  readonly firstId?: number;
}

/** One row of {@link TracepointManager.list}. */
export interface TracepointInfo {
  /** `system:name`. */
  readonly name: string;
  /** Subsystem. */
  readonly subsystem: string;
  /** Event name. */
  readonly event: string;
  /** Event id. */
  readonly id: number;
  /** Whether it is enabled. */
  readonly enabled: boolean;
  /** Filter text, if any. */
  readonly filter: string | undefined;
  /** Attached consumers. */
  readonly consumers: number;
}

/** Handle returned by {@link TracepointManager.attach}. */
export interface Attachment {
  /** The event it is attached to. */
  readonly event: string;
  /**
   * Detaches the consumer.
   * @returns false if it was already detached.
   */
  detach(): boolean;
}

/** The tracefs-like files of one event. */
export type EventFile = 'enable' | 'format' | 'id' | 'filter';

/**
 * Owns a set of tracepoints: registers definitions, gives ids, enables and disables events,
 * sets filters, attaches consumers and holds the trace pipe.
 *
 * Enabling gates everything: a disabled event builds no record, runs no filter, consumer or
 * counter (the Rust axebpf ran programs and stats whether or not the event was enabled).
 *
 * @example
 * ```ts
 * const mgr = new TracepointManager({ host: new ManualTraceHost() });
 * const tp = mgr.define({ system: 'vmm', name: 'vm_boot', fields: [['vm_id', 'u32']] } as const);
 * mgr.enable('vmm:vm_boot');
 * mgr.setFilter('vmm:vm_boot', 'vm_id == 1');
 * if (tp.active) tp.emit(1);
 * mgr.pipe.readText(); // "         axvisor-0       [000] ..... ...: vmm:vm_boot: vm_id=1\n"
 * ```
 */
export class TracepointManager {
  /** The trace pipe all events of this manager write to. */
  readonly pipe: TracePipe;
  /** The host read at fire time. */
  readonly host: TraceHost;
  readonly #byName = new Map<string, Tracepoint>();
  readonly #byId = new Map<number, Tracepoint>();
  #nextId: number;
  #recording = true;
  readonly #filterErrors = new Map<string, string>();

  /** @param options - host, pipe and first id. */
  constructor(options: TracepointManagerOptions = {}) {
    this.host = options.host ?? wallClockHost();
    this.pipe =
      options.pipe instanceof TracePipe ? options.pipe : new TracePipe(options.pipe ?? {});
    this.#nextId = options.firstId ?? 1;
  }

  /**
   * Registers a definition and returns its live tracepoint (disabled).
   * @param event - from {@link defineEvent}.
   * @returns the tracepoint.
   * @throws {TracepointError} `DUPLICATE_EVENT`, `DUPLICATE_ID`, `INVALID_ARGUMENT` when ids run out.
   */
  register<F extends readonly FieldSpec[]>(event: EventDefinition<F>): Tracepoint<F> {
    if (this.#byName.has(event.fullName)) {
      throw new TracepointError({
        code: 'DUPLICATE_EVENT',
        message: `event \`${event.fullName}\` is already registered`,
        event: event.fullName,
      });
    }
    let id = event.requestedId;
    if (id !== undefined) {
      if (this.#byId.has(id)) {
        throw new TracepointError({
          code: 'DUPLICATE_ID',
          message: `id ${id} of \`${event.fullName}\` is taken by \`${this.#byId.get(id)!.fullName}\``,
          event: event.fullName,
        });
      }
    } else {
      while (this.#byId.has(this.#nextId)) this.#nextId++;
      if (this.#nextId > 0xffff)
        throw new TracepointError({
          code: 'INVALID_ARGUMENT',
          message: 'no event id left (common_type is a u16)',
          event: event.fullName,
        });
      id = this.#nextId++;
    }
    const tp = new Tracepoint(event, id, { host: this.host, pipe: this.pipe });
    tp.setRecording(this.#recording);
    this.#byName.set(event.fullName, tp as unknown as Tracepoint);
    this.#byId.set(id, tp as unknown as Tracepoint);
    return tp;
  }

  /**
   * Defines and registers an event in one step.
   * @param spec - as for {@link defineEvent}.
   * @returns the tracepoint.
   * @throws {TracepointError} as {@link defineEvent} and {@link TracepointManager.register}.
   */
  define<const F extends readonly FieldSpec[]>(spec: EventSpec<F>): Tracepoint<F> {
    return this.register(defineEvent(spec));
  }

  /**
   * Finds an event by `system:name`.
   * @param name - `system:name`.
   * @returns the tracepoint, or undefined.
   * @throws {TracepointError} `INVALID_NAME` when `name` has no `:`.
   */
  get(name: string): Tracepoint | undefined {
    splitName(name);
    return this.#byName.get(name);
  }

  /**
   * Finds an event by id.
   * @param id - the event id.
   * @returns the tracepoint, or undefined.
   */
  getById(id: number): Tracepoint | undefined {
    return this.#byId.get(id);
  }

  #require(name: string): Tracepoint {
    const tp = this.get(name);
    if (tp === undefined)
      throw new TracepointError({
        code: 'NOT_FOUND',
        message: `tracepoint not found: \`${name}\``,
        event: name,
      });
    return tp;
  }

  #subsystem(system: string): Tracepoint[] {
    const out = [...this.#byName.values()].filter((t) => t.event.system === system);
    if (out.length === 0)
      throw new TracepointError({
        code: 'NOT_FOUND',
        message: `subsystem not found: \`${system}\``,
      });
    return out;
  }

  /** @returns every event, sorted by `system:name`. */
  list(): TracepointInfo[] {
    return [...this.#byName.values()]
      .sort((a, b) => (a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0))
      .map((t) => ({
        name: t.fullName,
        subsystem: t.event.system,
        event: t.event.name,
        id: t.id,
        enabled: t.isEnabled,
        filter: t.filterText,
        consumers: t.consumerCount,
      }));
  }

  /** @returns the subsystem names, sorted. */
  subsystems(): string[] {
    return [...new Set([...this.#byName.values()].map((t) => t.event.system))].sort();
  }

  /** Number of registered events. */
  get count(): number {
    return this.#byName.size;
  }

  /**
   * Enables one event.
   * @param name - `system:name`.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  enable(name: string): void {
    this.#require(name).setEnabled(true);
  }

  /**
   * Disables one event.
   * @param name - `system:name`.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  disable(name: string): void {
    this.#require(name).setEnabled(false);
  }

  /**
   * @param name - `system:name`.
   * @returns whether the event is enabled.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  isEnabled(name: string): boolean {
    return this.#require(name).isEnabled;
  }

  /**
   * Enables every event of a subsystem.
   * @param system - the subsystem.
   * @returns how many events it has.
   * @throws {TracepointError} `NOT_FOUND`.
   */
  enableSubsystem(system: string): number {
    const tps = this.#subsystem(system);
    for (const t of tps) t.setEnabled(true);
    return tps.length;
  }

  /**
   * Disables every event of a subsystem.
   * @param system - the subsystem.
   * @returns how many events it has.
   * @throws {TracepointError} `NOT_FOUND`.
   */
  disableSubsystem(system: string): number {
    const tps = this.#subsystem(system);
    for (const t of tps) t.setEnabled(false);
    return tps.length;
  }

  /** @returns the number of events enabled (all of them). */
  enableAll(): number {
    for (const t of this.#byName.values()) t.setEnabled(true);
    return this.#byName.size;
  }

  /** @returns the number of events disabled (all of them). */
  disableAll(): number {
    for (const t of this.#byName.values()) t.setEnabled(false);
    return this.#byName.size;
  }

  /**
   * Whether enabled events write to the trace pipe (tracefs `tracing_on`; default true).
   * With recording off, an enabled event is active only while consumers are attached.
   */
  get tracingOn(): boolean {
    return this.#recording;
  }
  set tracingOn(on: boolean) {
    this.#recording = on;
    for (const t of this.#byName.values()) t.setRecording(on);
  }

  /**
   * Sets an event's filter. An empty (or blank) filter, or `0` as in Linux, clears it.
   * @param name - `system:name`.
   * @param expr - the filter text.
   * @throws {TracepointError} `BAD_FILTER` (with `column`, `cause` the LexError; the filter in
   *   place is kept), `INVALID_NAME`, `NOT_FOUND`.
   */
  setFilter(name: string, expr: string): void {
    const tp = this.#require(name);
    const trimmed = expr.trim();
    if (trimmed === '' || trimmed === '0') {
      tp.setFilter(undefined, undefined);
      this.#filterErrors.delete(name);
      return;
    }
    try {
      const compiled = compileFilterText(expr, tp.event.filterFields)!;
      tp.setFilter(expr, compiled.predicate);
      this.#filterErrors.delete(name);
    } catch (e) {
      if (!LexError.isInstance(e)) throw e;
      this.#filterErrors.set(name, `${e.caret}\nparse_error: ${e.message.split('\n')[0]}`);
      throw new TracepointError({
        code: 'BAD_FILTER',
        message: `bad filter for \`${name}\`: ${e.message}`,
        event: name,
        column: e.column,
        cause: e,
      });
    }
  }

  /**
   * Sets a filter on every event of a subsystem that has the fields it names, as writing
   * `events/<sys>/filter` does in Linux.
   * @param system - the subsystem.
   * @param expr - the filter text (empty or `0` clears them all).
   * @returns how many events took the filter.
   * @throws {TracepointError} `NOT_FOUND`; `BAD_FILTER` when no event accepts it.
   */
  setSubsystemFilter(system: string, expr: string): number {
    const tps = this.#subsystem(system);
    let n = 0;
    let first: unknown;
    for (const t of tps) {
      try {
        this.setFilter(t.fullName, expr);
        n++;
      } catch (e) {
        first ??= e;
      }
    }
    if (n === 0) throw first;
    return n;
  }

  /**
   * Clears an event's filter.
   * @param name - `system:name`.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  clearFilter(name: string): void {
    this.setFilter(name, '');
  }

  /**
   * Attaches a consumer: a callback, or a program consumer (`{ kind: 'program', run }`).
   * Consumers see only records of an enabled event that pass its filter.
   * @param name - `system:name`.
   * @param consumer - the consumer.
   * @returns a handle to detach it.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  attach(name: string, consumer: TraceConsumer): Attachment {
    const tp = this.#require(name);
    tp.addConsumer(consumer);
    return { event: name, detach: () => tp.removeConsumer(consumer) };
  }

  /**
   * Detaches a consumer.
   * @param name - `system:name`.
   * @param consumer - the consumer passed to {@link TracepointManager.attach}.
   * @returns false if it was not attached.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  detach(name: string, consumer: TraceConsumer): boolean {
    return this.#require(name).removeConsumer(consumer);
  }

  /**
   * @param name - `system:name`.
   * @returns a copy of the event's counters.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  counters(name: string): TracepointCounters {
    return { ...this.#require(name).counters };
  }

  /**
   * Reads a tracefs-style file of an event: `enable` (`1\n`/`0\n`), `id` (`N\n`), `format`
   * (the Linux format text) or `filter` (the filter, the last error with its caret, or
   * `none\n`).
   * @param name - `system:name`.
   * @param file - which file.
   * @returns the file's text.
   * @throws {TracepointError} `INVALID_NAME`, `NOT_FOUND`.
   */
  readFile(name: string, file: EventFile): string {
    const tp = this.#require(name);
    switch (file) {
      case 'enable':
        return tp.isEnabled ? '1\n' : '0\n';
      case 'id':
        return `${tp.id}\n`;
      case 'format':
        return tp.event.formatText(tp.id);
      case 'filter': {
        const err = this.#filterErrors.get(name);
        if (err !== undefined) return err + '\n';
        return tp.filterText === undefined ? 'none\n' : tp.filterText + '\n';
      }
    }
  }

  /**
   * Writes a tracefs-style file: `enable` takes `1` or `0`, `filter` takes a filter.
   * @param name - `system:name`.
   * @param file - `enable` or `filter`.
   * @param text - what to write (a trailing newline is ignored).
   * @throws {TracepointError} `INVALID_ARGUMENT` for another enable value or file, `BAD_FILTER`.
   */
  writeFile(name: string, file: EventFile, text: string): void {
    const value = text.replace(/\n$/, '');
    if (file === 'enable') {
      if (value !== '0' && value !== '1') {
        throw new TracepointError({
          code: 'INVALID_ARGUMENT',
          message: `enable takes \`0\` or \`1\`, not \`${value}\``,
          event: name,
        });
      }
      if (value === '1') this.enable(name);
      else this.disable(name);
      return;
    }
    if (file === 'filter') {
      this.setFilter(name, value);
      return;
    }
    throw new TracepointError({
      code: 'INVALID_ARGUMENT',
      message: `file \`${file}\` is read-only`,
      event: name,
    });
  }
}

/**
 * Splits `system:name` at the first `:`.
 * @param name - the full name.
 * @returns `[system, event]`.
 * @throws {TracepointError} `INVALID_NAME` when there is no `:`.
 */
export function splitName(name: string): [string, string] {
  const i = name.indexOf(':');
  if (i <= 0 || i === name.length - 1) {
    throw new TracepointError({
      code: 'INVALID_NAME',
      message: `invalid tracepoint name format: \`${name}\` (want \`system:event\`)`,
      event: name,
    });
  }
  return [name.slice(0, i), name.slice(i + 1)];
}
