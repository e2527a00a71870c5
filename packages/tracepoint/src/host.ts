// SPDX-License-Identifier: MIT
// What a tracepoint reads from its environment when it fires: clock, CPU, task. The role of
// ktracepoint's `KernelTraceOps` (Starry-OS/tracepoint src/lib.rs) minus the pipe and text
// patching, which live in this package.

/**
 * The environment of a firing tracepoint. Everything is read at fire time, so a simulated
 * machine plugs in its virtual clock and current CPU and gets deterministic traces.
 *
 * @remarks `timeNs` and `cpuId` match the facade's `Platform`, so a platform can be passed
 * directly; the optional members default to pid 0, comm `axvisor`, no flags.
 */
export interface TraceHost {
  /** Monotonic time in nanoseconds, read when an event fires. */
  timeNs(): bigint;
  /** CPU the event fires on. */
  cpuId(): number;
  /** pid of the current task (`common_pid`); default 0. */
  pid?(): number;
  /** Name of the current task for the pipe (at most 16 bytes); default `axvisor`. */
  comm?(): string;
  /** `common_flags` bits (TRACE_FLAG_IRQS_OFF 0x01, NEED_RESCHED 0x04, HARDIRQ 0x08, SOFTIRQ 0x10, ...); default 0. */
  irqFlags?(): number;
  /** `common_preempt_count`; default 0. */
  preemptCount?(): number;
}

/**
 * A host whose every value is set by the caller: time moves only when told to. For tests,
 * examples and deterministic runs.
 *
 * @example
 * ```ts
 * const host = new ManualTraceHost({ timeNs: 1_000_000_000n, cpu: 1 });
 * host.advance(1500n);
 * ```
 */
export class ManualTraceHost implements TraceHost {
  /** Current time (ns). */
  time: bigint;
  /** Current CPU. */
  cpu: number;
  /** Current pid. */
  currentPid: number;
  /** Current task name. */
  currentComm: string;
  /** Current `common_flags`. */
  flags: number;
  /** Current preempt count. */
  preempt: number;

  /** @param init - initial values (time 0, CPU 0, pid 0, comm `axvisor`, no flags). */
  constructor(
    init: {
      timeNs?: bigint;
      cpu?: number;
      pid?: number;
      comm?: string;
      flags?: number;
      preemptCount?: number;
    } = {},
  ) {
    this.time = init.timeNs ?? 0n;
    this.cpu = init.cpu ?? 0;
    this.currentPid = init.pid ?? 0;
    this.currentComm = init.comm ?? 'axvisor';
    this.flags = init.flags ?? 0;
    this.preempt = init.preemptCount ?? 0;
  }
  /**
   * Moves time forward.
   * @param ns - nanoseconds to add.
   */
  advance(ns: bigint): void {
    this.time += ns;
  }
  /** @returns the set time. */
  timeNs(): bigint {
    return this.time;
  }
  /** @returns the set CPU. */
  cpuId(): number {
    return this.cpu;
  }
  /** @returns the set pid. */
  pid(): number {
    return this.currentPid;
  }
  /** @returns the set task name. */
  comm(): string {
    return this.currentComm;
  }
  /** @returns the set flags. */
  irqFlags(): number {
    return this.flags;
  }
  /** @returns the set preempt count. */
  preemptCount(): number {
    return this.preempt;
  }
}

/**
 * The default host: wall-clock nanoseconds from `process.hrtime.bigint()`, CPU 0, pid 0.
 * @returns a host.
 */
export function wallClockHost(): TraceHost {
  return { timeNs: () => process.hrtime.bigint(), cpuId: () => 0 };
}
