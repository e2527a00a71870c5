// SPDX-License-Identifier: MIT
// The `runtime` feature (Rust: axebpf src/runtime.rs, maps.rs, helpers.rs, attach.rs,
// tracepoints/hypervisor_helpers.rs): programs loaded by name, maps, the standard and
// hypervisor helpers, and attachment to tracepoints with the record as context.

/**
 * `import { ebpfRuntime } from 'axebpf/runtime'`: eBPF programs loaded by name, maps, the standard
 * and hypervisor helpers, attachment to tracepoints.
 * @module axebpf/runtime
 */

import type { BpfMap, MapAttr, Platform as KbpfPlatform } from '@axebpf/kbpf-basic';
import { BpfSystem } from '@axebpf/kbpf-basic';
import { loadObject as objLoadObject } from '@axebpf/obj';
import type { MapDefinition } from '@axebpf/obj';
import type { EbpfVm, EngineKind, HelperTable, RunResult } from '@axebpf/rbpf';
import { assemble, LINUX_TRACING_HELPERS, Program, verify, VmError } from '@axebpf/rbpf';
import type { HelperSignature, MapInfo } from '@axebpf/rbpf';
import type { ProgramConsumer, TraceRecord, TracepointManager } from '@axebpf/tracepoint';
import { FeatureError } from '../errors.js';
import type { FeatureContext } from '../features.js';
import { defineFeature } from '../features.js';
import type { Platform } from '../platform.js';
import type { ProgramContextKind } from '../trace-context.js';
import { fillTraceContext, TRACE_CONTEXT_SIZE, traceContextPlan } from '../trace-context.js';

/** Ids of the hypervisor helpers (the Rust original defined them but never registered them). */
export const HYPERVISOR_HELPERS = {
  get_current_vm_id: 100,
  get_current_vcpu_id: 101,
  get_exit_reason: 102,
} as const;

/** Where a program comes from. */
export type ProgramSource = Uint8Array | { asm: string } | { bytecode: Uint8Array };

/** Options of {@link EbpfRuntimeApi.load}. */
export interface LoadOptions {
  /** Execution engine; default `auto`. */
  engine?: EngineKind;
  /** Instruction budget per run; default rbpf's (1,000,000). */
  maxInstructions?: number;
  /**
   * Run without verification. Unverified programs are still memory-safe (every access is
   * bounds-checked at run time) but may fault or hit the budget.
   */
  trusted?: boolean;
  /** Free text shown by `programs()`. */
  description?: string;
  /**
   * Size of the context the program reads (the tracepoint record or probe registers) for the
   * verifier. Default: taken from the object's section (`tracepoint/<sys>/<name>` → that
   * record's size, `kprobe`/`kretprobe` → {@link PROBE_CONTEXT_SIZE}), else
   * {@link DEFAULT_CONTEXT_SIZE}.
   */
  contextSize?: number;
  /**
   * What a tracepoint program attached by {@link EbpfRuntimeApi.attach} reads: `record` (the
   * ftrace record, as Linux programs `SEC("tracepoint/<sys>/<name>")` expect) or
   * `trace-context` (the Rust original's 64-byte `TraceContext`, see `TRACE_CONTEXT`). Default:
   * `trace-context` for an object section named `tracepoint` alone (what aya's `#[tracepoint]`
   * gives the original's programs) or starting with `axebpf/`, else `record`.
   */
  context?: ProgramContextKind;
}

/**
 * The context a program of an object section reads when not told: the original's
 * `TraceContext` for a bare `tracepoint` section (aya's `#[tracepoint]` without a category, as
 * the Rust axebpf's programs are built) or an `axebpf/...` one, the ftrace record otherwise.
 * @param section - the ELF section of the program.
 * @returns the context kind.
 */
export function contextKindOfSection(section: string): ProgramContextKind {
  return section === 'tracepoint' || section.startsWith('axebpf/') ? 'trace-context' : 'record';
}

