// SPDX-License-Identifier: MIT
// A bpf()-style command layer with file-descriptor handles (kernel/bpf/syscall.c's commands);
// role of Starry-OS/kbpf-basic src/map/mod.rs (syscall wrappers), src/prog.rs and
// src/preprocessor.rs (pseudo lddw resolution), and Iscreamx/axebpf src/maps.rs (fd table).

import type {
  HelperSignature,
  LddwResolver,
  MapInfo,
  Region,
  RunResult,
  VmOptions,
} from '@axebpf/rbpf';
import {
  AddressSpace,
  EbpfVm,
  HelperTable,
  LINUX_TRACING_HELPERS,
  Program,
  ProgramError,
  verify,
  VerifierError,
  VmError,
} from '@axebpf/rbpf';
import { BPF_F_RDONLY_PROG, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from './constants.js';
import { BpfCommandError } from './errors.js';
import { registerStandardHelpers } from './helpers.js';
import { ArrayMap } from './maps/array.js';
import type { BpfMap, MapAttr } from './maps/base.js';
import { PerfEventBuffer } from './maps/perf.js';
import type { Platform } from './platform.js';
import { createMockPlatform } from './platform.js';
import { MapRegistry } from './registry.js';

/** Smallest sample space {@link BpfSystem.perfEventOpen} accepts (one empty record). */
export const PERF_EVENT_MIN_CAPACITY = 16;
/** Largest sample space {@link BpfSystem.perfEventOpen} accepts (1 GiB). */
export const PERF_EVENT_MAX_CAPACITY = 1 << 30;

/** A key or value argument of a command: a typed error instead of a TypeError further down. */
function bytesArg(value: Uint8Array, field: string): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new BpfCommandError({
      code: 'EINVAL',
      message: `${field} must be a Uint8Array, got ${value === null ? 'null' : typeof value}`,
      field,
    });
  return value;
}

/** Options of {@link BpfSystem}. */
export interface BpfSystemOptions {
  /** Address space of maps and programs. Default: a new one. */
  space?: AddressSpace;
  /** Host platform. Default: a one-CPU mock platform. */
  platform?: Platform;
  /** Extra helpers registered after the standard ones (for example the hypervisor helpers 100–102). */
  extraHelpers?: (table: HelperTable) => void;
  /**
   * Verifier signatures of the extra helpers (or of standard helpers beyond
   * {@link VERIFIED_HELPERS}), so that programs calling them pass the load-time verifier.
   */
  verifierHelpers?: ReadonlyMap<number, HelperSignature>;
}

/**
 * Helper signatures the load-time verifier of {@link BpfSystem.progLoad} knows by default:
 * Linux's tracing helpers plus `ringbuf_output` (130) and `ringbuf_query` (134). Helpers whose
 * contracts the verifier cannot express (`ringbuf_reserve`/`submit`, callbacks of
 * `for_each_map_elem`) are rejected at load; load such programs with `verify: false`.
 */
export const VERIFIED_HELPERS: ReadonlyMap<number, HelperSignature> = new Map<
  number,
  HelperSignature
>([
  ...LINUX_TRACING_HELPERS,
  [130, { name: 'ringbuf_output', args: ['map', 'mem', 'size', 'scalar'], ret: 'scalar' }],
  [134, { name: 'ringbuf_query', args: ['map', 'scalar'], ret: 'scalar' }],
]);

/** Attributes of {@link BpfSystem.progLoad} (the `BPF_PROG_LOAD` part of `union bpf_attr`). */
export interface ProgLoadAttr {
  /** Bytecode (8 bytes per slot), or a decoded program. */
  insns: Uint8Array | Program;
  /** Program name, for tools. */
  name?: string;
  /** Instruction budget per run. Default: rbpf's. */
  maxInstructions?: number;
  /** Execution engine (`interpreter`, `wasm`, `auto`). Default: rbpf's. */
  engine?: VmOptions['engine'];
  /**
   * Run rbpf's verifier before loading (default true, as Linux: a program not proven safe never
   * runs). `false` is the explicit opt-out for trusted programs or programs using helpers the
   * verifier cannot model (ring buffer reservations, callbacks); they still run under the
   * engines' run-time checks (bounds-checked memory, instruction budget).
   */
  verify?: boolean;
  /**
   * Bytes of context the program may read (the verifier's tracepoint context size). Default 0:
   * a program that reads its context must say how large it is.
   */
  contextSize?: number;
}

