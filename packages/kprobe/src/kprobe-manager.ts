// SPDX-License-Identifier: MIT
// The probe manager: probe points, BRK patching, out-of-line stepping, simulation and
// kretprobe return hijacking, with an AArch64 back end.
// Role of Starry-OS/kprobe src/manager.rs, src/kprobe/mod.rs (register_kprobe,
// unregister_kprobe, kprobe_handler_from_break, kprobe_handler_from_debug), src/retprobe.rs and
// src/arch/aarch64/mod.rs; stepping, DAIF masking, fault fix-up and the atomic-sequence scan
// follow torvalds/linux arch/arm64/kernel/probes/kprobes.c.

import { decodeProbeInsn, isLoadExclusive, isStoreExclusive } from './decode-probe-insn.js';
import type { ProbeInsnClass, SimulatedInsn } from './decode-probe-insn.js';
import type { CpuModel } from '@axebpf/aarch64-emu';
import { KprobeError, hex } from './errors.js';
import { InsnSlotAllocator } from './insn-slots.js';
import type { InsnSlotRegion } from './insn-slots.js';
import { Kprobe, Kretprobe } from './probe.js';
import type { KprobeOptions, KretprobeInstance, KretprobeOptions, ProbeLocation } from './probe.js';
import type { ProbeMemory } from './probe-memory.js';
import type { PtRegs } from './pt-regs.js';
import { simulateInsn } from './simulate-insn.js';

/**
 * Encodes `BRK #imm`: `0xD4200000 | imm16 << 5`.
 * @param imm - the 16-bit comment (reported in ESR.ISS[15:0]).
 * @returns the instruction word.
 */
export function brkInsn(imm: number): number {
  return (0xd4200000 | ((imm & 0xffff) << 5)) >>> 0;
}

/** BRK immediate of a probe point (Linux/Starry KPROBES_BRK_IMM). */
export const KPROBE_BRK_IMM = 4;
/** BRK immediate closing an instruction slot (Linux/Starry KPROBES_BRK_SS_IMM). */
export const KPROBE_SS_BRK_IMM = 6;
/** Default BRK immediate of the kretprobe trampoline (this package's choice). */
export const KRETPROBE_BRK_IMM = 7;
/** `BRK #4`, written at a probe point: 0xD4200080. */
export const KPROBE_BRK = brkInsn(KPROBE_BRK_IMM);
/** `BRK #6`, written after the displaced instruction in its slot: 0xD42000C0. */
export const KPROBE_SS_BRK = brkInsn(KPROBE_SS_BRK_IMM);

/** DAIF bits of PSTATE (SPSR bits 9:6). */
const PSTATE_DAIF = 0x3c0;
/** How far back the atomic-sequence scan looks (Linux MAX_ATOMIC_CONTEXT_SIZE: 128 bytes). */
const ATOMIC_SCAN_INSNS = 32;
const MASK64 = (1n << 64n) - 1n;

type AnyProbe = Kprobe<unknown> | Kretprobe<unknown>;

/** One patched address shared by every probe registered there. */
interface ProbePoint {
  readonly address: bigint;
  readonly original: number;
  readonly cls: ProbeInsnClass;
  /** Slot start for stepped instructions; undefined for simulated ones. */
  readonly slot: bigint | undefined;
  readonly sim: SimulatedInsn | undefined;
  readonly probes: AnyProbe[];
  armed: boolean;
}

/** A step in progress on one CPU/task key. */
interface StepState {
  readonly point: ProbePoint;
  readonly savedDaif: number;
  /** True when this hit re-entered another step (handlers skipped). */
  readonly reentered: boolean;
}

