// SPDX-License-Identifier: MIT
// The `hprobe` feature (Rust: axebpf src/probe/hprobe/*, insn_slot.rs): eBPF programs on the
// hypervisor's own EL2 code, as entry (kprobe) or return (kretprobe) probes, through
// @axebpf/kprobe: BRK #4 at the probed instruction, the displaced instruction run from an
// instruction slot in the image (or simulated when PC-relative), BRK #6 after it.

/**
 * `import { hprobe } from 'axebpf/hprobe'`: eBPF programs on the hypervisor's own EL2 code, as
 * entry or return probes (needs the optional peer `@axebpf/kprobe`).
 * @module axebpf/hprobe
 */

import type {
  InsnSlotRegion,
  Kprobe,
  KprobeManagerOptions,
  Kretprobe,
  ProbeMemory,
} from '@axebpf/kprobe';
import { KprobeError, KprobeManager, PT_REGS_MIN_SIZE, TrapFrameRegs } from '@axebpf/kprobe';
import { FeatureError } from '../errors.js';
import { defineFeature } from '../features.js';
import type { SymbolsApi } from './symbols.js';

/**
 * Bytes of an hprobe program's context: the `pt_regs` frame the EL2 vector saved, x0–x30 at
 * 8·n, sp at 248, pc at 256, pstate at 264 (little-endian u64 each). For a return probe the
 * frame is taken at the return, so x0 (offset 0) is the return value and pc the return address.
 */
export const HPROBE_CONTEXT_SIZE: number = PT_REGS_MIN_SIZE; // 272

/** A BRK taken in the hypervisor image, as the host reports it to the feature. */
export interface HprobeTrap {
  /** The saved frame (at least {@link HPROBE_CONTEXT_SIZE} bytes), changed in place; the host writes it back when handled. */
  frame: Uint8Array;
  /** The BRK immediate (ESR_EL2.ISS[15:0]). */
  imm: number;
  /** The physical CPU or vCPU whose EL2 code trapped (kretprobe instances are kept per key). */
  cpuKey: string | number;
}

/**
 * What the hypervisor gives the feature (the simulated AxVisor: `vmm.hprobeHost()` of
 * `@axebpf/axvisor-vmm`).
 */
export interface HprobeHost {
  /** Code access to the hypervisor image (write + instruction-cache maintenance + decoded-block invalidation). */
  readonly memory: ProbeMemory;
  /** The executable instruction-slot region in the image (64 × 32 bytes). */
  readonly slots: InsnSlotRegion;
  /** Ranges that must never be probed (exception entry and world switch). */
  readonly noProbe?: readonly (readonly [bigint, bigint])[];
  /**
   * The CPU model the image runs on (default `'default'`): instructions it does not have (the
   * LSE atomics on `'cortex-a57'`) are not stepped.
   */
  readonly cpuModel?: KprobeManagerOptions['cpuModel'];
  /** Start of the function containing an address (bounds the LDXR…STXR scan). */
  functionStart?(address: bigint): bigint | undefined;
  /** Clock for entry-to-return durations (nanoseconds). */
  clock?(): bigint;
  /**
   * Installs the handler of BRKs taken at EL2.
   * @param handler - returns true when the BRK was a probe's (the host resumes at the frame's pc).
   * @returns a function that removes it.
   */
  onBreakpoint(handler: (trap: HprobeTrap) => boolean): () => void;
}

/** One row of {@link HprobeApi.list} (crates.md 7.13 `list_all`). */
export interface HprobeInfo {
  /** Symbol (or `0x…` for a probe by address). */
  name: string;
  /** Probe address. */
  address: bigint;
  /** Hits (calls seen while enabled). */
  hits: number;
  /** Enabled? */
  enabled: boolean;
  /** Return probe? */
  ret: boolean;
  /** Program attached (its name in the runtime). */
  program: string;
  /** Its bpf() file descriptor (the shell's PROG_ID). */
  progId: number;
  /** Calls missed (a return probe with all instances in use). */
  missed: number;
}

