// SPDX-License-Identifier: MIT
// Tracing a Linux guest from the hypervisor (issue 21): the offset of `comm` in the guest's
// task_struct from the kernel's own BTF, the precompiled `syscalls` program on invoke_syscall and
// `openat` on do_sys_openat2 (guest kprobes and kretprobes), and reading what they recorded.

import { GUEST_KPROBE_CONTEXT_SIZE } from 'axebpf/guest-kprobe';
import type { GuestKprobeMode } from 'axebpf/guest-kprobe';
import type { Vm } from '@axebpf/axvisor-vmm';
import { Btf, BTF_KIND } from '@axebpf/obj';
import { ShellError } from './errors.js';
import { linuxSyscallName } from './linux-syscalls.js';
import type { Session } from './session.js';

/**
 * The console line after which the probes go in: `kernel_init` prints it when the boot is over
 * (ftrace has rewritten every function's first NOP, so an injected BRK is not overwritten), just
 * before it runs `/init`.
 */
export const LINUX_ATTACH_AFTER = 'Freeing unused kernel memory';
/** The function the syscall programs probe (arm64 6.1: x1 = the syscall number). */
export const LINUX_SYSCALL_FUNCTION = 'invoke_syscall';
/** The function whose calls give the files opened (x1 = the user's filename). */
export const LINUX_OPEN_FUNCTION = 'do_sys_openat2';

/**
 * Finds the byte offset of `comm` in `struct task_struct` from the BTF the kernel carries
 * (`CONFIG_DEBUG_INFO_BTF`: the `.BTF` section, which the kernel shows as /sys/kernel/btf/vmlinux,
 * lies in the Image as it is in memory). The blob is found by its header (magic 0xeB9F, version
 * 1, header length 24) and must parse and describe `task_struct`.
 * @param image - the kernel Image.
 * @returns the offset, or undefined when the Image has no BTF with `task_struct.comm`.
 */
export function linuxCommOffsetFromBtf(image: Uint8Array): number | undefined {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let i = 0; i + 24 <= image.length; i += 4) {
    if (
      image[i] !== 0x9f ||
      image[i + 1] !== 0xeb ||
      image[i + 2] !== 1 ||
      view.getUint32(i + 4, true) !== 24
    )
      continue;
    const length = 24 + view.getUint32(i + 16, true) + view.getUint32(i + 20, true);
    if (
      view.getUint32(i + 8, true) + view.getUint32(i + 12, true) > view.getUint32(i + 16, true) ||
      i + length > image.length
    )
      continue;
    let btf: Btf;
    try {
      btf = Btf.parse(image.subarray(i, i + length));
    } catch {
      continue; // four bytes that look like a header
    }
    const task = btf.types.find((t) => t.kind === BTF_KIND.STRUCT && t.name === 'task_struct');
    const comm = task?.members.find((m) => m.name === 'comm');
    if (comm !== undefined) return (comm.offset & 0xffffff) / 8;
  }
  return undefined;
}

/** One row of the syscall table. */
export interface LinuxSyscallRow {
  /** The task's `comm`. */
  comm: string;
  /** The syscall number. */
  nr: number;
  /** Its name (`linuxSyscallName`). */
  name: string;
  /** Calls. */
  count: number;
}

/** One file opened. */
export interface LinuxOpenRow {
  comm: string;
  filename: string;
  /** The fd, or -errno. */
  ret: number;
  durationNs: bigint;
}

/** What {@link attachLinuxTracing} attached. */
export interface LinuxTracing {
  /** The Linux VM. */
  vmId: number;
  /** `task_struct.comm` offset the programs use. */
  commOffset: number;
  /** Calls per (comm, syscall), most first. */
  syscalls(): LinuxSyscallRow[];
  /** Per syscall number: log2 buckets of entry-to-return time (bucket i: [2^i, 2^(i+1)) ns). */
  latencies(): Map<number, number[]>;
  /** The files opened so far, in order (drains the ring buffer). */
  opens(): LinuxOpenRow[];
  /**
   * The calls entered and not returned, one per task (the program's `syscall_pending` map, by
   * task_struct address): after the guest stopped, the tasks that ended in `exit`/`exit_group`
   * (while their task_struct is not reused) and the calls still in flight when it powered off.
   */
  inFlight(): LinuxInFlightRow[];
}

/** A system call entered and not (yet) returned. */
export interface LinuxInFlightRow {
  /** The guest address of the task's task_struct (`current`). */
  task: bigint;
  comm: string;
  nr: number;
  name: string;
}

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);
const cString = (b: Uint8Array): string => {
  const end = b.indexOf(0);
  return new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
};

/**
 * Loads the precompiled `syscalls` and `openat` programs (guest context) and attaches each as a
 * kprobe and a kretprobe: the entry probe at `<function>+0x4` (one probe per address; the second
 * of the two NOPs ftrace places at the entry of every 6.1 arm64 function, so the arguments are
 * untouched), the return probe at the function.
 * @param session - the shell session.
 * @param vmId - the Linux VM (its symbols: the Image's kallsyms).
 * @param image - its kernel Image (for the BTF).
 * @param mode - trap mode (default `BrkInject`).
 * @returns the readers.
 * @throws {ShellError} `BAD_ARGUMENT` when the Image has no BTF with `task_struct.comm`.
 */