/** Options of the {@link KprobeManager} constructor. */
export interface KprobeManagerOptions {
  /** Code and data access (for the emulator: `EmuProbeMemory`). */
  memory: ProbeMemory;
  /** The executable region for instruction slots, or a ready allocator. */
  slots: InsnSlotRegion | InsnSlotAllocator;
  /**
   * The processor the probed code runs on (the `model` of {@link decodeProbeInsn}); default
   * `'default'`.
   */
  cpuModel?: CpuModel;
  /** Resolves `symbol` locations; without it, registering by symbol fails with `SYMBOL_NOT_FOUND`. */
  resolveSymbol?: (name: string) => bigint | undefined;
  /**
   * Start of the function containing an address, bounding the LDXR…STXR scan (Linux uses
   * kallsyms). Without it the scan looks back 32 instructions.
   */
  functionStart?: (address: bigint) => bigint | undefined;
  /**
   * The key of the current task or CPU, read at every hit: kretprobe instances and steps in
   * progress are stacked per key. Default: one key (`0`), a single CPU.
   */
  instanceKey?: (regs: PtRegs) => string | number;
  /** Clock for kretprobe durations (for example virtual nanoseconds); optional. */
  clock?: () => bigint;
  /**
   * Address of the kretprobe trampoline word (executable; the manager writes a BRK there).
   * Default: one instruction slot, taken when the first kretprobe registers.
   */
  trampoline?: bigint;
  /** BRK immediate of the trampoline; default {@link KRETPROBE_BRK_IMM} (7). */
  trampolineBrkImm?: number;
}

/** A row of {@link KprobeManager.list}. */
export interface ProbeInfo {
  /** Probe name. */
  name: string;
  /** `kprobe` or `kretprobe`. */
  kind: 'kprobe' | 'kretprobe';
  /** Probe address. */
  address: bigint;
  /** Symbol, if registered by symbol. */
  symbol: string | undefined;
  /** Enabled? */
  enabled: boolean;
  /** Handler runs. */
  hits: number;
  /** Missed hits. */
  missed: number;
  /** How the displaced instruction runs. */
  mode: 'slot' | 'simulated';
  /** Disassembly of the displaced instruction. */
  insn: string;
}

/**
 * Registers kprobes and kretprobes, patches `BRK #4` at probe points and handles the BRK
 * exceptions a host reports: pre-handlers, out-of-line step from an instruction slot ending in
 * `BRK #6` (or simulation of PC-relative instructions), post-handlers, and kretprobe return
 * hijacking through a trampoline.
 *
 * @remarks Architecture-neutral in shape (probe points, handlers, instances); the back end is
 * AArch64. Differences from Starry-OS/kprobe: the displaced instruction is classified like
 * Linux does (PC-relative ones are simulated, unsafe ones rejected with `REJECTED_INSN`),
 * DAIF is masked while stepping, a fault in a slot is reported at the probe address, and the
 * manager owns no global state.
 *
 * @example
 * ```ts
 * const manager = new KprobeManager({ memory: new EmuProbeMemory(mem), slots: { base: 0x4008_0000n } });
 * const probe = manager.registerKprobe({ address: 0x4000_0100n, preHandler: (p, regs) => log(regs.getX(0)) });
 * cpu.onException = (c, info) => info.ec === 0x3c && manager.handleBrk(new CpuRegs(c), info.iss & 0xffff);
 * ```
 */
export class KprobeManager {
  /** The slot allocator. */
  readonly slots: InsnSlotAllocator;
  private readonly memory: ProbeMemory;
  private readonly options: KprobeManagerOptions;
  private readonly points = new Map<bigint, ProbePoint>();
  /** Slot + 4 → point (where `BRK #6` traps). */
  private readonly debugPoints = new Map<bigint, ProbePoint>();
  private readonly names = new Map<string, AnyProbe>();
  private readonly instances = new Map<string | number, KretprobeInstance<unknown>[]>();
  private readonly steps = new Map<string | number, StepState[]>();
  private trampolineAddress: bigint | undefined;
  /** Memory as the unpatched code sees it: literal loads of an armed point read its original word. */
  private readonly literalView: ProbeMemory;
  private readonly trampolineImm: number;
  private ownsTrampolineSlot = false;
  private nextId = 0;

