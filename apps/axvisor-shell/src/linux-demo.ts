// SPDX-License-Identifier: MIT
// `axvisor demo --linux`: Debian's arm64 kernel with the busybox initramfs of tools/linux-guest,
// booted next to the bundled VMs and traced from the hypervisor: vmexit_stats and latency_hist on
// vmm:vcpu_run_exit, the syscalls program on invoke_syscall and openat on do_sys_openat2 (guest
// kprobes and kretprobes, BRK mode), then the exits of the Linux VM, its top system calls with
// latency histograms, the files /init opened, and the Chrome/Perfetto trace.

import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDuration, Log2Histogram, renderHistogram, renderTable } from 'axebpf';
import { exitReasonName } from '@axebpf/axvisor-vmm';
import { ShellError } from './errors.js';
import {
  attachLinuxTracing,
  attachWhenBooted,
  LINUX_ATTACH_AFTER,
  runLinuxVm,
} from './linux-trace.js';
import type { LinuxTracing } from './linux-trace.js';
import { linuxVmSource } from './repl.js';
import { bundledVms, Session } from './session.js';

/** Options of {@link runLinuxDemo}. */
export interface LinuxDemoOptions {
  /** Directory with `Image` and `initrd.gz` (default: tools/linux-guest/out of this repository). */
  imagesDir?: string;
  /** Where to write the Chrome trace (default `axvisor-linux-trace.json`). */
  traceFile?: string;
  /** Rows of the syscall table (default 12). */
  top?: number;
  /** Virtual time limit for the Linux VM (default 120 s). */
  limitNs?: bigint;
  /**
   * Called right after the demo's own probes are attached (the VM paused after
   * {@link LINUX_ATTACH_AFTER}), to attach more (tests: plain probes in both modes).
   */
  onAttach?: (session: Session, vmId: number) => void;
}

/** What {@link runLinuxDemo} produced. */
export interface LinuxDemoResult {
  /** The report (the same for every run: virtual time only). */
  report: string;
  /** Absolute path of the trace file. */
  traceFile: string;
  /** Wall-clock milliseconds (not part of the report). */
  wallMs: number;
  /** What the programs recorded. */
  tracing: LinuxTracing | undefined;
  /** The Linux VM's console. */
  console: string;
  /** The session (its runtime, maps, probes and VMs, after the run). */
  session: Session;
  /** The Linux VM's id. */
  vmId: number;
}

/** Where `tools/linux-guest/fetch-images.sh` puts the images (from this package's location). */
export const DEFAULT_LINUX_IMAGES = fileURLToPath(
  new URL('../../../tools/linux-guest/out/', import.meta.url),
);

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/**
 * Runs the Linux demo.
 * @param options - images, trace file, table size, limit.
 * @returns the report.
 * @throws {ShellError} `BAD_ARGUMENT` when the images are missing, saying how to get them.
 */
