// Tracing a Linux guest (issue 21): Debian's arm64 kernel with the busybox /init of
// tools/linux-guest, booted twice on one vCPU: once untraced, once with guest kprobes and
// kretprobes attached by kallsyms name after the boot (BRK mode, one in stage-2 mode), the
// syscalls program on invoke_syscall and openat on do_sys_openat2. Each boot is about a billion
// guest instructions, minutes of wall time: the two runs are shared by every assertion. Opt-in
// (AXEBPF_LINUX_TRACE=1, as the QEMU oracle of axvisor-vmm), skipped without the images.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { INIT_BEGIN, INIT_END } from '../../../tools/linux-guest/src/initramfs.js';
import {
  attachLinuxTracing,
  attachWhenBooted,
  linuxCommOffsetFromBtf,
  runLinuxVm,
} from '../src/linux-trace.js';
import type { LinuxTracing } from '../src/linux-trace.js';
import { linuxVmSource } from '../src/repl.js';
import { Session } from '../src/session.js';

const out = fileURLToPath(new URL('../../../tools/linux-guest/out/', import.meta.url));
const have = existsSync(`${out}Image`) && existsSync(`${out}initrd.gz`);
const optIn = process.env['AXEBPF_LINUX_TRACE'] === '1';
const why = !have
  ? 'no Image/initrd.gz in tools/linux-guest/out: run tools/linux-guest/fetch-images.sh'
  : 'two whole boots, set AXEBPF_LINUX_TRACE=1 to run it';

function boot(traced: boolean) {
  const source = linuxVmSource({
    kernel: `${out}Image`,
    initrd: `${out}initrd.gz`,
    cpus: 1,
    memBytes: 256 * 1024 * 1024,
    cmdline: 'console=ttyAMA0',
    gic: 2,
  });
  const session = new Session([source]);
  const vm = session.vmm.vms()[0]!;
  let tracing: LinuxTracing | undefined;
  let poll: (() => boolean) | undefined;
  if (traced) {
    session.rt.ebpf.load('nop', { asm: 'mov r0, 0\nexit' }, { contextSize: 128 });
    poll = attachWhenBooted(session, vm, () => {
      tracing = attachLinuxTracing(session, vm.id, source.image, 'BrkInject');
      session.rt.guestKprobes.attach(`vm${vm.id}:__arm64_sys_newuname`, 'nop', {
        mode: 'BrkInject',
      });
      session.rt.guestKprobes.attach(`vm${vm.id}:__arm64_sys_execve`, 'nop', {
        mode: 'Stage2Fault',
      });
    }).poll;
  }
  session.vmm.startVm(vm.id);
  runLinuxVm(session, vm, poll);
  return { session, vm, tracing };
}

/** The console without the printk timestamps (virtual time moves with the probes' exits). */
const untimed = (c: string) => c.replace(/\r/g, '').replace(/^\[\s*\d+\.\d+\] /gm, '');
const initLines = (c: string) => {
  const t = c.replace(/\r/g, '');
  return t.slice(t.indexOf(INIT_BEGIN), t.indexOf(INIT_END) + INIT_END.length);
};

describe.skipIf(!have || !optIn)(
  `a traced Linux guest${have && optIn ? '' : ` (skipped: ${why})`}`,
  () => {
    let plain: ReturnType<typeof boot>;
    let traced: ReturnType<typeof boot>;
    beforeAll(() => {
      plain = boot(false);
      traced = boot(true);
    }, 3_600_000);

    it("finds task_struct.comm in the kernel's own BTF", () => {
      expect(linuxCommOffsetFromBtf(new Uint8Array(readFileSync(`${out}Image`)))).toBe(
        traced.tracing!.commOffset,
      );
      expect(traced.tracing!.commOffset).toBeGreaterThan(0);
    });

    it('both boots run /init to its poweroff, and the guest console is the same with and without the probes', () => {
      expect(plain.vm.stopReason).toBe('system off');
      expect(traced.vm.stopReason).toBe('system off');
      expect(initLines(traced.vm.console)).toContain('gzip -c | gunzip round trip');
      expect(initLines(traced.vm.console)).toEqual(initLines(plain.vm.console));
      expect(untimed(traced.vm.console)).toEqual(untimed(plain.vm.console));
    });

    it('probes hit as often as the syscalls program counts the same calls, and programs never fault', () => {
      const { session, tracing } = traced;
      const probes = session.rt.guestKprobes.list();
      const hits = (sym: string, ret = false) =>
        probes.find((p) => p.symbol === sym && p.ret === ret)!.hits;
      const calls = tracing!.syscalls();
      const count = (nr: number, comm?: string) =>
        calls
          .filter((r) => r.nr === nr && (comm === undefined || r.comm === comm))
          .reduce((n, r) => n + r.count, 0);
      const total = calls.reduce((n, r) => n + r.count, 0);
      expect(hits('invoke_syscall+0x4')).toBe(total);
      expect(hits('__arm64_sys_newuname+0x0')).toBe(count(160));
      expect(hits('__arm64_sys_execve+0x0')).toBe(count(221)); // the stage-2 mode probe
      // /init runs `uname -a` once: one uname(2) by the task named uname
      expect(count(160, 'uname')).toBe(1);
      // every call returns but exit, exit_group and the final reboot (poweroff -f)
      const latencies = [...tracing!.latencies().values()].flat().reduce((n, c) => n + c, 0);
      expect(latencies).toBe(total - count(93) - count(94) - count(142));
      expect(count(142)).toBe(1);
      for (const p of probes) expect(p.errors).toBe(0);
    });

    it('names the processes of /init by their comm and lists the files they opened', () => {
      const calls = traced.tracing!.syscalls();
      const comms = new Set(calls.map((r) => r.comm));
      for (const c of ['init', 'uname', 'cat', 'sha256sum', 'sort', 'seq', 'gzip', 'gunzip'])
        expect(comms).toContain(c);
      const opens = traced.tracing!.opens();
      expect(opens).toContainEqual(
        expect.objectContaining({ comm: 'cat', filename: '/proc/cpuinfo' }),
      );
      expect(opens).toContainEqual(
        expect.objectContaining({ comm: 'cat', filename: '/sys/devices/system/cpu/online' }),
      );
      for (const o of opens.filter((o) => o.comm === 'cat'))
        expect(o.ret).toBeGreaterThanOrEqual(0);
    });
  },
);