  /**
   * @param options - memory, slot region and optional resolvers.
   * @throws {KprobeError} `BAD_SLOT_REGION` for an unusable slot region, `UNALIGNED_ADDRESS`
   *   for a misaligned trampoline.
   */
  constructor(options: KprobeManagerOptions) {
    this.options = options;
    this.memory = options.memory;
    this.slots =
      options.slots instanceof InsnSlotAllocator
        ? options.slots
        : new InsnSlotAllocator(options.slots);
    this.trampolineImm = options.trampolineBrkImm ?? KRETPROBE_BRK_IMM;
    this.literalView = {
      readInsn: (a) => this.memory.readInsn(a),
      writeInsn: (a, w) => this.memory.writeInsn(a, w),
      syncIcache: (a, n) => this.memory.syncIcache(a, n),
      readData: (a, size) => this.readUnpatched(a, size),
    };
    if (options.trampoline !== undefined && (options.trampoline & 3n) !== 0n) {
      throw new KprobeError({
        code: 'UNALIGNED_ADDRESS',
        message: `trampoline ${hex(options.trampoline)} is not 4-byte aligned`,
        address: options.trampoline,
      });
    }
  }

  /** The kretprobe trampoline address, once set up (a BRK with {@link KprobeManagerOptions.trampolineBrkImm}). */
  get trampoline(): bigint | undefined {
    return this.trampolineAddress;
  }

  // ---- registration -----------------------------------------------------------------------

  /**
   * Registers a kprobe.
   * @param options - location, handlers, name, initial state and data.
   * @returns the probe (counters `hits`, `missed`).
   * @throws {KprobeError} `BAD_ARGUMENT`, `SYMBOL_NOT_FOUND`, `UNALIGNED_ADDRESS`,
   *   `RESERVED_ADDRESS`, `DUPLICATE_PROBE`, `UNKNOWN_ADDRESS`, `REJECTED_INSN` (with
   *   `address`, `insn`, `text`, `reason`), `SLOTS_EXHAUSTED` or `WRITE_FAILED` (nothing stays
   *   registered or patched then).
   */
  registerKprobe<T = unknown>(options: KprobeOptions<T>): Kprobe<T> {
    const { address, symbol } = this.locate(options);
    const name = this.claimName(options.name, 'kprobe', address, symbol);
    const probe = new Kprobe<T>(name, address, symbol, options);
    this.attach(probe as unknown as AnyProbe);
    return probe;
  }

  /**
   * Registers a kretprobe: a probe at the function entry that redirects the return address
   * (X30) to the trampoline, and a return handler run when the function returns.
   * @param options - location (the function entry), handlers, `maxactive`, name, data.
   * @returns the kretprobe (counters `hits`, `missed`, `returns`, `active`).
   * @throws {KprobeError} as {@link KprobeManager.registerKprobe}; `BAD_ARGUMENT` for a
   *   `maxactive` below 1.
   */
  registerKretprobe<T = unknown>(options: KretprobeOptions<T>): Kretprobe<T> {
    const maxactive = options.maxactive ?? 16;
    if (!Number.isInteger(maxactive) || maxactive < 1) {
      throw new KprobeError({
        code: 'BAD_ARGUMENT',
        message: `maxactive must be a positive integer, got \`${maxactive}\``,
      });
    }
    const { address, symbol } = this.locate(options);
    const name = this.claimName(options.name, 'kretprobe', address, symbol);
    this.ensureTrampoline();
    const probe = new Kretprobe<T>(name, address, symbol, options, maxactive);
    this.attach(probe as unknown as AnyProbe);
    return probe;
  }

  /**
   * Enables a probe; the probe point is armed (`BRK #4` written) if it was not.
   * @param probe - a registered probe.
   * @throws {KprobeError} `NOT_REGISTERED`, `WRITE_FAILED` (the probe then stays as it was).
   */
  enable<T>(probe: Kprobe<T> | Kretprobe<T>): void {
    const point = this.pointOf(probe);
    const was = probe.isEnabled;
    probe.isEnabled = true;
    try {
      this.updateArm(point);
    } catch (e) {
      probe.isEnabled = was;
      throw e;
    }
  }

