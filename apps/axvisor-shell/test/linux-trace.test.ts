// Tracing a Linux guest (issues 20 and 21): Debian's arm64 kernel with the busybox /init of
// tools/linux-guest on one vCPU, booted three times: once alone and untraced (no tracepoint, no
// program, no probe), then twice through `axvisor demo --linux` (every tracepoint enabled,
// vmexit_stats and latency_hist from the start, the syscalls and openat programs as guest kprobes
// and kretprobes in BRK mode, plus plain probes in both modes attached by the test). Each boot is
// about a billion guest instructions, minutes of wall time: the three runs are shared by every
// assertion. Opt-in (AXEBPF_LINUX_TRACE=1, as the QEMU oracle of axvisor-vmm), skipped without
// the images.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUEST_KPROBE_CONTEXT_SIZE } from 'axebpf/guest-kprobe';
import { beforeAll, describe, expect, it } from 'vitest';
import { INIT_BEGIN, INIT_END } from '../../../tools/linux-guest/src/initramfs.js';
import { VM_PID_BASE } from '../src/chrome-trace.js';
import type { TraceEventJson } from '../src/chrome-trace.js';
import { runLinuxDemo } from '../src/linux-demo.js';
import type { LinuxDemoResult } from '../src/linux-demo.js';
import { linuxCommOffsetFromBtf, runLinuxVm } from '../src/linux-trace.js';
import { Session } from '../src/session.js';
import {
  callBalance,
  haveLinuxImages,
  LINUX_OUT,
  linuxSkipReason,
  linuxTestSource,
  linuxTraceOptIn,
  syscallCount,
} from './linux-guest.js';
import { formatProblems } from './trace-format.js';

/** The Linux VM alone, nothing attached. */
function plainBoot() {
  const source = linuxTestSource(1);
  const session = new Session([source]);
  const vm = session.vmm.vms()[0]!;
  session.vmm.startVm(vm.id);
  runLinuxVm(session, vm, undefined);
  return vm;
}

/**
 * Plain probes next to the demo's (a program that does nothing): uname(2) in BRK mode,
 * execve(2) in stage-2 mode, and mount(2) entry and return in stage-2 mode (/init mounts /proc
 * and /sys: two calls).
 */
function moreProbes(session: Session, vmId: number): void {
  const { rt } = session;
  rt.ebpf.load('nop', { asm: 'mov r0, 0\nexit' }, { contextSize: GUEST_KPROBE_CONTEXT_SIZE });
  rt.guestKprobes.attach(`vm${vmId}:__arm64_sys_newuname`, 'nop', { mode: 'BrkInject' });
  rt.guestKprobes.attach(`vm${vmId}:__arm64_sys_execve`, 'nop', { mode: 'Stage2Fault' });
  rt.guestKprobes.attach(`vm${vmId}:__arm64_sys_mount+0x4`, 'nop', { mode: 'Stage2Fault' });
  rt.guestKprobes.attach(`vm${vmId}:__arm64_sys_mount`, 'nop', { mode: 'Stage2Fault', ret: true });
}

/** The console without the printk timestamps (virtual time moves with the probes' exits). */
const untimed = (c: string) => c.replace(/\r/g, '').replace(/^\[\s*\d+\.\d+\] /gm, '');
const initLines = (c: string) => {
  const t = c.replace(/\r/g, '');
  return t.slice(t.indexOf(INIT_BEGIN), t.indexOf(INIT_END) + INIT_END.length);
};