/** Size of the register context of hprobe and guest kprobe programs (x0–x30, sp, pc, pstate). */
export const PROBE_CONTEXT_SIZE = 34 * 8;
/** Context size assumed for programs loaded without one (the largest vmm:* record fits). */
export const DEFAULT_CONTEXT_SIZE = 256;

/** Helpers the verifier allows: Linux's tracing helpers and the hypervisor helpers 100–102. */
const VERIFIER_HELPERS: ReadonlyMap<number, HelperSignature> = new Map([
  ...LINUX_TRACING_HELPERS,
  [HYPERVISOR_HELPERS.get_current_vm_id, { name: 'get_current_vm_id', args: [], ret: 'scalar' }],
  [
    HYPERVISOR_HELPERS.get_current_vcpu_id,
    { name: 'get_current_vcpu_id', args: [], ret: 'scalar' },
  ],
  [HYPERVISOR_HELPERS.get_exit_reason, { name: 'get_exit_reason', args: [], ret: 'scalar' }],
  // the guest-kprobe feature's guest readers (GUEST_READ_HELPERS), Linux numbering
  [35, { name: 'get_current_task', args: [], ret: 'scalar' }],
  [45, { name: 'probe_read_str', args: ['uninit_mem', 'size', 'anything'], ret: 'scalar' }],
  [114, { name: 'probe_read_user_str', args: ['uninit_mem', 'size', 'anything'], ret: 'scalar' }],
  [115, { name: 'probe_read_kernel_str', args: ['uninit_mem', 'size', 'anything'], ret: 'scalar' }],
  // bpf_ringbuf_output(map, data, size, flags), used by the precompiled hprobe programs
  [130, { name: 'ringbuf_output', args: ['map', 'mem', 'size', 'scalar'], ret: 'scalar' }],
]);

/**
 * What a map of an ELF object needs (from its BTF or legacy definition, or a global data section):
 * the `MapDefinition` of `@axebpf/obj`.
 */
export type ObjectMapDefinition = MapDefinition;

/**
 * Turns an ELF object into programs whose pseudo `lddw` instructions refer to map fds: the role
 * of `@axebpf/obj`. The runtime creates each map through `createMap` and passes its fd back.
 */
export type ObjectLoader = (
  object: Uint8Array,
  createMap: (definition: ObjectMapDefinition) => number,
) => { programs: { name: string; section: string; bytecode: Uint8Array }[] };

/** Run statistics of one loaded program. */
export interface ProgramStats {
  /** Runs (from attachments and `run`). */
  runs: number;
  /** Runs that ended in a fault. */
  errors: number;
  /** Instructions executed by runs that completed. */
  insns: number;
  /** The last fault, if any. */
  lastError: VmError | undefined;
}

/** A program loaded into the runtime. */
export interface LoadedProgram {
  /** Its name. */
  readonly name: string;
  /** Its bpf() file descriptor. */
  readonly fd: number;
  /** The VM that runs it. */
  readonly vm: EbpfVm;
  /** Tracepoints it is attached to. */
  readonly attachedTo: readonly string[];
  /** Whether it was loaded without verification. */
  readonly trusted: boolean;
  /** Description given at load. */
  readonly description: string;
  /** What it reads when attached to a tracepoint: the record or the original's `TraceContext`. */
  readonly context: ProgramContextKind;
  /** Run statistics. */
  readonly stats: ProgramStats;
}

