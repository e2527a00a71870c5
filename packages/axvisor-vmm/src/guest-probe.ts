// SPDX-License-Identifier: MIT
// Guest kprobes: probes on guest kernel code, set from the hypervisor. The role of
// Iscreamx/axebpf src/probe/kprobe/{manager,handler}.rs and of the VMM glue its later versions
// need (single step, return probes, stale state). Two modes per probe:
// - Stage2Fault: the page holding the probe loses stage-2 execute permission; every fetch from
//   it is an instruction abort to EL2. At the probe address the program runs; in every case the
//   vCPU then executes one instruction with the page executable (software step, MDSCR_EL1.SS)
//   and the page is protected again ("page-step").
// - BrkInject: a BRK #0 replaces the probed word (MDCR_EL2.TDE routes it to EL2). On a hit the
//   program runs, the vCPU steps the original instruction, and the BRK stays for the next hit.
// Several vCPUs: the stepping vCPU gets a private stage-2 view (its own VTTBR_EL2 root, a copy
// of the table path) in which the page is executable and, when the page holds injected BRKs,
// mapped to a private copy of the page with the original words. Shared memory and the shared
// stage-2 tables never change during a step, so other vCPUs keep trapping at the probes while
// one of them steps; stores the stepped instruction made to the copy are written back.

