// SPDX-License-Identifier: MIT
// The `guest-kprobe` feature (Rust: axebpf src/probe/kprobe/*, context.rs): eBPF programs on
// guest kernel functions, set from the hypervisor. Targets are written `vm<id>:<symbol>[+off]`
// or `vm<id>:0x<addr>`; guest symbols come from the symbols feature's `vm<id>` table (loaded from
// the guest image's ELF or from nm/System.map text). The trapping itself (stage-2 faults, BRK
// injection, single step, return probes) belongs to the hypervisor: a host object that
// `@axebpf/axvisor-vmm`'s `GuestProbeManager` implements.

/**
 * `import { guestKprobe } from 'axebpf/guest-kprobe'`: eBPF programs on guest kernel functions, set
 * from the hypervisor.
 * @module axebpf/guest-kprobe
 */

import { PT_REGS_MIN_SIZE, TrapFrameRegs } from '@axebpf/kprobe';
import { FeatureError } from '../errors.js';
import type { FeatureContext, FeatureName } from '../features.js';
import { defineFeature } from '../features.js';
import type { KsymTable } from '@axebpf/ksym';
import type { SymbolsApi } from './symbols.js';

/** How a guest probe traps (as `KprobeMode`): stage-2 execute permission or an injected BRK. */
export type GuestKprobeMode = 'Stage2Fault' | 'BrkInject';

/** What the hypervisor reports at a guest probe hit (the shape `GuestProbeManager` gives). */
export interface GuestProbeHitInfo {
  /** `kprobe` at the entry, `kretprobe` at the return. */
  kind: 'kprobe' | 'kretprobe';
  /** VM id. */
  vmId: number;
  /** vCPU id. */
  vcpuId: number;
  /** Guest PC of the hit. */
  pc: bigint;
  /** Guest physical address of `pc`. */
  gpa: bigint;
  /** The guest's registers. */
  regs: { x(i: number): bigint; spsr(): bigint };
  /** Time of the hit. */
  timeNs: bigint;
  /** Return value (`kretprobe`). */
  retval?: bigint | undefined;
  /** Entry-to-return time (`kretprobe`). */
  durationNs?: bigint | undefined;
  /**
   * Reads guest virtual memory with the hit vCPU's stage-1 tables (undefined: a byte is
   * unmapped). What the probe-read helpers use; without it they return -EFAULT.
   */
  readVirtual?: ((gva: bigint, length: number) => Uint8Array | undefined) | undefined;
  /** Reads a system register of the hit vCPU by name (`sp_el0` for `bpf_get_current_task`). */
  sysReg?: ((name: string) => bigint) | undefined;
}

/**
 * Helper ids the guest-kprobe feature gives every program (Linux numbering). While a guest
 * probe's program runs they read the guest, not the host:
 * - `probe_read` (4), `probe_read_user` (112), `probe_read_kernel` (113):
 *   `(dst, size, unsafe_ptr)` copies `size` bytes of guest virtual memory through the vCPU's
 *   stage-1 tables; 0, or -EFAULT (-14) with `dst` zero-filled when any byte is unmapped.
 * - `probe_read_str` (45), `probe_read_user_str` (114), `probe_read_kernel_str` (115): copies up
 *   to `size` bytes up to and including the first NUL, always NUL-terminated; returns the length
 *   with the NUL, or -EFAULT with `dst` zero-filled when the first byte is unmapped.
 * - `get_current_task` (35): the guest's `SP_EL0` (the current `task_struct` of arm64 Linux at
 *   EL1), 0 outside a guest probe.
 * Outside a guest probe the probe-read helpers keep the runtime's behaviour (4) or return -EFAULT.
 */
export const GUEST_READ_HELPERS = {
  probe_read: 4,
  get_current_task: 35,
  probe_read_str: 45,
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
} as const;
const EFAULT = 14;

/** A probe as the hypervisor lists it. */
export interface GuestProbeHostInfo {
  readonly vmId: number;
  readonly gva: bigint;
  readonly mode: GuestKprobeMode;
  readonly ret: boolean;
  readonly state: 'pending' | 'active';
  readonly hits: number;
  readonly retHits: number;
}