/** The API of the `hprobe` feature (`runtime.hprobe`). */
export interface HprobeApi {
  /**
   * Connects the feature to the hypervisor (once; probes need it).
   * @param host - image memory, slot region, breakpoint hook.
   * @throws {FeatureError} `ALREADY_EXISTS` when a host is installed.
   */
  install(host: HprobeHost): void;
  /** True once a host is installed. */
  readonly installed: boolean;
  /**
   * Registers and enables a probe (`attach` of crates.md 7.13), rolling back on failure.
   * @param target - a symbol of the symbol tables (`handle_hvc`, `axvisor:handle_hvc`) or an address.
   * @param program - name of a program loaded in the runtime.
   * @param options - `ret: true` for a return probe.
   * @returns the probe address.
   * @throws {FeatureError} `NOT_FOUND` (symbol, program, no host), `ALREADY_EXISTS` (registry
   * rules), `INVALID_ARGUMENT` (an address in the no-probe range, or an instruction the kprobe
   * decoder rejects; `cause` holds the {@link @axebpf/kprobe!KprobeError}).
   */
  attach(target: string | bigint, program: string, options?: { ret?: boolean }): bigint;
  /**
   * Removes the entry and the return probe of a symbol (`detach`).
   * @param target - symbol or address as given to attach.
   * @returns how many probes were removed (0 when none).
   */
  detach(target: string | bigint): number;
  /**
   * Enables or disables one probe (the original instruction is restored while disabled).
   * @param target - symbol or address.
   * @param enabled - the new state.
   * @param options - `ret` selects the return probe.
   * @throws {FeatureError} `NOT_FOUND`.
   */
  setEnabled(target: string | bigint, enabled: boolean, options?: { ret?: boolean }): void;
  /** @returns every probe, by address then entry before return. */
  list(): HprobeInfo[];
  /** The kprobe manager (after `install`). */
  readonly manager: KprobeManager | undefined;
}

interface ProbeData {
  symbol: string;
  address: bigint;
  program: string;
}

