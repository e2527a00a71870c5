// SPDX-License-Identifier: MIT
// The `precompiled` feature (Rust: axebpf src/programs/* with the precompiled-ebpf feature): the
// eBPF programs written in C in this package (`programs/*.bpf.c`), compiled by clang, shipped
// as `.o` files, looked up by name.

/**
 * `import { precompiled } from 'axebpf/precompiled'`: the eBPF programs shipped with this package
 * as compiled `.o` files, looked up by name.
 * @module axebpf/precompiled
 */

import { readFileSync } from 'node:fs';
import { FeatureError } from '../errors.js';
import { defineFeature } from '../features.js';

/** One precompiled program. */
export interface PrecompiledProgram {
  /** Registry name (`vmexit_stats`). */
  readonly name: string;
  /** What it does. */
  readonly description: string;
  /** The ELF section holding it (`tracepoint/vmm/vcpu_run_exit`). */
  readonly section: string;
  /** The tracepoint or probe kind it is meant for. */
  readonly target: string;
  /** Maps it creates, by name. */
  readonly maps: readonly string[];
  /** The object file name in `programs/`. */
  readonly file: string;
}

/** The registry, as data. */
export const PRECOMPILED_PROGRAMS: readonly PrecompiledProgram[] = [
  {
    name: 'printk',
    description:
      "the Rust original's printk: counts hits per tracepoint id in COUNTER_MAP and prints the count (TraceContext)",
    section: 'tracepoint',
    target: 'any tracepoint',
    maps: ['COUNTER_MAP'],
    file: 'printk.bpf.o',
  },
  {
    name: 'stats',
    description:
      "the Rust original's stats: per tracepoint id, count and total/min/max duration in STATS_MAP (TraceContext)",
    section: 'tracepoint',
    target: 'any tracepoint',
    maps: ['STATS_MAP'],
    file: 'stats.bpf.o',
  },
  {
    name: 'exit_printk',
    description: 'prints each vCPU exit (vm, vcpu, reason) with bpf_printk',
    section: 'tracepoint/vmm/vcpu_run_exit',
    target: 'vmm:vcpu_run_exit',
    maps: [],
    file: 'exit_printk.bpf.o',
  },
  {
    name: 'counter',
    description: 'counts hits per tracepoint, keyed by the event id (common_type)',
    section: 'tracepoint',
    target: 'any tracepoint',
    maps: ['counts'],
    file: 'counter.bpf.o',
  },
  {
    name: 'vmexit_stats',
    description: 'per VM and exit reason: count, total, min and max guest time before the exit',
    section: 'tracepoint/vmm/vcpu_run_exit',
    target: 'vmm:vcpu_run_exit',
    maps: ['exit_stats'],
    file: 'vmexit_stats.bpf.o',
  },
  {
    name: 'vmexit_stats_tc',
    description:
      "vmexit_stats on the Rust original's TraceContext (vm_id, arg1 = exit reason, arg0 = guest time): the same rows",
    section: 'tracepoint',
    target: 'vmm:vcpu_run_exit',
    maps: ['exit_stats'],
    file: 'vmexit_stats_tc.bpf.o',
  },
  {
    name: 'latency_hist',
    description: 'log2 histogram of the guest time before each vCPU exit',
    section: 'tracepoint/vmm/vcpu_run_exit',
    target: 'vmm:vcpu_run_exit',
    maps: ['latency_hist'],
    file: 'latency_hist.bpf.o',
  },
  {
    name: 'hprobe_entry',
    description:
      'records x0-x3 and the pc of each probed hypervisor function call, counts hits per pc',
    section: 'kprobe/hprobe_entry',
    target: 'hprobe',
    maps: ['probe_events', 'probe_hits'],
    file: 'hprobe_entry.bpf.o',
  },
  {
    name: 'hprobe_exit',
    description: 'records the return value and return address of probed hypervisor functions',
    section: 'kretprobe/hprobe_exit',
    target: 'hretprobe',
    maps: ['probe_returns'],
    file: 'hprobe_exit.bpf.o',
  },
  {
    name: 'kprobe_args',
    description:
      'prints the first arguments of a probed guest function and keeps the last four per VM',
    section: 'kprobe/guest',
    target: 'guest kprobe',
    maps: ['kprobe_last_args'],
    file: 'kprobe_args.bpf.o',
  },
  {
    name: 'syscalls',
    description:
      'Linux guest system calls per (comm, number) and log2 latency histograms; attach to invoke_syscall as kprobe and kretprobe (guest context)',
    section: 'kprobe/invoke_syscall',
    target: 'guest kprobe + kretprobe',
    maps: ['syscall_counts', 'syscall_latency', 'syscall_pending', 'syscall_config'],
    file: 'syscalls.bpf.o',
  },
  {
    name: 'openat',
    description:
      'files a Linux guest opens (comm, user filename, fd, duration) to a ring buffer; attach to do_sys_openat2 as kprobe and kretprobe (guest context)',
    section: 'kprobe/do_sys_openat2',
    target: 'guest kprobe + kretprobe',
    maps: ['openat_pending', 'openat_config', 'openat_events'],
    file: 'openat.bpf.o',
  },
];

/** The API of the `precompiled` feature (`runtime.precompiled`). */
export interface PrecompiledApi {
  /** @returns every precompiled program. */
  list(): readonly PrecompiledProgram[];
  /**
   * A program by name.
   * @param name - registry name.
   * @returns the entry.
   * @throws {FeatureError} `NOT_FOUND`, listing the names.
   */
  get(name: string): PrecompiledProgram;
  /**
   * The ELF object of a program, as clang built it.
   * @param name - registry name.
   * @returns the object bytes.
   * @throws {FeatureError} `NOT_FOUND`.
   */
  object(name: string): Uint8Array;
}

/**
 * Reads a precompiled object from the package.
 * @param file - file name in `programs/`.
 * @returns its bytes.
 */
export function readPrecompiledObject(file: string): Uint8Array {
  // Built code lives in dist/ (one level below the package root), sources in src/features/ (two).
  for (const rel of ['../programs/', '../../programs/']) {
    try {
      return new Uint8Array(readFileSync(new URL(rel + file, import.meta.url)));
    } catch {
      // try the next location
    }
  }
  throw new FeatureError({
    code: 'NOT_FOUND',
    feature: 'precompiled',
    message: `precompiled object \`${file}\` is missing from the package`,
  });
}

/**
 * The `precompiled` feature plugin: a registry of the programs in `programs/`.
 * @returns the plugin.
 * @remarks Loading these objects into the runtime needs the ELF loader of `@axebpf/obj` (being
 * added); until then `object(name)` gives the bytes.
 */
export function precompiled() {
  return defineFeature({
    name: 'precompiled',
    key: 'precompiled',
    requires: ['runtime'],
    setup() {
      const api: PrecompiledApi = {
        list: () => PRECOMPILED_PROGRAMS,
        get(name) {
          const p = PRECOMPILED_PROGRAMS.find((e) => e.name === name);
          if (p === undefined) {
            throw new FeatureError({
              code: 'NOT_FOUND',
              feature: 'precompiled',
              message: `no precompiled program \`${name}\` (have: ${PRECOMPILED_PROGRAMS.map((e) => e.name).join(', ')})`,
            });
          }
          return p;
        },
        object: (name) => readPrecompiledObject(api.get(name).file),
      };
      return { api };
    },
  });
}