/** The hypervisor side: `GuestProbeManager` of `@axebpf/axvisor-vmm` has exactly this shape. */
export interface GuestProbeHost {
  /** Attaches a probe (see `GuestProbeManager.attach`). */
  attach(
    vmId: number,
    gva: bigint,
    options: {
      mode?: GuestKprobeMode;
      ret?: boolean;
      symbol?: string;
      onHit?: (hit: GuestProbeHitInfo) => void;
    },
  ): GuestProbeHostInfo;
  /** Detaches a probe. */
  detach(vmId: number, gva: bigint): void;
  /** One probe's listing entry. */
  get(vmId: number, gva: bigint): GuestProbeHostInfo | undefined;
}

/**
 * Layout of the context a guest kprobe program receives: the original's `TraceContext`
 * (64 bytes) followed by the guest's x0..x7 (64 bytes). Offsets in bytes, little-endian.
 */
export const GUEST_KPROBE_CONTEXT = {
  /** u32: probe id (low 32 bits of the probed guest address, as the original's event id). */
  probeId: 0,
  /** u64: time of the hit. */
  timestampNs: 8,
  /** u32: VM id. */
  vmId: 16,
  /** u32: vCPU id. */
  vcpuId: 20,
  /** u64 arg0: the probed guest virtual address. */
  gva: 24,
  /** u64 arg1: its guest physical address. */
  gpa: 32,
  /** u64 arg2: kretprobe: the return value (x0 at the return); kprobe: 0. */
  retval: 40,
  /** u64 arg3: kretprobe: entry-to-return nanoseconds; kprobe: 0. */
  durationNs: 48,
  /** u32: 2 kprobe, 3 kretprobe (the original's context numbering, not the event one). */
  probeType: 56,
  /** u64 x0..x7: the guest's x0 at offset 64, x1 at 72, ... x7 at 120. */
  x0: 64,
} as const;
/** Size of the guest kprobe context in bytes (load programs with this `contextSize`). */
export const GUEST_KPROBE_CONTEXT_SIZE = 128;
/**
 * Size of the register context (`struct axebpf_probe_regs` of the precompiled programs:
 * x0..x30, sp, pc, pstate as u64), the other layout a guest kprobe program can ask for. The
 * guest's sp is not part of the trap frame and reads as 0.
 */
export const GUEST_PT_REGS_SIZE: number = PT_REGS_MIN_SIZE; // 34 u64s: 272

/**
 * Which context a program gets: `trace-context` ({@link GUEST_KPROBE_CONTEXT}, the default) or
 * `pt-regs` (the precompiled `kprobe_args` reads that one).
 */
export type GuestKprobeContextKind = 'trace-context' | 'pt-regs';

/** A parsed target. */
export interface GuestTarget {
  /** VM id. */
  vmId: number;
  /** Guest virtual address. */
  gva: bigint;
  /** `symbol+0xoff` when given by symbol (also for a hex address that has a symbol). */
  symbol: string | undefined;
}

/** One guest kprobe, as `trace list` shows it. */
export interface GuestKprobeEntry {
  /** VM id. */
  readonly vmId: number;
  /** Guest virtual address. */
  readonly gva: bigint;
  /** `symbol+0xoff`, if known. */
  readonly symbol: string | undefined;
  /** Trap mode. */
  readonly mode: GuestKprobeMode;
  /** Return probe. */
  readonly ret: boolean;
  /** The attached program. */
  readonly program: string;
  /** Its fd in the runtime. */
  readonly programFd: number;
  /** Hits: entries for a kprobe, returns for a kretprobe. */
  readonly hits: number;
  /** Program runs that faulted. */
  readonly errors: number;
  /** Active in the guest (false while pending a translation). */
  readonly enabled: boolean;
}