/** What a file descriptor refers to. */
export type BpfObject =
  | { kind: 'map'; map: BpfMap }
  | { kind: 'prog'; vm: EbpfVm; name: string; maps: BpfMap[] }
  | { kind: 'perf_event'; event: PerfEventBuffer };

/**
 * The bpf() command layer: maps, programs and perf events behind small integer handles that
 * start at 3 and are reused lowest-first, as Linux fds are. Every program loaded here shares one
 * address space, one map registry and one helper table (standard helpers + extras).
 *
 * Pseudo `lddw` resolution at load time: `src=1` (BPF_PSEUDO_MAP_FD, imm = map fd) loads the map
 * pointer ({@link BpfMap.address}); `src=2` (BPF_PSEUDO_MAP_VALUE, imm = fd, second imm =
 * offset) loads the address of a single-entry array's value plus the offset. `src=4`
 * (BPF_PSEUDO_FUNC, callbacks) is resolved by @axebpf/rbpf itself.
 *
 * @example
 * ```ts
 * const bpf = new BpfSystem();
 * const fd = bpf.mapCreate({ mapType: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 64 });
 * bpf.mapUpdateElem(fd, new Uint8Array(4), new Uint8Array(8));
 * ```
 */
export class BpfSystem {
  /** Address space of maps and programs. */
  readonly space: AddressSpace;
  /** Host platform. */
  readonly platform: Platform;
  /** Map registry (finds maps from pointers). */
  readonly registry: MapRegistry;
  /** Helpers given to every loaded program. */
  readonly helpers: HelperTable;
  readonly #files: (BpfObject | undefined)[] = [];
  readonly #verifierHelpers: ReadonlyMap<number, HelperSignature>;

  /** @param options - address space, platform, extra helpers. */
  constructor(options: BpfSystemOptions = {}) {
    this.space = options.space ?? new AddressSpace();
    this.platform = options.platform ?? createMockPlatform();
    this.registry = new MapRegistry(this.space, this.platform);
    this.registry.resolvePerfEvent = (fd) => {
      const o = this.#files[fd];
      return o?.kind === 'perf_event' ? o.event : undefined;
    };
    this.helpers = registerStandardHelpers(new HelperTable(), {
      maps: this.registry,
      platform: this.platform,
    });
    options.extraHelpers?.(this.helpers);
    this.#verifierHelpers = new Map([...VERIFIED_HELPERS, ...(options.verifierHelpers ?? [])]);
  }

  #install(o: BpfObject): number {
    let fd = 3;
    while (this.#files[fd] !== undefined) fd++;
    this.#files[fd] = o;
    return fd;
  }

  /**
   * The object behind an fd.
   * @param fd - the handle.
   * @returns the object.
   * @throws {BpfCommandError} `EBADF` when the fd is not open.
   */
  object(fd: number): BpfObject {
    const o = Number.isInteger(fd) && fd >= 0 ? this.#files[fd] : undefined;
    if (o === undefined)
      throw new BpfCommandError({ code: 'EBADF', message: `fd ${fd} is not open`, field: 'fd' });
    return o;
  }

  /**
   * The map behind an fd.
   * @param fd - a map fd.
   * @returns the map.
   * @throws {BpfCommandError} `EBADF` when the fd is not open, `EINVAL` when it is not a map.
   */
  map(fd: number): BpfMap {
    const o = this.object(fd);
    if (o.kind !== 'map')
      throw new BpfCommandError({
        code: 'EINVAL',
        message: `fd ${fd} is a ${o.kind}, not a map`,
        field: 'map_fd',
      });
    return o.map;
  }

