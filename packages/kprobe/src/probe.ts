// SPDX-License-Identifier: MIT
// Probe objects handed out by the manager: kprobes and kretprobes with their handlers and
// counters. Role of Starry-OS/kprobe src/probe_basic.rs / src/kprobe (ProbeBuilder, Probe) and
// src/retprobe.rs (RetprobeBuilder, Retprobe, RetprobeInstance).

import type { PtRegs } from './pt-regs.js';

/**
 * Where a probe goes: an `address`, or a `symbol` resolved by the manager's resolver, plus an
 * optional byte `offset`.
 */
export interface ProbeLocation {
  /** The address (4-byte aligned after adding `offset`). */
  address?: bigint;
  /** A symbol resolved through the manager's `resolveSymbol` option. */
  symbol?: string;
  /** Byte offset added to the address or the symbol; default 0. */
  offset?: bigint | number;
}

/**
 * Called with the probe and the registers at a probe hit.
 * @param probe - the probe.
 * @param regs - the registers (changes take effect when execution resumes).
 */
export type ProbeHandler<T> = (probe: Kprobe<T>, regs: PtRegs) => void;

/**
 * Called when the displaced instruction faults while running from its slot.
 * @param probe - the probe.
 * @param regs - the registers, PC already moved back to the probe address.
 * @param info - what the host passed to `handleFault` (for example the exception syndrome).
 * @returns true when the handler dealt with the fault (the host then resumes at `regs.pc`).
 */
export type FaultHandler<T> = (probe: Kprobe<T>, regs: PtRegs, info: unknown) => boolean;

/** Options of {@link KprobeManager.registerKprobe}. */
export interface KprobeOptions<T = unknown> extends ProbeLocation {
  /** A name, unique among the manager's probes (used in errors and listings). */
  name?: string;
  /** Whether the probe starts enabled; default true. */
  enabled?: boolean;
  /** Runs before the probed instruction (PC = the probe address). */
  preHandler?: ProbeHandler<T>;
  /** Runs after it (PC = where execution continues: probe + 4, or a branch target). */
  postHandler?: ProbeHandler<T>;
  /** Runs when the instruction faults in its slot. */
  faultHandler?: FaultHandler<T>;
  /** User data, available as `probe.data`. */
  data?: T;
}

/** Fields common to kprobes and kretprobes. */
abstract class ProbeBase<T> {
  /** The probe's name (generated when none was given). */
  readonly name: string;
  /** The probe address. */
  readonly address: bigint;
  /** The symbol it was registered by, if any. */
  readonly symbol: string | undefined;
  /** User data. */
  readonly data: T | undefined;
  /** Times its handler ran. */
  hits = 0;
  /** Hits it missed (re-entered while stepping; for kretprobes also `maxactive` exhausted). */
  missed = 0;
  /** @internal */
  isEnabled: boolean;
  /** @internal */
  isRegistered = true;

  /** @internal */
  constructor(
    name: string,
    address: bigint,
    symbol: string | undefined,
    data: T | undefined,
    enabled: boolean,
  ) {
    this.name = name;
    this.address = address;
    this.symbol = symbol;
    this.data = data;
    this.isEnabled = enabled;
  }

  /** Whether the probe is enabled. */
  get enabled(): boolean {
    return this.isEnabled;
  }

  /** Whether the probe is still registered. */
  get registered(): boolean {
    return this.isRegistered;
  }
}

/** A registered kprobe (see {@link KprobeManager.registerKprobe}). */
export class Kprobe<T = unknown> extends ProbeBase<T> {
  /** Discriminant. */
  readonly kind = 'kprobe' as const;
  /** @internal */
  readonly preHandler: ProbeHandler<T> | undefined;
  /** @internal */
  readonly postHandler: ProbeHandler<T> | undefined;
  /** @internal */
  readonly faultHandler: FaultHandler<T> | undefined;

  /** @internal */
  constructor(
    name: string,
    address: bigint,
    symbol: string | undefined,
    options: KprobeOptions<T>,
  ) {
    super(name, address, symbol, options.data, options.enabled ?? true);
    this.preHandler = options.preHandler;
    this.postHandler = options.postHandler;
    this.faultHandler = options.faultHandler;
  }
}

/** One pending function return of a {@link Kretprobe} (Linux `struct kretprobe_instance`). */
export interface KretprobeInstance<T = unknown> {
  /** The kretprobe (still reported after it was unregistered; handlers then do not run). */
  readonly retprobe: Kretprobe<T>;
  /** The real return address (X30 at entry). */
  readonly returnAddress: bigint;
  /** SP at entry. */
  readonly entrySp: bigint;
  /** The per-task/per-CPU key the instance is stacked under. */
  readonly key: string | number;
  /** Clock value at entry (the manager's `clock`), if there is a clock. */
  readonly entryTime: bigint | undefined;
  /** Scratch space for the entry handler to pass data to the return handler. */
  data: unknown;
}

/** What a kretprobe's return handler receives besides the registers. */
export interface KretprobeReturn<T = unknown> {
  /** The instance created at entry. */
  instance: KretprobeInstance<T>;
  /** The function's return value (X0). */
  returnValue: bigint;
  /** Clock value at return minus at entry, if there is a clock. */
  duration: bigint | undefined;
}

/** Options of {@link KprobeManager.registerKretprobe}. */
export interface KretprobeOptions<T = unknown> extends ProbeLocation {
  /** A name, unique among the manager's probes. */
  name?: string;
  /** Whether the probe starts enabled; default true. */
  enabled?: boolean;
  /** Maximum instances in flight (recursion depth × CPUs); default 16 (axebpf's hretprobe value). */
  maxactive?: number;
  /**
   * Runs at function entry (PC = the function address). Returning `false` skips this call:
   * no instance is taken and the return is not hooked.
   */
  entryHandler?: (instance: KretprobeInstance<T>, regs: PtRegs) => boolean | void;
  /** Runs when the function returns (PC = the real return address, X0 = the return value). */
  returnHandler?: (ret: KretprobeReturn<T>, regs: PtRegs) => void;
  /** User data, available as `retprobe.data`. */
  data?: T;
}

/** A registered kretprobe (see {@link KprobeManager.registerKretprobe}). */
export class Kretprobe<T = unknown> extends ProbeBase<T> {
  /** Discriminant. */
  readonly kind = 'kretprobe' as const;
  /** Maximum instances in flight. */
  readonly maxactive: number;
  /** Instances in flight. */
  active = 0;
  /** Times the return handler ran. */
  returns = 0;
  /** @internal */
  readonly entryHandler: KretprobeOptions<T>['entryHandler'];
  /** @internal */
  readonly returnHandler: KretprobeOptions<T>['returnHandler'];

  /** @internal */
  constructor(
    name: string,
    address: bigint,
    symbol: string | undefined,
    options: KretprobeOptions<T>,
    maxactive: number,
  ) {
    super(name, address, symbol, options.data, options.enabled ?? true);
    this.maxactive = maxactive;
    this.entryHandler = options.entryHandler;
    this.returnHandler = options.returnHandler;
  }
}