/** The API of the `guest-kprobe` feature (`runtime.guestKprobes`). */
export interface GuestKprobeApi {
  /**
   * Connects the hypervisor's probe machinery (a `GuestProbeManager`).
   * @param host - the host.
   */
  bind(host: GuestProbeHost): void;
  /**
   * Loads a VM's guest symbols (table `vm<id>` of the symbols feature).
   * @param vmId - VM id.
   * @param input - the guest's ELF image, nm / System.map text, a Linux arm64 Image, or a
   *   ready table (for example a Linux guest's kallsyms moved by its KASLR offset).
   * @returns the number of symbols.
   */
  loadSymbols(vmId: number, input: Uint8Array | string | KsymTable): number;
  /**
   * Parses `vm<id>:<symbol>[+off]` or `vm<id>:0x<addr>` (a bare hex word is tried after the
   * symbols, as the original).
   * @param target - the target text.
   * @returns VM, address and symbol text.
   * @throws {FeatureError} `INVALID_ARGUMENT` for bad syntax, `NOT_FOUND` for an unknown symbol.
   */
  resolve(target: string): GuestTarget;
  /**
   * The symbol containing a guest address.
   * @param vmId - VM id.
   * @param address - guest virtual address.
   * @returns name, offset and symbol address, or undefined.
   */
  symbolAt(
    vmId: number,
    address: bigint,
  ): { name: string; offset: bigint; address: bigint; type: string } | undefined;
  /**
   * Address of a guest symbol.
   * @param vmId - VM id.
   * @param name - exact name.
   * @returns the address, or undefined.
   */
  addressOf(vmId: number, name: string): bigint | undefined;
  /**
   * Guest symbols whose names contain `pattern`.
   * @param vmId - VM id.
   * @param pattern - text to find.
   * @param limit - at most this many (default 20).
   * @returns name and address, in address order.
   */
  search(vmId: number, pattern: string, limit?: number): { name: string; address: bigint }[];
  /**
   * Attaches a loaded program to a guest function. Each hit runs the program with the guest
   * kprobe context ({@link GUEST_KPROBE_CONTEXT}), emits a `kprobe`/`kretprobe` event with the
   * VM id (args: gva, gpa, x0, x1 at the entry; gva, return address, return value at the
   * return; duration for returns) and counts the hit under the probe's name in the statistics.
   * @param target - `vm<id>:<symbol>[+off]` or `vm<id>:0x<addr>`.
   * @param program - name of a program loaded in the runtime feature.
   * @param options - mode (default `Stage2Fault`) and `ret` for a return probe.
   * @returns the entry (`enabled` false while the address has no translation yet).
   * @throws {FeatureError} `MISSING_FEATURE` without the runtime feature, `NOT_FOUND` for an
   * unknown program or symbol, `BAD_STATE` before {@link GuestKprobeApi.bind}; the host's errors
   * (`PROBE_EXISTS`, `BAD_PROBE`, `NO_SUCH_VM`).
   */
  attach(
    target: string,
    program: string,
    options?: { mode?: GuestKprobeMode; ret?: boolean; context?: GuestKprobeContextKind },
  ): GuestKprobeEntry;
  /**
   * Detaches a guest kprobe.
   * @param target - as given to attach (or the same address another way).
   * @returns the detached entry.
   * @throws {FeatureError} `NOT_FOUND`.
   */
  detach(target: string): GuestKprobeEntry;
  /** @returns every guest kprobe, by VM then address. */
  list(): GuestKprobeEntry[];
}

interface Attached {
  vmId: number;
  gva: bigint;
  symbol: string | undefined;
  mode: GuestKprobeMode;
  ret: boolean;
  program: string;
  ctx: Uint8Array;
  view: DataView;
  errors: number;
}

