// SPDX-License-Identifier: MIT
// The simulated AxVisor: VMs (axvm `AxVM`, `VMStatus`), vCPUs (axvcpu `AxVCpu`, `VCpuState`)
// on the AArch64 emulator, stage-2 tables written into emulated memory, exits decoded from
// ESR_EL2 and handled as axvisor's vCPU task does, virtual time, and the vmm:* tracepoints.

import type { Cpu as CpuType, CpuModel, StopReason } from '@axebpf/aarch64-emu';
import { Cpu, PhysicalMemory, SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';
import type { MmioDevice } from '@axebpf/aarch64-emu';
import { readAarch64Image } from './elf-image.js';
import type { EventDefinition, Tracepoint } from '@axebpf/tracepoint';
import { TracepointManager } from '@axebpf/tracepoint';
import { VMM_EVENTS } from './catalog.js';
import type { VmConfig } from './config.js';
import { MAP_TYPE_LAZY } from './config.js';
import { HypervisorError } from './errors.js';
import type { GuestRegs } from './guest-regs.js';
import { CpuGuestRegs, MemGuestRegs } from './guest-regs.js';
import type { HypImage } from './hyp.js';
import {
  bundledHypImage,
  HOST_CALL,
  HYP_FUNCTIONS,
  HYP_TRACE_EVENT,
  PT_REGS,
  VCPU_CTX,
} from './hyp.js';
import type { Region } from '@axebpf/aarch64-emu';
import type { AxVCpuExitReason, SyndromeSource } from './exit.js';
import { decodeExit, exitCode, PSCI } from './exit.js';
import type { ExitReasonName } from './exit-reason.js';
import { exitReasonName } from './exit-reason.js';
import { GICV3_TRAPPED_SYS_REGS, VGicV3 } from './gicv3.js';
import { GIC_SPIS } from './gic-spi.js';
import type { GicV2CpuState, GicV2Effects } from './gicv2.js';
import { GICC_BASE, GICD_BASE, GICV2_FRAME_SIZE, VGicV2 } from './gicv2.js';
import { Pl011 } from './pl011.js';
import { isLinuxImage, linuxLayout, parseLinuxImage } from './linux-image.js';
import { vmDeviceTreeBlob } from './virt-dt.js';

/**
 * JIT threshold of the vCPUs of a Linux VM (block executions before compilation). Measured on
 * the boot to /init (bench/linux-slice.ts 918, one vCPU, CPU time): 256 -> 47 s, 4096 -> 36 s,
 * 16384 -> 29 s, 65536 -> 26 s, 262144 -> 28 s, never (interpreter only) -> 45 s.
 */
const LINUX_JIT_THRESHOLD = 65536;

/** `VMStatus` of axvm. */
export type VmStatus = 'Loading' | 'Loaded' | 'Running' | 'Suspended' | 'Stopping' | 'Stopped';
/** `VCpuState` of axvcpu (numeric values as there: Invalid 0 ... Blocked 5). */
export type VCpuState = 'Invalid' | 'Created' | 'Free' | 'Ready' | 'Running' | 'Blocked';
const VCPU_STATE_CODE: Record<VCpuState, number> = {
  Invalid: 0,
  Created: 1,
  Free: 2,
  Ready: 3,
  Running: 4,
  Blocked: 5,
};

/** Hypercalls of the axebpf guest ABI (HVC #0, x0 = function id, in the SMCCC vendor hypervisor range). */
export const HYPERCALL = {
  CONSOLE_PUTC: 0xc600_0001n,
  GET_TIME_NS: 0xc600_0002n,
  YIELD: 0xc600_0003n,
} as const;

/** Virtual time model: the guest runs at 1 GHz; each exit costs the hypervisor this long. */
export const NS_PER_INSN = 1;
/** Modelled cost of handling one VM exit, in virtual nanoseconds. */
export const EXIT_COST_NS = 500;
/**
 * Instructions a vCPU runs before the scheduler moves on: at the end of a slice the host's
 * timer interrupt ({@link HOST_TIMER_INTID}) is taken to EL2, an `ExternalInterrupt` exit.
 */
export const QUANTUM_INSNS = 200_000;
/**
 * Most EL2 instructions the image may run for one exit before the host gives up on it (a
 * runaway handler, for example a bad probe) and stops the VM.
 */
export const EL2_INSN_LIMIT = 1_000_000;
/**
 * INTID of the host's scheduler tick, the physical interrupt behind `ExternalInterrupt` exits:
 * PPI 26, the EL2 physical timer (CNTHP) a hypervisor at EL2 uses for its own timer.
 */
export const HOST_TIMER_INTID = 26;

const NOT_SUPPORTED = (1n << 64n) - 1n;
/** PSCI functions this VMM implements (what PSCI_FEATURES answers 0 for). */
const PSCI_IMPLEMENTED = new Set([
  0x8400_0000n,
  0x8400_0002n,
  0x8400_0003n,
  0xc400_0003n,
  0x8400_0004n,
  0xc400_0004n,
  0x8400_0006n,
  0x8400_0008n,
  0x8400_0009n,
  0x8400_000an,
]);
/** The exit of an exception the exit hook handled (compared by identity: never from decodeExit). */
const HOOK_HANDLED: AxVCpuExitReason = { kind: 'Nothing' };
const SPSR_SS = 1n << 21n;
const STAGE2_BASE = 0x1_0000_0000n; // host-only memory for stage-2 tables (outside the 4 GiB IPA space)
const reg = (name: string): number => {
  const key = SYS_REG_BY_NAME.get(name);
  if (key === undefined) throw new Error(`emulator lacks system register ${name}`);
  return key;
};
const R = {
  HCR: reg('hcr_el2'),
  VTTBR: reg('vttbr_el2'),
  VTCR: reg('vtcr_el2'),
  VBAR2: reg('vbar_el2'),
  ESR: reg('esr_el2'),
  FAR: reg('far_el2'),
  HPFAR: reg('hpfar_el2'),
  ELR: reg('elr_el2'),
  SPSR: reg('spsr_el2'),
  MPIDR: reg('vmpidr_el2'),
  TPIDR2: reg('tpidr_el2'),
  PFR0: reg('id_aa64pfr0_el1'),
  CNTV_CTL: reg('cntv_ctl_el0'),
  CNTV_CVAL: reg('cntv_cval_el0'),
};

export { GICC_BASE, GICD_BASE } from './gicv2.js';
const GIC_SIZE = GICV2_FRAME_SIZE;
/** INTID of the EL1 virtual timer (a PPI). */
export const VIRTUAL_TIMER_INTID = 27;
/** Nanoseconds per tick of the guest's generic timer (CNTFRQ_EL0 = 62.5 MHz, as on QEMU virt). */
export const NS_PER_TIMER_TICK = 16n;
// HCR_EL2: VM (stage 2), FMO, IMO, AMO, TWI (WFI traps), TSC (SMC traps), RW (EL1 is AArch64)
const HCR_GUEST =
  (1n << 0n) | (1n << 3n) | (1n << 4n) | (1n << 5n) | (1n << 13n) | (1n << 19n) | (1n << 31n);

/** One vCPU. */
export class VCpu {
  /** vCPU id within its VM. */
  readonly id: number;
  /** The emulated processor. */
  readonly cpu: CpuType;
  /** Current `VCpuState`. */
  state: VCpuState = 'Created';
  /** Exits by trace code (index 1..16). */
  readonly exitCounts = new Uint32Array(17);
  /** Instructions retired in the guest. */
  insns = 0;
  /** The last exit. */
  lastExit: AxVCpuExitReason | undefined;
  /** GIC state of this vCPU for INTIDs 0–31 (SGIs and PPIs), as bit masks. @internal */
  readonly gic: GicV2CpuState = {
    enabled: 0,
    pending: 0,
    active: 0,
    cpuInterface: false,
    sgiSource: new Uint8Array(16),
    ackedAt: new Array<bigint>(32 + GIC_SPIS).fill(0n),
  };
  /** When a vCPU blocked in WFI wakes for its timer (undefined: no timer armed). @internal */
  wakeAtNs: bigint | undefined;
  /** The virtual IRQ line as last set on the CPU. @internal */
  irqRaised = false;
  /** Virtual time where this vCPU last stopped running. @internal */
  lastNs = 0n;
  /**
   * Instructions retired at EL2 by the hypervisor image for this vCPU (exit handling and the
   * world switch; not part of virtual time, see the README). 0 with `hypervisor: 'ts'`.
   */
  el2Insns = 0;
  /** Address of this vCPU's context in the EL2 image (undefined with `hypervisor: 'ts'`). */
  hypContext: bigint | undefined;
  /** Guest nanoseconds of the last run before an exit (the `guest_ns` of vcpu_run_exit). @internal */
  lastGuestNs = 0n;

  /** @internal */
  constructor(id: number, cpu: CpuType) {
    this.id = id;
    this.cpu = cpu;
  }

  /** Exits by reason name (only reasons that occurred). */
  get exits(): Map<ExitReasonName, number> {
    const m = new Map<ExitReasonName, number>();
    this.exitCounts.forEach((n, code) => {
      const name = exitReasonName(code);
      if (n > 0 && name !== undefined) m.set(name, n);
    });
    return m;
  }
}

interface Device {
  name: string;
  base: bigint;
  length: number;
  dev: MmioDevice;
}

/**
 * Sees synchronous exits before they are decoded (the guest probes of `guest-probe.ts` use it
 * for stage-2 permission faults, software step and BRK).
 */
export interface ExitHook {
  /**
   * Called for each synchronous exit of a guest.
   * @param vm - the VM.
   * @param vcpu - the vCPU that exited.
   * @param esr - ESR_EL2.
   * @param far - FAR_EL2.
   * @param hpfar - HPFAR_EL2.
   * @param regs - the guest's registers (the trap frame).
   * @returns true when the hook handled the exit (it set where the guest resumes); the exit
   * then counts as `Nothing`. False lets the VMM decode and handle it.
   */
  onExit(vm: Vm, vcpu: VCpu, esr: bigint, far: bigint, hpfar: bigint, regs: GuestRegs): boolean;
  /**
   * True while some vCPU single-steps for the hook: an instruction the VMM emulates (and skips)
   * then completes the step, so the VMM clears SPSR.SS as it resumes past it.
   */
  readonly stepping: boolean;
}

/** Stage-2 block descriptor of a lazily mapped 2 MiB block: AF, inner shareable, S2AP RW, normal WB, block. */
const LAZY_BLOCK_ATTRS = (1n << 10n) | (3n << 8n) | (3n << 6n) | (0xfn << 2n) | 1n;

/** One VM. */

export class Vm {
  /** The validated configuration. */
  readonly config: VmConfig;
  /** `VMStatus`. */
  status: VmStatus = 'Loading';
  /** The vCPUs. */
  readonly vcpus: VCpu[] = [];
  /** Guest physical memory (host view). */
  readonly memory: PhysicalMemory;
  /** Why the VM stopped, when it did. */
  stopReason: string | undefined;
  /** The guest image the VM was created from (its ELF symbols name guest functions). */
  image: Uint8Array | undefined;
  /** The virtual GICv2 (when the VM has no GICv3). */
  gicv2: VGicV2 | undefined;
  /** Where a Linux guest's kernel, device tree and initramfs went (undefined for ELF guests). */
  linux:
    | {
        kernel: bigint;
        dtb: bigint;
        initrd: bigint | undefined;
        initrdSize: number;
        dtbBlob: Uint8Array;
      }
    | undefined;
  /** This VM's copy of the EL2 image (undefined with `hypervisor: 'ts'`). @internal */
  hypRegion: Region | undefined;
  /** @internal */
  hypImage: HypImage | undefined;
  /** The last value written to the image's hyp_trace_mask. @internal */
  hypTraceMask = 0;
  /** The virtual GICv3, for a VM configured with one (otherwise the VM has the GICv2). */
  gicv3: VGicV3 | undefined;
  /** @internal */
  readonly devices: Device[] = [];
  /** 2 MiB blocks of lazily mapped regions (`map_type = 3`) mapped so far by stage-2 faults. */
  lazyBlocksMapped = 0;
  #console = '';
  readonly #listeners: ((text: string) => void)[] = [];

  /**
   * @param config - the validated configuration.
   * @param arenaBytes - size of the memory's arena (the vCPUs' WebAssembly tier), if any.
   * @internal
   */
  constructor(config: VmConfig, arenaBytes?: number) {
    this.config = config;
    this.memory = new PhysicalMemory(arenaBytes === undefined ? {} : { arenaBytes });
  }

  /** VM id. */
  get id(): number {
    return this.config.id;
  }

  /**
   * The EL2 image's per-function call counters for this VM (`hyp_calls[]`, by function name):
   * counted by the C code itself, independently of any probe.
   * @returns the counts, empty with `hypervisor: 'ts'`.
   */
  hypCalls(): Map<string, number> {
    const m = new Map<string, number>();
    const r = this.hypRegion,
      img = this.hypImage;
    if (r === undefined || img === undefined) return m;
    const off = Number(img.sym('hyp_calls')) - r.base;
    HYP_FUNCTIONS.forEach((name, i) => m.set(name, Number(r.view.getBigUint64(off + 8 * i, true))));
    return m;
  }

  /** Everything the guest printed on its UART. */
  get console(): string {
    return this.#console;
  }

  /**
   * Follows the console.
   * @param listener - receives each chunk printed.
   * @returns a function that stops following.
   */
  onConsole(listener: (text: string) => void): () => void {
    this.#listeners.push(listener);
    return () => this.#listeners.splice(this.#listeners.indexOf(listener), 1);
  }

  /** @internal */
  putc(byte: number): void {
    const ch = String.fromCharCode(byte);
    this.#console += ch;
    for (const l of this.#listeners) l(ch);
  }
}

type VmmTracepoints = {
  [K in keyof typeof VMM_EVENTS]: (typeof VMM_EVENTS)[K] extends EventDefinition<infer F>
    ? Tracepoint<F>
    : never;
};

/** Options of {@link Vmm}. */
export interface VmmOptions {
  /** Tracepoint manager to register the vmm:* events on (default: a new one on this VMM's clock). */
  tracepoints?: TracepointManager;
  /** Loads an image by the config's `kernel_path`. */
  loadImage?: (path: string, config: VmConfig) => Uint8Array;
  /**
   * `virtual` (default): time advances with retired instructions and a modelled cost per exit,
   * so runs are deterministic. `wall`: time is the host's monotonic clock since the VMM was
   * created (for benchmarks; runs are then not reproducible).
   */
  clock?: 'virtual' | 'wall';
  /**
   * Simulated physical CPUs (default 1). Each has its own virtual clock; the scheduler always
   * runs the pCPU that is furthest behind, with the next ready vCPU in round-robin order, so the
   * result is deterministic. A vCPU never runs earlier than where it last stopped.
   */
  pcpus?: number;
  /**
   * Who handles VM exits. `el2` (default): the hypervisor image (hyp/hyp.elf: vectors, world
   * switch, exit dispatch in C) runs in the emulator at EL2 and asks this VMM for device and
   * VM services through host calls. `ts`: the exception to EL2 stops the emulator and
   * TypeScript handles the exit directly (the earlier model; kept for comparison).
   */
  hypervisor?: 'el2' | 'ts';
  /** The EL2 image to run (default: the bundled hyp/hyp.elf). */
  hypImage?: HypImage;
}

/**
 * The host object of the facade's `hprobe` feature (structurally its `HprobeHost`; this
 * package does not depend on the facade).
 */
export interface HprobeHostShape {
  memory: {
    readInsn(address: bigint): number;
    writeInsn(address: bigint, word: number): void;
    syncIcache(address: bigint, length: number): void;
    readData(address: bigint, size: 4 | 8): bigint;
  };
  slots: { base: bigint; count: number; slotSize: number };
  noProbe: (readonly [bigint, bigint])[];
  /** The instruction set probes may step: what every vCPU model has (the Cortex-A57's). */
  cpuModel: CpuModel;
  functionStart(address: bigint): bigint | undefined;
  clock(): bigint;
  onBreakpoint(
    handler: (trap: { frame: Uint8Array; imm: number; cpuKey: string }) => boolean,
  ): () => void;
}

/** A synchronous exception taken at EL2 inside the hypervisor image (for hprobe). */
export interface El2Trap {
  /** The VM whose vCPU ran the image. */
  vm: Vm;
  /** The vCPU. */
  vcpu: VCpu;
  /** Address of the saved `pt_regs` frame (x0–x30, sp, pc, pstate) in `vm.memory`. */
  frame: bigint;
  /** ESR_EL2 of the exception (EC 0x3C for BRK). */
  esr: bigint;
}

/** What the facade reads about the current event (the axebpf `Platform` shape). */
export interface VmmPlatform {
  timeNs(): bigint;
  cpuId(): number;
  currentVmId(): number;
  currentVcpuId(): number;
  exitReason(): number;
  pidTgid(): bigint;
  comm(): string;
}

/**
 * The simulated hypervisor: creates VMs from configurations and runs their vCPUs on the
 * emulator in virtual time, deterministically.
 *
 * @example
 * ```ts
 * const vmm = new Vmm({ loadImage: (p) => readFileSync(p) });
 * const vm = vmm.createVm(parseVmConfig(readFileSync('hello.toml', 'utf8')));
 * vmm.startVm(vm.id);
 * vmm.runUntilIdle();
 * vm.console; // 'hello from the axebpf guest\n...'
 * ```
 */
export class Vmm {
  /** The tracepoints this VMM fires. */
  readonly tracepoints: TracepointManager;
  /** The platform view for eBPF helpers and tracepoint records. */
  readonly platform: VmmPlatform;
  readonly #vms = new Map<number, Vm>();
  readonly #tp: VmmTracepoints;
  readonly #loadImage: ((path: string, config: VmConfig) => Uint8Array) | undefined;
  /** Virtual clock of each physical CPU. */
  readonly #clock: bigint[];
  /** The physical CPU being scheduled. */
  #cpu = 0;
  readonly #wallStart: bigint | undefined;
  readonly #current: { vm: number; vcpu: number; exit: number } = { vm: 0, vcpu: 0, exit: 0 };
  #lastOnCpu: number[];
  /** Every vCPU of every VM, in VM and vCPU order (the round-robin queue). */
  #flat: [Vm, VCpu][] = [];
  #cursor = -1;
  #order: Vm[] = [];
  readonly #hyp: HypImage | undefined;
  /** The image's memory contents with code patches applied (copied into each new VM). */
  #hypMaster: Uint8Array | undefined;
  readonly #mregs = new MemGuestRegs();
  /** `__hyp_resume` as the emulator's int32 PC halves (compared without a BigInt per slot). */
  #resumeLo = 0;
  #resumeHi = 0;
  #el2TrapHandler: ((trap: El2Trap) => boolean) | undefined;
  #exitHook: ExitHook | undefined;

  /** @param options - tracepoint manager, image loader. */
  constructor(options: VmmOptions = {}) {
    this.#loadImage = options.loadImage;
    this.#wallStart = options.clock === 'wall' ? process.hrtime.bigint() : undefined;
    const pcpus = options.pcpus ?? 1;
    if (!Number.isInteger(pcpus) || pcpus < 1 || pcpus > 64)
      throw new HypervisorError({
        code: 'BAD_CONFIG',
        key: 'pcpus',
        message: `\`pcpus\` must be 1..64, got ${pcpus}`,
      });
    this.#clock = new Array<bigint>(pcpus).fill(0n);
    this.#lastOnCpu = new Array<number>(pcpus).fill(0);
    if (
      options.hypervisor !== undefined &&
      options.hypervisor !== 'el2' &&
      options.hypervisor !== 'ts'
    ) {
      throw new HypervisorError({
        code: 'BAD_CONFIG',
        key: 'hypervisor',
        message: `\`hypervisor\` must be 'el2' or 'ts', got ${String(options.hypervisor)}`,
      });
    }
    if (options.hypervisor !== 'ts') {
      const img = options.hypImage ?? bundledHypImage();
      this.#hyp = img;
      const master = new Uint8Array(Number(img.end - img.start));
      for (const seg of img.segments) master.set(seg.data, Number(seg.addr - img.start));
      this.#hypMaster = master;
      const resume = img.sym('__hyp_resume');
      this.#resumeLo = Number(resume & 0xffffffffn) | 0;
      this.#resumeHi = Number(resume >> 32n) | 0;
    }
    this.platform = {
      timeNs: () => this.#now(),
      cpuId: () => this.#cpu,
      currentVmId: () => this.#current.vm,
      currentVcpuId: () => this.#current.vcpu,
      exitReason: () => this.#current.exit,
      pidTgid: () => (BigInt(this.#current.vm) << 32n) | BigInt(this.#current.vcpu),
      comm: () =>
        this.#current.vm === 0 ? 'axvisor' : `vm${this.#current.vm}-vcpu${this.#current.vcpu}`,
    };
    this.tracepoints =
      options.tracepoints ??
      new TracepointManager({
        host: {
          timeNs: () => this.#now(),
          cpuId: () => this.#cpu,
          pid: () => this.#current.vcpu,
          comm: () => this.platform.comm(),
        },
      });
    const tp: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(VMM_EVENTS) as [string, EventDefinition][])
      tp[name] = this.tracepoints.get(`vmm:${name}`) ?? this.tracepoints.register(def);
    this.#tp = tp as VmmTracepoints;
    // Host setup happens outside virtual time, so its durations are 0 (deterministic).
    if (this.#tp.vhal_init.active) this.#tp.vhal_init.emit(0n);
    if (this.#tp.vmm_init.active) this.#tp.vmm_init.emit(1, 0n);
  }

  #now(): bigint {
    return this.#wallStart === undefined
      ? this.#clock[this.#cpu]!
      : process.hrtime.bigint() - this.#wallStart;
  }

  /**
   * Virtual time in nanoseconds: the furthest physical CPU clock (or wall-clock time since
   * creation with `clock: 'wall'`).
   */
  get timeNs(): bigint {
    if (this.#wallStart !== undefined) return this.#now();
    return this.#clock.reduce((m, c) => (c > m ? c : m), 0n);
  }

  #requeue(): void {
    const current = this.#flat[this.#cursor];
    this.#flat = this.#order.flatMap((vm) => vm.vcpus.map((v): [Vm, VCpu] => [vm, v]));
    this.#cursor = current === undefined ? -1 : this.#flat.findIndex((e) => e[1] === current[1]);
  }

  /**
   * Installs (or removes, with undefined) the hook that sees synchronous exits before they are
   * decoded. One hook at a time: the guest probe manager.
   * @param hook - the hook.
   * @throws {HypervisorError} `BAD_STATE` when another hook is installed.
   */
  setExitHook(hook: ExitHook | undefined): void {
    if (hook !== undefined && this.#exitHook !== undefined && this.#exitHook !== hook)
      throw new HypervisorError({
        code: 'BAD_STATE',
        message: 'an exit hook is installed already (one guest probe manager per VMM)',
      });
    this.#exitHook = hook;
  }

  /** Number of simulated physical CPUs. */
  get pcpuCount(): number {
    return this.#clock.length;
  }

  /** @returns every VM, by id order. */
  vms(): Vm[] {
    return [...this.#order];
  }

  /**
   * A VM by id.
   * @param id - VM id.
   * @returns the VM.
   * @throws {HypervisorError} `NO_SUCH_VM`.
   */
  vm(id: number): Vm {
    const vm = this.#vms.get(id);
    if (vm === undefined)
      throw new HypervisorError({ code: 'NO_SUCH_VM', vmId: id, message: `no VM with id ${id}` });
    return vm;
  }

  /**
   * Creates a VM: guest RAM, stage-2 tables, devices, the image, and its vCPUs (state Free).
   * @param config - a validated configuration.
   * @param image - the guest image (ELF); read through `loadImage` when omitted.
   * @returns the VM (status Loaded).
   * @throws {HypervisorError} `BAD_CONFIG` for a duplicate id, `BAD_IMAGE` for an unreadable or
   * misplaced image.
   */
  createVm(config: VmConfig, image?: Uint8Array): Vm {
    const other = this.#vms.get(config.id);
    if (other !== undefined) {
      const files = `${config.file ?? '<config>'} and ${other.config.file ?? '<config>'}`;
      throw new HypervisorError({
        code: 'BAD_CONFIG',
        vmId: config.id,
        key: 'base.id',
        ...(config.file === undefined ? {} : { file: config.file }),
        message: `${files} both use \`base.id\` = ${config.id}`,
      });
    }
    const bytes = image ?? this.#loadImage?.(config.kernelPath, config);
    if (bytes === undefined)
      throw new HypervisorError({
        code: 'BAD_IMAGE',
        vmId: config.id,
        message: `no image for VM ${config.id}: give one or a loadImage option`,
      });
    const vm = new Vm(config, isLinuxImage(bytes) ? this.#linuxArenaBytes(config) : undefined);
    const t = this.#tp;
    if (t.config_load.active) t.config_load.emit(config.id, 0n);
    if (t.vm_create.active) t.vm_create.emit(config.id, config.cpuNum, config.name);
    for (const r of config.memoryRegions) {
      vm.memory.addRam(r.gpa, r.size, `ram@0x${r.gpa.toString(16)}`);
      if (r.mapType !== MAP_TYPE_LAZY && t.memory_map.active)
        t.memory_map.emit(config.id, r.gpa, r.gpa, BigInt(r.size), r.flags);
    }
    for (const d of config.emuDevices) {
      const irq = d.irq;
      vm.devices.push({
        name: d.name,
        base: d.gpa,
        length: d.length,
        dev: new Pl011(
          (b) => vm.putc(b),
          (level) => this.#spiLevel(vm, irq, level),
        ),
      });
    }
    this.#buildStage2(vm);
    // an ELF is placed by its segments; anything else must be an arm64 Image (else BAD_IMAGE)
    const isElf =
      bytes.length >= 4 &&
      bytes[0] === 0x7f &&
      bytes[1] === 0x45 &&
      bytes[2] === 0x4c &&
      bytes[3] === 0x46;
    const entry =
      !isElf || isLinuxImage(bytes)
        ? this.#loadLinux(vm, bytes)
        : (this.#loadElf(vm, bytes), config.entryPoint);
    const hyp = this.#hyp;
    if (hyp !== undefined) {
      if (config.cpuNum > 64)
        throw new HypervisorError({
          code: 'BAD_CONFIG',
          vmId: config.id,
          key: 'base.cpu_num',
          message: `the EL2 image supports at most 64 vCPUs per VM, VM ${config.id} has ${config.cpuNum}`,
        });
      const size = Math.ceil(this.#hypMaster!.length / 4096) * 4096;
      vm.hypRegion = vm.memory.addRam(hyp.start, size, 'el2-image');
      vm.hypRegion.bytes.set(this.#hypMaster!);
      vm.hypImage = hyp;
    }
    vm.image = bytes;
    if (t.image_load.active) t.image_load.emit(config.id, BigInt(bytes.length), 0n);
    for (let i = 0; i < config.cpuNum; i++) {
      // A Linux guest runs on the Cortex-A57 r1p0 its device tree names, as QEMU's -cpu
      // cortex-a57 presents it: MIDR 0x411fd070 (through VPIDR_EL2), ID_AA64ISAR0 with AES,
      // PMULL, SHA1, SHA2 and CRC32 and without LSE (whose instructions are then UNDEFINED).
      const cpu = new Cpu({
        memory: vm.memory,
        highestEl: 2,
        model: vm.linux !== undefined ? 'cortex-a57' : 'default',
      });
      cpu.stopOnEl2 = true;
      // The guest's counter runs at CNTFRQ (62.5 MHz) in this VMM's time.
      cpu.counter = () => this.#now() / NS_PER_TIMER_TICK;
      const vcpu = new VCpu(i, cpu);
      vm.vcpus.push(vcpu);
      if (t.vcpu_create.active) t.vcpu_create.emit(config.id, i, i === 0 ? config.entryPoint : 0n);
      this.#setState(vm, vcpu, 'Free');
      cpu.setSysReg(R.HCR, HCR_GUEST);
      cpu.setSysReg(R.VTTBR, STAGE2_BASE | (BigInt(config.id) << 48n));
      // VTCR_EL2: T0SZ=32 (4 GiB IPA), SL0=1 (start at level 1), inner/outer WB, inner shareable, 4K, PS=40 bits
      cpu.setSysReg(
        R.VTCR,
        32n | (1n << 6n) | (1n << 8n) | (1n << 10n) | (3n << 12n) | (2n << 16n),
      );
      cpu.setSysReg(R.VBAR2, 0n);
      cpu.setSysReg(R.MPIDR, (1n << 31n) | BigInt(i)); // VMPIDR_EL2: RES1 bit 31 | Aff0 (arm_vcpu sets the same)
      // A kernel's boot runs thousands of regions a few hundred or thousand times each: V8's
      // optimising compiler takes 10-30 ms per region, more than the region then saves, so only
      // the really hot ones (the boot's loops) are compiled. Never lowers a higher threshold
      // (Infinity: no JIT).
      if (vm.linux !== undefined) {
        cpu.jitThreshold = Math.max(cpu.jitThreshold, LINUX_JIT_THRESHOLD);
        Cpu.warmUp(); // once per process: the boot then seldom deoptimises the interpreter
      }
      if (config.gic?.version === 3) {
        // the GICv3 CPU interface is emulated at EL2: ICC_*_EL1 accesses trap (EC 0x18)
        cpu.trappedSysRegs = GICV3_TRAPPED_SYS_REGS;
        cpu.setSysReg(R.PFR0, cpu.getSysReg(R.PFR0) | (1n << 24n)); // ID_AA64PFR0_EL1.GIC = 1
      }
      cpu.setPstate(0x3c5); // EL1h, interrupts masked
      cpu.pc = i === 0 ? entry : 0n;
      // Linux boot protocol: x0 = the device tree's physical address
      if (i === 0 && vm.linux !== undefined) cpu.setX(0, vm.linux.dtb);
      if (hyp !== undefined) {
        // The vCPU starts in the image: vcpu_run(ctx) on its own EL2 stack; the guest's first
        // state waits in the context until the world switch ERETs into it.
        cpu.stopOnEl2 = false;
        const ctx = hyp.contextAddress(i);
        vcpu.hypContext = ctx;
        const regs = this.#ctx(vm, ctx);
        for (let r = 0; r < 31; r++) regs.setX(r, 0n);
        if (i === 0 && vm.linux !== undefined) regs.setX(0, vm.linux.dtb);
        regs.setSpsr(0x3c5n);
        regs.resumeAt(cpu.pc);
        const dv = vm.hypRegion!.view,
          off = Number(ctx) - vm.hypRegion!.base;
        dv.setBigUint64(off + VCPU_CTX.VM_ID, BigInt(config.id), true);
        dv.setBigUint64(off + VCPU_CTX.VCPU_ID, BigInt(i), true);
        cpu.setSysReg(R.VBAR2, hyp.sym('hyp_vectors'));
        cpu.setSysReg(R.TPIDR2, ctx);
        cpu.setPstate(0x3c9); // EL2h, interrupts masked
        cpu.sp = hyp.stackTop(i);
        cpu.setX(0, ctx);
        cpu.pc = hyp.sym('vcpu_run');
        cpu.onHostCall = (imm, c) => this.#hostCall(vm, vcpu, imm, c);
      }
    }
    if (config.gic?.version === 3)
      vm.gicv3 = new VGicV3(
        config.gic,
        vm.vcpus.map((v) => v.gic),
      );
    else vm.gicv2 = new VGicV2(vm.vcpus.map((v) => v.gic));
    vm.status = 'Loaded';
    this.#vms.set(config.id, vm);
    this.#order = [...this.#vms.values()].sort((a, b) => a.id - b.id);
    this.#requeue();
    return vm;
  }

  /**
   * Arena of a Linux VM's memory: its RAM (with one byte per page for the code map), the EL2
   * image, the stage-2 tables and each vCPU's registers and soft TLB (under 400 KiB), so that
   * the vCPUs run hot guest code on the WebAssembly tier.
   */
  #linuxArenaBytes(config: VmConfig): number {
    let bytes = 2 << 20;
    for (const r of config.memoryRegions) bytes += r.size + r.size / 4096 + 4096;
    if (this.#hypMaster !== undefined) bytes += this.#hypMaster.length + (1 << 20);
    // a WebAssembly.Memory holds at most 4 GiB - 64 KiB: what does not fit keeps its own buffer
    return Math.min(bytes + config.cpuNum * (512 << 10), 0xffff0000);
  }

  #buildStage2(vm: Vm): void {
    // Level 1 table at STAGE2_BASE (4 entries of 1 GiB), one level 2 table per GiB with 2 MiB
    // blocks for RAM. Devices stay unmapped, so their accesses fault to EL2 as MMIO exits.
    vm.memory.addRam(STAGE2_BASE, 5 * 4096, 'stage2');
    const write64 = (pa: bigint, v: bigint) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      vm.memory.write(pa, b);
    };
    const BLOCK_ATTRS = (1n << 10n) | (3n << 8n) | (3n << 6n) | (0xfn << 2n) | 1n; // AF, inner shareable, S2AP RW, normal WB, block
    for (const r of vm.config.memoryRegions) {
      for (let off = 0; off < r.size; off += 2 * 1024 * 1024) {
        const ipa = r.gpa + BigInt(off);
        const l1 = Number(ipa >> 30n);
        const l2Table = STAGE2_BASE + 4096n * BigInt(1 + l1);
        write64(STAGE2_BASE + BigInt(8 * l1), l2Table | 3n);
        // a lazily mapped region gets its level 2 table but no blocks: each faults in on first use
        if (r.mapType !== MAP_TYPE_LAZY)
          write64(l2Table + 8n * ((ipa >> 21n) & 511n), ipa | BLOCK_ATTRS);
      }
    }
  }

  /**
   * Maps the 2 MiB block of a lazily mapped region that holds `ipa`, if it is not mapped yet
   * (the stage-2 page-fault handler of axaddrspace for `map_alloc(.., populate = false)`).
   * @returns whether a block was mapped (the faulting instruction then runs again).
   */
  #mapLazy(vm: Vm, vcpu: VCpu, ipa: bigint, write: boolean): boolean {
    const r = vm.config.memoryRegions.find(
      (m) => m.mapType === MAP_TYPE_LAZY && ipa >= m.gpa && ipa < m.gpa + BigInt(m.size),
    );
    if (r === undefined) return false;
    const block = ipa & ~0x1f_ffffn;
    const l2Entry =
      STAGE2_BASE + 4096n * BigInt(1 + Number(block >> 30n)) + 8n * ((block >> 21n) & 511n);
    const view = new DataView(new ArrayBuffer(8));
    const old = vm.memory.read(l2Entry, 8);
    if ((old[0]! & 1) !== 0) return false; // mapped already: not a lazy-mapping fault
    const t = this.#tp;
    if (t.page_fault.active) t.page_fault.emit(vm.id, vcpu.id, ipa, write);
    view.setBigUint64(0, block | LAZY_BLOCK_ATTRS, true);
    vm.memory.write(l2Entry, new Uint8Array(view.buffer));
    for (const v of vm.vcpus) v.cpu.flushTlb();
    vm.lazyBlocksMapped++;
    if (t.memory_map.active) t.memory_map.emit(vm.id, block, block, 0x20_0000n, r.flags);
    return true;
  }

  /** How image errors name the config file and the key the image came from. */
  static #imageSource(vm: Vm): { what: string; where: { file?: string; key: string } } {
    const c = vm.config;
    return {
      what: `${c.file === undefined ? '' : `${c.file}: `}\`kernel.kernel_path\` (${c.kernelPath}): VM ${vm.id}: image`,
      where: { ...(c.file === undefined ? {} : { file: c.file }), key: 'kernel.kernel_path' },
    };
  }

  /** Runs an image parser, re-throwing its HypervisorError with the config file and key. */
  static #parseImage<T>(vm: Vm, parse: (what: string) => T): T {
    const { what, where } = Vmm.#imageSource(vm);
    try {
      return parse(what);
    } catch (e) {
      if (HypervisorError.isInstance(e))
        throw new HypervisorError({
          code: e.code,
          vmId: vm.id,
          ...where,
          cause: e.cause,
          message: e.message,
        });
      throw e;
    }
  }

  #loadElf(vm: Vm, bytes: Uint8Array): void {
    const ram = vm.config.memoryRegions;
    const { what, where } = Vmm.#imageSource(vm);
    const segments = Vmm.#parseImage(vm, (w) => readAarch64Image(bytes, w, vm.id).segments);
    for (const p of segments) {
      const end = p.addr + BigInt(p.memsz);
      if (!ram.some((r) => p.addr >= r.gpa && end <= r.gpa + BigInt(r.size))) {
        throw new HypervisorError({
          code: 'BAD_IMAGE',
          vmId: vm.id,
          ...where,
          message: `${what}: segment at 0x${p.addr.toString(16)} (${p.memsz} bytes) is outside guest RAM`,
        });
      }
      vm.memory.write(p.addr, p.data);
    }
  }

  /**
   * Loads an arm64 Linux Image (the boot protocol of linux-image.ts): the kernel at a 2 MiB
   * boundary + text_offset, the initramfs, and the device tree (the config's, or one generated
   * from the config with the initramfs and command line in /chosen).
   * @returns the entry point (the kernel's load address).
   */
  #loadLinux(vm: Vm, bytes: Uint8Array): bigint {
    const c = vm.config;
    const header = Vmm.#parseImage(vm, (what) => parseLinuxImage(bytes, what, vm.id));
    const load = (path: string, what: string): Uint8Array => {
      const b = this.#loadImage?.(path, c);
      if (b === undefined)
        throw new HypervisorError({
          code: 'BAD_IMAGE',
          vmId: vm.id,
          message: `VM ${vm.id}: no loader for the ${what} ${path}`,
        });
      return b;
    };
    const initrd = c.ramdiskPath === undefined ? undefined : load(c.ramdiskPath, 'ramdisk');
    const given = c.dtbPath === undefined ? undefined : load(c.dtbPath, 'device tree');
    const ram =
      c.memoryRegions.find(
        (r) => c.kernelLoadAddr >= r.gpa && c.kernelLoadAddr < r.gpa + BigInt(r.size),
      ) ?? c.memoryRegions[0]!;
    // the generated tree's size does not depend on the addresses in it: size it once, then write it
    const chosen = (initrdAt: bigint | undefined) => ({
      ...(c.cmdline === undefined ? {} : { bootargs: c.cmdline }),
      ...(initrd === undefined || initrdAt === undefined
        ? {}
        : { initrd: [initrdAt, initrdAt + BigInt(initrd.length)] as [bigint, bigint] }),
    });
    const dtbSize =
      given?.length ?? vmDeviceTreeBlob(c, chosen(initrd === undefined ? undefined : 0n)).length;
    const kernelFixed =
      c.kernelLoadAddr - header.textOffset >= ram.gpa ? c.kernelLoadAddr : undefined;
    let layout;
    try {
      layout = linuxLayout(ram, header, initrd?.length ?? 0, dtbSize, {
        kernel: kernelFixed,
        dtb: c.dtbLoadAddr,
        initrd: c.ramdiskLoadAddr,
      });
    } catch (e) {
      if (HypervisorError.isInstance(e))
        throw new HypervisorError({
          code: 'BAD_IMAGE',
          vmId: vm.id,
          message: `VM ${vm.id}: ${e.message}`,
          cause: e,
        });
      throw e;
    }
    const dtb = given ?? vmDeviceTreeBlob(c, chosen(layout.initrd));
    vm.memory.write(layout.kernel, bytes);
    if (initrd !== undefined) vm.memory.write(layout.initrd!, initrd);
    vm.memory.write(layout.dtb, dtb);
    vm.linux = {
      kernel: layout.kernel,
      dtb: layout.dtb,
      initrd: layout.initrd,
      initrdSize: initrd?.length ?? 0,
      dtbBlob: dtb,
    };
    return layout.kernel;
  }

  /** A device's SPI line changed: the GIC updates and every vCPU it now signals wakes. */
  #spiLevel(vm: Vm, intid: number, level: boolean): void {
    const gic = vm.gicv3 ?? vm.gicv2;
    if (gic === undefined || !gic.setSpiLevel(intid, level)) return;
    if (level && this.#tp.irq_inject.active) this.#tp.irq_inject.emit(vm.id, 0, intid);
    for (const v of vm.vcpus) {
      if (v.state === 'Free') continue;
      this.#updateIrq(vm, v);
      if (v.state === 'Blocked' && v.irqRaised) {
        v.wakeAtNs = undefined;
        this.#setState(vm, v, 'Ready');
      }
    }
  }

  #setState(vm: Vm, vcpu: VCpu, to: VCpuState): void {
    const from = vcpu.state;
    vcpu.state = to;
    const t = this.#tp.vcpu_state_change;
    if (t.active) t.emit(vm.id, vcpu.id, VCPU_STATE_CODE[from], VCPU_STATE_CODE[to]);
  }

  /**
   * Boots a VM: `Loaded`/`Suspended` → `Running`; vCPU 0 becomes Ready.
   * @param id - VM id.
   * @throws {HypervisorError} `BAD_STATE` when it is running or stopped.
   */
  startVm(id: number): void {
    const vm = this.vm(id);
    if (vm.status !== 'Loaded' && vm.status !== 'Suspended')
      throw new HypervisorError({
        code: 'BAD_STATE',
        vmId: id,
        message: `VM ${id} is ${vm.status}; only a Loaded or Suspended VM can start`,
      });
    const booting = vm.status === 'Loaded';
    vm.status = 'Running';
    if (booting) {
      const v0 = vm.vcpus[0]!;
      this.#setState(vm, v0, 'Ready');
      if (this.#tp.vm_boot.active) this.#tp.vm_boot.emit(id);
    }
  }

  /**
   * Pauses a running VM (`Suspended`).
   * @param id - VM id.
   * @throws {HypervisorError} `BAD_STATE`.
   */
  pauseVm(id: number): void {
    const vm = this.vm(id);
    if (vm.status !== 'Running')
      throw new HypervisorError({
        code: 'BAD_STATE',
        vmId: id,
        message: `VM ${id} is ${vm.status}, not Running`,
      });
    vm.status = 'Suspended';
  }

  /**
   * Stops a VM (`Stopping` → `Stopped`).
   * @param id - VM id.
   * @param reason - why, kept in `stopReason`.
   * @throws {HypervisorError} `BAD_STATE` when it is stopped already.
   */
  stopVm(id: number, reason = 'stopped by the host'): void {
    const vm = this.vm(id);
    if (vm.status === 'Stopping' || vm.status === 'Stopped')
      throw new HypervisorError({
        code: 'BAD_STATE',
        vmId: id,
        message: `VM ${id} is ${vm.status} already`,
      });
    vm.status = 'Stopping';
    vm.stopReason = reason;
    for (const v of vm.vcpus) if (v.state !== 'Free') this.#setState(vm, v, 'Free');
    vm.status = 'Stopped';
    if (this.#tp.vm_shutdown.active) this.#tp.vm_shutdown.emit(id, reason === 'system off' ? 0 : 1);
  }

  /**
   * Destroys a stopped (or never started) VM: its vCPUs and memory mappings go away.
   * @param id - VM id.
   * @throws {HypervisorError} `BAD_STATE` while it runs or is suspended, `NO_SUCH_VM`.
   */
  destroyVm(id: number): void {
    const vm = this.vm(id);
    if (vm.status === 'Running' || vm.status === 'Suspended')
      throw new HypervisorError({
        code: 'BAD_STATE',
        vmId: id,
        message: `VM ${id} is ${vm.status}: stop it before destroying it`,
      });
    const t = this.#tp;
    for (const v of vm.vcpus) {
      this.#setState(vm, v, 'Invalid');
      if (t.vcpu_destroy.active) t.vcpu_destroy.emit(id, v.id);
    }
    for (const r of vm.config.memoryRegions)
      if (t.memory_unmap.active) t.memory_unmap.emit(id, r.gpa, BigInt(r.size));
    if (t.vm_destroy.active) t.vm_destroy.emit(id);
    this.#vms.delete(id);
    this.#order = [...this.#vms.values()].sort((a, b) => a.id - b.id);
    this.#requeue();
  }

  /**
   * Runs the VMs until virtual time reaches `untilNs` or nothing is runnable.
   * @param durationNs - virtual nanoseconds to run.
   * @param options - `shouldStop`, asked after each vCPU run (each exit): true returns at once.
   *   Stopping and calling `run` again for the rest runs exactly what one call would have (the
   *   scheduler's state is kept), so a caller can slice a long run by wall time, report
   *   progress and take Ctrl-C between slices without changing what the guests see.
   * @returns the virtual time reached.
   */
  run(durationNs: bigint, options: { shouldStop?: () => boolean } = {}): bigint {
    const until = this.timeNs + durationNs;
    const shouldStop = options.shouldStop;
    for (;;) {
      // the physical CPU furthest behind runs next
      let p = 0;
      for (let i = 1; i < this.#clock.length; i++) if (this.#clock[i]! < this.#clock[p]!) p = i;
      this.#cpu = p;
      if (this.#now() >= until) break;
      // A blocked vCPU whose timer deadline has passed is woken now, not only when no other
      // vCPU is ready: a busy VM (or one taking an exit per instruction) must not starve the
      // timers of the others.
      if (this.#timerDue()) this.#wakeTimers();
      const next = this.#nextReady();
      if (next !== undefined) {
        const [vm, vcpu] = next;
        if (vcpu.lastNs > this.#clock[p]!) this.#clock[p] = vcpu.lastNs; // no running before its own past
        if (this.#now() >= until) continue;
        const left = Number(until - this.#now()) / NS_PER_INSN;
        this.#runVcpu(vm, vcpu, Math.max(1, Math.min(QUANTUM_INSNS, Math.ceil(left))));
        vcpu.lastNs = this.#now();
        if (shouldStop !== undefined && shouldStop()) break;
        continue;
      }
      // Nothing is ready: jump to the earliest timer wake-up (virtual time only).
      let wake: bigint | undefined;
      for (const vm of this.#order) {
        if (vm.status !== 'Running') continue;
        for (const v of vm.vcpus)
          if (
            v.state === 'Blocked' &&
            v.wakeAtNs !== undefined &&
            (wake === undefined || v.wakeAtNs < wake)
          )
            wake = v.wakeAtNs;
      }
      if (wake === undefined || this.#wallStart !== undefined) break;
      if (wake > this.#clock[p]!) this.#clock[p] = wake < until ? wake : until;
      if (wake > until) break;
      this.#wakeTimers();
    }
    return this.timeNs;
  }

  /** The next ready vCPU after the last one scheduled, in VM and vCPU order. */
  #nextReady(): [Vm, VCpu] | undefined {
    const all = this.#flat;
    for (let k = 1; k <= all.length; k++) {
      const i = (this.#cursor + k) % all.length;
      const entry = all[i]!;
      if (entry[1].state === 'Ready' && entry[0].status === 'Running') {
        this.#cursor = i;
        return entry;
      }
    }
    return undefined;
  }

  /** True when a blocked vCPU's timer deadline has passed on the current physical CPU's clock. */
  #timerDue(): boolean {
    const now = this.#now();
    for (const entry of this.#flat) {
      const v = entry[1];
      if (
        v.state === 'Blocked' &&
        v.wakeAtNs !== undefined &&
        v.wakeAtNs <= now &&
        entry[0].status === 'Running'
      )
        return true;
    }
    return false;
  }

  /** Wakes vCPUs whose timer deadline has passed and raises their timer interrupt. */
  #wakeTimers(): void {
    const now = this.#now();
    if (this.#tp.timer_tick.active) this.#tp.timer_tick.emit(this.#cpu, now);
    for (const vm of this.#order) {
      if (vm.status !== 'Running') continue;
      for (const v of vm.vcpus) {
        if (v.state === 'Blocked' && v.wakeAtNs !== undefined && v.wakeAtNs <= now) {
          v.wakeAtNs = undefined;
          this.#pollTimer(vm, v);
          this.#setState(vm, v, 'Ready');
        }
      }
    }
  }

  /** The vCPU's virtual timer deadline in ns, when armed and unmasked. */
  #timerDeadline(vcpu: VCpu): bigint | undefined {
    const ctl = vcpu.cpu.getSysReg(R.CNTV_CTL);
    if ((ctl & 1n) === 0n || (ctl & 2n) !== 0n) return undefined;
    return vcpu.cpu.getSysReg(R.CNTV_CVAL) * NS_PER_TIMER_TICK;
  }

  /** Updates the timer's ISTATUS and pends its PPI when the deadline has passed. */
  #pollTimer(vm: Vm, vcpu: VCpu): void {
    const ctl = vcpu.cpu.getSysReg(R.CNTV_CTL);
    if (ctl === 0n) {
      // timer off (the common case for guests that do not use it)
      this.#updateIrq(vm, vcpu);
      return;
    }
    const deadline =
      (ctl & 1n) === 0n || (ctl & 2n) !== 0n
        ? undefined
        : vcpu.cpu.getSysReg(R.CNTV_CVAL) * NS_PER_TIMER_TICK;
    if (deadline !== undefined && deadline <= this.#now()) {
      if ((ctl & 4n) === 0n) vcpu.cpu.setSysReg(R.CNTV_CTL, ctl | 4n);
      const bit = 1 << VIRTUAL_TIMER_INTID;
      if ((vcpu.gic.pending & bit) === 0 && (vcpu.gic.active & bit) === 0) {
        vcpu.gic.pending |= bit;
        if (this.#tp.irq_inject.active)
          this.#tp.irq_inject.emit(vm.id, vcpu.id, VIRTUAL_TIMER_INTID);
        if (this.#tp.timer_event.active) this.#tp.timer_event.emit(vm.id, vcpu.id, deadline);
      }
    } else if ((ctl & 4n) !== 0n) {
      vcpu.cpu.setSysReg(R.CNTV_CTL, ctl & ~4n);
    }
    this.#updateIrq(vm, vcpu);
  }

  /** Raises or lowers the vCPU's virtual IRQ line from its GIC state. */
  #updateIrq(vm: Vm, vcpu: VCpu): void {
    const raise = this.#gicSignals(vm, vcpu);
    if (raise !== vcpu.irqRaised) {
      vcpu.irqRaised = raise;
      vcpu.cpu.setVirtualIrq(raise);
    }
  }

  /** Whether the VM's GIC signals an interrupt to the vCPU (its IRQ line; also what ends a WFI). */
  #gicSignals(vm: Vm, vcpu: VCpu): boolean {
    if (vm.gicv3 !== undefined) return vm.gicv3.signals(vcpu.id);
    return vm.gicv2 !== undefined && vm.gicv2.signals(vcpu.id);
  }

  /** Pends an SGI on a vCPU of a GICv3 VM, wakes it from WFI when signalled, and fires `ipi_send`. */
  #deliverSgiV3(vm: Vm, from: VCpu, to: VCpu, intid: number): void {
    vm.gicv3!.pendSgi(to.id, intid);
    if (this.#tp.ipi_send.active) this.#tp.ipi_send.emit(vm.id, from.id, BigInt(to.id), intid);
    this.#gicV3Changed(vm, to);
  }

  /** After a GICv3 state change: the vCPU's IRQ line, and a WFI it sleeps in ends when signalled. */
  #gicV3Changed(vm: Vm, vcpu: VCpu): void {
    this.#updateIrq(vm, vcpu);
    if (vcpu.state === 'Blocked' && vcpu.irqRaised) {
      vcpu.wakeAtNs = undefined;
      this.#setState(vm, vcpu, 'Ready');
    }
  }

  /** A trapped ICC_*_EL1 access or a redistributor/distributor access of a GICv3 VM. */
  #gicV3Access(vm: Vm, vcpu: VCpu, exit: AxVCpuExitReason, regs: GuestRegs): void {
    const gic = vm.gicv3!;
    if (exit.kind === 'SysRegRead') {
      const v = gic.sysRegRead(vcpu.id, exit.addr, this.#now());
      if (exit.reg !== 31) regs.setX(exit.reg, v);
      this.#updateIrq(vm, vcpu);
    } else if (exit.kind === 'SysRegWrite') {
      const eoi = gic.sysRegWrite(vcpu.id, exit.addr, exit.value);
      if (eoi >= 0 && this.#tp.irq_handle.active)
        this.#tp.irq_handle.emit(eoi, this.#now() - vcpu.gic.ackedAt[eoi]!);
      if (eoi === VIRTUAL_TIMER_INTID)
        this.#pollTimer(vm, vcpu); // a timer still firing pends again
      else this.#updateIrq(vm, vcpu);
    } else if (exit.kind === 'MmioRead' || exit.kind === 'MmioWrite') {
      const isWrite = exit.kind === 'MmioWrite';
      const value = isWrite ? exit.data : gic.mmioRead(exit.addr, exit.width);
      if (isWrite) gic.mmioWrite(exit.addr, exit.width, value);
      else if (exit.reg !== 31) regs.setX(exit.reg, value);
      if (this.#tp.device_access.active)
        this.#tp.device_access.emit(vm.id, vcpu.id, exit.addr, exit.width, isWrite, value, 'gicv3');
      // a redistributor write may concern any vCPU of the VM
      if (isWrite) for (const v of vm.vcpus) if (v.state !== 'Free') this.#gicV3Changed(vm, v);
    }
  }

  readonly #gicEffects: GicV2Effects = { sgis: [] };

  /** Emulates one access to the virtual GICv2; returns the value read. */
  #gicAccess(
    vm: Vm,
    vcpu: VCpu,
    addr: bigint,
    width: number,
    write: boolean,
    value: bigint,
  ): bigint {
    const fx = this.#gicEffects;
    fx.sgis.length = 0;
    const gic = vm.gicv2!;
    const isEoi = write && addr === GICC_BASE + 0x10n;
    const eoi = isEoi ? Number(value & 0x3ffn) : -1;
    if (eoi >= 0 && eoi < 32 && (vcpu.gic.active & (1 << eoi)) !== 0 && this.#tp.irq_handle.active)
      this.#tp.irq_handle.emit(eoi, this.#now() - vcpu.gic.ackedAt[eoi]!);
    const out = gic.access(vcpu.id, addr, width, write, value, fx, this.#now());
    for (const [to, intid] of fx.sgis) {
      const t = vm.vcpus[to]!;
      if (this.#tp.ipi_send.active) this.#tp.ipi_send.emit(vm.id, vcpu.id, BigInt(t.id), intid);
      if (t.state === 'Blocked') {
        t.wakeAtNs = undefined;
        this.#setState(vm, t, 'Ready');
      }
      this.#updateIrq(vm, t);
    }
    if (eoi === VIRTUAL_TIMER_INTID)
      this.#pollTimer(vm, vcpu); // a timer still firing pends again
    else if (write && addr >= GICD_BASE && addr < GICD_BASE + GIC_SIZE) {
      for (const v of vm.vcpus) if (v.state !== 'Free') this.#updateIrq(vm, v);
    } else this.#updateIrq(vm, vcpu);
    return out;
  }

  /**
   * Runs until every VM has stopped or nothing is runnable, at most `limitNs` of virtual time.
   * @param limitNs - upper bound (default 10 virtual seconds).
   * @returns the virtual time reached.
   */
  runUntilIdle(limitNs = 10_000_000_000n): bigint {
    return this.run(limitNs);
  }

  #runVcpu(vm: Vm, vcpu: VCpu, budget: number): void {
    const cpu = vcpu.cpu;
    const t = this.#tp;
    // vCPU identity on the (single) physical CPU: vm_id << 16 | vcpu_id
    const who = (vm.id << 16) | vcpu.id;
    if (this.#lastOnCpu[this.#cpu] !== who) {
      if (t.task_switch.active) t.task_switch.emit(this.#lastOnCpu[this.#cpu]!, who, this.#cpu);
      this.#lastOnCpu[this.#cpu] = who;
    }
    const current = this.#current;
    current.vm = vm.id;
    current.vcpu = vcpu.id;
    current.exit = 0;
    this.#pollTimer(vm, vcpu);
    // a whole time slice ends with the host's scheduler tick (a physical IRQ), a shorter run does not
    const slice = budget === QUANTUM_INSNS;
    const deadline = this.#timerDeadline(vcpu);
    if (deadline !== undefined && deadline > this.#now()) {
      const untilTimer = Number((deadline - this.#now()) / BigInt(NS_PER_INSN)) + 1;
      if (untilTimer < budget) budget = untilTimer;
    }
    this.#setState(vm, vcpu, 'Running');
    if (this.#hyp !== undefined) {
      this.#runVcpuEl2(vm, vcpu, budget, slice);
      return;
    }
    if (t.vcpu_run_enter.active) t.vcpu_run_enter.emit(vm.id, vcpu.id, this.#cpu, cpu.pc);
    const before = cpu.insnCount;
    const reason = this.#runGuest(cpu, budget, slice);
    const guestNs = this.#guestTime(vm, vcpu, cpu.insnCount - before, reason);
    if (guestNs === undefined) return;
    const syndrome = this.#syndrome;
    syndrome.cpu = cpu;
    syndrome.esr = cpu.getSysReg(R.ESR);
    syndrome.far = cpu.getSysReg(R.FAR);
    syndrome.hpfar = cpu.getSysReg(R.HPFAR);
    syndrome.vectorOffset = Number(cpu.pc & 0xfffn);
    syndrome.irq = slice ? HOST_TIMER_INTID : 0;
    const regs = this.#regs;
    regs.cpu = cpu;
    const elr = cpu.getSysReg(R.ELR); // the hook resumes the guest itself; it never writes ELR_EL2
    const exit = this.#exitOf(vm, vcpu, syndrome, regs);
    if (t.vcpu_run_exit.active) t.vcpu_run_exit.emit(vm.id, vcpu.id, current.exit, elr, guestNs);
    this.#setState(vm, vcpu, 'Ready');
    if (exit === HOOK_HANDLED) return; // a guest probe: the hook already put the guest back
    this.#handleExit(vm, vcpu, exit, elr, regs);
    if (exit.kind === 'Hypercall' && t.hypercall.active)
      t.hypercall.emit(
        vm.id,
        vcpu.id,
        exit.nr,
        exit.args[0]!,
        exit.args[1]!,
        BigInt.asIntN(64, regs.x(0)),
      );
  }

  /**
   * The exit of a syndrome, counted on the vCPU and made the platform's current exit reason.
   * A synchronous exit goes to the exit hook (guest kprobes) first: if the hook handles it, the
   * exit is `Nothing` (AxVisor's reason for exits the hypervisor handles itself) and the result is
   * {@link HOOK_HANDLED}; otherwise it is decoded.
   */
  #exitOf(vm: Vm, vcpu: VCpu, s: SyndromeSource, regs: GuestRegs): AxVCpuExitReason {
    const hook = this.#exitHook;
    const exit =
      hook !== undefined &&
      s.vectorOffset === 0x400 &&
      hook.onExit(vm, vcpu, s.esr, s.far, s.hpfar, regs)
        ? HOOK_HANDLED
        : decodeExit(s);
    vcpu.lastExit = exit;
    const code = exitCode(exit);
    vcpu.exitCounts[code]!++;
    this.#current.exit = code;
    return exit;
  }

  /**
   * Runs the guest for `budget` instructions. A whole time slice ends with the host's timer: its
   * IRQ is taken to EL2 (HCR_EL2.IMO) before the next instruction, an `ExternalInterrupt` exit.
   */
  #runGuest(cpu: CpuType, budget: number, slice: boolean): StopReason {
    let reason = cpu.run(budget);
    if (reason === 'budget' && slice) {
      cpu.setIrqLine(true);
      reason = cpu.run(1);
      if (reason !== 'exception-el2') cpu.setIrqLine(false); // not taken (no IMO routing): dropped
    }
    return reason;
  }

  /**
   * Adds `retired` guest instructions to the vCPU and to virtual time. A run that ended without an
   * exception to EL2 (the end of run(), the guest's timer deadline, a WFI at EL2, which guests never
   * reach) puts the vCPU back in the queue and returns undefined; an exit also costs EXIT_COST_NS.
   * @returns the guest time of this run, when it ended with an exit.
   */
  #guestTime(vm: Vm, vcpu: VCpu, retired: number, reason: StopReason): bigint | undefined {
    vcpu.insns += retired;
    const guestNs = BigInt(retired * NS_PER_INSN);
    this.#clock[this.#cpu] = this.#clock[this.#cpu]! + guestNs;
    if (reason !== 'exception-el2') {
      this.#setState(vm, vcpu, 'Ready');
      this.#pollTimer(vm, vcpu);
      return undefined;
    }
    this.#clock[this.#cpu] = this.#clock[this.#cpu]! + BigInt(EXIT_COST_NS);
    return guestNs;
  }

  /**
   * One scheduling slot with the EL2 image: the vCPU is either parked in the image at
   * `__hyp_resume` (after an exit, or never run: then the image first runs up to there), or
   * preempted inside its guest. Only guest instructions count into virtual time: the image's
   * straight-line restore (`resumeLength` instructions, ERET included) is subtracted, and the
   * exit handling that follows an exception to EL2 runs outside the guest's budget; each exit
   * costs the modelled EXIT_COST_NS as before.
   */
  #runVcpuEl2(vm: Vm, vcpu: VCpu, budget: number, slice: boolean): void {
    const cpu = vcpu.cpu;
    const hyp = this.#hyp!;
    const t = this.#tp;
    if (cpu.el === 2 && (cpu.pcLo !== this.#resumeLo || cpu.pcHi !== this.#resumeHi)) {
      this.#runEl2(vm, vcpu, false); // first run: vcpu_run up to the world switch
      if (vm.status !== 'Running') return;
    }
    // mirror which image-fired tracepoints are active into hyp_trace_mask (bit 1 << TRACE_*)
    const mask =
      (t.vcpu_run_exit.active ? 1 << HYP_TRACE_EVENT.VCPU_RUN_EXIT : 0) |
      (t.hypercall.active ? 1 << HYP_TRACE_EVENT.HYPERCALL : 0);
    if (vm.hypTraceMask !== mask) {
      vm.hypTraceMask = mask;
      vm.hypRegion!.view.setBigUint64(
        Number(hyp.sym('hyp_trace_mask')) - vm.hypRegion!.base,
        BigInt(mask),
        true,
      );
    }
    const offset = cpu.el === 2 ? hyp.resumeLength : 0;
    if (t.vcpu_run_enter.active)
      t.vcpu_run_enter.emit(
        vm.id,
        vcpu.id,
        this.#cpu,
        offset === 0 ? cpu.pc : this.#ctx(vm, vcpu.hypContext!).elr(),
      );
    cpu.stopOnEl2 = true;
    const before = cpu.insnCount;
    const reason = this.#runGuest(cpu, budget + offset, slice);
    this.#sliceIrq = reason === 'exception-el2' && slice;
    const ran = cpu.insnCount - before;
    const el2 = ran < offset ? ran : offset;
    vcpu.el2Insns += el2;
    const guestNs = this.#guestTime(vm, vcpu, ran - el2, reason);
    if (guestNs === undefined) return;
    vcpu.lastGuestNs = guestNs;
    this.#runEl2(vm, vcpu);
  }

  /** Runs the image on `vcpu` until it stops at the world switch (HC_ENTER_GUEST) or panics. */
  #runEl2(vm: Vm, vcpu: VCpu, settle = true): void {
    const cpu = vcpu.cpu;
    cpu.stopOnEl2 = false;
    const before = cpu.insnCount;
    const reason = cpu.run(EL2_INSN_LIMIT);
    vcpu.el2Insns += cpu.insnCount - before;
    if (reason !== 'host-call')
      this.#fault(
        vm,
        `the EL2 image did not return to the guest within ${EL2_INSN_LIMIT} instructions (EL${cpu.el} pc 0x${cpu.pc.toString(16)})`,
      );
    if (settle && vcpu.state === 'Running') this.#setState(vm, vcpu, 'Ready');
  }

  /** The guest-register view over a vCPU context in the VM's copy of the image. */
  #ctx(vm: Vm, ctx: bigint): MemGuestRegs {
    const m = this.#mregs;
    m.view = vm.hypRegion!.view;
    m.off = Number(ctx) - vm.hypRegion!.base;
    return m;
  }

  /** The view over the context whose address the image passed in x0 (read as a number). */
  #ctxX0(vm: Vm, cpu: CpuType): MemGuestRegs {
    const m = this.#mregs;
    const r = vm.hypRegion!;
    m.view = r.view;
    m.off = cpu.R[1]! * 4294967296 + (cpu.R[0]! >>> 0) - r.base;
    return m;
  }

  /** Sets x0 (the host call's result) without a BigInt. */
  static #result(cpu: CpuType, value: number): void {
    cpu.R[0] = value;
    cpu.R[1] = 0;
  }

  /** Whether the exit being handled on the EL2 path was the host timer of a whole slice. */
  #sliceIrq = false;

  readonly #memSyndrome = {
    irq: 0,
    regs: undefined as MemGuestRegs | undefined,
    esr: 0n,
    far: 0n,
    hpfar: 0n,
    vectorOffset: 0,
    x(i: number): bigint {
      return this.regs!.x(i);
    },
  };

  /** A host call of the EL2 image (hyp/hyp.h documents each). */
  #hostCall(vm: Vm, vcpu: VCpu, imm: number, cpu: CpuType): 'continue' | 'stop' {
    const t = this.#tp;
    switch (imm) {
      case HOST_CALL.ENTER_GUEST:
        return 'stop';
      case HOST_CALL.EXIT_DECODE: {
        const regs = this.#ctxX0(vm, cpu);
        const s = this.#memSyndrome;
        const dv = regs.view,
          off = regs.off;
        s.regs = regs;
        s.esr = dv.getBigUint64(off + VCPU_CTX.ESR, true);
        s.far = dv.getBigUint64(off + VCPU_CTX.FAR, true);
        s.hpfar = dv.getBigUint64(off + VCPU_CTX.HPFAR, true);
        s.vectorOffset = dv.getUint32(off + VCPU_CTX.VECTOR, true);
        s.irq = this.#sliceIrq ? HOST_TIMER_INTID : 0;
        // The exit hook (guest kprobes) sees synchronous exits before they are decoded, with
        // the context in EL2 memory as its GuestRegs. If it handles the exit it is recorded as
        // `Nothing`; the image still dispatches on the EC and HANDLE_EXIT then resumes at the
        // ELR the hook left in the context (Nothing advances by 0), so no C change is needed.
        this.#exitOf(vm, vcpu, s, regs);
        this.#setState(vm, vcpu, 'Ready');
        Vmm.#result(cpu, this.#current.exit);
        return 'continue';
      }
      case HOST_CALL.TRACE: {
        const id = Number(cpu.getX(0));
        if (id === HYP_TRACE_EVENT.VCPU_RUN_EXIT) {
          if (t.vcpu_run_exit.active)
            t.vcpu_run_exit.emit(
              Number(cpu.getX(1)),
              Number(cpu.getX(2)),
              Number(cpu.getX(3)),
              cpu.getX(4),
              vcpu.lastGuestNs,
            );
        } else if (id === HYP_TRACE_EVENT.HYPERCALL) {
          if (t.hypercall.active)
            t.hypercall.emit(
              Number(cpu.getX(1)),
              Number(cpu.getX(2)),
              cpu.getX(3),
              cpu.getX(4),
              cpu.getX(5),
              BigInt.asIntN(64, cpu.getX(6)),
            );
        }
        Vmm.#result(cpu, 0);
        return 'continue';
      }
      case HOST_CALL.HANDLE_EXIT: {
        const exit = vcpu.lastExit;
        const regs = this.#ctxX0(vm, cpu);
        if (exit !== undefined && vm.status === 'Running')
          this.#handleExit(vm, vcpu, exit, regs.elr(), regs);
        Vmm.#result(cpu, 0);
        return 'continue';
      }
      case HOST_CALL.EL2_TRAP: {
        const handled =
          this.#el2TrapHandler?.({ vm, vcpu, frame: cpu.getX(0), esr: cpu.getX(1) }) ?? false;
        cpu.setX(0, handled ? 1n : 0n);
        return 'continue';
      }
      case HOST_CALL.PANIC:
        this.#fault(
          vm,
          `EL2 image panic ${cpu.getX(0)} (value 0x${cpu.getX(1).toString(16)}) at pc 0x${(cpu.pc - 4n).toString(16)}`,
        );
        return 'stop';
      default:
        this.#fault(
          vm,
          `EL2 image made unknown host call #0x${imm.toString(16)} at pc 0x${(cpu.pc - 4n).toString(16)}`,
        );
        return 'stop';
    }
  }

  /** The EL2 image the vCPUs run (undefined with `hypervisor: 'ts'`). */
  get hypImage(): HypImage | undefined {
    return this.#hyp;
  }

  /**
   * Sets the handler of synchronous exceptions at EL2 inside the image (the hprobe BRK
   * handler). It gets the saved `pt_regs` frame and returns true when it handled the exception
   * (the image then restores the frame, possibly changed, and returns); false makes the image
   * panic, which stops the VM.
   * @param handler - the handler, or undefined to remove it.
   */
  setEl2TrapHandler(handler: ((trap: El2Trap) => boolean) | undefined): void {
    this.#el2TrapHandler = handler;
  }

  /**
   * Reads the image's memory (as every VM's copy holds it, code patches included).
   * @param addr - address in the image.
   * @param length - bytes.
   * @returns a copy.
   * @throws {HypervisorError} `BAD_STATE` without an image or outside it.
   */
  readHyp(addr: bigint, length: number): Uint8Array {
    const off = this.#hypOffset(addr, length);
    return this.#hypMaster!.slice(off, off + length);
  }

  /**
   * Writes code into the image: in the master copy and every VM's copy, then drops the
   * emulator's decoded blocks of every vCPU (the instruction-cache maintenance of a code patch).
   * @param addr - address in the image.
   * @param bytes - the new bytes.
   * @throws {HypervisorError} `BAD_STATE` without an image or outside it.
   */
  writeHyp(addr: bigint, bytes: Uint8Array): void {
    const off = this.#hypOffset(addr, bytes.length);
    this.#hypMaster!.set(bytes, off);
    for (const vm of this.#order) {
      if (vm.hypRegion === undefined) continue;
      vm.memory.write(addr, bytes);
      for (const v of vm.vcpus) v.cpu.flushCode();
    }
  }

  /**
   * What the facade's `hprobe` feature needs (`rt.hprobe.install(vmm.hprobeHost())`): code
   * access to the image (every VM's copy, decoded blocks dropped on each write), its slot
   * region, the no-probe range, function bounds from its symbols, a clock, and the EL2 BRK hook.
   * The clock counts the EL2 instructions of the vCPU running the image (1 ns each, as guest
   * instructions), so entry-to-return durations are deterministic.
   * @returns the host object.
   * @throws {HypervisorError} `BAD_STATE` without the image (`hypervisor: 'ts'`).
   */
  hprobeHost(): HprobeHostShape {
    const img = this.#hyp;
    if (img === undefined)
      throw new HypervisorError({
        code: 'BAD_STATE',
        message: 'hprobe needs the EL2 image (this VMM runs with hypervisor: ts)',
      });
    const word = (addr: bigint): number =>
      new DataView(this.readHyp(addr, 4).buffer).getUint32(0, true);
    let el2Cpu: CpuType | undefined;
    return {
      memory: {
        readInsn: word,
        writeInsn: (addr, w) => {
          const b = new Uint8Array(4);
          new DataView(b.buffer).setUint32(0, w >>> 0, true);
          this.writeHyp(addr, b);
        },
        syncIcache: () => undefined, // writeHyp already dropped the decoded blocks
        readData: (addr, size) => {
          const dv = new DataView(this.readHyp(addr, size).buffer);
          return size === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
        },
      },
      slots: { base: img.slots, count: 64, slotSize: 32 },
      noProbe: [img.noProbe],
      // the EL2 image runs on every VM's vCPUs: the model without LSE is what all of them execute
      cpuModel: 'cortex-a57',
      functionStart: (addr) => img.functionAt(addr)?.address,
      clock: () => BigInt(el2Cpu?.insnCount ?? 0) * BigInt(NS_PER_INSN),
      onBreakpoint: (handler) => {
        this.setEl2TrapHandler((trap) => {
          if (trap.esr >> 26n !== 0x3cn) return false;
          el2Cpu = trap.vcpu.cpu;
          const frame = trap.vm.memory.read(trap.frame, PT_REGS.SIZE);
          const handled = handler({
            frame,
            imm: Number(trap.esr & 0xffffn),
            cpuKey: `${trap.vm.id}:${trap.vcpu.id}`,
          });
          if (handled) trap.vm.memory.write(trap.frame, frame);
          return handled;
        });
        return () => this.setEl2TrapHandler(undefined);
      },
    };
  }

  #hypOffset(addr: bigint, length: number): number {
    const img = this.#hyp;
    if (img === undefined)
      throw new HypervisorError({
        code: 'BAD_STATE',
        message: 'this VMM runs without the EL2 image (hypervisor: ts)',
      });
    if (addr < img.start || addr + BigInt(length) > img.end)
      throw new HypervisorError({
        code: 'BAD_STATE',
        message: `0x${addr.toString(16)} (+${length}) is outside the EL2 image`,
      });
    return Number(addr - img.start);
  }

  readonly #regs = new CpuGuestRegs();

  readonly #syndrome = {
    cpu: undefined as CpuType | undefined,
    esr: 0n,
    far: 0n,
    hpfar: 0n,
    vectorOffset: 0,
    irq: 0,
    x(i: number): bigint {
      return this.cpu!.getX(i);
    },
  };

  #resume(regs: GuestRegs, elr: bigint, advance: number): void {
    if (advance !== 0 && this.#exitHook?.stepping === true) {
      // the emulated instruction completed a software step: the step exception comes next
      const spsr = regs.spsr();
      if ((spsr & SPSR_SS) !== 0n) regs.setSpsr(spsr & ~SPSR_SS);
    }
    regs.resumeAt(elr + BigInt(advance));
  }

  /**
   * Handles one decoded exit as axvisor's vCPU task does. The guest's registers are reached
   * only through `regs` (the trap frame), never through the emulated CPU directly.
   */
  #handleExit(vm: Vm, vcpu: VCpu, exit: AxVCpuExitReason, elr: bigint, regs: GuestRegs): void {
    const t = this.#tp;
    switch (exit.kind) {
      case 'Hypercall': {
        const ret = this.#hypercall(vm, exit.nr, exit.args);
        regs.setX(0, ret);
        this.#resume(regs, elr, 0);
        return;
      }
      case 'MmioRead':
      case 'MmioWrite': {
        // a load or store with a syndrome into a lazily mapped region: map it and run it again
        if (this.#mapLazy(vm, vcpu, exit.addr, exit.kind === 'MmioWrite')) {
          this.#resume(regs, elr, 0);
          return;
        }
        if (vm.gicv3 !== undefined && vm.gicv3.owns(exit.addr)) {
          this.#gicV3Access(vm, vcpu, exit, regs);
          this.#resume(regs, elr, 4);
          return;
        }
        if (
          vm.gicv3 === undefined &&
          ((exit.addr >= GICD_BASE && exit.addr < GICD_BASE + GIC_SIZE) ||
            (exit.addr >= GICC_BASE && exit.addr < GICC_BASE + GIC_SIZE))
        ) {
          const isWrite = exit.kind === 'MmioWrite';
          const value = this.#gicAccess(
            vm,
            vcpu,
            exit.addr,
            exit.width,
            isWrite,
            isWrite ? exit.data : 0n,
          );
          if (!isWrite && exit.reg !== 31) regs.setX(exit.reg, value);
          if (t.device_access.active)
            t.device_access.emit(
              vm.id,
              vcpu.id,
              exit.addr,
              exit.width,
              isWrite,
              isWrite ? exit.data : value,
              'gicv2',
            );
          this.#resume(regs, elr, 4);
          return;
        }
        const dev = vm.devices.find(
          (d) => exit.addr >= d.base && exit.addr < d.base + BigInt(d.length),
        );
        if (dev === undefined) {
          this.#fault(
            vm,
            `${exit.kind === 'MmioRead' ? 'read from' : 'write to'} unmapped guest address 0x${exit.addr.toString(16)} at pc 0x${elr.toString(16)}`,
          );
          return;
        }
        const offset = Number(exit.addr - dev.base);
        let value: bigint;
        if (exit.kind === 'MmioWrite') {
          value = exit.data;
          dev.dev.write(offset, exit.width, value);
        } else {
          value = dev.dev.read(offset, exit.width);
          if (exit.reg !== 31) regs.setX(exit.reg, value);
        }
        if (t.device_access.active)
          t.device_access.emit(
            vm.id,
            vcpu.id,
            exit.addr,
            exit.width,
            exit.kind === 'MmioWrite',
            value,
            dev.name,
          );
        this.#resume(regs, elr, 4);
        return;
      }
      case 'Halt': {
        if (t.vcpu_halt.active) t.vcpu_halt.emit(vm.id, vcpu.id);
        this.#resume(regs, elr, 4);
        if (
          vm.gicv3 !== undefined
            ? vm.gicv3.signals(vcpu.id)
            : (vcpu.gic.pending & vcpu.gic.enabled) !== 0
        )
          return; // an interrupt is waiting: WFI completes at once
        // Sleep until the virtual timer fires or an SGI arrives.
        vcpu.wakeAtNs = this.#timerDeadline(vcpu);
        this.#setState(vm, vcpu, 'Blocked');
        if (
          vm.vcpus.every(
            (v) => v.state === 'Free' || (v.state === 'Blocked' && v.wakeAtNs === undefined),
          )
        )
          this.stopVm(vm.id, 'all vCPUs halted with nothing to wake them');
        return;
      }
      case 'SystemDown':
        this.stopVm(vm.id, 'system off');
        return;
      case 'CpuDown':
        this.#setState(vm, vcpu, 'Free');
        if (vm.vcpus.every((v) => v.state === 'Free')) this.stopVm(vm.id, 'all vCPUs off');
        return;
      case 'CpuUp': {
        const target = vm.vcpus[Number(exit.targetCpu & 0xffn)];
        if (target === undefined || target.state !== 'Free' || target === vcpu) {
          regs.setX(0, BigInt.asUintN(64, -2n)); // PSCI INVALID_PARAMETERS
        } else {
          if (target.hypContext !== undefined) {
            // the image restores the target's guest state from its context when it first runs
            const tr = new MemGuestRegs();
            tr.view = vm.hypRegion!.view;
            tr.off = Number(target.hypContext) - vm.hypRegion!.base;
            tr.setX(0, exit.arg);
            tr.setSpsr(0x3c5n);
            tr.resumeAt(exit.entryPoint);
          } else {
            target.cpu.pc = exit.entryPoint;
            target.cpu.setX(0, exit.arg);
            target.cpu.setPstate(0x3c5);
          }
          this.#setState(vm, target, 'Ready');
          regs.setX(0, 0n);
          if (t.cpu_up.active)
            t.cpu_up.emit(vm.id, vcpu.id, exit.targetCpu, exit.entryPoint, exit.arg);
        }
        this.#resume(regs, elr, 0);
        return;
      }
      case 'SysRegRead':
        if (vm.gicv3 !== undefined) this.#gicV3Access(vm, vcpu, exit, regs);
        else if (exit.reg !== 31) regs.setX(exit.reg, 0n); // unmodelled registers read as zero
        this.#resume(regs, elr, 4);
        return;
      case 'SendIPI': {
        // arm_vcpu's ICC_SGI1R_EL1 write: AxVisor injects the SGI into the target vCPUs
        if (vm.gicv3 !== undefined)
          for (const i of vm.gicv3.sgiTargets(exit, vcpu.id))
            this.#deliverSgiV3(vm, vcpu, vm.vcpus[i]!, exit.vector);
        this.#resume(regs, elr, 4);
        return;
      }
      case 'ExternalInterrupt':
        // the host's timer interrupt: acknowledged by the host; the vCPU was preempted
        vcpu.cpu.setIrqLine(false);
        if (t.external_interrupt.active) t.external_interrupt.emit(vm.id, vcpu.id, exit.vector);
        if (t.timer_tick.active) t.timer_tick.emit(this.#cpu, this.#now());
        this.#resume(regs, elr, 0);
        return;
      case 'SysRegWrite':
        if (vm.gicv3 !== undefined) this.#gicV3Access(vm, vcpu, exit, regs);
        this.#resume(regs, elr, 4);
        return;
      case 'Nothing':
        this.#resume(regs, elr, 0);
        return;
      case 'NestedPageFault':
        if (this.#mapLazy(vm, vcpu, exit.addr, exit.write)) {
          this.#resume(regs, elr, 0);
          return;
        }
        if (t.page_fault.active) t.page_fault.emit(vm.id, vcpu.id, exit.addr, exit.write);
        this.#fault(
          vm,
          `stage-2 fault at guest address 0x${exit.addr.toString(16)} (pc 0x${elr.toString(16)})`,
        );
        return;
      default:
        this.#fault(vm, `unhandled exit ${exit.kind} at pc 0x${elr.toString(16)}`);
    }
  }

  #hypercall(vm: Vm, nr: bigint, args: bigint[]): bigint {
    switch (nr) {
      case PSCI.VERSION:
        return 0x1_0000n; // PSCI 1.0
      case 0x8400_000an: // PSCI_FEATURES
        return PSCI_IMPLEMENTED.has(args[0]! & 0xffff_ffffn) ? 0n : NOT_SUPPORTED;
      case 0x8400_0006n: // MIGRATE_INFO_TYPE: 2, no Trusted OS to migrate
        return 2n;
      case 0x8400_0004n:
      case 0xc400_0004n: {
        // AFFINITY_INFO: 0 on, 1 off, by MPIDR Aff0
        const target = vm.vcpus[Number(args[0]! & 0xffn)];
        if (target === undefined) return BigInt.asUintN(64, -2n);
        return target.state === 'Free' ? 1n : 0n;
      }
      case HYPERCALL.CONSOLE_PUTC:
        vm.putc(Number(args[0]! & 0xffn));
        return 0n;
      case HYPERCALL.GET_TIME_NS:
        return this.#now();
      case HYPERCALL.YIELD:
        return 0n;
      default:
        return NOT_SUPPORTED;
    }
  }

  #fault(vm: Vm, why: string): void {
    // An unrecoverable guest fault stops its VM, never the process.
    if (vm.status === 'Stopped' || vm.status === 'Stopping') return;
    this.stopVm(vm.id, `guest fault: ${why}`);
  }
}