export function attachLinuxTracing(
  session: Session,
  vmId: number,
  image: Uint8Array,
  mode: GuestKprobeMode = 'BrkInject',
): LinuxTracing {
  const { rt } = session;
  const commOffset = linuxCommOffsetFromBtf(image);
  if (commOffset === undefined)
    throw new ShellError({
      code: 'BAD_ARGUMENT',
      message: `vm${vmId}: the kernel Image has no BTF describing task_struct.comm (CONFIG_DEBUG_INFO_BTF)`,
    });
  for (const name of ['syscalls', 'openat']) {
    if (!rt.ebpf.programs().some((p) => p.name === name))
      rt.ebpf.loadObject(name, rt.precompiled.object(name), {
        contextSize: GUEST_KPROBE_CONTEXT_SIZE,
      });
  }
  rt.ebpf.map('syscalls:syscall_config').update(u32(0), u64(BigInt(commOffset)));
  rt.ebpf.map('openat:openat_config').update(u32(0), u64(BigInt(commOffset)));
  for (const [fn, program] of [
    [LINUX_SYSCALL_FUNCTION, 'syscalls'],
    [LINUX_OPEN_FUNCTION, 'openat'],
  ] as const) {
    rt.guestKprobes.attach(`vm${vmId}:${fn}+0x4`, program, { mode });
    rt.guestKprobes.attach(`vm${vmId}:${fn}`, program, { mode, ret: true });
  }
  const opens: LinuxOpenRow[] = [];
  type Ring = { consume(visit: (data: Uint8Array) => void): number };
  const ring = () => rt.ebpf.map('openat:openat_events') as unknown as Ring;
  return {
    vmId,
    commOffset,
    syscalls() {
      const rows: LinuxSyscallRow[] = [];
      rt.ebpf.map('syscalls:syscall_counts').forEach((k, v) => {
        const nr = new DataView(k.buffer, k.byteOffset).getUint32(16, true);
        rows.push({
          comm: cString(k.subarray(0, 16)),
          nr,
          name: linuxSyscallName(nr),
          count: Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)),
        });
      });
      return rows.sort((a, b) => b.count - a.count || a.comm.localeCompare(b.comm) || a.nr - b.nr);
    },
    latencies() {
      const out = new Map<number, number[]>();
      rt.ebpf.map('syscalls:syscall_latency').forEach((k, v) => {
        const d = new DataView(k.buffer, k.byteOffset);
        const nr = d.getUint32(0, true),
          bucket = d.getUint32(4, true);
        const b = out.get(nr) ?? new Array<number>(64).fill(0);
        b[bucket] = Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
        out.set(nr, b);
      });
      return out;
    },
    inFlight() {
      const rows: LinuxInFlightRow[] = [];
      rt.ebpf.map('syscalls:syscall_pending').forEach((k, v) => {
        const nr = new DataView(v.buffer, v.byteOffset).getUint32(16, true);
        rows.push({
          task: new DataView(k.buffer, k.byteOffset).getBigUint64(0, true),
          comm: cString(v.subarray(0, 16)),
          nr,
          name: linuxSyscallName(nr),
        });
      });
      return rows.sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));
    },
    opens() {
      ring().consume((d) => {
        const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
        opens.push({
          comm: cString(d.subarray(0, 16)),
          filename: cString(d.subarray(16, 80)),
          ret: Number(v.getBigInt64(80, true)),
          durationNs: v.getBigUint64(88, true),
        });
      });
      return [...opens];
    },
  };
}

/**
 * Calls `attach` once the Linux VM prints {@link LINUX_ATTACH_AFTER}: the console listener pauses
 * the VM (it stops after the exit that printed the line); `poll`, called by the run loop between
 * runs, then attaches outside the exit handling and resumes the VM. Drive it with
 * {@link runLinuxVm}.
 * @param session - the session.
 * @param vm - the Linux VM.
 * @param attach - what to do at that point.
 * @returns `poll`: true once attached.
 */
export function attachWhenBooted(
  session: Session,
  vm: Vm,
  attach: () => void,
): { poll(): boolean } {
  let paused = false;
  let done = false;
  const off = vm.onConsole(() => {
    if (!paused && vm.status === 'Running' && vm.console.includes(LINUX_ATTACH_AFTER)) {
      paused = true;
      off();
      session.vmm.pauseVm(vm.id);
    }
  });
  return {
    poll() {
      if (!done && paused) {
        done = true;
        attach();
        session.vmm.startVm(vm.id);
      }
      return done;
    },
  };
}

/**
 * Runs the VMM in 100 ms slices of virtual time until the Linux VM stops or `limitNs` passed,
 * calling `poll` between slices.
 * @param session - the session.
 * @param vm - the Linux VM.
 * @param poll - from {@link attachWhenBooted}, or undefined.
 * @param limitNs - at most this much virtual time (default 120 s).
 */
export function runLinuxVm(
  session: Session,
  vm: Vm,
  poll: (() => boolean) | undefined,
  limitNs = 120_000_000_000n,
): void {
  const end = session.vmm.timeNs + limitNs;
  while ((vm.status === 'Running' || vm.status === 'Suspended') && session.vmm.timeNs < end) {
    session.vmm.run(100_000_000n);
    poll?.();
  }
}