  /**
   * Disables a probe; when no enabled probe is left at its point, the original instruction is
   * written back (the slot stays allocated until the point is unregistered).
   * @param probe - a registered probe.
   * @throws {KprobeError} `NOT_REGISTERED`, `WRITE_FAILED` (the probe then stays as it was).
   */
  disable<T>(probe: Kprobe<T> | Kretprobe<T>): void {
    const point = this.pointOf(probe);
    const was = probe.isEnabled;
    probe.isEnabled = false;
    try {
      this.updateArm(point);
    } catch (e) {
      probe.isEnabled = was;
      throw e;
    }
  }

  /**
   * Unregisters a probe. The last probe of a point restores the original instruction word
   * exactly and frees the slot. Pending kretprobe instances still return through the
   * trampoline to the right address, without running the handler.
   * @param probe - a registered probe.
   * @throws {KprobeError} `NOT_REGISTERED` when it is not registered (for example twice).
   */
  unregister<T>(probe: Kprobe<T> | Kretprobe<T>): void {
    const point = this.pointOf(probe);
    const list = point.probes;
    list.splice(list.indexOf(probe as unknown as AnyProbe), 1);
    probe.isRegistered = false;
    this.names.delete(probe.name);
    if (list.length > 0) {
      this.updateArm(point);
      return;
    }
    this.disarm(point);
    this.points.delete(point.address);
    // A step still running from the slot (unregistered between BRK #4 and BRK #6) keeps the
    // slot and its BRK #6 mapping until it completes.
    if (point.slot !== undefined && !this.isStepping(point)) this.releaseSlot(point);
  }

  private isStepping(point: ProbePoint): boolean {
    for (const stack of this.steps.values()) if (stack.some((s) => s.point === point)) return true;
    return false;
  }

  private releaseSlot(point: ProbePoint): void {
    this.debugPoints.delete(point.slot! + 4n);
    this.slots.free(point.slot!);
  }

  /**
   * Looks a probe up by name.
   * @param name - the probe name.
   * @returns the probe or undefined.
   */
  get(name: string): Kprobe | Kretprobe | undefined {
    return this.names.get(name);
  }

  /**
   * Lists every registered probe.
   * @returns one row per probe, in address order.
   */
  list(): ProbeInfo[] {
    const rows: ProbeInfo[] = [];
    const points = [...this.points.values()].sort((a, b) => (a.address < b.address ? -1 : 1));
    for (const point of points) {
      for (const p of point.probes) {
        rows.push({
          name: p.name,
          kind: p.kind,
          address: p.address,
          symbol: p.symbol,
          enabled: p.enabled,
          hits: p.hits,
          missed: p.missed,
          mode: point.slot === undefined ? 'simulated' : 'slot',
          insn: point.cls.text,
        });
      }
    }
    return rows;
  }

  /**
   * Tells whether an address is currently patched with `BRK #4` by this manager.
   * @param address - any address.
   * @returns true when a probe point there is armed.
   */
  isArmed(address: bigint): boolean {
    return this.points.get(address)?.armed ?? false;
  }

  /**
   * The slot of a probe's point (stepped instructions only).
   * @param probe - a registered probe.
   * @returns the slot address, or undefined for a simulated instruction.
   * @throws {KprobeError} `NOT_REGISTERED`.
   */
  slotOf<T>(probe: Kprobe<T> | Kretprobe<T>): bigint | undefined {
    return this.pointOf(probe).slot;
  }

  // ---- exception handling ------------------------------------------------------------------