/** The API of the `runtime` feature (`runtime.ebpf`). */
export interface EbpfRuntimeApi {
  /** The bpf() command layer: fds, maps, the address space and the helper table. */
  readonly bpf: BpfSystem;
  /** The helpers every program gets: the standard ones and 100–102. */
  readonly helpers: HelperTable;
  /**
   * Creates a named map.
   * @param name - map name (unique in the runtime).
   * @param attr - map type, key/value sizes, max entries, flags.
   * @returns its fd, for `lddw` map references in programs.
   * @throws {FeatureError} `ALREADY_EXISTS`; {@link @axebpf/kbpf-basic!MapError} for invalid attributes.
   */
  createMap(name: string, attr: MapAttr): number;
  /**
   * A map by name.
   * @param name - map name.
   * @returns the map.
   * @throws {FeatureError} `NOT_FOUND`.
   */
  map(name: string): BpfMap;
  /** @returns every named map with its fd. */
  maps(): { name: string; fd: number; map: BpfMap }[];
  /**
   * Loads a program. Pseudo `lddw` instructions refer to maps by fd.
   * @param name - program name (unique in the runtime).
   * @param source - bytecode, or `{ asm }` text for the assembler.
   * @param options - engine, budget, trust.
   * @returns the loaded program.
   * @throws {FeatureError} `ALREADY_EXISTS`, `VERIFIER_REJECTED`; `ProgramError`/`AsmError`/
   * `BpfCommandError` for invalid programs.
   */
  load(name: string, source: ProgramSource, options?: LoadOptions): LoadedProgram;
  /**
   * Loads a program from an ELF object compiled by clang (`clang -O2 -g -target bpf`): creates
   * its maps as `<name>:<map>` (global data as array maps), relocates and loads it under `name`.
   * @param name - program name (unique in the runtime).
   * @param object - the ELF bytes.
   * @param options - which program of the object (default: the first), engine, budget, trust.
   * @returns the loaded program.
   * @throws {FeatureError} `NOT_FOUND` for an unknown
   * program name, and the loader's own errors for invalid objects.
   */
  loadObject(
    name: string,
    object: Uint8Array,
    options?: LoadOptions & { program?: string },
  ): LoadedProgram;
  /**
   * Unloads a program, detaching it everywhere first.
   * @param name - program name.
   * @returns whether it existed.
   */
  unload(name: string): boolean;
  /** @param name - program name. @returns the program. @throws {FeatureError} `NOT_FOUND`. */
  program(name: string): LoadedProgram;
  /** @returns every loaded program. */
  programs(): LoadedProgram[];
  /**
   * Runs a program once directly.
   * @param name - program name.
   * @param ctx - context bytes.
   * @returns r0 and the instruction count.
   * @throws {VmError} on a fault (also counted in the program's stats).
   */
  run(name: string, ctx?: Uint8Array): RunResult;
  /**
   * Attaches a program to a tracepoint (`vmm:vcpu_run_exit`): while the tracepoint is enabled,
   * each record it fires runs the program with the record as context. Several programs may
   * share a tracepoint.
   * @param program - program name.
   * @param tracepoint - `system:name`.
   * @throws {FeatureError} `MISSING_FEATURE` without the tracepoints feature, `NOT_FOUND`.
   */
  attach(program: string, tracepoint: string): void;
  /**
   * Detaches a program from a tracepoint.
   * @param program - program name.
   * @param tracepoint - `system:name`.
   * @returns whether it was attached.
   */
  detach(program: string, tracepoint: string): boolean;
  /** Lines printed by `bpf_trace_printk`, oldest first (at most {@link EbpfRuntimeOptions.printkLines}). */
  readonly printk: readonly string[];
}

/** Options of {@link ebpfRuntime}. */
export interface EbpfRuntimeOptions {
  /** Simulated CPU count for per-CPU maps. Default 1. */
  cpus?: number;
  /** Default engine of loaded programs. Default `auto`. */
  engine?: EngineKind;
  /** `bpf_trace_printk` lines kept. Default 1,000; older ones are dropped (and counted). */
  printkLines?: number;
  /**
   * Called on each program before it is loaded, unless loaded as trusted: throws to reject.
   * Default: the verifier of `@axebpf/rbpf` (program type `tracepoint` with the context size of
   * {@link LoadOptions.contextSize}, the runtime's maps, Linux's tracing helpers and 100–102).
   */
  verify?: (bytecode: Uint8Array, name: string, contextSize: number) => void;
  /** Reads ELF objects for {@link EbpfRuntimeApi.loadObject}. Default: `loadObject` of `@axebpf/obj`. */
  objectLoader?: ObjectLoader;
}

