// SPDX-License-Identifier: MIT
// The host side of a compiled script: creates its maps in a runtime, relocates and loads its
// programs (verified again by the runtime), attaches them to tracepoints, hprobes and guest
// kprobes, runs BEGIN / interval / END programs, turns event-ring records into printf text and
// map printouts, and prints every map at the end as bpftrace does.
//
// The runtime is described structurally (ScriptHost): the `axebpf` facade's runtime with the
// runtime, tracepoints, hprobe and guest-kprobe features fits it without this package
// importing the facade.

import { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_RINGBUF } from '@axebpf/kbpf-basic';
import { ScriptError, spanAt } from './errors.js';
import { formatMap } from './output.js';
import type { MapEntry } from './output.js';
import { formatPrintf } from './printf.js';
import { EVENT_KIND, STRING_SIZE } from './types.js';
import type { CompiledProbe, CompiledScript, MapSpec } from './types.js';

/** A map as the runner reads it (kbpf-basic's `BpfMap`). */
export interface ScriptMap {
  /** Visits every entry. */
  forEach(visit: (key: Uint8Array, value: Uint8Array) => boolean | void): number;
  /** Deletes one key. */
  delete(key: Uint8Array): void;
}

/** The event ring as the runner reads it (kbpf-basic's `RingBufMap`). */
export interface ScriptRing {
  /** Registers a listener called after each record is written. */
  onWakeup(listener: () => void): () => void;
  /** Reads the committed records. */
  consume(visit: (data: Uint8Array) => void): number;
}

/**
 * What the runner needs from a runtime: the shape of the `axebpf` facade's runtime (`ebpf`,
 * `tracepoints`, `hprobe`, `guestKprobes`, `platform`). Only the features a script uses must be
 * present.
 */
export interface ScriptHost {
  /** The clock interval probes follow (virtual time under the simulated VMM). */
  readonly platform: { timeNs(): bigint };
  /** The `runtime` feature. */
  readonly ebpf: {
    createMap(
      name: string,
      attr: { mapType: number; keySize: number; valueSize: number; maxEntries: number },
    ): number;
    map(name: string): unknown;
    load(
      name: string,
      source: Uint8Array,
      options?: {
        contextSize?: number;
        engine?: 'interpreter' | 'wasm' | 'auto';
        description?: string;
      },
    ): { fd: number };
    unload(name: string): boolean;
    run(name: string, ctx?: Uint8Array): unknown;
    attach(program: string, tracepoint: string): void;
    detach(program: string, tracepoint: string): boolean;
    programs(): readonly { name: string }[];
    /** Named maps (the runner picks a prefix no map uses yet). */
    maps?(): readonly { name: string }[];
  };
  /** The `tracepoints` feature (for tracepoint probes). */
  readonly tracepoints?: {
    enable(name: string): void;
    disable(name: string): void;
    isEnabled(name: string): boolean;
  };
  /** The `hprobe` feature (for hprobe / hretprobe). */
  readonly hprobe?: {
    attach(target: string, program: string, options?: { ret?: boolean }): bigint;
    detach(target: string): number;
  };
  /** The `guest-kprobe` feature (for kprobe / kretprobe). */
  readonly guestKprobes?: {
    attach(
      target: string,
      program: string,
      options?: { mode?: 'Stage2Fault' | 'BrkInject'; ret?: boolean },
    ): unknown;
    detach(target: string): unknown;
  };
}

/** Options of {@link ScriptRunner}. */
export interface ScriptRunnerOptions {
  /** Engine of the loaded programs. Default `auto`. */
  engine?: 'interpreter' | 'wasm' | 'auto';
  /** Where printf text and printouts go. Default: kept in {@link ScriptRunner.output}. */
  write?: (text: string) => void;
  /** How guest kprobes trap. Default `BrkInject` (one exit per hit). */
  guestKprobeMode?: 'Stage2Fault' | 'BrkInject';
  /** Prefix of program and map names in the runtime. Default: the first free `btN`. */
  name?: string;
}

const EMPTY_CTX = new Uint8Array(8);

/** Largest step {@link ScriptRunner.runFor} takes for a script that can call `exit()`: 100 µs. */
export const EXIT_STEP_NS = 100_000n;

/**
 * Runs a compiled script in a runtime.
 *
 * @example
 * ```ts
 * const script = compile('tracepoint:vmm:vcpu_run_exit { @[args.exit_reason] = count(); }', { tracepoints: Object.values(VMM_EVENTS) });
 * const runner = new ScriptRunner(session.rt, script);
 * runner.start();
 * runner.runFor((ns) => vmm.run(ns), 100_000_000n);
 * console.log(runner.stop());
 * ```
 */
export class ScriptRunner {
  /** The script. */
  readonly script: CompiledScript;
  /** Prefix of the names used in the runtime. */
  readonly prefix: string;
  /** Text written so far when no `write` option was given. */
  output = '';
  readonly #host: ScriptHost;
  readonly #options: ScriptRunnerOptions;
  readonly #programs: string[] = [];
  readonly #undo: (() => void)[] = [];
  readonly #intervals: { program: string; period: bigint; next: bigint }[] = [];
  #started = false;
  #stopped = false;
  #exited = false;
  #lost = 0;