  /**
   * Handles a BRK exception: `BRK #4` at a probe point (pre-handlers, then PC := slot, or the
   * simulation and post-handlers), `BRK #6` at the end of a slot (post-handlers, PC := probe +
   * 4) and the trampoline BRK (return handler, PC := the real return address).
   * @param regs - the registers at the exception, PC = the BRK's address (ELR); changed in place.
   * @param imm - the BRK immediate (ESR.ISS[15:0]).
   * @returns true when the BRK was this manager's (the host resumes at `regs.pc`); false when
   *   it was not (another debugger's BRK, or a stale one).
   * @throws {KprobeError} `HANDLER_FAILED` when a handler throws, `SIMULATION_FAULT`,
   *   `NO_RETPROBE_INSTANCE` when the trampoline is hit with nothing pending.
   */
  handleBrk(regs: PtRegs, imm: number): boolean {
    const pc = regs.pc;
    if (imm === KPROBE_BRK_IMM) {
      const point = this.points.get(pc);
      if (point === undefined || !point.armed) return false;
      this.onBreak(point, regs);
      return true;
    }
    if (imm === KPROBE_SS_BRK_IMM) {
      const point = this.debugPoints.get(pc);
      if (point === undefined) return false;
      this.onStepDone(point, regs);
      return true;
    }
    if (
      imm === this.trampolineImm &&
      this.trampolineAddress !== undefined &&
      pc === this.trampolineAddress
    ) {
      this.onTrampoline(regs);
      return true;
    }
    return false;
  }

  /**
   * Handles an exception given its ESR: calls {@link KprobeManager.handleBrk} for EC 0x3C
   * (BRK from AArch64), else returns false.
   * @param regs - the registers at the exception.
   * @param esr - the syndrome (ESR_ELx).
   * @returns true when handled.
   * @throws {KprobeError} as {@link KprobeManager.handleBrk}.
   */
  handleException(regs: PtRegs, esr: number | bigint): boolean {
    const e = Number(BigInt(esr) & 0xffffffffn);
    if (((e >>> 26) & 0x3f) !== 0x3c) return false;
    return this.handleBrk(regs, e & 0xffff);
  }

  /**
   * Reports a fault (abort, undefined instruction…) to the manager. When the PC is in a slot
   * being stepped, the PC is moved back to the probe address and DAIF restored (so the host
   * reports the fault where the instruction really is), then the fault handlers run.
   * @param regs - the registers at the fault (PC = ELR); changed in place.
   * @param info - anything for the fault handlers (for example the ESR).
   * @returns true when a fault handler handled it; false otherwise (also when the PC is not in
   *   a slot being stepped: the fault is not the manager's).
   * @throws {KprobeError} `HANDLER_FAILED` when a fault handler throws.
   */
  handleFault(regs: PtRegs, info?: unknown): boolean {
    const pc = regs.pc;
    if (!this.slots.contains(pc)) return false;
    const stack = this.steps.get(this.key(regs));
    const top = stack?.[stack.length - 1];
    if (
      top === undefined ||
      top.point.slot === undefined ||
      pc < top.point.slot ||
      pc >= top.point.slot + BigInt(this.slots.slotSize)
    ) {
      return false;
    }
    stack!.pop();
    const point = top.point;
    regs.pc = point.address;
    regs.pstate = ((regs.pstate & ~PSTATE_DAIF) | top.savedDaif) >>> 0;
    if (this.points.get(point.address) !== point) {
      if (!this.isStepping(point)) this.releaseSlot(point);
      return false;
    }
    if (top.reentered) return false;
    for (const p of point.probes) {
      if (p.kind !== 'kprobe' || !p.isEnabled || p.faultHandler === undefined) continue;
      if (this.run(p, () => p.faultHandler!(p, regs, info))) return true;
    }
    return false;
  }

  // ---- internals ---------------------------------------------------------------------------

  private key(regs: PtRegs): string | number {
    return this.options.instanceKey === undefined ? 0 : this.options.instanceKey(regs);
  }