interface RuntimeLike {
  program(name: string): { fd: number };
  run(name: string, ctx?: Uint8Array): unknown;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

interface HelperCallLike {
  u32(i: number): number;
  u64(i: number): bigint;
  hi(i: number): number;
  pointer(i: number, size: number, access: 'load' | 'store'): number;
  readonly memory: { readonly bytes: Uint8Array };
}
type HelperFnLike = (call: HelperCallLike) => bigint | number;
interface HelperTableLike {
  register(id: number, name: string, fn: HelperFnLike): unknown;
  get(id: number): { fn: HelperFnLike } | undefined;
}

/** Registers {@link GUEST_READ_HELPERS} in the runtime's helper table. */
function registerGuestHelpers(
  context: FeatureContext,
  hitOf: () => GuestProbeHitInfo | undefined,
): void {
  let helpers: HelperTableLike;
  try {
    helpers = (context.use('runtime' as FeatureName) as { helpers: HelperTableLike }).helpers;
  } catch {
    return; // no runtime feature: attach reports MISSING_FEATURE
  }
  const hostRead = helpers.get(GUEST_READ_HELPERS.probe_read)?.fn;
  const read =
    (str: boolean, fallback: HelperFnLike | undefined) =>
    (call: HelperCallLike): bigint | number => {
      const hit = hitOf();
      if (hit === undefined && fallback !== undefined) return fallback(call);
      const size = call.u32(2);
      if (call.hi(2) !== 0) return -22; // EINVAL: a size over 4 GiB
      if (size === 0) return str ? -22 : 0;
      const dst = call.pointer(1, size, 'store');
      const bytes = call.memory.bytes;
      const src = call.u64(3);
      const reader = hit?.readVirtual;
      if (!str) {
        const got = reader?.(src, size);
        if (got === undefined) {
          bytes.fill(0, dst, dst + size);
          return -EFAULT;
        }
        bytes.set(got, dst);
        return 0;
      }
      // a string: byte by byte up to the NUL (a page at a time would fault past a string ending
      // just before an unmapped page)
      let n = 0;
      while (n < size - 1) {
        const page = 4096 - Number((src + BigInt(n)) & 0xfffn);
        const chunk = reader?.(src + BigInt(n), Math.min(page, size - 1 - n));
        if (chunk === undefined) break;
        const nul = chunk.indexOf(0);
        const take = nul < 0 ? chunk.length : nul;
        bytes.set(chunk.subarray(0, take), dst + n);
        n += take;
        if (nul >= 0) break;
      }
      if (n === 0 && reader?.(src, 1) === undefined) {
        bytes.fill(0, dst, dst + size);
        return -EFAULT;
      }
      bytes[dst + n] = 0;
      return n + 1;
    };
  helpers.register(GUEST_READ_HELPERS.probe_read, 'probe_read', read(false, hostRead));
  helpers.register(GUEST_READ_HELPERS.probe_read_user, 'probe_read_user', read(false, undefined));
  helpers.register(
    GUEST_READ_HELPERS.probe_read_kernel,
    'probe_read_kernel',
    read(false, undefined),
  );
  helpers.register(GUEST_READ_HELPERS.probe_read_str, 'probe_read_str', read(true, undefined));
  helpers.register(
    GUEST_READ_HELPERS.probe_read_user_str,
    'probe_read_user_str',
    read(true, undefined),
  );
  helpers.register(
    GUEST_READ_HELPERS.probe_read_kernel_str,
    'probe_read_kernel_str',
    read(true, undefined),
  );
  helpers.register(
    GUEST_READ_HELPERS.get_current_task,
    'get_current_task',
    () => hitOf()?.sysReg?.('sp_el0') ?? 0n,
  );
}

function setup(context: FeatureContext) {
  const symbols = context.use('symbols') as SymbolsApi;
  let host: GuestProbeHost | undefined;
  const attached = new Map<string, Attached>();
  const keyOf = (vmId: number, gva: bigint) => `${vmId}:${gva}`;
  const ebpf = (): RuntimeLike => context.use('runtime' as FeatureName) as RuntimeLike;
  const table = (vmId: number) => symbols.get(`vm${vmId}`);
  /** The hit whose program is running (the probe-read helpers read its guest). */
  let current: GuestProbeHitInfo | undefined;
  registerGuestHelpers(context, () => current);

  const api: GuestKprobeApi = {
    bind(h) {
      host = h;
    },
    loadSymbols(vmId, input) {
      return symbols.load(`vm${vmId}`, input).length;
    },
    resolve(target) {
      const m = /^vm(\d+):(.+)$/.exec(target.trim());
      if (!m)
        throw new FeatureError({
          code: 'INVALID_ARGUMENT',
          feature: 'guest-kprobe',
          message: `bad guest target \`${target}\`: use vm<id>:<symbol>[+off] or vm<id>:0x<addr>`,
        });
      const vmId = Number(m[1]);
      const rest = m[2]!;
      if (/^0x[0-9a-f]+$/i.test(rest)) {
        const gva = BigInt(rest);
        const s = api.symbolAt(vmId, gva);
        return { vmId, gva, symbol: s === undefined ? undefined : `${s.name}+${hex(s.offset)}` };
      }
      const sm = /^([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(rest);
      if (sm) {
        const base = api.addressOf(vmId, sm[1]!);
        if (base !== undefined) {
          const off = sm[2] === undefined ? 0n : BigInt(sm[2]);
          return { vmId, gva: base + off, symbol: `${sm[1]}+${hex(off)}` };
        }
      }
      if (/^[0-9a-f]+$/i.test(rest)) return { vmId, gva: BigInt(`0x${rest}`), symbol: undefined };
      throw new FeatureError({
        code: 'NOT_FOUND',
        feature: 'guest-kprobe',
        message: `no symbol \`${rest}\` for vm${vmId}${table(vmId) === undefined ? ' (no symbols loaded: trace loadsyms)' : ''}`,
      });
    },
    symbolAt(vmId, address) {
      const hit = table(vmId)?.lookupAddress(address);
      return hit === undefined
        ? undefined
        : { name: hit.name, offset: BigInt(hit.offset), address: hit.address, type: hit.type };
    },
    addressOf(vmId, name) {
      return table(vmId)?.lookupName(name);
    },
    search(vmId, pattern, limit = 20) {
      const t = table(vmId);
      if (t === undefined) return [];
      return t.search(pattern, { limit }).map((e) => ({ name: e.name, address: e.address }));
    },
    attach(target, program, options = {}) {
      if (host === undefined)
        throw new FeatureError({
          code: 'BAD_STATE',
          feature: 'guest-kprobe',
          message: 'no hypervisor bound: call guestKprobes.bind(new GuestProbeManager(vmm)) first',
        });
      const runtime = ebpf();
      runtime.program(program); // NOT_FOUND for an unknown program, before anything is attached
      const t = api.resolve(target);
      const ptRegs = options.context === 'pt-regs';
      const ctx = new Uint8Array(ptRegs ? GUEST_PT_REGS_SIZE : GUEST_KPROBE_CONTEXT_SIZE);
      const frame = ptRegs ? new TrapFrameRegs(ctx) : undefined;
      const entry: Attached = {
        vmId: t.vmId,
        gva: t.gva,
        symbol: t.symbol,
        mode: options.mode ?? 'Stage2Fault',
        ret: options.ret ?? false,
        program,
        ctx,
        view: new DataView(ctx.buffer),
        errors: 0,
      };
      const name = `vm${t.vmId}:${t.symbol ?? hex(t.gva)}`;
      host.attach(t.vmId, t.gva, {
        mode: entry.mode,
        ret: entry.ret,
        ...(t.symbol === undefined ? {} : { symbol: t.symbol }),
        onHit: (hit) => {
          const v = entry.view;
          const ret = hit.kind === 'kretprobe';
          if (frame !== undefined) {
            for (let i = 0; i < 31; i++) frame.setX(i, hit.regs.x(i));
            frame.sp = 0n;
            frame.pc = hit.pc;
            frame.pstate = Number(hit.regs.spsr() & 0xffffffffn);
          } else {
            v.setUint32(0, Number(t.gva & 0xffffffffn), true);
            v.setBigUint64(8, hit.timeNs, true);
            v.setUint32(16, hit.vmId, true);
            v.setUint32(20, hit.vcpuId, true);
            v.setBigUint64(24, t.gva, true);
            v.setBigUint64(32, hit.gpa, true);
            v.setBigUint64(40, ret ? BigInt.asUintN(64, hit.retval ?? 0n) : 0n, true);
            v.setBigUint64(48, ret ? (hit.durationNs ?? 0n) : 0n, true);
            v.setUint32(56, ret ? 3 : 2, true);
            v.setUint32(60, 0, true);
            for (let i = 0; i < 8; i++)
              v.setBigUint64(64 + 8 * i, BigInt.asUintN(64, hit.regs.x(i)), true);
          }
          current = hit;
          try {
            runtime.run(program, entry.ctx);
          } catch {
            // a faulting program must not stop the guest: counted (the runtime keeps the error)
            entry.errors++;
          } finally {
            current = undefined;
          }
          const args = ret
            ? [t.gva, hit.pc, hit.retval ?? 0n]
            : [t.gva, hit.gpa, hit.regs.x(0), hit.regs.x(1)];
          context.events.emit({
            timestampNs: hit.timeNs,
            probeType: hit.kind,
            cpuId: context.platform.cpuId(),
            vmId: hit.vmId,
            eventId: Number(t.gva & 0xffffffffn),
            name,
            args,
            ...(ret ? { durationNs: hit.durationNs ?? 0n } : {}),
          });
          context.stats.record(name, hit.timeNs, ret ? (hit.durationNs ?? 0n) : 0);
        },
      });
      attached.set(keyOf(t.vmId, t.gva), entry);
      return view(entry);
    },
    detach(target) {
      const t = api.resolve(target);
      const entry = attached.get(keyOf(t.vmId, t.gva));
      if (entry === undefined || host === undefined)
        throw new FeatureError({
          code: 'NOT_FOUND',
          feature: 'guest-kprobe',
          message: `no guest kprobe at vm${t.vmId}:${hex(t.gva)}`,
        });
      const last = view(entry);
      host.detach(t.vmId, t.gva);
      attached.delete(keyOf(t.vmId, t.gva));
      return last;
    },
    list() {
      return [...attached.values()]
        .sort((a, b) => a.vmId - b.vmId || (a.gva < b.gva ? -1 : a.gva > b.gva ? 1 : 0))
        .map(view);
    },
  };

  function view(e: Attached): GuestKprobeEntry {
    const info = host?.get(e.vmId, e.gva);
    let fd = -1;
    try {
      fd = ebpf().program(e.program).fd;
    } catch {
      fd = -1;
    }
    return {
      vmId: e.vmId,
      gva: e.gva,
      symbol: e.symbol,
      mode: e.mode,
      ret: e.ret,
      program: e.program,
      programFd: fd,
      hits: info === undefined ? 0 : e.ret ? info.retHits : info.hits,
      errors: e.errors,
      enabled: info?.state === 'active',
    };
  }

  return {
    api,
    dispose() {
      for (const e of [...attached.values()]) {
        try {
          host?.detach(e.vmId, e.gva);
        } catch {
          // the VM may be gone already
        }
      }
      attached.clear();
    },
  };
}

/**
 * The `guest-kprobe` feature plugin (`runtime.guestKprobes`). Requires `hprobe` (and so
 * `tracepoints` and `symbols`), as the Rust crate's features do, and the `runtime` feature for
 * the programs.
 * @returns the plugin.
 * @example
 * ```ts
 * const rt = createRuntime({ features: [symbols(), tracepoints(), hprobe(), ebpfRuntime(), guestKprobe()] as const, platform });
 * rt.guestKprobes.bind(new GuestProbeManager(vmm));
 * rt.guestKprobes.loadSymbols(1, vm.image!);
 * rt.ebpf.load('args', { asm: '...' }, { contextSize: GUEST_KPROBE_CONTEXT_SIZE });
 * rt.guestKprobes.attach('vm1:kp_add', 'args', { mode: 'BrkInject' });
 * ```
 */
export function guestKprobe() {
  return defineFeature({
    name: 'guest-kprobe',
    key: 'guestKprobes',
    requires: ['runtime'],
    setup: (context) => setup(context),
  });
}