export function runLinuxDemo(options: LinuxDemoOptions = {}): LinuxDemoResult {
  const started = performance.now();
  const dir = options.imagesDir ?? DEFAULT_LINUX_IMAGES;
  const kernel = join(dir, 'Image'),
    initrd = join(dir, 'initrd.gz');
  for (const f of [kernel, initrd]) {
    if (!existsSync(f))
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `${f} is missing: run tools/linux-guest/fetch-images.sh (Debian's arm64 kernel and busybox via apt-get, then the initramfs), or give --images <dir>`,
      });
  }
  const bundled = bundledVms();
  const linuxId = Math.max(...bundled.map((v) => v.config.id)) + 1;
  const linux = linuxVmSource({
    kernel,
    initrd,
    cpus: 1,
    memBytes: 256 * 1024 * 1024,
    cmdline: 'console=ttyAMA0',
    gic: 2,
  });
  const session = new Session([...bundled, { ...linux, config: { ...linux.config, id: linuxId } }]);
  const { rt, vmm, trace } = session;
  for (const name of ['vmexit_stats', 'latency_hist']) {
    rt.ebpf.loadObject(name, rt.precompiled.object(name));
    rt.ebpf.attach(name, 'vmm:vcpu_run_exit');
  }
  // every tracepoint on (the guest must print the same as with none: issue 20)
  const tracepoints = rt.tracepoints.enableAll();
  const vm = vmm.vm(linuxId);
  trace.nameVm(linuxId, `vm${linuxId} ${vm.config.name}`);
  let tracing: LinuxTracing | undefined;
  let attachedAt = 0n;
  const { poll } = attachWhenBooted(session, vm, () => {
    tracing = attachLinuxTracing(session, linuxId, linux.image, 'BrkInject');
    options.onAttach?.(session, linuxId);
    attachedAt = vmm.timeNs;
  });
  for (const v of vmm.vms()) vmm.startVm(v.id);
  runLinuxVm(session, vm, poll, options.limitNs ?? 120_000_000_000n);
  for (const v of vmm.vms())
    if (v.status === 'Running' || v.status === 'Suspended') vmm.stopVm(v.id);
  trace.finish(vmm.timeNs);

  const out: string[] = [];
  const insns = vm.vcpus.reduce((n, v) => n + v.insns, 0);
  out.push(
    `axvisor: ${vmm.vms().length} VMs (${vmm
      .vms()
      .map((v) => `vm${v.id} ${v.config.name}`)
      .join(
        ', ',
      )}); vm${linuxId}: Debian's arm64 kernel with the busybox /init of tools/linux-guest, 1 vCPU`,
  );
  out.push(
    `vm${linuxId}: ${vm.status}${vm.stopReason ? ` (${vm.stopReason})` : ''} after ${formatDuration(Number(vmm.timeNs))} of virtual time, ${insns} guest instructions`,
  );
  out.push(
    tracing === undefined
      ? `the guest never printed "${LINUX_ATTACH_AFTER}": no probes attached`
      : `probes attached at ${formatDuration(Number(attachedAt))} (after "${LINUX_ATTACH_AFTER}"): syscalls on invoke_syscall+0x4 and its return, openat on do_sys_openat2+0x4 and its return (BRK); task_struct.comm at +${tracing.commOffset} (the kernel's BTF)`,
    `${tracepoints} tracepoints enabled; vmexit_stats and latency_hist on vmm:vcpu_run_exit from the start`,
  );
  const text = vm.console.replace(/\r/g, '');
  const a = text.indexOf('=== axebpf init begin ===');
  out.push(
    '',
    `== what /init printed (vm${linuxId} console from its first marker) ==`,
    a < 0 ? '(no /init output)' : text.slice(a).trimEnd(),
  );

  // vmexit_stats: key {u32 vm_id, u32 reason} -> {u64 count, total_ns, min_ns, max_ns}
  const rows: string[][] = [];
  rt.ebpf.map('vmexit_stats:exit_stats').forEach((key, value) => {
    const k = new DataView(key.buffer, key.byteOffset, key.byteLength);
    if (k.getUint32(0, true) !== linuxId) return;
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const reason = k.getUint32(4, true);
    const count = v.getBigUint64(0, true);
    rows.push([
      `${exitReasonName(reason) ?? '?'} (${reason})`,
      String(count),
      formatDuration(Number(v.getBigUint64(8, true) / (count || 1n))),
      formatDuration(Number(v.getBigUint64(24, true))),
    ]);
  });
  rows.sort((x, y) => Number(y[1]) - Number(x[1]) || x[0]!.localeCompare(y[0]!));
  out.push(
    '',
    `== VM exits of vm${linuxId} per reason (vmexit_stats) ==`,
    renderTable(['reason', 'count', 'avg guest time before', 'max'], rows, ['l', 'r', 'r', 'r']),
  );
  const hist = rt.ebpf.map('latency_hist:latency_hist');
  const buckets: number[] = [0];
  for (let i = 0; i < 64; i++) {
    const v = hist.lookup(u32(i));
    buckets.push(Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
  }
  out.push(
    '',
    renderHistogram(Log2Histogram.fromBuckets(buckets).snapshot(), {
      title: '== guest run time before each VM exit, ns, all VMs (latency_hist) ==',
    }),
  );

  if (tracing !== undefined) {
    const calls = tracing.syscalls();
    const total = calls.reduce((n, r) => n + r.count, 0);
    out.push(
      '',
      `== system calls of vm${linuxId} by (comm, syscall) (syscalls program): ${total} calls, top ${options.top ?? 12} ==`,
    );
    out.push(
      renderTable(
        ['comm', 'syscall', 'nr', 'calls'],
        calls
          .slice(0, options.top ?? 12)
          .map((r) => [r.comm, r.name, String(r.nr), String(r.count)]),
        ['l', 'l', 'r', 'r'],
      ),
    );
    const byNr = new Map<number, { name: string; count: number }>();
    for (const r of calls)
      byNr.set(r.nr, { name: r.name, count: (byNr.get(r.nr)?.count ?? 0) + r.count });
    const lat = tracing.latencies();
    for (const [nr, s] of [...byNr]
      .sort((x, y) => y[1].count - x[1].count || x[0] - y[0])
      .slice(0, 3)) {
      const b = lat.get(nr);
      if (b === undefined) continue;
      out.push(
        '',
        renderHistogram(Log2Histogram.fromBuckets([0, ...b]).snapshot(), {
          title: `== ${s.name} (${nr}): entry to return, ns (kretprobe on invoke_syscall) ==`,
        }),
      );
    }
    // Every call returns except exit and exit_group, and the calls still in flight when the
    // guest powered off (the program keeps a call per task until it returns).
    const returned = [...tracing.latencies().values()].flat().reduce((n, c) => n + c, 0);
    const exits = calls.filter((r) => r.nr === 93 || r.nr === 94).reduce((n, r) => n + r.count, 0);
    const stuck = tracing.inFlight().filter((r) => r.nr !== 93 && r.nr !== 94);
    out.push(
      '',
      `${total} calls entered, ${returned} returned; ${exits} exit/exit_group (never return); in flight at the end: ${
        stuck.length === 0 ? 'none' : stuck.map((r) => `${r.comm} ${r.name}`).join(', ')
      }`,
    );
    const opens = tracing.opens();
    out.push(
      '',
      `== files opened in vm${linuxId} (openat program: kprobe + kretprobe on do_sys_openat2, filename read from user memory) ==`,
    );
    out.push(
      renderTable(
        ['comm', 'file', 'fd', 'time'],
        opens.map((o) => [o.comm, o.filename, String(o.ret), formatDuration(Number(o.durationNs))]),
        ['l', 'l', 'r', 'r'],
      ),
    );
    out.push(
      '',
      '== guest probes ==',
      renderTable(
        ['probe', 'hits', 'program errors'],
        rt.guestKprobes
          .list()
          .map((p) => [
            `${p.ret ? 'kretprobe' : 'kprobe'} vm${p.vmId}:${p.symbol ?? `0x${p.gva.toString(16)}`}`,
            String(p.hits),
            String(p.errors),
          ]),
        ['l', 'r', 'r'],
      ),
    );
  }
  const traceFile = resolve(options.traceFile ?? 'axvisor-linux-trace.json');
  writeFileSync(traceFile, trace.toJson());
  out.push(
    '',
    `trace: ${trace.eventCount} events in Chrome trace-event format (open in https://ui.perfetto.dev or chrome://tracing)`,
  );
  const tracks = trace.vmTracks(linuxId);
  out.push(
    `  process "${tracks.process}", threads: ${tracks.threads.map((t) => `"${t}"`).join(', ')}`,
  );
  return {
    report: out.join('\n'),
    traceFile,
    wallMs: performance.now() - started,
    tracing,
    console: vm.console,
    session,
    vmId: linuxId,
  };
}