  /**
   * The VM of a program fd.
   * @param fd - a program fd.
   * @returns the VM.
   * @throws {BpfCommandError} `EBADF`, or `EINVAL` when it is not a program.
   */
  program(fd: number): EbpfVm {
    const o = this.object(fd);
    if (o.kind !== 'prog')
      throw new BpfCommandError({
        code: 'EINVAL',
        message: `fd ${fd} is a ${o.kind}, not a program`,
        field: 'prog_fd',
      });
    return o.vm;
  }

  /**
   * `BPF_MAP_CREATE`.
   * @param attr - map attributes.
   * @returns the map fd.
   * @throws {MapError} for invalid attributes (see {@link createMap}).
   */
  mapCreate(attr: MapAttr): number {
    return this.#install({ kind: 'map', map: this.registry.create(attr) });
  }

  /**
   * `BPF_MAP_LOOKUP_ELEM`.
   * @param fd - map fd.
   * @param key - key bytes.
   * @returns a copy of the value (per-CPU maps: every CPU's, each padded to 8 bytes).
   * @throws {MapError} `ENOENT`, `EINVAL`; {@link BpfCommandError} `EBADF`, `EINVAL` when the
   * key is not a `Uint8Array`.
   */
  mapLookupElem(fd: number, key: Uint8Array): Uint8Array {
    return this.map(fd).lookup(bytesArg(key, 'key'));
  }

  /**
   * `BPF_MAP_UPDATE_ELEM`.
   * @param fd - map fd.
   * @param key - key bytes.
   * @param value - value bytes.
   * @param flags - `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`.
   * @throws {MapError} `EEXIST`, `ENOENT`, `E2BIG`, `EINVAL`, `EPERM`; {@link BpfCommandError} `EBADF`.
   */
  mapUpdateElem(fd: number, key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.map(fd).update(bytesArg(key, 'key'), bytesArg(value, 'value'), flags);
  }

  /**
   * `BPF_MAP_DELETE_ELEM`.
   * @param fd - map fd.
   * @param key - key bytes.
   * @throws {MapError} `ENOENT`, `EINVAL`, `EPERM`; {@link BpfCommandError} `EBADF`.
   */
  mapDeleteElem(fd: number, key: Uint8Array): void {
    this.map(fd).delete(bytesArg(key, 'key'));
  }

  /**
   * `BPF_MAP_GET_NEXT_KEY`.
   * @param fd - map fd.
   * @param key - current key, or undefined for the first.
   * @returns the next key.
   * @throws {MapError} `ENOENT` at the end; {@link BpfCommandError} `EBADF`.
   */
  mapGetNextKey(fd: number, key?: Uint8Array): Uint8Array {
    return this.map(fd).getNextKey(key === undefined ? undefined : bytesArg(key, 'key'));
  }

  /**
   * `BPF_MAP_LOOKUP_AND_DELETE_ELEM` (a pop for queues and stacks).
   * @param fd - map fd.
   * @param key - key bytes (empty for queues and stacks).
   * @returns the value.
   * @throws {MapError} `ENOENT`, `ENOTSUPP`; {@link BpfCommandError} `EBADF`.
   */
  mapLookupAndDeleteElem(fd: number, key: Uint8Array): Uint8Array {
    return this.map(fd).lookupAndDelete(bytesArg(key, 'key'));
  }

  /**
   * `BPF_MAP_FREEZE`: user space can no longer write the map.
   * @param fd - map fd.
   * @throws {MapError} `EBUSY` when already frozen; {@link BpfCommandError} `EBADF`.
   */
  mapFreeze(fd: number): void {
    this.map(fd).freeze();
  }