  private locate(loc: ProbeLocation): { address: bigint; symbol: string | undefined } {
    if ((loc.address === undefined) === (loc.symbol === undefined)) {
      throw new KprobeError({
        code: 'BAD_ARGUMENT',
        message: 'give exactly one of `address` and `symbol`',
      });
    }
    let base: bigint;
    if (loc.symbol !== undefined) {
      const found = this.options.resolveSymbol?.(loc.symbol);
      if (found === undefined) {
        throw new KprobeError({
          code: 'SYMBOL_NOT_FOUND',
          message: `symbol \`${loc.symbol}\` not found`,
          symbol: loc.symbol,
        });
      }
      base = found;
    } else {
      base = loc.address!;
    }
    const offset = BigInt(loc.offset ?? 0);
    const address = (base + offset) & MASK64;
    if ((address & 3n) !== 0n) {
      throw new KprobeError({
        code: 'UNALIGNED_ADDRESS',
        message: `probe address ${hex(address)} is not 4-byte aligned`,
        address,
        symbol: loc.symbol,
      });
    }
    if (
      this.slots.contains(address) ||
      address === this.trampolineAddress ||
      address === this.options.trampoline
    ) {
      throw new KprobeError({
        code: 'RESERVED_ADDRESS',
        message: `${hex(address)} belongs to the probe manager's slots or trampoline`,
        address,
      });
    }
    return { address, symbol: loc.symbol };
  }

  private claimName(
    name: string | undefined,
    kind: string,
    address: bigint,
    symbol: string | undefined,
  ): string {
    if (name !== undefined) {
      if (this.names.has(name)) {
        throw new KprobeError({
          code: 'DUPLICATE_PROBE',
          message: `a probe named \`${name}\` is already registered`,
          address,
          probe: name,
          symbol,
        });
      }
      return name;
    }
    let generated: string;
    do generated = `${kind}-${symbol ?? hex(address)}-${this.nextId++}`;
    while (this.names.has(generated));
    return generated;
  }

  private attach(probe: AnyProbe): void {
    let point = this.points.get(probe.address);
    const fresh = point === undefined;
    if (point === undefined) point = this.createPoint(probe.address, probe.symbol, probe.name);
    point.probes.push(probe);
    this.names.set(probe.name, probe);
    try {
      this.updateArm(point);
    } catch (cause) {
      // roll back: the probe was never registered
      point.probes.pop();
      this.names.delete(probe.name);
      probe.isRegistered = false;
      if (fresh) {
        this.points.delete(point.address);
        if (point.slot !== undefined) this.releaseSlot(point);
      }
      throw cause;
    }
  }

  /** Writes code through the adapter, reporting failures as `WRITE_FAILED`. */
  private patch(address: bigint, words: readonly number[]): void {
    try {
      for (let i = 0; i < words.length; i++)
        this.memory.writeInsn(address + BigInt(i * 4), words[i]!);
      this.memory.syncIcache(address, words.length * 4);
    } catch (cause) {
      throw new KprobeError({
        code: 'WRITE_FAILED',
        message: `cannot write code at ${hex(address)}`,
        address,
        cause,
      });
    }
  }

  private createPoint(address: bigint, symbol: string | undefined, name: string): ProbePoint {
    let word: number;
    try {
      word = this.memory.readInsn(address) >>> 0;
    } catch (cause) {
      throw new KprobeError({
        code: 'UNKNOWN_ADDRESS',
        message: `cannot read code at ${hex(address)}`,
        address,
        symbol,
        probe: name,
        cause,
      });
    }
    const cls = decodeProbeInsn(
      word,
      address,
      this.options.cpuModel === undefined ? {} : { model: this.options.cpuModel },
    );
    if (cls.kind === 'rejected') throw this.rejected(address, cls, cls.reason, symbol, name);
    if (cls.kind === 'steppable' && this.insideAtomicSequence(address)) {
      throw this.rejected(address, cls, 'atomic-sequence', symbol, name);
    }
    let slot: bigint | undefined;
    if (cls.kind === 'steppable') {
      slot = this.slots.alloc();
      try {
        this.patch(slot, [word, KPROBE_SS_BRK]);
      } catch (e) {
        this.slots.free(slot);
        throw e;
      }
    }
    const point: ProbePoint = {
      address,
      original: word,
      cls,
      slot,
      sim: cls.kind === 'simulated' ? cls.sim : undefined,
      probes: [],
      armed: false,
    };
    this.points.set(address, point);
    if (slot !== undefined) this.debugPoints.set(slot + 4n, point);
    return point;
  }