import type { Cpu } from '@axebpf/aarch64-emu';
import { SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';
import { HypervisorError } from './errors.js';
import type { GuestRegs } from './guest-regs.js';
import type { GuestTranslation } from './guest-pagetable.js';
import {
  checkGuestRam,
  guestRamReader,
  readGuestVirtual,
  stage1RegsOf,
  translateGuestVa,
} from './guest-pagetable.js';
import type { ExitHook, VCpu, Vm, Vmm } from './vmm.js';

/** How a guest probe traps: stage-2 execute permission or an injected BRK. */
export type GuestProbeMode = 'Stage2Fault' | 'BrkInject';
/** `pending`: waiting for a translation of its address; `active`: armed in the guest. */
export type GuestProbeState = 'pending' | 'active';

/** What a probe hit reports. */
export interface GuestProbeHit {
  /** `kprobe` at the probed address, `kretprobe` when the probed function returns. */
  kind: 'kprobe' | 'kretprobe';
  /** The probe. */
  probe: GuestProbeInfo;
  /** VM id. */
  vmId: number;
  /** vCPU id. */
  vcpuId: number;
  /** Guest PC of the hit (the probe address, or the return address for `kretprobe`). */
  pc: bigint;
  /** Guest physical address of `pc`. */
  gpa: bigint;
  /** The guest's registers at the hit (x0..x7 are the arguments at entry; x0 the return value). */
  regs: GuestRegs;
  /** Virtual time of the hit. */
  timeNs: bigint;
  /** `kretprobe`: x0 at the return. */
  retval?: bigint;
  /** `kretprobe`: virtual nanoseconds from the entry to the return. */
  durationNs?: bigint;
  /**
   * Reads guest virtual memory with this vCPU's stage-1 tables (TTBR1: the kernel; TTBR0: the
   * current task's user memory). Never faults.
   * @returns the bytes, or undefined when a byte is unmapped or not guest RAM.
   */
  readVirtual(gva: bigint, length: number): Uint8Array | undefined;
  /**
   * Reads one of this vCPU's system registers by name (`sp_el0`: the current `task_struct` of
   * an arm64 Linux kernel at EL1).
   * @returns its value.
   * @throws {HypervisorError} `BAD_STATE` for an unknown register name.
   */
  sysReg(name: string): bigint;
}

/** One guest probe, as listed. */
export interface GuestProbeInfo {
  /** VM id. */
  readonly vmId: number;
  /** The probed guest virtual address. */
  readonly gva: bigint;
  /** Symbol and offset it was given by, if any (`name+0x4`). */
  readonly symbol: string | undefined;
  /** Trap mode. */
  readonly mode: GuestProbeMode;
  /** A return probe (reports at the function's return). */
  readonly ret: boolean;
  /** Pending or active. */
  readonly state: GuestProbeState;
  /** Guest physical address once active. */
  readonly gpa: bigint | undefined;
  /** Entries seen (the probed instruction reached). */
  readonly hits: number;
  /** Returns reported (return probes). */
  readonly retHits: number;
  /** Why the last activation attempt failed, while pending. */
  readonly lastError: string | undefined;
  /**
   * A `Stage2Fault` probe whose page turned out hot: more page-steps (other instructions of the
   * page, each an abort and a step) than {@link GuestProbeManagerOptions.hotPageSteps} allows
   * per hit, so the manager moved it to an injected BRK. It traps like `BrkInject` from then on
   * (two exits per hit); `mode` stays what was asked for.
   */
  readonly brkFallback: boolean;
}

/** Options of the {@link GuestProbeManager} constructor. */
export interface GuestProbeManagerOptions {
  /**
   * Page-steps allowed per hit on a page with `Stage2Fault` probes before its probes move to
   * injected BRKs (see {@link GuestProbeInfo.brkFallback}). Checked once the page has had
   * 4 × this many page-steps; `Infinity` never switches (every instruction on a probed page then
   * costs two exits, and a hot loop on it can take all of the VM's time). Default 64.
   */
  hotPageSteps?: number;
}

/** Options of {@link GuestProbeManager.attach}. */
export interface GuestProbeOptions {
  /** Trap mode (default `Stage2Fault`, as the original). */
  mode?: GuestProbeMode;
  /** Report at the function's return (x0 and the duration) instead of at the entry. */
  ret?: boolean;
  /** Symbol text to show in listings. */
  symbol?: string;
  /** Called at each hit, inside the exit handling (virtual time does not advance). */
  onHit?: (hit: GuestProbeHit) => void;
}

/** Counters of a VM's probe machinery. */
export interface GuestProbeStats {
  /** Instruction aborts on protected pages. */
  faults: number;
  /** BRK exits at injected BRKs. */
  brks: number;
  /** Guest-owned BRKs re-injected into the guest. */
  reinjected: number;
  /** Single steps completed. */
  steps: number;
  /** Steps at addresses with no probe (other code on a protected page). */
  pageSteps: number;
  /**
   * Return probes that reported nothing: return addresses that could not be translated (no
   * return probe armed), and pending frames of a stack that moved on without returning
   * through them (a newer entry at the same or a higher stack pointer on that stack, or a
   * return from a frame above them: the task exited or unwound).
   */
  missedReturns: number;
  /** Hot pages whose `Stage2Fault` probes were moved to injected BRKs. */
  hotPageSwitches: number;
}

/** BRK #0, the word injected into guest memory (as the original). */
export const GUEST_BRK_WORD = 0xd420_0000;
const SPSR_SS = 1n << 21n;
const SPSR_IF = 3n << 6n;
const OA_MASK = 0x0000_ffff_ffff_f000n;
const XN = 1n << 54n;
const BADDR = 0x0000_ffff_ffff_fffen;
/** Host-only memory for split stage-2 tables and the private step views. */
const SCRATCH_BASE = 0x1_0100_0000n;
const SCRATCH_PAGES = 128;
const RETRY_EVERY_EXITS = 64;

const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;
const R = {
  VTTBR: key('vttbr_el2'),
  VTCR: key('vtcr_el2'),
  MDSCR: key('mdscr_el1'),
  MDCR: key('mdcr_el2'),
  ESR1: key('esr_el1'),
  ELR1: key('elr_el1'),
  SPSR1: key('spsr_el1'),
  VBAR1: key('vbar_el1'),
  SP0: key('sp_el0'),
  SP1: key('sp_el1'),
};
/**
 * Frames whose entry SP lies in the same 16 KiB-aligned block as a returning frame's belong to
 * the same stack (Linux arm64 kernel stacks are THREAD_SIZE = 16 KiB, aligned).
 */
const STACK_BLOCK_SHIFT = 14n;
const MDCR_TDE = 1n << 8n;

interface Probe {
  vmId: number;
  gva: bigint;
  symbol: string | undefined;
  mode: GuestProbeMode;
  ret: boolean;
  state: GuestProbeState;
  gpa: bigint | undefined;
  hits: number;
  retHits: number;
  lastError: string | undefined;
  onHit: ((hit: GuestProbeHit) => void) | undefined;
  /** A Stage2Fault probe trapping with an injected BRK (its page was hot). */
  brkFallback: boolean;
}

interface Brk {
  /** The guest's word under the BRK. */
  orig: number;
  /** BrkInject entry probes at this address. */
  entries: number;
  /** Return frames (of all vCPUs) waiting at this address. */
  rets: number;
}

interface RetFrame {
  probe: Probe;
  /** Frames pushed by the same entry (several return probes on one function) share it. */
  batch: number;
  retGpa: bigint;
  retGva: bigint;
  entryNs: bigint;
  /** The stack pointer at entry, which the function's return restores: the frame's owner. */
  sp: bigint;
}

interface Split {
  /** Address of the shared descriptor replaced by a table. */
  entry: bigint;
  /** Its original value. */
  orig: bigint;
  /** First IPA and size covered. */
  base: bigint;
  size: bigint;
  /** Scratch pages holding the new tables. */
  pages: bigint[];
}

interface Step {
  /** PC of the stepped instruction. */
  pc: bigint;
  /** The stepped word (as the guest sees it). */
  word: number;
  /** PSTATE.I/F before the step. */
  savedIf: bigint;
  /** MDSCR_EL1 before the step. */
  savedMdscr: bigint;
  /** Private copy of the page, and its first contents, when BRKs had to be hidden. */
  copy: { hostPage: bigint; guestPage: bigint; init: Uint8Array } | undefined;
}

interface VmProbes {
  vm: Vm;
  probes: Map<bigint, Probe>;
  byGpa: Map<bigint, Probe[]>;
  pending: Set<Probe>;
  brks: Map<bigint, Brk>;
  xnPages: Map<
    bigint,
    { refs: number; entry: bigint; orig: bigint; pageSteps: number; hits: number }
  >;
  /** Hot pages to move to BRKs once no vCPU of the VM is stepping. */
  hot: Set<bigint>;
  splits: Split[];
  free: bigint[];
  scratchReady: boolean;
  /** Per vCPU: private view pages (one per table level and one page copy). */
  views: (bigint[] | undefined)[];
  steps: (Step | undefined)[];
  /**
   * Pending return frames of all vCPUs, oldest first. A frame belongs to a task's stack, not to
   * a vCPU: the task may sleep in the function and return on another vCPU, and other tasks may
   * enter and leave the function meanwhile (Linux keeps kretprobe instances per task).
   */
  retFrames: RetFrame[];
  savedMdcr: bigint[];
  lastSig: string;
  exitsSinceTry: number;
  stats: GuestProbeStats;
  /** The shared stage-2 root (VTTBR_EL2 base address) and its start level. */
  s2: { root: bigint; level: number };
  /** Bumped at every change of the shared stage-2 tables or of the injected BRKs. */
  gen: number;
  /** Per vCPU: what its private view was built for (page, gen, copy), to reuse it. */
  viewKeys: (string | undefined)[];
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/**
 * Guest kprobes of one VMM: attach probes by guest virtual address to any VM, in Stage2Fault
 * or BrkInject mode, as entry or return probes, before or while the VM runs.
 *
 * @remarks Activation rule: a probe whose address has no translation yet (the VM is not
 * running, its MMU is off and the address is not RAM, or its tables do not map it) is
 * `pending`. It is retried at the VM's exits when the exiting vCPU's SCTLR_EL1, TCR_EL1,
 * TTBR0_EL1 or TTBR1_EL1 differ from the last attempt, and at every 64th exit of the VM
 * otherwise. Code the guest runs between the moment its tables map the address and its next
 * exit is not seen. Once active, a probe keeps its guest physical address (later remapping is
 * not followed); hits are matched by guest physical address, so every alias of the probed code
 * (an upper-half and an identity mapping) hits.
 *
 * Differences from the original: the displaced instruction is single-stepped in place with the
 * page executable (Stage2Fault) or with its original word (BrkInject) instead of being left to
 * the VMM; IRQs and FIQs are masked for the one stepped instruction (restored after it unless
 * it changes them itself); the stepping vCPU gets a private stage-2 view so other vCPUs never
 * run the probed code unprobed; return probes exist; no stale-BRK list is needed because BRKs
 * are only removed at detach, when no vCPU can be between the trap and its handling.
 */
export class GuestProbeManager {
  readonly #vmm: Vmm;
  readonly #vms = new Map<number, VmProbes>();
  #stepping = 0;
  #batch = 0;
  readonly #hook: ExitHook;
  readonly #hotPageSteps: number;

  /**
   * @param vmm - the VMM whose guests are probed (the manager installs its exit hook).
   * @param options - when a hot page's stage-2 probes move to BRKs.
   * @throws {HypervisorError} `BAD_STATE` when the VMM has another exit hook.
   */
  constructor(vmm: Vmm, options: GuestProbeManagerOptions = {}) {
    this.#vmm = vmm;
    this.#hotPageSteps = options.hotPageSteps ?? 64;
    const onExit = (
      vm: Vm,
      vcpu: VCpu,
      esr: bigint,
      far: bigint,
      hpfar: bigint,
      regs: GuestRegs,
    ): boolean => this.#onExit(vm, vcpu, esr, far, hpfar, regs);
    const stepping = (): boolean => this.#stepping > 0;
    this.#hook = {
      onExit,
      get stepping() {
        return stepping();
      },
    };
    vmm.setExitHook(this.#hook);
  }

  /**
   * Translates a guest virtual address with a vCPU's current stage-1 registers.
   * @param vmId - VM id.
   * @param gva - guest virtual address.
   * @param vcpuId - whose registers (default 0).
   * @returns the translation; the guest physical address is checked to be guest RAM.
   * @throws {HypervisorError} `NO_SUCH_VM`, `TRANSLATION_FAULT`, `NOT_GUEST_RAM`.
   */
  translate(vmId: number, gva: bigint, vcpuId = 0): GuestTranslation {
    const vm = this.#vmm.vm(vmId);
    const vcpu = vm.vcpus[vcpuId];
    if (vcpu === undefined)
      throw new HypervisorError({
        code: 'BAD_STATE',
        vmId,
        message: `VM ${vmId} has no vCPU ${vcpuId}`,
      });
    return this.#translate(vm, vcpu.cpu, gva);
  }

  /** The memory and register readers of a hit. */
  #access(vm: Vm, cpu: Cpu): Pick<GuestProbeHit, 'readVirtual' | 'sysReg'> {
    return {
      readVirtual: (gva, length) =>
        readGuestVirtual(vm.memory, vm.config.memoryRegions, stage1RegsOf(cpu), gva, length),
      sysReg: (name) => {
        const id = SYS_REG_BY_NAME.get(name.toLowerCase());
        if (id === undefined)
          throw new HypervisorError({
            code: 'BAD_STATE',
            vmId: vm.id,
            message: `no system register \`${name}\``,
          });
        return cpu.getSysReg(id);
      },
    };
  }

  #translate(vm: Vm, cpu: Cpu, gva: bigint): GuestTranslation {
    const t = translateGuestVa(
      stage1RegsOf(cpu),
      gva,
      guestRamReader(vm.memory, vm.config.memoryRegions),
    );
    checkGuestRam(vm.config.memoryRegions, t.gpa, 4);
    return t;
  }

  /**
   * Attaches a probe at a guest virtual address. It becomes active at once when the address
   * translates (with vCPU 0's registers), else it is pending (see the class remarks).
   * @param vmId - VM id.
   * @param gva - guest virtual address (4-byte aligned).
   * @param options - mode, return probe, symbol text, hit callback.
   * @returns the probe's listing entry.
   * @throws {HypervisorError} `NO_SUCH_VM`; `PROBE_EXISTS`; `BAD_PROBE` for a misaligned
   * address, a BRK instruction at the address, or no probe resources left.
   */
  attach(vmId: number, gva: bigint, options: GuestProbeOptions = {}): GuestProbeInfo {
    const vm = this.#vmm.vm(vmId);
    gva = BigInt.asUintN(64, gva);
    if ((gva & 3n) !== 0n)
      throw new HypervisorError({
        code: 'BAD_PROBE',
        vmId,
        address: gva,
        message: `guest probe address ${hex(gva)} is not 4-byte aligned`,
      });
    const st = this.#state(vm);
    if (st.probes.has(gva))
      throw new HypervisorError({
        code: 'PROBE_EXISTS',
        vmId,
        address: gva,
        message: `a guest kprobe is registered at vm${vmId}:${hex(gva)} already`,
      });
    const probe: Probe = {
      vmId,
      gva,
      symbol: options.symbol,
      mode: options.mode ?? 'Stage2Fault',
      ret: options.ret ?? false,
      state: 'pending',
      gpa: undefined,
      hits: 0,
      retHits: 0,
      lastError: undefined,
      onHit: options.onHit,
      brkFallback: false,
    };
    st.probes.set(gva, probe);
    st.pending.add(probe);
    try {
      this.#tryActivate(st, vm.vcpus[0]!.cpu, probe, true);
    } catch (e) {
      st.probes.delete(gva);
      st.pending.delete(probe);
      this.#releaseIfIdle(st);
      throw e;
    }
    return this.#info(probe);
  }

  /**
   * Detaches a probe. Guest memory and the stage-2 tables return to their bytes from before
   * the probe (split blocks are merged again when no probe needs them).
   * @param vmId - VM id.
   * @param gva - the probed address.
   * @throws {HypervisorError} `NO_SUCH_VM`, `NO_SUCH_PROBE`.
   */
  detach(vmId: number, gva: bigint): void {
    this.#vmm.vm(vmId); // NO_SUCH_VM for an unknown VM
    gva = BigInt.asUintN(64, gva);
    const st = this.#vms.get(vmId);
    const probe = st?.probes.get(gva);
    if (st === undefined || probe === undefined)
      throw new HypervisorError({
        code: 'NO_SUCH_PROBE',
        vmId,
        address: gva,
        message: `no guest kprobe at vm${vmId}:${hex(gva)}`,
      });
    st.probes.delete(gva);
    st.pending.delete(probe);
    if (probe.state === 'active') this.#disarm(st, probe);
    // return frames of this probe: their BRKs go too
    const frames = st.retFrames;
    for (let i = frames.length - 1; i >= 0; i--) {
      if (frames[i]!.probe === probe) {
        this.#releaseRet(st, frames[i]!.retGpa);
        frames.splice(i, 1);
      }
    }
    this.#releaseIfIdle(st);
  }

  /**
   * Detaches every probe of every VM and removes the exit hook.
   */
  dispose(): void {
    for (const [vmId, st] of [...this.#vms])
      for (const gva of [...st.probes.keys()]) this.detach(vmId, gva);
    this.#vmm.setExitHook(undefined);
  }

  /**
   * Lists probes.
   * @param vmId - one VM, or all when omitted.
   * @returns listing entries, by VM id then address.
   */
  list(vmId?: number): GuestProbeInfo[] {
    const out: GuestProbeInfo[] = [];
    for (const [id, st] of [...this.#vms].sort((a, b) => a[0] - b[0])) {
      if (vmId !== undefined && id !== vmId) continue;
      for (const p of [...st.probes.values()].sort((a, b) =>
        a.gva < b.gva ? -1 : a.gva > b.gva ? 1 : 0,
      ))
        out.push(this.#info(p));
    }
    return out;
  }

  /**
   * One probe.
   * @param vmId - VM id.
   * @param gva - address.
   * @returns its listing entry, or undefined.
   */
  get(vmId: number, gva: bigint): GuestProbeInfo | undefined {
    const p = this.#vms.get(vmId)?.probes.get(BigInt.asUintN(64, gva));
    return p === undefined ? undefined : this.#info(p);
  }

  /**
   * Counters of a VM's probe machinery.
   * @param vmId - VM id.
   * @returns faults, BRK exits, re-injected BRKs, steps, page-steps, missed returns.
   */
  stats(vmId: number): GuestProbeStats {
    const s = this.#vms.get(vmId)?.stats;
    return s === undefined
      ? {
          faults: 0,
          brks: 0,
          reinjected: 0,
          steps: 0,
          pageSteps: 0,
          missedReturns: 0,
          hotPageSwitches: 0,
        }
      : { ...s };
  }

  #info(p: Probe): GuestProbeInfo {
    return {
      vmId: p.vmId,
      gva: p.gva,
      symbol: p.symbol,
      mode: p.mode,
      ret: p.ret,
      state: p.state,
      gpa: p.gpa,
      hits: p.hits,
      retHits: p.retHits,
      lastError: p.lastError,
      brkFallback: p.brkFallback,
    };
  }

  #state(vm: Vm): VmProbes {
    let st = this.#vms.get(vm.id);
    if (st === undefined) {
      st = {
        vm,
        probes: new Map(),
        byGpa: new Map(),
        pending: new Set(),
        brks: new Map(),
        xnPages: new Map(),
        hot: new Set(),
        splits: [],
        free: [],
        scratchReady: false,
        views: [],
        steps: [],
        retFrames: [],
        savedMdcr: [],
        lastSig: '',
        exitsSinceTry: 0,
        stats: {
          faults: 0,
          brks: 0,
          reinjected: 0,
          steps: 0,
          pageSteps: 0,
          missedReturns: 0,
          hotPageSwitches: 0,
        },
        s2: this.#s2(vm.vcpus[0]!.cpu),
        gen: 0,
        viewKeys: [],
      };
      // Debug exceptions (BRK, software step) of the guest go to EL2 while probes exist.
      for (const v of vm.vcpus) {
        const mdcr = v.cpu.getSysReg(R.MDCR);
        st.savedMdcr[v.id] = mdcr;
        v.cpu.setSysReg(R.MDCR, mdcr | MDCR_TDE);
      }
      this.#vms.set(vm.id, st);
    }
    return st;
  }

  /** Drops a VM's state when it has no probes and no step in flight (MDCR_EL2 restored). */
  #releaseIfIdle(st: VmProbes): void {
    if (st.probes.size > 0 || st.steps.some((s) => s !== undefined)) return;
    for (const v of st.vm.vcpus) v.cpu.setSysReg(R.MDCR, st.savedMdcr[v.id] ?? 0n);
    for (const view of st.views)
      if (view !== undefined) for (const p of view) this.#freePage(st, p);
    st.views = [];
    st.viewKeys = [];
    this.#vms.delete(st.vm.id);
  }

  // ---- activation -------------------------------------------------------------------------

  /** Tries to arm a pending probe; returns true when it became active. */
  #tryActivate(st: VmProbes, cpu: Cpu, probe: Probe, throwBadProbe: boolean): boolean {
    let gpa: bigint;
    try {
      gpa = this.#translate(st.vm, cpu, probe.gva).gpa;
    } catch (e) {
      if (!HypervisorError.isInstance(e)) throw e;
      probe.lastError = e.message;
      return false;
    }
    const word = this.#readWord(st, gpa);
    if (!this.#isInjected(st, gpa) && (word & 0xffe0001f) >>> 0 === GUEST_BRK_WORD) {
      const err = new HypervisorError({
        code: 'BAD_PROBE',
        vmId: probe.vmId,
        address: probe.gva,
        message: `vm${probe.vmId}:${hex(probe.gva)} holds a BRK instruction (0x${word.toString(16)}); it cannot be probed`,
      });
      if (throwBadProbe) throw err;
      probe.lastError = err.message;
      return false;
    }
    probe.gpa = gpa;
    if (probe.mode === 'Stage2Fault') this.#protectPage(st, gpa & ~0xfffn);
    else this.#armBrk(st, gpa, 'entry');
    probe.state = 'active';
    probe.lastError = undefined;
    st.pending.delete(probe);
    const list = st.byGpa.get(gpa);
    if (list === undefined) st.byGpa.set(gpa, [probe]);
    else list.push(probe);
    return true;
  }

  #disarm(st: VmProbes, probe: Probe): void {
    const gpa = probe.gpa!;
    const list = st.byGpa.get(gpa)!;
    list.splice(list.indexOf(probe), 1);
    if (list.length === 0) st.byGpa.delete(gpa);
    if (probe.mode === 'Stage2Fault' && !probe.brkFallback) this.#unprotectPage(st, gpa & ~0xfffn);
    else this.#releaseBrk(st, gpa, 'entry');
    probe.state = 'pending';
    probe.gpa = undefined;
    probe.brkFallback = false;
  }

  #retryPending(st: VmProbes, cpu: Cpu): void {
    const r = stage1RegsOf(cpu);
    const sig = `${r.sctlr & 1n}:${r.tcr}:${r.ttbr0}:${r.ttbr1}`;
    if (sig === st.lastSig && ++st.exitsSinceTry < RETRY_EVERY_EXITS) return;
    st.lastSig = sig;
    st.exitsSinceTry = 0;
    for (const p of [...st.pending]) this.#tryActivate(st, cpu, p, false);
  }

  // ---- guest memory -----------------------------------------------------------------------

  #readWord(st: VmProbes, gpa: bigint): number {
    const b = st.vm.memory.read(gpa, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  #writeWord(st: VmProbes, gpa: bigint, w: number): void {
    st.vm.memory.write(
      gpa,
      new Uint8Array([w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, (w >>> 24) & 0xff]),
    );
  }

  #read64(st: VmProbes, pa: bigint): bigint {
    const b = st.vm.memory.read(pa, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  #write64(st: VmProbes, pa: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    st.vm.memory.write(pa, b);
  }

  #isInjected(st: VmProbes, gpa: bigint): boolean {
    return st.brks.has(gpa);
  }

  #armBrk(st: VmProbes, gpa: bigint, why: 'entry' | 'ret'): void {
    let b = st.brks.get(gpa);
    if (b === undefined) {
      b = { orig: this.#readWord(st, gpa), entries: 0, rets: 0 };
      st.brks.set(gpa, b);
      this.#writeWord(st, gpa, GUEST_BRK_WORD);
      st.gen++;
    }
    if (why === 'entry') b.entries++;
    else b.rets++;
  }

  #releaseBrk(st: VmProbes, gpa: bigint, why: 'entry' | 'ret'): void {
    const b = st.brks.get(gpa);
    if (b === undefined) return;
    if (why === 'entry') b.entries--;
    else b.rets--;
    if (b.entries + b.rets === 0) {
      st.brks.delete(gpa);
      this.#writeWord(st, gpa, b.orig);
      st.gen++;
    }
  }

  #releaseRet(st: VmProbes, gpa: bigint): void {
    this.#releaseBrk(st, gpa, 'ret');
  }

  // ---- stage 2 ----------------------------------------------------------------------------

  #allocPage(st: VmProbes): bigint {
    if (!st.scratchReady) {
      // host-only memory, kept (zeroed) when the VM's last probe goes
      if (!st.vm.memory.regions.some((r) => r.name === 'guest-probe'))
        st.vm.memory.addRam(SCRATCH_BASE, SCRATCH_PAGES * 4096, 'guest-probe');
      st.scratchReady = true;
      for (let i = SCRATCH_PAGES - 1; i >= 0; i--) st.free.push(SCRATCH_BASE + BigInt(i) * 4096n);
    }
    const p = st.free.pop();
    if (p === undefined)
      throw new HypervisorError({
        code: 'BAD_PROBE',
        vmId: st.vm.id,
        message: `VM ${st.vm.id}: out of guest probe table memory (${SCRATCH_PAGES} pages)`,
      });
    return p;
  }

  #freePage(st: VmProbes, p: bigint): void {
    st.vm.memory.write(p, new Uint8Array(4096));
    st.free.push(p);
  }

  /** The stage-2 root of a vCPU (no step in flight) and its start level. */
  #s2(cpu: Cpu): { root: bigint; level: number } {
    const sl0 = Number((cpu.getSysReg(R.VTCR) >> 6n) & 3n);
    return { root: cpu.getSysReg(R.VTTBR) & BADDR, level: sl0 === 0 ? 2 : sl0 === 1 ? 1 : 0 };
  }

  /** Splits a block descriptor at `level` into a next-level table written at `table`. */
  #expand(st: VmProbes, desc: bigint, level: number, table: bigint): void {
    const childSize = 1n << BigInt(12 + 9 * (2 - level));
    const attrs = desc & ~OA_MASK & ~3n;
    const base = desc & OA_MASK & ~(childSize * 512n - 1n);
    const bytes = new Uint8Array(4096);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 512; i++)
      view.setBigUint64(
        i * 8,
        (base + BigInt(i) * childSize) | attrs | (level + 1 === 3 ? 3n : 1n),
        true,
      );
    st.vm.memory.write(table, bytes);
  }

  #flushAll(st: VmProbes): void {
    st.gen++;
    for (const v of st.vm.vcpus) v.cpu.flushTlb();
  }

  /** Removes stage-2 execute permission from a guest page (shared tables). */
  #protectPage(st: VmProbes, page: bigint): void {
    const have = st.xnPages.get(page);
    if (have !== undefined) {
      have.refs++;
      return;
    }
    const { root, level: start } = st.s2;
    let table = root;
    let split: Split | undefined;
    for (let level = start; ; level++) {
      const shift = BigInt(12 + 9 * (3 - level));
      const entry = table + ((page >> shift) & 511n) * 8n;
      const desc = this.#read64(st, entry);
      if ((desc & 1n) === 0n)
        throw new HypervisorError({
          code: 'BAD_PROBE',
          vmId: st.vm.id,
          address: page,
          message: `guest page ${hex(page)} has no stage-2 mapping`,
        });
      if (level === 3) {
        st.xnPages.set(page, { refs: 1, entry, orig: desc, pageSteps: 0, hits: 0 });
        this.#write64(st, entry, desc | XN);
        break;
      }
      if ((desc & 2n) !== 0n) {
        table = desc & OA_MASK;
        continue;
      }
      // a block: split it into a table of the next level (recorded to merge it back later)
      const t = this.#allocPage(st);
      this.#expand(st, desc, level, t);
      if (split === undefined) {
        const size = 1n << shift;
        split = { entry, orig: desc, base: page & ~(size - 1n), size, pages: [] };
        st.splits.push(split);
      }
      split.pages.push(t);
      this.#write64(st, entry, t | 3n);
      table = t;
    }
    this.#flushAll(st);
  }

  #unprotectPage(st: VmProbes, page: bigint): void {
    const have = st.xnPages.get(page);
    if (have === undefined) return;
    if (--have.refs > 0) return;
    st.xnPages.delete(page);
    st.hot.delete(page);
    this.#write64(st, have.entry, have.orig);
    // merge split blocks that no protected page needs any more
    for (let i = st.splits.length - 1; i >= 0; i--) {
      const s = st.splits[i]!;
      if ([...st.xnPages.keys()].some((p) => p >= s.base && p < s.base + s.size)) continue;
      this.#write64(st, s.entry, s.orig);
      for (const p of s.pages) this.#freePage(st, p);
      st.splits.splice(i, 1);
    }
    this.#flushAll(st);
  }

  // ---- exits ------------------------------------------------------------------------------

  #onExit(vm: Vm, vcpu: VCpu, esr: bigint, far: bigint, hpfar: bigint, regs: GuestRegs): boolean {
    const st = this.#vms.get(vm.id);
    if (st === undefined) return false;
    if (st.pending.size > 0) this.#retryPending(st, vcpu.cpu);
    const ec = Number((esr >> 26n) & 0x3fn);
    if (ec === 0x20) {
      if ((Number(esr) & 0x3c) !== 0x0c) return false; // not a permission fault
      const gpa = ((hpfar >> 4n) << 12n) | (far & 0xfffn);
      const page = st.xnPages.get(gpa & ~0xfffn);
      if (page === undefined) return false;
      st.stats.faults++;
      const pc = regs.elr();
      if (this.#hitsAt(st, vcpu, gpa, pc, regs)) page.hits++;
      else {
        st.stats.pageSteps++;
        // A hot page (a loop around or beside the probe): its probes go to BRKs, at the end of
        // this step, so each hit costs two exits instead of two per instruction of the page.
        if (
          ++page.pageSteps >= 4 * this.#hotPageSteps &&
          page.pageSteps > this.#hotPageSteps * (page.hits + 1)
        )
          st.hot.add(gpa & ~0xfffn);
      }
      this.#beginStep(st, vcpu, pc, gpa, regs);
      return true;
    }
    if (ec === 0x32) {
      const step = st.steps[vcpu.id];
      if (step === undefined) return false;
      this.#endStep(st, vcpu, step, regs);
      return true;
    }
    if (ec === 0x3c) {
      const pc = regs.elr();
      let gpa: bigint | undefined;
      try {
        gpa = this.#translate(vm, vcpu.cpu, pc).gpa;
      } catch {
        gpa = undefined;
      }
      if (gpa === undefined || !st.brks.has(gpa)) {
        this.#reinjectBrk(st, vcpu, esr, pc, regs);
        return true;
      }
      st.stats.brks++;
      this.#hitsAt(st, vcpu, gpa, pc, regs);
      this.#beginStep(st, vcpu, pc, gpa, regs);
      return true;
    }
    return false;
  }

  /** Reports the return frames and entry probes at `gpa`; false when there are none. */
  #hitsAt(st: VmProbes, vcpu: VCpu, gpa: bigint, pc: bigint, regs: GuestRegs): boolean {
    let any = false;
    const frames = st.retFrames;
    const sp = frames.length > 0 || st.byGpa.has(gpa) ? this.#guestSp(vcpu.cpu, regs) : 0n;
    if (frames.length > 0 && st.brks.has(gpa)) {
      // the frame this return ends: same return address and the entry's stack pointer back
      let i = frames.length - 1;
      while (i >= 0 && (frames[i]!.retGpa !== gpa || frames[i]!.sp !== sp)) i--;
      if (i >= 0) {
        const batch = frames[i]!.batch;
        const now = this.#vmm.platform.timeNs();
        any = true;
        const done: RetFrame[] = [];
        for (let k = 0; k < frames.length; k++)
          if (frames[k]!.batch === batch) done.push(...frames.splice(k--, 1));
        // frames pushed deeper on the same stack and still pending were left without returning
        // (a longjmp-like exit): the stack is back at `sp`, as at a new entry there
        this.#dropStale(st, sp, batch);
        // every return probe of that entry, first attached first
        for (const f of done) {
          f.probe.retHits++;
          f.probe.onHit?.({
            kind: 'kretprobe',
            probe: this.#info(f.probe),
            vmId: st.vm.id,
            vcpuId: vcpu.id,
            pc,
            gpa,
            regs,
            timeNs: now,
            retval: regs.x(0),
            durationNs: now - f.entryNs,
            ...this.#access(st.vm, vcpu.cpu),
          });
          this.#releaseRet(st, gpa);
        }
      }
    }
    const probes = st.byGpa.get(gpa);
    const batch = ++this.#batch;
    if (probes !== undefined) {
      for (const p of [...probes]) {
        any = true;
        p.hits++;
        const now = this.#vmm.platform.timeNs();
        if (p.ret) {
          const lr = regs.x(30);
          try {
            const retGpa = this.#translate(st.vm, vcpu.cpu, lr).gpa;
            this.#armBrk(st, retGpa, 'ret');
            this.#dropStale(st, sp, batch);
            frames.push({ probe: p, batch, retGpa, retGva: lr, entryNs: now, sp });
          } catch (e) {
            if (!HypervisorError.isInstance(e)) throw e;
            st.stats.missedReturns++;
          }
        } else {
          p.onHit?.({
            kind: 'kprobe',
            probe: this.#info(p),
            vmId: st.vm.id,
            vcpuId: vcpu.id,
            pc,
            gpa,
            regs,
            timeNs: now,
            ...this.#access(st.vm, vcpu.cpu),
          });
        }
      }
    }
    return any;
  }

  /**
   * An entry or a return at stack pointer `sp` means the stack below it is free: pending frames
   * of the same stack at or below `sp` (other than `batch`'s) can no longer return, so they are dropped
   * and counted as missed (what Linux does with a task's kretprobe instances when it exits).
   */
  #dropStale(st: VmProbes, sp: bigint, batch: number): void {
    const frames = st.retFrames;
    const block = (sp - 1n) >> STACK_BLOCK_SHIFT;
    for (let k = frames.length - 1; k >= 0; k--) {
      const f = frames[k]!;
      if (f.batch === batch || f.sp > sp || (f.sp - 1n) >> STACK_BLOCK_SHIFT !== block) continue;
      this.#releaseRet(st, f.retGpa);
      st.stats.missedReturns++;
      frames.splice(k, 1);
    }
  }

  /** The guest's stack pointer at the exit: SP_EL1 in EL1h, else SP_EL0 (SPSR M[3:0]). */
  #guestSp(cpu: Cpu, regs: GuestRegs): bigint {
    return cpu.getSysReg((regs.spsr() & 0xfn) === 5n ? R.SP1 : R.SP0);
  }

  /** Gives the guest its own BRK: an EL1 synchronous exception (EC 0x3C). */
  #reinjectBrk(st: VmProbes, vcpu: VCpu, esr: bigint, pc: bigint, regs: GuestRegs): void {
    st.stats.reinjected++;
    const cpu = vcpu.cpu;
    const spsr = regs.spsr();
    const from = Number(spsr & 0xfn); // M[3:0]: 0 EL0t, 4 EL1t, 5 EL1h
    const offset = from === 0 ? 0x400n : from === 4 ? 0x000n : 0x200n;
    cpu.setSysReg(R.ESR1, (0x3cn << 26n) | (1n << 25n) | (esr & 0xffffn));
    cpu.setSysReg(R.ELR1, pc);
    cpu.setSysReg(R.SPSR1, spsr);
    // EL1h, D A I F masked, SS and IL clear
    regs.setSpsr(0x3c5n);
    regs.resumeAt(cpu.getSysReg(R.VBAR1) + offset);
  }

  /** Runs one instruction at `pc` with the page executable and the original words. */
  #beginStep(st: VmProbes, vcpu: VCpu, pc: bigint, gpa: bigint, regs: GuestRegs): void {
    const cpu = vcpu.cpu;
    const prev = st.steps[vcpu.id];
    if (prev !== undefined) this.#closeView(st, vcpu, prev); // (defensive: a step that never completed)
    const guestPage = gpa & ~0xfffn;
    const s2 = st.s2;
    let view = st.views[vcpu.id];
    if (view === undefined) {
      view = [];
      for (let l = s2.level; l <= 4; l++) view.push(this.#allocPage(st)); // one table per level + a page copy
      st.views[vcpu.id] = view;
    }
    const hidden: bigint[] = [];
    for (const a of st.brks.keys()) if ((a & ~0xfffn) === guestPage) hidden.push(a);
    const copyPage = view[view.length - 1]!;
    const viewKey = `${guestPage}:${st.gen}:${hidden.length > 0}`;
    if (st.viewKeys[vcpu.id] !== viewKey) {
      // private copy of the table path from the root to the page's level 3 entry
      let shared: bigint | undefined = s2.root;
      let blockDesc = 0n;
      for (let level = s2.level, k = 0; level <= 3; level++, k++) {
        const mine = view[k]!;
        if (shared !== undefined) st.vm.memory.write(mine, st.vm.memory.read(shared, 4096));
        else this.#expand(st, blockDesc, level - 1, mine);
        const entry = mine + ((guestPage >> BigInt(12 + 9 * (3 - level))) & 511n) * 8n;
        const desc = this.#read64(st, entry);
        if ((desc & 1n) === 0n)
          throw new HypervisorError({
            code: 'GUEST_FAULT',
            vmId: st.vm.id,
            address: gpa,
            message: `guest page ${hex(guestPage)} lost its stage-2 mapping`,
          });
        if (level === 3) {
          // executable; the private page copy when BRKs must be hidden
          this.#write64(
            st,
            entry,
            hidden.length > 0 ? (desc & ~XN & ~OA_MASK) | copyPage : desc & ~XN,
          );
          break;
        }
        if ((desc & 2n) !== 0n) shared = desc & OA_MASK;
        else {
          shared = undefined;
          blockDesc = desc;
        }
        this.#write64(st, entry, view[k + 1]! | 3n);
      }
      st.viewKeys[vcpu.id] = viewKey;
    }
    let copy: Step['copy'];
    let word: number;
    if (hidden.length > 0) {
      const bytes = st.vm.memory.read(guestPage, 4096);
      const dv = new DataView(bytes.buffer);
      for (const a of hidden) dv.setUint32(Number(a & 0xfffn), st.brks.get(a)!.orig, true);
      st.vm.memory.write(copyPage, bytes);
      copy = { hostPage: copyPage, guestPage, init: bytes };
      word = dv.getUint32(Number(gpa & 0xffcn), true);
    } else {
      word = this.#readWord(st, gpa);
    }
    st.steps[vcpu.id] = {
      pc,
      word,
      savedIf: regs.spsr() & SPSR_IF,
      savedMdscr: cpu.getSysReg(R.MDSCR),
      copy,
    };
    this.#stepping++;
    cpu.setSysReg(R.VTTBR, (cpu.getSysReg(R.VTTBR) & ~BADDR) | view[0]!); // also flushes this vCPU's TLB
    cpu.setSysReg(R.MDSCR, st.steps[vcpu.id]!.savedMdscr | 1n);
    regs.setSpsr(regs.spsr() | SPSR_SS | SPSR_IF);
    regs.resumeAt(pc);
  }

  #closeView(st: VmProbes, vcpu: VCpu, step: Step): void {
    const cpu = vcpu.cpu;
    if (step.copy !== undefined) {
      // stores the stepped instruction made to the private copy go to guest memory
      const now = st.vm.memory.read(step.copy.hostPage, 4096);
      const a = new DataView(now.buffer);
      const b = new DataView(step.copy.init.buffer);
      for (let o = 0; o < 4096; o += 4) {
        const w = a.getUint32(o, true);
        if (w === b.getUint32(o, true)) continue;
        const g = step.copy.guestPage + BigInt(o);
        const brk = st.brks.get(g);
        if (brk !== undefined) brk.orig = w;
        else this.#writeWord(st, g, w);
      }
    }
    cpu.setSysReg(R.VTTBR, (cpu.getSysReg(R.VTTBR) & ~BADDR) | st.s2.root);
    cpu.setSysReg(R.MDSCR, step.savedMdscr);
    st.steps[vcpu.id] = undefined;
    this.#stepping--;
  }

  /** Moves the Stage2Fault probes of hot pages to injected BRKs (no vCPU of the VM is stepping). */
  #switchHotPages(st: VmProbes): void {
    for (const page of [...st.hot]) {
      st.hot.delete(page);
      for (const probe of st.probes.values()) {
        if (
          probe.state !== 'active' ||
          probe.mode !== 'Stage2Fault' ||
          probe.brkFallback ||
          (probe.gpa! & ~0xfffn) !== page
        )
          continue;
        this.#armBrk(st, probe.gpa!, 'entry');
        this.#unprotectPage(st, page);
        probe.brkFallback = true;
      }
      st.stats.hotPageSwitches++;
    }
  }

  #endStep(st: VmProbes, vcpu: VCpu, step: Step, regs: GuestRegs): void {
    this.#closeView(st, vcpu, step);
    st.stats.steps++;
    if (st.hot.size > 0 && st.steps.every((s) => s === undefined)) this.#switchHotPages(st);
    let spsr = regs.spsr() & ~SPSR_SS;
    // restore the guest's IRQ/FIQ masks unless the stepped instruction set them itself
    const w = step.word;
    // (>>> 0: `&` gives a signed 32-bit result, which never equals these unsigned constants)
    const setsDaif =
      (w & 0xfffff0df) >>> 0 === 0xd50340df ||
      (w & 0xffffffe0) >>> 0 === 0xd51b4220 ||
      w === 0xd69f03e0;
    if (!setsDaif) spsr = (spsr & ~SPSR_IF) | step.savedIf;
    regs.setSpsr(spsr);
    regs.resumeAt(regs.elr());
    if (st.probes.size === 0) this.#releaseIfIdle(st);
  }
}