interface Pair {
  name: string;
  address: bigint;
  entry: { probe: Kprobe<ProbeData>; program: string } | undefined;
  ret: { probe: Kretprobe<ProbeData>; program: string } | undefined;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const MASK32 = 0xffffffffn;

/**
 * The `hprobe` feature plugin: `runtime.hprobe`. Needs `tracepoints` (and so `symbols`);
 * running programs needs `runtime`; the probe mechanics come from the optional peer
 * `@axebpf/kprobe`.
 *
 * @remarks Each hit runs the program with the saved registers (the {@link HPROBE_CONTEXT_SIZE}
 * frame) as context, counts a hit, and puts an event in the runtime's ring: probe type
 * `hprobe` (id = address as u32, args x0–x3) or `hretprobe` (args[0] = return value,
 * duration = entry to return on the host's clock), named by the symbol. Differences from
 * the Rust original: events are named by symbol (Rust: "hprobe"/"hretprobe"), entry events
 * carry only entry-probe hits, and a faulting program is counted, not fatal.
 * @returns the plugin.
 *
 * @example
 * ```ts
 * const rt = createRuntime({ features: [symbols(), tracepoints(), ebpfRuntime(), hprobe()] as const, platform });
 * rt.hprobe.install(vmm.hprobeHost());
 * rt.ebpf.loadObject('hprobe_entry', rt.precompiled.object('hprobe_entry'));
 * rt.hprobe.attach('handle_hvc', 'hprobe_entry');
 * ```
 */
export function hprobe() {
  return defineFeature({
    name: 'hprobe',
    key: 'hprobe',
    requires: ['tracepoints'],
    setup(context) {
      const symbols = context.use('symbols') as SymbolsApi;
      const ebpf = (): {
        run(name: string, ctx?: Uint8Array): unknown;
        program(name: string): { fd: number };
      } => {
        try {
          return context.use('runtime') as never;
        } catch (e) {
          throw new FeatureError({
            code: 'MISSING_FEATURE',
            feature: 'hprobe',
            missing: ['runtime'],
            cause: e,
            message: 'hprobe programs need the `runtime` feature',
          });
        }
      };
      let host: HprobeHost | undefined;
      let manager: KprobeManager | undefined;
      let removeHook: (() => void) | undefined;
      let currentKey: string | number = 0;
      const pairs = new Map<bigint, Pair>();
      const byName = new Map<string, Pair>();

      const runProgram = (name: string, frame: Uint8Array): void => {
        try {
          ebpf().run(name, frame.subarray(0, HPROBE_CONTEXT_SIZE));
        } catch {
          // a faulting program must not break the hypervisor: the runtime counted the error
        }
        context.stats.record(`prog:${name}`, context.platform.timeNs());
      };

      const resolve = (target: string | bigint): { name: string; address: bigint } => {
        if (typeof target === 'bigint')
          return {
            name: symbols.lookup(target)?.offset === 0 ? symbols.lookup(target)!.name : hex(target),
            address: target,
          };
        if (/^0x[0-9a-f]+$/i.test(target)) return resolve(BigInt(target));
        const address = symbols.addressOf(target);
        if (address === undefined)
          throw new FeatureError({
            code: 'NOT_FOUND',
            feature: 'hprobe',
            message: `symbol \`${target}\` not found in the symbol tables`,
          });
        const colon = target.indexOf(':');
        return { name: colon > 0 ? target.slice(colon + 1) : target, address };
      };

      const requireManager = (): KprobeManager => {
        if (manager === undefined)
          throw new FeatureError({
            code: 'NOT_FOUND',
            feature: 'hprobe',
            message: 'no hypervisor is connected: call `hprobe.install(host)` first',
          });
        return manager;
      };

      const api: HprobeApi = {
        get installed() {
          return host !== undefined;
        },
        get manager() {
          return manager;
        },
        install(h) {
          if (host !== undefined)
            throw new FeatureError({
              code: 'ALREADY_EXISTS',
              feature: 'hprobe',
              message: 'a hypervisor is connected already',
            });
          host = h;
          manager = new KprobeManager({
            memory: h.memory,
            slots: h.slots,
            resolveSymbol: (n) => symbols.addressOf(n),
            ...(h.cpuModel === undefined ? {} : { cpuModel: h.cpuModel }),
            ...(h.functionStart === undefined
              ? {}
              : { functionStart: (a: bigint) => h.functionStart!(a) }),
            ...(h.clock === undefined ? {} : { clock: () => h.clock!() }),
            instanceKey: () => currentKey,
          });
          const m = manager;
          removeHook = h.onBreakpoint((trap) => {
            currentKey = trap.cpuKey;
            return m.handleBrk(new TrapFrameRegs(trap.frame), trap.imm);
          });
        },
        attach(target, program, options = {}) {
          const m = requireManager();
          const ret = options.ret === true;
          const { name, address } = resolve(target);
          const prog = ebpf().program(program); // NOT_FOUND for an unknown program
          for (const [lo, hi] of host!.noProbe ?? []) {
            if (address >= lo && address < hi)
              throw new FeatureError({
                code: 'INVALID_ARGUMENT',
                feature: 'hprobe',
                message: `\`${name}\` (${hex(address)}) is in the exception entry code, which cannot be probed`,
              });
          }
          const named = byName.get(name);
          if (named !== undefined && named.address !== address)
            throw new FeatureError({
              code: 'ALREADY_EXISTS',
              feature: 'hprobe',
              message: 'kprobe symbol already registered at different address',
            });
          let pair = pairs.get(address);
          if (pair !== undefined && pair.name !== name)
            throw new FeatureError({
              code: 'ALREADY_EXISTS',
              feature: 'hprobe',
              message: 'kprobe already registered at this address',
            });
          if (pair !== undefined && (ret ? pair.ret : pair.entry) !== undefined)
            throw new FeatureError({
              code: 'ALREADY_EXISTS',
              feature: 'hprobe',
              message: 'kprobe already registered at this address',
            });
          const data: ProbeData = { symbol: name, address, program };
          const fresh = pair === undefined;
          pair ??= { name, address, entry: undefined, ret: undefined };
          const id = Number(address & MASK32);
          try {
            if (ret) {
              const probe = m.registerKretprobe<ProbeData>({
                address,
                name: `hretprobe:${name}`,
                maxactive: 16,
                data,
                returnHandler: (r, regs) => {
                  const frame = (regs as TrapFrameRegs).bytes;
                  runProgram(program, frame);
                  context.events.emit({
                    timestampNs: context.platform.timeNs(),
                    probeType: 'hretprobe',
                    cpuId: context.platform.cpuId(),
                    vmId: context.platform.currentVmId(),
                    eventId: id,
                    name,
                    args: [r.returnValue],
                    durationNs: r.duration ?? 0n,
                  });
                  context.stats.record(
                    `hretprobe:${name}`,
                    context.platform.timeNs(),
                    r.duration ?? 0n,
                  );
                },
              });
              pair.ret = { probe, program };
            } else {
              const probe = m.registerKprobe<ProbeData>({
                address,
                name: `hprobe:${name}`,
                data,
                preHandler: (_p, regs) => {
                  const frame = (regs as TrapFrameRegs).bytes;
                  runProgram(program, frame);
                  context.events.emit({
                    timestampNs: context.platform.timeNs(),
                    probeType: 'hprobe',
                    cpuId: context.platform.cpuId(),
                    vmId: context.platform.currentVmId(),
                    eventId: id,
                    name,
                    args: [regs.getX(0), regs.getX(1), regs.getX(2), regs.getX(3)],
                  });
                  context.stats.record(`hprobe:${name}`, context.platform.timeNs());
                },
              });
              pair.entry = { probe, program };
            }
          } catch (e) {
            if (KprobeError.isInstance(e)) {
              const code =
                e.code === 'SYMBOL_NOT_FOUND' || e.code === 'UNKNOWN_ADDRESS'
                  ? 'NOT_FOUND'
                  : e.code === 'DUPLICATE_PROBE'
                    ? 'ALREADY_EXISTS'
                    : 'INVALID_ARGUMENT';
              throw new FeatureError({
                code,
                feature: 'hprobe',
                cause: e,
                message: `cannot probe \`${name}\` at ${hex(address)}: ${e.message}`,
              });
            }
            throw e;
          }
          if (fresh) {
            pairs.set(address, pair);
            byName.set(name, pair);
          }
          void prog;
          return address;
        },
        detach(target) {
          const m = manager;
          if (m === undefined) return 0;
          let pair: Pair | undefined;
          if (typeof target === 'string' && !/^0x/i.test(target))
            pair = byName.get(target.slice(target.indexOf(':') + 1));
          else pair = pairs.get(typeof target === 'bigint' ? target : BigInt(target));
          if (pair === undefined) return 0;
          let n = 0;
          if (pair.entry !== undefined) {
            m.unregister(pair.entry.probe);
            n++;
          }
          if (pair.ret !== undefined) {
            m.unregister(pair.ret.probe);
            n++;
          }
          pairs.delete(pair.address);
          byName.delete(pair.name);
          return n;
        },
        setEnabled(target, enabled, options = {}) {
          const m = requireManager();
          const pair =
            typeof target === 'string' && !/^0x/i.test(target)
              ? byName.get(target.slice(target.indexOf(':') + 1))
              : pairs.get(typeof target === 'bigint' ? target : BigInt(target));
          const slot = options.ret === true ? pair?.ret : pair?.entry;
          if (slot === undefined)
            throw new FeatureError({
              code: 'NOT_FOUND',
              feature: 'hprobe',
              message: `no ${options.ret === true ? 'return ' : ''}probe on \`${String(target)}\``,
            });
          if (enabled) m.enable(slot.probe);
          else m.disable(slot.probe);
        },
        list() {
          const rows: HprobeInfo[] = [];
          const fd = (p: string): number => {
            try {
              return ebpf().program(p).fd;
            } catch {
              return -1;
            }
          };
          for (const pair of [...pairs.values()].sort((a, b) => (a.address < b.address ? -1 : 1))) {
            for (const [slot, ret] of [
              [pair.entry, false],
              [pair.ret, true],
            ] as const) {
              if (slot === undefined) continue;
              rows.push({
                name: pair.name,
                address: pair.address,
                hits: slot.probe.hits,
                enabled: slot.probe.enabled,
                ret,
                program: slot.program,
                progId: fd(slot.program),
                missed: slot.probe.missed,
              });
            }
          }
          return rows;
        },
      };
      return {
        api,
        dispose() {
          for (const pair of [...pairs.values()]) api.detach(pair.address);
          removeHook?.();
        },
      };
    },
  });
}