  private rejected(
    address: bigint,
    cls: ProbeInsnClass,
    reason: string,
    symbol: string | undefined,
    name: string,
  ): KprobeError {
    return new KprobeError({
      code: 'REJECTED_INSN',
      message: `cannot probe \`${cls.text.replace('\t', ' ')}\` at ${hex(address)}: ${reason}`,
      address,
      insn: cls.word,
      text: cls.text,
      reason,
      symbol,
      probe: name,
    });
  }

  /** Linux is_probed_address_atomic: scanning back, a load-exclusive before any store-exclusive. */
  private insideAtomicSequence(address: bigint): boolean {
    let limit = address - BigInt(ATOMIC_SCAN_INSNS * 4);
    const start = this.options.functionStart?.(address);
    if (start !== undefined && start > limit) limit = start;
    for (let at = address - 4n; at >= limit && at >= 0n; at -= 4n) {
      let word: number;
      try {
        word = this.memory.readInsn(at);
      } catch {
        return false;
      }
      if (isStoreExclusive(word)) return false;
      if (isLoadExclusive(word)) return true;
    }
    return false;
  }

  /** Reads data with the original words of armed probe points in place of their BRKs. */
  private readUnpatched(address: bigint, size: 4 | 8): bigint {
    let value = this.memory.readData(address, size);
    for (let at = address & ~3n; at < address + BigInt(size); at += 4n) {
      const point = this.points.get(at);
      if (point === undefined || !point.armed) continue;
      // splice the original word's bytes that fall inside [address, address + size)
      for (let i = 0n; i < 4n; i++) {
        const byteAt = at + i - address;
        if (byteAt < 0n || byteAt >= BigInt(size)) continue;
        const byte = BigInt((point.original >>> Number(i * 8n)) & 0xff);
        value = (value & ~(0xffn << (byteAt * 8n))) | (byte << (byteAt * 8n));
      }
    }
    return value;
  }

  private pointOf<T>(probe: Kprobe<T> | Kretprobe<T>): ProbePoint {
    const point = probe.isRegistered ? this.points.get(probe.address) : undefined;
    if (point === undefined || !point.probes.includes(probe as unknown as AnyProbe)) {
      throw new KprobeError({
        code: 'NOT_REGISTERED',
        message: `probe \`${probe.name}\` is not registered`,
        address: probe.address,
        probe: probe.name,
      });
    }
    return point;
  }

  private updateArm(point: ProbePoint): void {
    const want = point.probes.some((p) => p.isEnabled);
    if (want && !point.armed) {
      this.patch(point.address, [KPROBE_BRK]);
      point.armed = true;
    } else if (!want && point.armed) {
      this.disarm(point);
    }
  }

  private disarm(point: ProbePoint): void {
    if (!point.armed) return;
    this.patch(point.address, [point.original]);
    point.armed = false;
  }

  private ensureTrampoline(): void {
    if (this.trampolineAddress !== undefined) return;
    let address = this.options.trampoline;
    const own = address === undefined;
    if (address === undefined) address = this.slots.alloc();
    try {
      this.patch(address, [brkInsn(this.trampolineImm)]);
    } catch (e) {
      if (own) this.slots.free(address);
      throw e;
    }
    this.ownsTrampolineSlot = own;
    this.trampolineAddress = address;
  }

  /** Whether the trampoline lives in a slot taken from the allocator. */
  get trampolineInSlot(): boolean {
    return this.ownsTrampolineSlot;
  }

  private run<R>(probe: AnyProbe, body: () => R): R {
    try {
      return body();
    } catch (cause) {
      if (KprobeError.isInstance(cause)) throw cause;
      throw new KprobeError({
        code: 'HANDLER_FAILED',
        message: `a handler of probe \`${probe.name}\` threw`,
        address: probe.address,
        probe: probe.name,
        cause,
      });
    }
  }