interface ProgramState extends LoadedProgram {
  attachedTo: string[];
  consumers: Map<string, ProgramConsumer>;
  stats: ProgramStats;
  /** Maps created for this program by `loadObject`, freed with it. */
  ownedMaps: string[];
}

function kbpfPlatform(p: Platform, cpus: number, printk: (line: string) => void): KbpfPlatform {
  return {
    timeNs: () => p.timeNs(),
    cpuCount: () => cpus,
    currentCpu: () => Math.min(cpus - 1, Math.max(0, p.cpuId())),
    pidTgid: () => p.pidTgid(),
    comm: () => p.comm(),
    printk,
    random32: () => 0x2545f491, // deterministic runs; programs that need entropy get a constant
  };
}

function setupRuntime(context: FeatureContext, options: EbpfRuntimeOptions) {
  const platform = context.platform;
  const keep = options.printkLines ?? 1000;
  const printk: string[] = [];
  let printkDropped = 0;
  const bpf = new BpfSystem({
    platform: kbpfPlatform(platform, options.cpus ?? 1, (line) => {
      printk.push(line);
      if (printk.length > keep) {
        printk.shift();
        printkDropped++;
      }
    }),
    extraHelpers(table) {
      table.register(HYPERVISOR_HELPERS.get_current_vm_id, 'get_current_vm_id', () =>
        platform.currentVmId(),
      );
      table.register(HYPERVISOR_HELPERS.get_current_vcpu_id, 'get_current_vcpu_id', () =>
        platform.currentVcpuId(),
      );
      table.register(HYPERVISOR_HELPERS.get_exit_reason, 'get_exit_reason', () =>
        platform.exitReason(),
      );
    },
  });
  const maps = new Map<string, number>();
  const programs = new Map<string, ProgramState>();
  // readOnly: BPF_F_RDONLY_PROG (0x80) maps such as `.rodata` cannot be written by programs.
  const mapInfos = (): Map<number, MapInfo> =>
    new Map(
      api.maps().map((m) => [
        m.fd,
        {
          keySize: m.map.keySize,
          valueSize: m.map.valueSize,
          name: m.name,
          readOnly: (m.map.mapFlags & 0x80) !== 0,
        },
      ]),
    );
  const contextSizeOf = (section: string): number | undefined => {
    const tp = /^(?:tracepoint|tp)\/([^/]+)\/([^/]+)$/.exec(section);
    if (tp) {
      try {
        return (context.use('tracepoints') as TracepointManager).get(`${tp[1]}:${tp[2]}`)?.event
          .fixedSize;
      } catch {
        return undefined; // no tracepoints feature: the default size applies
      }
    }
    return /^k(ret)?probe(\/|$)/.test(section) ? PROBE_CONTEXT_SIZE : undefined;
  };

  const tracepointsOf = (): TracepointManager => {
    try {
      return context.use('tracepoints') as TracepointManager;
    } catch {
      throw new FeatureError({
        code: 'MISSING_FEATURE',
        feature: 'runtime',
        missing: ['tracepoints'],
        message:
          'attaching to tracepoints needs the `tracepoints` feature: add `tracepoints()` from `axebpf/tracepoints`',
      });
    }
  };
  const programOf = (name: string): ProgramState => {
    const p = programs.get(name);
    if (p === undefined)
      throw new FeatureError({
        code: 'NOT_FOUND',
        feature: 'runtime',
        message: `no program \`${name}\` is loaded`,
      });
    return p;
  };

  const api: EbpfRuntimeApi = {
    bpf,
    helpers: bpf.helpers,
    printk,
    createMap(name, attr) {
      if (maps.has(name))
        throw new FeatureError({
          code: 'ALREADY_EXISTS',
          feature: 'runtime',
          message: `a map \`${name}\` exists already`,
        });
      const fd = bpf.mapCreate(attr);
      maps.set(name, fd);
      return fd;
    },
    map(name) {
      const fd = maps.get(name);
      if (fd === undefined)
        throw new FeatureError({
          code: 'NOT_FOUND',
          feature: 'runtime',
          message: `no map \`${name}\``,
        });
      return bpf.map(fd);
    },
    maps: () => [...maps].map(([name, fd]) => ({ name, fd, map: bpf.map(fd) })),
    load(name, source, loadOptions = {}) {
      if (programs.has(name))
        throw new FeatureError({
          code: 'ALREADY_EXISTS',
          feature: 'runtime',
          message: `a program \`${name}\` is loaded already: unload it first`,
        });
      const bytes =
        source instanceof Uint8Array
          ? source
          : 'asm' in source
            ? assemble(source.asm)
            : source.bytecode;
      const trusted = loadOptions.trusted ?? false;
      const contextKind = loadOptions.context ?? 'record';
      if (!trusted) {
        const contextSize =
          loadOptions.contextSize ??
          (contextKind === 'trace-context' ? TRACE_CONTEXT_SIZE : DEFAULT_CONTEXT_SIZE);
        try {
          if (options.verify !== undefined) options.verify(bytes, name, contextSize);
          else
            verify(Program.fromBytes(bytes), {
              programType: 'tracepoint',
              context: { size: contextSize },
              helpers: VERIFIER_HELPERS,
              maps: mapInfos(),
            });
        } catch (e) {
          throw new FeatureError({
            code: 'VERIFIER_REJECTED',
            feature: 'runtime',
            cause: e,
            message: `program \`${name}\` was rejected: ${e instanceof Error ? e.message : String(e)}`,
          });
        }
      }
      const fd = bpf.progLoad({
        insns: bytes,
        name,
        // Verified above with this runtime's helpers and context size (or trusted on request).
        verify: false,
        engine: loadOptions.engine ?? options.engine ?? 'auto',
        ...(loadOptions.maxInstructions === undefined
          ? {}
          : { maxInstructions: loadOptions.maxInstructions }),
      });
      const state: ProgramState = {
        name,
        fd,
        vm: bpf.program(fd),
        attachedTo: [],
        consumers: new Map(),
        ownedMaps: [],
        trusted,
        description: loadOptions.description ?? '',
        context: contextKind,
        stats: { runs: 0, errors: 0, insns: 0, lastError: undefined },
      };
      programs.set(name, state);
      return state;
    },
    loadObject(name, object, loadOptions = {}) {
      const loader = options.objectLoader ?? objLoadObject;
      if (programs.has(name))
        throw new FeatureError({
          code: 'ALREADY_EXISTS',
          feature: 'runtime',
          message: `a program \`${name}\` is loaded already: unload it first`,
        });
      const created: string[] = [];
      const dropMaps = () => {
        for (const m of created) {
          bpf.close(maps.get(m)!);
          maps.delete(m);
        }
      };
      try {
        const { programs: found } = loader(object, (def) => {
          const mapName = `${name}:${def.name}`;
          const fd = api.createMap(mapName, {
            mapType: def.mapType,
            keySize: def.keySize,
            valueSize: def.valueSize,
            maxEntries: def.maxEntries,
            mapFlags: def.mapFlags,
          });
          created.push(mapName);
          if (def.initialValue !== undefined)
            bpf.mapUpdateElem(fd, new Uint8Array(def.keySize), def.initialValue);
          if (def.frozen === true) bpf.mapFreeze(fd);
          return fd;
        });
        const chosen =
          loadOptions.program === undefined
            ? found[0]
            : found.find((p) => p.name === loadOptions.program);
        if (chosen === undefined) {
          throw new FeatureError({
            code: 'NOT_FOUND',
            feature: 'runtime',
            message:
              loadOptions.program === undefined
                ? 'the object has no program'
                : `the object has no program \`${loadOptions.program}\` (has: ${found.map((p) => p.name).join(', ')})`,
          });
        }
        const kind = loadOptions.context ?? contextKindOfSection(chosen.section);
        const contextSize =
          loadOptions.contextSize ??
          (kind === 'trace-context' ? TRACE_CONTEXT_SIZE : contextSizeOf(chosen.section));
        const loaded = api.load(name, chosen.bytecode, {
          ...loadOptions,
          context: kind,
          ...(contextSize === undefined ? {} : { contextSize }),
          description: loadOptions.description ?? `${chosen.section} (${chosen.name})`,
        });
        programs.get(name)!.ownedMaps.push(...created);
        return loaded;
      } catch (e) {
        dropMaps();
        throw e;
      }
    },
    unload(name) {
      const p = programs.get(name);
      if (p === undefined) return false;
      for (const tp of [...p.attachedTo]) api.detach(name, tp);
      bpf.close(p.fd);
      programs.delete(name);
      for (const m of p.ownedMaps) {
        bpf.close(maps.get(m)!);
        maps.delete(m);
      }
      return true;
    },
    program: programOf,
    programs: () => [...programs.values()],
    run(name, ctx) {
      const p = programOf(name);
      p.stats.runs++;
      try {
        const r = p.vm.run(ctx);
        p.stats.insns += r.insnCount;
        return r;
      } catch (e) {
        p.stats.errors++;
        if (VmError.isInstance(e)) p.stats.lastError = e;
        throw e;
      }
    },
    attach(program, tracepoint) {
      const p = programOf(program);
      const manager = tracepointsOf();
      if (p.consumers.has(tracepoint)) return;
      const vm = p.vm;
      const stats = p.stats;
      // the original's TraceContext: one 64-byte buffer per attachment, filled before each run
      const tc = p.context === 'trace-context' ? new Uint8Array(TRACE_CONTEXT_SIZE) : undefined;
      const plan =
        tc === undefined
          ? undefined
          : traceContextPlan(
              manager
                .get(tracepoint)
                ?.event.fields.filter((f) => f.kind === 'integer')
                .map((f) => f.name) ?? [],
            );
      const consumer: ProgramConsumer = {
        kind: 'program',
        name: program,
        run(record: TraceRecord) {
          stats.runs++;
          try {
            vm.execute(
              tc === undefined
                ? record.bytes.subarray(0, record.size)
                : fillTraceContext(tc, record, plan!),
            );
            stats.insns += vm.lastInsnCount;
          } catch (e) {
            // A faulting program must not stop what fired the event: count it and go on.
            stats.errors++;
            if (VmError.isInstance(e)) stats.lastError = e;
            else throw e;
          }
          context.stats.record(`prog:${program}`, record.timeNs);
        },
      };
      manager.attach(tracepoint, consumer);
      p.consumers.set(tracepoint, consumer);
      p.attachedTo.push(tracepoint);
    },
    detach(program, tracepoint) {
      const p = programOf(program);
      const consumer = p.consumers.get(tracepoint);
      if (consumer === undefined) return false;
      tracepointsOf().detach(tracepoint, consumer);
      p.consumers.delete(tracepoint);
      p.attachedTo.splice(p.attachedTo.indexOf(tracepoint), 1);
      return true;
    },
  };
  Object.defineProperty(api, 'printkDropped', { get: () => printkDropped, enumerable: true });
  return {
    api,
    dispose() {
      for (const name of [...programs.keys()]) api.unload(name);
    },
  };
}

/**
 * The `runtime` feature plugin (`runtime.ebpf`): load, verify, run and attach eBPF programs;
 * maps and helpers with Linux numbering, plus the hypervisor helpers 100–102 on every program.
 * @param options - CPU count, default engine, printk buffer, verifier hook.
 * @returns the plugin.
 * @example
 * ```ts
 * const rt = createRuntime({ features: [symbols(), tracepoints(), ebpfRuntime()] as const });
 * const fd = rt.ebpf.createMap('hits', { mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
 * rt.ebpf.load('count', { asm: `...lddw %r1, ${fd}...` });
 * rt.ebpf.attach('count', 'vmm:vcpu_run_exit');
 * ```
 */
export function ebpfRuntime(options: EbpfRuntimeOptions = {}) {
  return defineFeature({
    name: 'runtime',
    key: 'ebpf',
    requires: [],
    setup: (context) => setupRuntime(context, options),
  });
}
