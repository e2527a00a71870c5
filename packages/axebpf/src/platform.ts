// SPDX-License-Identifier: MIT
// The platform a runtime observes: time, CPU and the hypervisor context of the current event.
// Replaces the Rust crate's `axhal` feature and its `MockPlatform` (Iscreamx/axebpf src/platform.rs).

/**
 * What the runtime needs from the machine it runs on: the clock that `bpf_ktime_get_ns` reads,
 * the current CPU, and the hypervisor context (VM, vCPU, exit reason) that the hypervisor
 * helpers 100–102 return.
 *
 * @remarks The simulated VMM (`@axebpf/axvisor-vmm`) implements this with virtual time.
 */
export interface Platform {
  /** Monotonic time in nanoseconds. */
  timeNs(): bigint;
  /** Index of the CPU the current event happens on. */
  cpuId(): number;
  /** Id of the VM whose exit or event is being handled (0 outside any VM). */
  currentVmId(): number;
  /** Id of the vCPU being handled (0 outside any vCPU). */
  currentVcpuId(): number;
  /** Trace code of the current exit reason (0 when none). */
  exitReason(): number;
  /** pid/tgid as `bpf_get_current_pid_tgid` returns it (tgid in the upper 32 bits). */
  pidTgid(): bigint;
  /** Name of the current task, at most 15 bytes, as `bpf_get_current_comm` returns it. */
  comm(): string;
}

/** Initial time of a {@link MockPlatform}, as in the Rust original: one second. */
export const MOCK_INITIAL_TIME_NS = 1_000_000_000n;

/**
 * A platform whose every value is set by the caller: for tests and for examples that run
 * without a VMM. Deterministic: time only moves when told to.
 *
 * @example
 * ```ts
 * const platform = new MockPlatform();
 * platform.setContext({ vmId: 1, vcpuId: 0, exitReason: 3 });
 * platform.advanceTime(500n);
 * ```
 */
export class MockPlatform implements Platform {
  #time = MOCK_INITIAL_TIME_NS;
  #cpu = 0;
  #vm = 0;
  #vcpu = 0;
  #exitReason = 0;
  #pidTgid = 0n;
  #comm = 'axvisor';

  /** @returns the mock time in nanoseconds. */
  timeNs(): bigint {
    return this.#time;
  }
  /** @returns the mock CPU id. */
  cpuId(): number {
    return this.#cpu;
  }
  /** @returns the mock VM id. */
  currentVmId(): number {
    return this.#vm;
  }
  /** @returns the mock vCPU id. */
  currentVcpuId(): number {
    return this.#vcpu;
  }
  /** @returns the mock exit reason code. */
  exitReason(): number {
    return this.#exitReason;
  }
  /** @returns the mock pid/tgid. */
  pidTgid(): bigint {
    return this.#pidTgid;
  }
  /** @returns the mock task name. */
  comm(): string {
    return this.#comm;
  }

  /**
   * Sets the time (the original's `set_mock_time`).
   * @param ns - nanoseconds, not negative.
   */
  setTime(ns: bigint): void {
    if (ns < 0n) throw new RangeError(`time must not be negative, got \`${ns}\``);
    this.#time = ns;
  }
  /**
   * Moves the time forward (the original's `advance_mock_time`).
   * @param ns - nanoseconds to add, not negative.
   */
  advanceTime(ns: bigint): void {
    if (ns < 0n) throw new RangeError(`time cannot go backwards, got \`${ns}\``);
    this.#time += ns;
  }
  /**
   * Sets the current CPU (the original's `set_mock_cpu_id`).
   * @param id - CPU index.
   */
  setCpuId(id: number): void {
    this.#cpu = id;
  }
  /**
   * Sets the hypervisor context that helpers 100–102 report.
   * @param context - any of VM id, vCPU id and exit reason code; omitted ones keep their value.
   */
  setContext(context: { vmId?: number; vcpuId?: number; exitReason?: number }): void {
    if (context.vmId !== undefined) this.#vm = context.vmId;
    if (context.vcpuId !== undefined) this.#vcpu = context.vcpuId;
    if (context.exitReason !== undefined) this.#exitReason = context.exitReason;
  }
  /** Resets VM, vCPU and exit reason to 0 (the original's `clear_current_context`). */
  clearContext(): void {
    this.#vm = 0;
    this.#vcpu = 0;
    this.#exitReason = 0;
  }
  /**
   * Sets the task identity.
   * @param task - pid/tgid value and/or name (truncated to 15 bytes when read by a helper).
   */
  setTask(task: { pidTgid?: bigint; comm?: string }): void {
    if (task.pidTgid !== undefined) this.#pidTgid = task.pidTgid;
    if (task.comm !== undefined) this.#comm = task.comm;
  }
}

/**
 * A platform for programs running in a plain Node.js process: monotonic wall-clock time
 * (`process.hrtime.bigint()`), CPU 0, no VM.
 */
export class HostPlatform implements Platform {
  /** @returns monotonic nanoseconds from `process.hrtime.bigint()`. */
  timeNs(): bigint {
    return process.hrtime.bigint();
  }
  /** @returns 0. */
  cpuId(): number {
    return 0;
  }
  /** @returns 0: no VM. */
  currentVmId(): number {
    return 0;
  }
  /** @returns 0: no vCPU. */
  currentVcpuId(): number {
    return 0;
  }
  /** @returns 0: no exit. */
  exitReason(): number {
    return 0;
  }
  /** @returns this process's pid in both halves. */
  pidTgid(): bigint {
    const pid = BigInt(process.pid);
    return (pid << 32n) | pid;
  }
  /** @returns `node`. */
  comm(): string {
    return 'node';
  }
}
