// SPDX-License-Identifier: MIT
// The host interface maps and helpers need: the role of kbpf-basic's KernelAuxiliaryOps and
// PerCpuVariantsOps (Starry-OS/kbpf-basic src/lib.rs).

import { MapError } from './errors.js';

/**
 * What the host provides to maps and helpers: time, CPUs, the current task and a printk sink.
 * The facade plugs in the mock platform or the VMM's.
 */
export interface Platform {
  /** Monotonic time in nanoseconds (`bpf_ktime_get_ns`). */
  timeNs(): bigint;
  /** Number of (simulated) CPUs; per-CPU maps keep one value per CPU. Must not change. */
  cpuCount(): number;
  /** CPU the program runs on, `0 <= id < cpuCount()`. */
  currentCpu(): number;
  /** `tgid << 32 | pid` of the current task (`bpf_get_current_pid_tgid`). */
  pidTgid(): bigint;
  /** Name of the current task (`bpf_get_current_comm`, at most 15 bytes are used). */
  comm(): string;
  /** Receives each `bpf_trace_printk` line, already formatted. */
  printk(text: string): void;
  /** 32 random bits (`bpf_get_prandom_u32`). Default: `Math.random`. */
  random32?(): number;
}

/** Options of {@link createMockPlatform}. */
export interface MockPlatformOptions {
  /** CPU count. Default 1. */
  cpus?: number;
  /** Start of the clock in ns. Default 0. */
  startNs?: bigint;
  /** Nanoseconds the clock advances per read. Default 1000. */
  stepNs?: bigint;
  /** pid. Default 1. */
  pid?: number;
  /** tgid. Default: pid. */
  tgid?: number;
  /** Task name. Default `swapper`. */
  comm?: string;
  /** Seed of the deterministic random generator. Default 1. */
  seed?: number;
}

/** A {@link Platform} whose state tests and tools set directly. */
export interface MockPlatform extends Platform {
  /** CPU returned by `currentCpu()`; set it to simulate running on another CPU. */
  cpu: number;
  /** pid returned in the low half of `pidTgid()`. */
  pid: number;
  /** tgid returned in the high half of `pidTgid()`. */
  tgid: number;
  /** Task name. */
  task: string;
  /** Next clock value. */
  nowNs: bigint;
  /** Every printk line so far. */
  readonly lines: string[];
}

/**
 * A deterministic platform for tests and the shell: a stepping clock, a settable CPU and
 * task, printk lines collected in `lines`.
 * @param options - CPU count, clock, task.
 * @returns the platform.
 */
export function createMockPlatform(options: MockPlatformOptions = {}): MockPlatform {
  const cpus = options.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 1024)
    throw new RangeError(`cpu count \`${cpus}\` out of range 1..1024`);
  const step = options.stepNs ?? 1000n;
  let seed = (options.seed ?? 1) >>> 0 || 1;
  const pid = options.pid ?? 1;
  const p: MockPlatform = {
    cpu: 0,
    pid,
    tgid: options.tgid ?? pid,
    task: options.comm ?? 'swapper',
    nowNs: options.startNs ?? 0n,
    lines: [],
    timeNs() {
      const t = p.nowNs;
      p.nowNs += step;
      return t;
    },
    cpuCount: () => cpus,
    currentCpu: () => p.cpu,
    pidTgid: () => (BigInt(p.tgid >>> 0) << 32n) | BigInt(p.pid >>> 0),
    comm: () => p.task,
    printk: (text) => {
      p.lines.push(text);
    },
    random32() {
      // xorshift32
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    },
  };
  return p;
}

/**
 * The current CPU, checked against the CPU count: per-CPU maps index their copies with it, so
 * a platform that reports a CPU outside `0..cpuCount()-1` must not reach another key's value.
 * @param platform - the host platform.
 * @param cpus - the CPU count the caller's storage was sized for. Default `platform.cpuCount()`.
 * @returns the CPU number.
 * @throws {MapError} `EINVAL` when the platform's CPU number is not an integer in range (inside a
 * program run the helper's fault becomes an rbpf `HELPER_ERROR` with this error as `cause`).
 */
export function checkedCurrentCpu(platform: Platform, cpus: number = platform.cpuCount()): number {
  const cpu = platform.currentCpu();
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) {
    throw new MapError({
      code: 'EINVAL',
      message: `the platform reports current CPU ${cpu}, outside 0..${cpus - 1}`,
    });
  }
  return cpu;
}