  private onBreak(point: ProbePoint, regs: PtRegs): void {
    const key = this.key(regs);
    let stack = this.steps.get(key);
    const reentered = stack !== undefined && stack.length > 0;
    if (reentered) {
      // A probe hit while another probe's instruction is being stepped (a fault handler or
      // an exception taken from the slot ran probed code): count it, run no handler.
      for (const p of point.probes) if (p.isEnabled) p.missed++;
    } else {
      for (const p of point.probes) {
        if (!p.isEnabled) continue;
        if (p.kind === 'kprobe') {
          p.hits++;
          if (p.preHandler !== undefined) this.run(p, () => p.preHandler!(p, regs));
        } else {
          this.retprobeEntry(p, regs, key);
        }
      }
    }
    if (this.points.get(point.address) !== point) {
      // A handler unregistered the last probe: the original instruction is back in place.
      regs.pc = point.address;
      return;
    }
    if (point.sim !== undefined) {
      simulateInsn(point.sim, point.address, regs, this.literalView);
      if (!reentered) this.runPostHandlers(point, regs);
      return;
    }
    // Step out of line with interrupts masked (Linux kprobes_save_local_irqflag).
    const pstate = regs.pstate;
    if (stack === undefined) {
      stack = [];
      this.steps.set(key, stack);
    }
    stack.push({ point, savedDaif: pstate & PSTATE_DAIF, reentered });
    regs.pstate = (pstate | PSTATE_DAIF) >>> 0;
    regs.pc = point.slot!;
  }

  private onStepDone(point: ProbePoint, regs: PtRegs): void {
    const stack = this.steps.get(this.key(regs));
    let reentered = false;
    // pop the matching step (normally the top)
    if (stack !== undefined) {
      for (let i = stack.length - 1; i >= 0; i--) {
        if (stack[i]!.point === point) {
          const s = stack[i]!;
          stack.splice(i, 1);
          regs.pstate = ((regs.pstate & ~PSTATE_DAIF) | s.savedDaif) >>> 0;
          reentered = s.reentered;
          break;
        }
      }
    }
    regs.pc = point.address + 4n;
    if (this.points.get(point.address) !== point) {
      // unregistered while its instruction was being stepped: free the slot now
      if (!this.isStepping(point)) this.releaseSlot(point);
      return;
    }
    if (!reentered) this.runPostHandlers(point, regs);
  }

  private runPostHandlers(point: ProbePoint, regs: PtRegs): void {
    for (const p of point.probes) {
      if (p.kind === 'kprobe' && p.isEnabled && p.postHandler !== undefined)
        this.run(p, () => p.postHandler!(p, regs));
    }
  }

  private retprobeEntry(rp: Kretprobe<unknown>, regs: PtRegs, key: string | number): void {
    if (rp.active >= rp.maxactive) {
      rp.missed++;
      return;
    }
    const instance: KretprobeInstance<unknown> = {
      retprobe: rp,
      returnAddress: regs.getX(30),
      entrySp: regs.sp,
      key,
      entryTime: this.options.clock?.(),
      data: undefined,
    };
    rp.hits++;
    if (
      rp.entryHandler !== undefined &&
      this.run(rp, () => rp.entryHandler!(instance, regs)) === false
    )
      return;
    rp.active++;
    let stack = this.instances.get(key);
    if (stack === undefined) {
      stack = [];
      this.instances.set(key, stack);
    }
    stack.push(instance);
    regs.setX(30, this.trampolineAddress!);
  }

  private onTrampoline(regs: PtRegs): void {
    const key = this.key(regs);
    const instance = this.instances.get(key)?.pop();
    if (instance === undefined) {
      throw new KprobeError({
        code: 'NO_RETPROBE_INSTANCE',
        message: `kretprobe trampoline hit with no pending instance for key \`${String(key)}\``,
        address: regs.pc,
      });
    }
    const rp = instance.retprobe;
    rp.active--;
    regs.pc = instance.returnAddress;
    regs.setX(30, instance.returnAddress);
    if (!rp.isRegistered) return;
    rp.returns++;
    if (rp.returnHandler === undefined) return;
    const now = this.options.clock?.();
    const duration =
      now !== undefined && instance.entryTime !== undefined ? now - instance.entryTime : undefined;
    this.run(rp, () => rp.returnHandler!({ instance, returnValue: regs.getX(0), duration }, regs));
  }
}