  /**
   * @param host - the runtime (the facade's runtime fits).
   * @param script - the result of `compile`.
   * @param options - engine, output, guest kprobe mode, name prefix.
   */
  constructor(host: ScriptHost, script: CompiledScript, options: ScriptRunnerOptions = {}) {
    this.#host = host;
    this.script = script;
    this.#options = options;
    if (options.name !== undefined) this.prefix = options.name;
    else {
      const taken = new Set(
        [...host.ebpf.programs(), ...(host.ebpf.maps?.() ?? [])].map((p) => p.name.split(':')[0]),
      );
      let n = 1;
      while (taken.has(`bt${n}`)) n++;
      this.prefix = `bt${n}`;
    }
  }

  /** True once a program called `exit()`. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Event-ring records lost because the ring was full (0 while the host drains at each write). */
  get lost(): number {
    return this.#lost;
  }

  #write(text: string): void {
    if (text === '') return;
    if (this.#options.write !== undefined) this.#options.write(text);
    else this.output += text;
  }

  #fail(probe: CompiledProbe, message: string, cause: unknown): never {
    const s = this.script;
    throw new ScriptError({
      code: 'ATTACH_FAILED',
      message,
      span: spanAt(s.source, probe.at, probe.len),
      source: s.source,
      file: s.file,
      cause,
    });
  }

  #mapName(spec: MapSpec): string {
    return `${this.prefix}:${spec.name}`;
  }

  /**
   * Creates the maps, loads and attaches the programs, then runs BEGIN.
   * @throws {ScriptError} `ATTACH_FAILED` (with the probe's position and the host's error as
   * `cause`); everything done so far is undone first.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { ebpf } = this.#host;
    try {
      const fds = this.script.maps.map((m) =>
        ebpf.createMap(
          this.#mapName(m),
          m.kind === 'ringbuf'
            ? { mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: m.maxEntries }
            : {
                mapType: BPF_MAP_TYPE_HASH,
                keySize: m.keySize,
                valueSize: m.valueSize,
                maxEntries: m.maxEntries,
              },
        ),
      );
      const ringSpec = this.script.maps.find((m) => m.kind === 'ringbuf');
      if (ringSpec !== undefined) {
        const ring = ebpf.map(this.#mapName(ringSpec)) as ScriptRing;
        this.#undo.push(ring.onWakeup(() => this.#drain(ring)));
      }
      this.script.probes.forEach((probe, i) => {
        const name = `${this.prefix}:${i}`;
        const code = probe.bytecode.slice();
        const view = new DataView(code.buffer);
        for (const r of probe.mapRelocations) view.setInt32(r.slot * 8 + 4, fds[r.map]!, true);
        try {
          ebpf.load(name, code, {
            contextSize: probe.contextSize,
            engine: this.#options.engine ?? 'auto',
            description: `bpfscript ${probe.name}`,
          });
        } catch (e) {
          this.#fail(
            probe,
            `cannot load the program of \`${probe.name}\`: ${(e as Error).message}`,
            e,
          );
        }
        this.#programs.push(name);
        this.#attach(probe, name);
      });
    } catch (e) {
      this.#detachAll();
      throw e;
    }
    const now = this.#host.platform.timeNs();
    this.script.probes.forEach((p, i) => {
      if (p.kind === 'interval')
        this.#intervals.push({
          program: `${this.prefix}:${i}`,
          period: BigInt(p.target),
          next: now + BigInt(p.target),
        });
    });
    this.#runKind('begin');
  }

  #attach(probe: CompiledProbe, name: string): void {
    const host = this.#host;
    const need = <T>(feature: T | undefined, what: string): T => {
      if (feature === undefined)
        this.#fail(probe, `\`${probe.name}\` needs the runtime's ${what} feature`, undefined);
      return feature;
    };
    try {
      switch (probe.kind) {
        case 'tracepoint': {
          const tps = need(host.tracepoints, 'tracepoints');
          host.ebpf.attach(name, probe.target);
          this.#undo.push(() => host.ebpf.detach(name, probe.target));
          if (!tps.isEnabled(probe.target)) {
            tps.enable(probe.target);
            this.#undo.push(() => tps.disable(probe.target));
          }
          return;
        }
        case 'hprobe':
        case 'hretprobe': {
          const hp = need(host.hprobe, 'hprobe');
          hp.attach(probe.target, name, { ret: probe.kind === 'hretprobe' });
          this.#undo.push(() => hp.detach(probe.target));
          return;
        }
        case 'kprobe':
        case 'kretprobe': {
          const gk = need(host.guestKprobes, 'guest-kprobe');
          gk.attach(probe.target, name, {
            mode: this.#options.guestKprobeMode ?? 'BrkInject',
            ret: probe.kind === 'kretprobe',
          });
          this.#undo.push(() => gk.detach(probe.target));
          return;
        }
        default:
          return;
      }
    } catch (e) {
      if (ScriptError.isInstance(e)) throw e;
      this.#fail(probe, `cannot attach \`${probe.name}\`: ${(e as Error).message}`, e);
    }
  }

  #runKind(kind: 'begin' | 'end'): void {
    this.script.probes.forEach((p, i) => {
      if (p.kind === kind) this.#host.ebpf.run(`${this.prefix}:${i}`, EMPTY_CTX);
    });
  }

  /**
   * Runs the interval probes whose time has come (each deadline once, in time order).
   * @param nowNs - the current time; default the platform's clock.
   */
  advance(nowNs: bigint = this.#host.platform.timeNs()): void {
    for (;;) {
      let due: { program: string; period: bigint; next: bigint } | undefined;
      for (const iv of this.#intervals)
        if (iv.next <= nowNs && (due === undefined || iv.next < due.next)) due = iv;
      if (due === undefined || this.#exited) return;
      due.next += due.period;
      this.#host.ebpf.run(due.program, EMPTY_CTX);
    }
  }

  /**
   * Drives a simulation for a span of time, stopping at each interval deadline to run the
   * interval probes, and early when a program calls `exit()` (a script that can exit is run in
   * steps of at most {@link EXIT_STEP_NS}, so it stops within that much virtual time).
   * @param step - advances the simulation by the given nanoseconds (`(ns) => vmm.run(ns)`).
   * @param durationNs - how long to run.
   * @returns the time run (by the platform's clock).
   */
  runFor(step: (ns: bigint) => unknown, durationNs: bigint): bigint {
    const clock = () => this.#host.platform.timeNs();
    const start = clock();
    const end = start + durationNs;
    let now = start;
    while (now < end && !this.#exited) {
      let next = end;
      for (const iv of this.#intervals) if (iv.next < next) next = iv.next;
      if (this.script.exits && next - now > EXIT_STEP_NS) next = now + EXIT_STEP_NS;
      step(next - now);
      // a simulation with nothing to run may not move its clock: follow the logical time
      now = clock() > next ? clock() : next;
      this.advance(now);
    }
    return clock() - start;
  }

  #entries(spec: MapSpec): MapEntry[] {
    const map = this.#host.ebpf.map(this.#mapName(spec)) as ScriptMap;
    const out: MapEntry[] = [];
    map.forEach((key, value) => {
      out.push({ key: key.slice(), value: value.slice() });
    });
    return out;
  }

  #clear(spec: MapSpec): void {
    const map = this.#host.ebpf.map(this.#mapName(spec)) as ScriptMap;
    for (const e of this.#entries(spec)) map.delete(e.key);
  }

  #drain(ring: ScriptRing): void {
    ring.consume((data) => {
      const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const head = Number(v.getBigUint64(0, true) & 0xffffffffn);
      const kind = head & 0xff;
      const index = head >>> 8;
      switch (kind) {
        case EVENT_KIND.printf: {
          const spec = this.script.printfs[index];
          if (spec === undefined) return;
          let at = 8;
          const values = spec.args.map((t) => {
            if (t.t === 'str') {
              const bytes = data.subarray(at, at + STRING_SIZE);
              at += STRING_SIZE;
              const end = bytes.indexOf(0);
              return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
            }
            at += 8;
            return v.getBigUint64(at - 8, true);
          });
          this.#write(formatPrintf(spec.format, values, spec.args));
          return;
        }
        case EVENT_KIND.print: {
          const spec = this.script.maps[index];
          if (spec !== undefined) this.#write(formatMap(spec, this.#entries(spec)));
          return;
        }
        case EVENT_KIND.clear:
        case EVENT_KIND.zero: {
          const spec = this.script.maps[index];
          if (spec !== undefined) this.#clear(spec);
          return;
        }
        case EVENT_KIND.exit:
          this.#exited = true;
          return;
        default:
          this.#lost++;
      }
    });
  }

  /**
   * Formats every non-empty map as bpftrace prints them at exit.
   * @returns the text.
   */
  printMaps(): string {
    return this.script.maps
      .map((m) => (m.kind === 'ringbuf' ? '' : formatMap(m, this.#entries(m))))
      .join('');
  }

  /**
   * Reads one map's entries (for tests and tools).
   * @param name - `@name` as in the script.
   * @returns the raw entries (empty for an unknown map or before `start`).
   */
  entries(name: string): MapEntry[] {
    const spec = this.script.maps.find((m) => m.name === name && m.kind !== 'ringbuf');
    return spec === undefined || !this.#started ? [] : this.#entries(spec);
  }

  #detachAll(): void {
    for (const undo of this.#undo.reverse()) {
      try {
        undo();
      } catch {
        // the probe may be gone already (its VM stopped)
      }
    }
    this.#undo.length = 0;
    for (const p of this.#programs) this.#host.ebpf.unload(p);
    this.#programs.length = 0;
  }

  /**
   * Ends the run: runs END, prints every map (as bpftrace at exit), detaches and unloads the
   * programs. The maps stay in the runtime (named `<prefix>:@name`).
   * @returns the text of the END printout (also written to the output).
   */
  stop(): string {
    if (!this.#started || this.#stopped) return '';
    this.#stopped = true;
    this.#runKind('end');
    const text = this.printMaps();
    this.#detachAll();
    this.#write(text);
    return text;
  }
}