  /**
   * Iterates a map's keys with `BPF_MAP_GET_NEXT_KEY`.
   * @param fd - map fd.
   * @returns the keys in iteration order.
   */
  *mapKeys(fd: number): Generator<Uint8Array> {
    const map = this.map(fd);
    let key: Uint8Array | undefined;
    for (;;) {
      try {
        key = map.getNextKey(key);
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return;
        throw e;
      }
      yield key;
    }
  }

  /**
   * Opens a perf event buffer for a CPU (the role of `perf_event_open` with a sample buffer), to
   * be stored into a PERF_EVENT_ARRAY with {@link BpfSystem.mapUpdateElem}.
   * @param cpu - the CPU.
   * @param capacity - sample space in bytes. Default 64 KiB.
   * @returns the event fd.
   * @throws {BpfCommandError} `EINVAL` for a CPU out of range or a capacity that is not an
   * integer from {@link PERF_EVENT_MIN_CAPACITY} to {@link PERF_EVENT_MAX_CAPACITY}.
   */
  perfEventOpen(cpu: number, capacity?: number): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.platform.cpuCount())
      throw new BpfCommandError({
        code: 'EINVAL',
        message: `cpu ${cpu} out of range`,
        field: 'cpu',
      });
    if (
      capacity !== undefined &&
      (!Number.isInteger(capacity) ||
        capacity < PERF_EVENT_MIN_CAPACITY ||
        capacity > PERF_EVENT_MAX_CAPACITY)
    ) {
      throw new BpfCommandError({
        code: 'EINVAL',
        message: `perf event capacity ${capacity} is not an integer from ${PERF_EVENT_MIN_CAPACITY} to ${PERF_EVENT_MAX_CAPACITY}`,
        field: 'capacity',
      });
    }
    return this.#install({ kind: 'perf_event', event: new PerfEventBuffer(cpu, capacity) });
  }

  /**
   * The perf event buffer of an fd.
   * @param fd - a perf event fd.
   * @returns the buffer.
   * @throws {BpfCommandError} `EBADF`, `EINVAL`.
   */
  perfEvent(fd: number): PerfEventBuffer {
    const o = this.object(fd);
    if (o.kind !== 'perf_event')
      throw new BpfCommandError({
        code: 'EINVAL',
        message: `fd ${fd} is not a perf event`,
        field: 'fd',
      });
    return o.event;
  }

  /**
   * `BPF_PROG_LOAD`: decodes the program, resolves pseudo `lddw` map references, and builds a
   * VM with the standard helpers.
   * @param attr - instructions, name, budget.
   * @returns the program fd.
   * @throws {BpfCommandError} `EINVAL` for invalid bytecode (cause: the ProgramError) or a bad
   * pseudo `lddw`, `EBADF` for an unknown map fd in an `lddw`, `EACCES` when the verifier
   * rejects the program (cause: the VerifierError, with its pc).
   * @remarks The Rust original and this package's first versions loaded programs unverified, so
   * a program could corrupt any map through a forged pointer; now verification is the default
   * and `verify: false` the documented opt-out.
   */
  progLoad(attr: ProgLoadAttr): number {
    let program: Program;
    try {
      program = attr.insns instanceof Program ? attr.insns : Program.fromBytes(attr.insns);
    } catch (e) {
      if (ProgramError.isInstance(e))
        throw new BpfCommandError({
          code: 'EINVAL',
          message: `invalid program: ${e.message}`,
          field: 'insns',
          cause: e,
        });
      throw e;
    }
    const used: BpfMap[] = [];
    const resolve: LddwResolver = ({ pc, src, imm, imm2 }) => {
      const o = this.#files[imm];
      if (o?.kind !== 'map')
        throw new BpfCommandError({
          code: 'EBADF',
          message: `lddw at insn #${pc}: fd ${imm} is not a map`,
          field: 'insns',
        });
      const map = o.map;
      if (!used.includes(map)) used.push(map);
      if (src === BPF_PSEUDO_MAP_FD) return map.address;
      if (src === BPF_PSEUDO_MAP_VALUE) {
        if (!(map instanceof ArrayMap) || map.maxEntries !== 1 || map.copies !== 1)
          throw new BpfCommandError({
            code: 'EINVAL',
            message: `lddw at insn #${pc}: direct value access needs a single-entry array map`,
            field: 'insns',
          });
        if (imm2 < 0 || imm2 >= map.valueSize)
          throw new BpfCommandError({
            code: 'EINVAL',
            message: `lddw at insn #${pc}: value offset ${imm2} is outside the ${map.valueSize}-byte value`,
            field: 'insns',
          });
        return map.values.address + BigInt(imm2);
      }
      throw new BpfCommandError({
        code: 'EINVAL',
        message: `lddw at insn #${pc}: unsupported pseudo source ${src}`,
        field: 'insns',
      });
    };
    let vm: EbpfVm;
    try {
      vm = new EbpfVm(program, {
        memory: this.space,
        helpers: this.helpers,
        resolveLddw: resolve,
        ...(attr.maxInstructions === undefined ? {} : { maxInstructions: attr.maxInstructions }),
        ...(attr.engine === undefined ? {} : { engine: attr.engine }),
      });
    } catch (e) {
      if (VmError.isInstance(e) && e.code === 'OUT_OF_MEMORY')
        throw new BpfCommandError({
          code: 'ENOMEM',
          message: `no address space left for the program: ${e.message}`,
          field: 'insns',
          cause: e,
        });
      throw e;
    }
    if (attr.verify ?? true) {
      try {
        this.#verify(program, attr.contextSize ?? 0);
      } catch (e) {
        vm.dispose();
        throw e;
      }
    }
    return this.#install({ kind: 'prog', vm, name: attr.name ?? '', maps: used });
  }

  #verify(program: Program, contextSize: number): void {
    const maps = new Map<number, MapInfo>();
    this.#files.forEach((o, fd) => {
      if (o?.kind === 'map')
        maps.set(fd, {
          keySize: o.map.keySize,
          valueSize: o.map.valueSize,
          name: o.map.name,
          readOnly: (o.map.mapFlags & BPF_F_RDONLY_PROG) !== 0,
        });
    });
    try {
      verify(program, {
        programType: 'tracepoint',
        context: { size: contextSize },
        helpers: this.#verifierHelpers,
        maps,
      });
    } catch (e) {
      if (VerifierError.isInstance(e))
        throw new BpfCommandError({
          code: 'EACCES',
          message: `verifier rejected the program at insn #${e.pc}: ${e.message}`,
          field: 'insns',
          cause: e,
        });
      throw e;
    }
  }

  /**
   * Runs a loaded program once (the role of `BPF_PROG_TEST_RUN`).
   * @param fd - program fd.
   * @param ctx - context bytes or a region.
   * @returns r0 and the instruction count.
   * @throws {VmError} when the program faults; {@link BpfCommandError} `EBADF`, `EINVAL`.
   */
  progRun(fd: number, ctx?: Uint8Array | Region): RunResult {
    return this.program(fd).run(ctx);
  }

  /**
   * Closes an fd. A map is destroyed when no loaded program uses it any more; a program's
   * stack, context copy and callback stacks are unmapped (their memory is reused).
   * @param fd - the handle.
   * @throws {BpfCommandError} `EBADF` when not open.
   */
  close(fd: number): void {
    const o = this.object(fd);
    this.#files[fd] = undefined;
    if (o.kind === 'map') {
      const inUse = this.#files.some(
        (f) =>
          f !== undefined &&
          ((f.kind === 'map' && f.map === o.map) || (f.kind === 'prog' && f.maps.includes(o.map))),
      );
      if (!inUse) this.registry.destroy(o.map);
    } else if (o.kind === 'prog') {
      o.vm.dispose();
      for (const m of o.maps) {
        const inUse = this.#files.some(
          (f) =>
            f !== undefined &&
            ((f.kind === 'map' && f.map === m) || (f.kind === 'prog' && f.maps.includes(m))),
        );
        if (!inUse) this.registry.destroy(m);
      }
    }
  }
}
