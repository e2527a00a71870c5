// Guest kprobes and kretprobes on a Linux guest with two vCPUs (issue 21): Debian's arm64 kernel
// with the busybox /init of tools/linux-guest, one boot with, attached once the boot is over,
// the syscalls and openat programs (BRK mode) and per-vCPU hit counters on functions every CPU
// calls: scheduler_tick (its own tick) in BRK mode, handle_percpu_devid_irq (the timer interrupt
// and the IPIs) in stage-2 mode, each as a kprobe and a kretprobe; and probes on the mount(2) and
// reboot(2) of /init's script, whose calls are known. One boot is about a billion guest
// instructions per vCPU: opt-in (AXEBPF_LINUX_TRACE=1), skipped without the images.
import { GUEST_KPROBE_CONTEXT_SIZE } from 'axebpf/guest-kprobe';
import { beforeAll, describe, expect, it } from 'vitest';
import { INIT_BEGIN, INIT_END } from '../../../tools/linux-guest/src/initramfs.js';
import { countPerKeyAsm } from '../../../tools/test-utils/ebpf-programs.js';
import { attachLinuxTracing, attachWhenBooted, runLinuxVm } from '../src/linux-trace.js';
import type { LinuxTracing } from '../src/linux-trace.js';
import { Session } from '../src/session.js';
import {
  callBalance,
  haveLinuxImages,
  linuxSkipReason,
  linuxTestSource,
  linuxTraceOptIn,
  syscallCount,
} from './linux-guest.js';
import { formatProblems } from './trace-format.js';

/** The probes of the test: target, mode, return probe. */
const PROBES = [
  ['scheduler_tick+0x4', 'BrkInject', false],
  ['scheduler_tick', 'BrkInject', true],
  ['handle_percpu_devid_irq+0x4', 'Stage2Fault', false],
  ['handle_percpu_devid_irq', 'Stage2Fault', true],
  ['__arm64_sys_mount+0x4', 'Stage2Fault', false],
  ['__arm64_sys_mount', 'Stage2Fault', true],
  ['__arm64_sys_reboot+0x4', 'BrkInject', false],
] as const;

/**
 * A program that counts its runs per vCPU (the guest context's `vcpu_id`, at offset 20) in a
 * hash map of its own.
 */
function perVcpuCounter(session: Session, name: string): () => Map<number, number> {
  const { rt } = session;
  const fd = rt.ebpf.createMap(`${name}_hits`, {
    mapType: 1, // BPF_MAP_TYPE_HASH
    keySize: 4,
    valueSize: 8,
    maxEntries: 64,
  });
  rt.ebpf.load(
    name,
    {
      asm: countPerKeyAsm(fd, 20),
    },
    { contextSize: GUEST_KPROBE_CONTEXT_SIZE },
  );
  return () => {
    const out = new Map<number, number>();
    rt.ebpf.map(`${name}_hits`).forEach((k, v) => {
      out.set(
        new DataView(k.buffer, k.byteOffset).getUint32(0, true),
        Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)),
      );
    });
    return out;
  };
}