describe.skipIf(!haveLinuxImages || !linuxTraceOptIn)(
  `a traced Linux guest${haveLinuxImages && linuxTraceOptIn ? '' : ` (skipped: ${linuxSkipReason('three whole boots')})`}`,
  () => {
    let plain: ReturnType<typeof plainBoot>;
    let first: LinuxDemoResult;
    let second: LinuxDemoResult;
    const dir = mkdtempSync(join(tmpdir(), 'axvisor-linux-trace-'));
    beforeAll(() => {
      const t0 = performance.now();
      plain = plainBoot();
      const t1 = performance.now();
      first = runLinuxDemo({ traceFile: join(dir, 'first.json'), onAttach: moreProbes });
      second = runLinuxDemo({ traceFile: join(dir, 'second.json'), onAttach: moreProbes });
      console.log(
        `linux-trace: untraced boot ${((t1 - t0) / 1000).toFixed(0)} s, demo runs ${(first.wallMs / 1000).toFixed(0)} s and ${(second.wallMs / 1000).toFixed(0)} s of wall time`,
      );
    }, 3_600_000);

    const hits = (sym: string, ret = false) =>
      first.session.rt.guestKprobes.list().find((p) => p.symbol === sym && p.ret === ret)!.hits;
    const count = (nr: number, comm?: string) => syscallCount(first.tracing!, nr, comm);

    it("finds task_struct.comm in the kernel's own BTF", () => {
      expect(linuxCommOffsetFromBtf(new Uint8Array(readFileSync(`${LINUX_OUT}Image`)))).toBe(
        first.tracing!.commOffset,
      );
      expect(first.tracing!.commOffset).toBeGreaterThan(0);
    });

    it('the guest prints the same with every tracepoint, program and probe attached as with none (issue 20)', () => {
      expect(plain.stopReason).toBe('system off');
      expect(first.session.vmm.vm(first.vmId).stopReason).toBe('system off');
      expect(first.session.rt.tracepoints.list().every((t) => t.enabled)).toBe(true);
      expect(initLines(first.console)).toContain('gzip -c | gunzip round trip');
      expect(initLines(first.console)).toEqual(initLines(plain.console));
      expect(untimed(first.console)).toEqual(untimed(plain.console));
    });

    it('prints the same report, console and Perfetto trace on a second run (virtual time)', () => {
      expect(second.report).toEqual(first.report);
      expect(second.console).toEqual(first.console);
      expect(readFileSync(second.traceFile, 'utf8')).toEqual(readFileSync(first.traceFile, 'utf8'));
      for (const section of [
        `== VM exits of vm${first.vmId} per reason (vmexit_stats) ==`,
        `== system calls of vm${first.vmId} by (comm, syscall)`,
        ': entry to return, ns (kretprobe on invoke_syscall) ==',
        `== files opened in vm${first.vmId}`,
        `process "vm${first.vmId} linux", threads: "vm${first.vmId} vcpu0"`,
      ])
        expect(first.report).toContain(section);
    });

    it('probes hit as often as the syscalls program counts the same calls, in both modes, and programs never fault', () => {
      const { session, tracing } = first;
      const calls = tracing!.syscalls();
      const total = calls.reduce((n, r) => n + r.count, 0);
      expect(hits('invoke_syscall+0x4')).toBe(total);
      expect(hits('__arm64_sys_newuname+0x0')).toBe(count(160)); // BRK
      expect(hits('__arm64_sys_execve+0x0')).toBe(count(221)); // stage-2
      // /init mounts /proc and /sys: two mount(2), entry and return (stage-2)
      expect(count(40)).toBe(2);
      expect(hits('__arm64_sys_mount+0x4')).toBe(2);
      expect(hits('__arm64_sys_mount+0x0', true)).toBe(2);
      // /init runs `uname -a` once: one uname(2) by the task named uname; poweroff -f one reboot(2)
      expect(count(160, 'uname')).toBe(1);
      expect(count(142)).toBe(1);
      for (const p of session.rt.guestKprobes.list()) expect(p.errors).toBe(0);
      expect(session.probes.stats(first.vmId).faults).toBeGreaterThan(0); // stage-2 traps taken
    });

    it('every call returns but exit, exit_group and the two in flight at poweroff: reboot and the wait4 of /init', () => {
      // `poweroff -f` is /init's last command: the machine stops inside its reboot(2), while the
      // shell (comm `init`) waits for it in wait4(2); neither call returns.
      const { total, returned, stuck } = callBalance(first.tracing!);
      expect(stuck).toEqual(['init wait4', 'poweroff reboot']);
      expect(returned).toBe(total - count(93) - count(94) - stuck.length);
      // the kretprobe fired once per return the program timed (one vCPU: one return stack)
      expect(hits('invoke_syscall+0x0', true)).toBe(returned);
    });

    it('names the processes of /init by their comm and lists exactly the files its script opened', () => {
      const calls = first.tracing!.syscalls();
      const comms = new Set(calls.map((r) => r.comm));
      for (const c of ['init', 'uname', 'cat', 'sha256sum', 'sort', 'seq', 'gzip', 'gunzip'])
        expect(comms).toContain(c);
      const opens = first.tracing!.opens();
      // the shell opens its script, `cat` the two files the script names, and busybox poweroff
      // tries to log to /var/log/wtmp (absent: ENOENT)
      expect(opens.map((o) => [o.comm, o.filename, o.ret])).toEqual([
        ['init', '/init', 3],
        ['cat', '/proc/cpuinfo', 3],
        ['cat', '/sys/devices/system/cpu/online', 3],
        ['poweroff', '/var/log/wtmp', -2],
      ]);
    });

    it("shows the Linux VM in the Perfetto trace as a process with its vCPU's named tracks", () => {
      const trace = JSON.parse(readFileSync(first.traceFile, 'utf8')) as {
        traceEvents: TraceEventJson[];
        displayTimeUnit: string;
      };
      expect(formatProblems(trace)).toEqual([]);
      const pid = VM_PID_BASE + first.vmId;
      const events = trace.traceEvents.filter((e) => e.pid === pid);
      expect(events.find((e) => e.name === 'process_name')?.args?.['name']).toBe(
        `vm${first.vmId} linux`,
      );
      const threads = new Map(
        events.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args!['name']]),
      );
      const on = (name: string) =>
        events.filter((e) => e.ph !== 'M' && threads.get(e.tid) === name);
      const vcpu = on(`vm${first.vmId} vcpu0`);
      expect(vcpu.filter((e) => e.cat === 'vcpu' && e.ph === 'X').length).toBeGreaterThan(1000);
      const exits = vcpu.filter((e) => e.cat === 'exit');
      expect(exits.some((e) => e.name === 'MmioWrite')).toBe(true);
      expect(exits.some((e) => e.name === 'SystemDown')).toBe(true);
      // each return of invoke_syscall is a slice on the vCPU's kretprobe track, or on a further
      // lane of it where tasks interleave (init sleeps in wait4 while its children's calls run)
      const track = `vm${first.vmId} vcpu0 kretprobe`;
      const lanes = [...new Set(threads.values())].filter(
        (n) => n === track || String(n).startsWith(`${track} (`),
      );
      expect(lanes.length).toBeGreaterThan(1);
      const returns = lanes
        .flatMap((n) => on(String(n)))
        .filter((e) => e.ph === 'X' && e.name === `vm${first.vmId}:invoke_syscall+0x0`);
      expect(returns.length).toBe(hits('invoke_syscall+0x0', true));
      expect(on(`vm${first.vmId} vcpu0 kprobe`).length).toBeGreaterThan(0);
    });
  },
);