describe.skipIf(!haveLinuxImages || !linuxTraceOptIn)(
  `a traced two-vCPU Linux guest${haveLinuxImages && linuxTraceOptIn ? '' : ` (skipped: ${linuxSkipReason('a whole two-vCPU boot')})`}`,
  () => {
    let session: Session;
    let tracing: LinuxTracing | undefined;
    let vmId: number;
    let console: string;
    const counters = new Map<string, () => Map<number, number>>();
    beforeAll(() => {
      const t0 = performance.now();
      const source = linuxTestSource(2);
      session = new Session([source]);
      const vm = session.vmm.vms()[0]!;
      vmId = vm.id;
      const { poll } = attachWhenBooted(session, vm, () => {
        tracing = attachLinuxTracing(session, vm.id, source.image, 'BrkInject');
        PROBES.forEach(([target, mode, ret], i) => {
          const name = `count${i}`;
          counters.set(`${target}${ret ? ' ret' : ''}`, perVcpuCounter(session, name));
          session.rt.guestKprobes.attach(`vm${vm.id}:${target}`, name, { mode, ret });
        });
      });
      session.vmm.startVm(vm.id);
      runLinuxVm(session, vm, poll);
      console = vm.console.replace(/\r/g, '');
      globalThis.console.log(
        `linux-smp-trace: two-vCPU boot ${((performance.now() - t0) / 1000).toFixed(0)} s of wall time, ${vm.stopReason}`,
      );
    }, 3_600_000);

    const perVcpu = (key: string) => counters.get(key)!();
    const hits = (target: string, ret: boolean) => {
      const sym = target.includes('+') ? target : `${target}+0x0`;
      return session.rt.guestKprobes.list().find((p) => p.symbol === sym && p.ret === ret)!.hits;
    };

    it('runs /init on both CPUs to its poweroff', () => {
      expect(session.vmm.vm(vmId).stopReason).toBe('system off');
      const init = console.slice(console.indexOf(INIT_BEGIN), console.indexOf(INIT_END));
      expect(init).toContain('gzip -c | gunzip round trip');
      expect(init).toMatch(/online cpus:\n0-1\n/);
    });

    it('kprobes and kretprobes on functions every CPU calls hit on both vCPUs, in BRK and stage-2 mode', () => {
      for (const [target, , ret] of PROBES.slice(0, 4)) {
        const byVcpu = perVcpu(`${target}${ret ? ' ret' : ''}`);
        expect([...byVcpu.keys()].sort(), `${target} ret=${ret}`).toEqual([0, 1]);
        for (const n of byVcpu.values()) expect(n).toBeGreaterThan(0);
        // the program ran once per hit the probe counted
        expect([...byVcpu.values()].reduce((a, b) => a + b, 0)).toBe(hits(target, ret));
      }
      // a tick never sleeps: each entry returns on its own CPU
      expect(hits('scheduler_tick', true)).toBe(hits('scheduler_tick+0x4', false));
      expect(perVcpu('scheduler_tick ret')).toEqual(perVcpu('scheduler_tick+0x4'));
      // poweroff stops the other CPU with an IPI whose handler never returns: one entry more
      expect(hits('handle_percpu_devid_irq+0x4', false)).toBe(
        hits('handle_percpu_devid_irq', true) + 1,
      );
      expect(session.probes.stats(vmId).faults).toBeGreaterThan(0); // stage-2 traps taken
      for (const p of session.rt.guestKprobes.list()) expect(p.errors).toBe(0);
    });

    it("counts the calls /init's script makes: two mount(2), one uname(2) by uname, one reboot(2)", () => {
      const count = (nr: number, comm?: string) => syscallCount(tracing!, nr, comm);
      const { total, returned, stuck } = callBalance(tracing!);
      expect(hits('invoke_syscall+0x4', false)).toBe(total);
      expect(hits('__arm64_sys_mount+0x4', false)).toBe(2);
      expect(hits('__arm64_sys_mount', true)).toBe(2);
      expect(count(40)).toBe(2);
      expect(count(160, 'uname')).toBe(1);
      expect(hits('__arm64_sys_reboot+0x4', false)).toBe(1);
      expect(count(142, 'poweroff')).toBe(1);
      // every call returns but exit, exit_group and the two in flight at poweroff, though a task
      // that blocks in a call may return from it on the other CPU
      globalThis.console.log(
        `linux-smp-trace: ${total} calls, ${returned} timed returns, ${hits('invoke_syscall', true)} kretprobe hits, ${count(93) + count(94)} exits, in flight: ${stuck.join(', ')}`,
      );
      expect(stuck).toEqual(['init wait4', 'poweroff reboot']);
      expect(returned).toBe(total - count(93) - count(94) - stuck.length);
      expect(hits('invoke_syscall', true)).toBe(returned);
      const opens = tracing!.opens().map((o) => [o.comm, o.filename]);
      expect(opens).toContainEqual(['cat', '/proc/cpuinfo']);
      expect(opens).toContainEqual(['cat', '/sys/devices/system/cpu/online']);
    });

    it('puts the probes of each vCPU on its own tracks of the Perfetto trace, slices nested', () => {
      const trace = { traceEvents: session.trace.traceEvents() };
      expect(formatProblems(trace)).toEqual([]);
      const names = trace.traceEvents
        .filter((e) => e.name === 'thread_name')
        .map((e) => String(e.args!['name']));
      for (const n of [`vm${vmId} vcpu0 kretprobe`, `vm${vmId} vcpu1 kretprobe`])
        expect(names).toContain(n);
    });
  },
);
