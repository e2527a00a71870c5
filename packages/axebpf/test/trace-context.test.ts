// The Rust original's TraceContext ABI: programs in a bare `tracepoint` section (aya's
// #[tracepoint]) read the 64-byte context; one compiled against it counts the same exits as
// vmexit_stats (which reads the ftrace record); the original's printk and stats programs.
import { bundledConfig, bundledImage, BUNDLED_VMS, parseVmConfig, Vmm } from '@axebpf/axvisor-vmm';
import { defineEvent } from '@axebpf/tracepoint';
import { describe, expect, it } from 'vitest';
import {
  createRuntime,
  MockPlatform,
  TRACE_CONTEXT,
  TRACE_CONTEXT_SIZE,
  traceContextPlan,
} from '../src/index.js';
import type { Platform } from '../src/index.js';
import { contextKindOfSection, ebpfRuntime } from '../src/features/ebpf-runtime.js';
import { precompiled } from '../src/features/precompiled.js';
import { symbols } from '../src/features/symbols.js';
import { tracepoints } from '../src/features/tracepoints.js';

function rows(map: {
  forEach(visit: (k: Uint8Array, v: Uint8Array) => boolean | void): void;
}): string[] {
  const out: string[] = [];
  map.forEach(
    (k, v) => void out.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`),
  );
  return out.sort();
}

describe('TraceContext ABI', () => {
  it('is 64 bytes with the original offsets', () => {
    expect(TRACE_CONTEXT_SIZE).toBe(64);
    expect(TRACE_CONTEXT).toEqual({
      tracepointId: 0,
      timestampNs: 8,
      vmId: 16,
      vcpuId: 20,
      arg0: 24,
      arg1: 32,
      arg2: 40,
      arg3: 48,
      probeType: 56,
    });
    expect(traceContextPlan(['vm_id', 'vcpu_id', 'exit_reason', 'pc', 'guest_ns'])).toEqual({
      vm: 'vm_id',
      vcpu: 'vcpu_id',
      args: ['guest_ns', 'exit_reason', 'pc', undefined],
    });
    expect(traceContextPlan(['status', 'duration_ns'])).toEqual({
      args: ['duration_ns', 'status', undefined, undefined],
    });
  });

  it('is chosen by section: bare `tracepoint` and `axebpf/...` get it, Linux sections the record', () => {
    expect(contextKindOfSection('tracepoint')).toBe('trace-context');
    expect(contextKindOfSection('axebpf/stats')).toBe('trace-context');
    expect(contextKindOfSection('tracepoint/vmm/vcpu_run_exit')).toBe('record');
    expect(contextKindOfSection('kprobe/guest')).toBe('record');
  });

  it('vmexit_stats_tc (TraceContext) counts exactly the exits vmexit_stats (record) counts', () => {
    const ref: { vmm?: Vmm } = {};
    const platform: Platform = {
      timeNs: () => ref.vmm?.platform.timeNs() ?? 0n,
      cpuId: () => ref.vmm?.platform.cpuId() ?? 0,
      currentVmId: () => ref.vmm?.platform.currentVmId() ?? 0,
      currentVcpuId: () => ref.vmm?.platform.currentVcpuId() ?? 0,
      exitReason: () => ref.vmm?.platform.exitReason() ?? 0,
      pidTgid: () => ref.vmm?.platform.pidTgid() ?? 0n,
      comm: () => ref.vmm?.platform.comm() ?? 'axvisor',
    };
    const rt = createRuntime({
      features: [symbols(), tracepoints(), ebpfRuntime(), precompiled()] as const,
      platform,
    });
    const vmm = new Vmm({ tracepoints: rt.tracepoints, loadImage: bundledImage });
    ref.vmm = vmm;
    for (const name of ['vmexit_stats', 'vmexit_stats_tc']) {
      const p = rt.ebpf.loadObject(name, rt.precompiled.object(name));
      expect(p.context).toBe(name === 'vmexit_stats' ? 'record' : 'trace-context');
      rt.ebpf.attach(name, 'vmm:vcpu_run_exit');
    }
    rt.tracepoints.enable('vmm:vcpu_run_exit');
    for (const n of BUNDLED_VMS)
      vmm.startVm(vmm.createVm(parseVmConfig(bundledConfig(n), `${n}.toml`)).id);
    vmm.run(100_000_000n);
    const a = rows(rt.ebpf.map('vmexit_stats:exit_stats'));
    const b = rows(rt.ebpf.map('vmexit_stats_tc:exit_stats'));
    expect(a.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
    expect(rt.ebpf.program('vmexit_stats_tc').stats.errors).toBe(0);
    expect(rt.ebpf.program('vmexit_stats_tc').stats.runs).toBe(
      rt.tracepoints.counters('vmm:vcpu_run_exit').hits,
    );
  });

  it('runs the original printk (COUNTER_MAP by tracepoint id) and stats (STATS_MAP) programs', () => {
    const platform = new MockPlatform();
    const rt = createRuntime({
      features: [symbols(), tracepoints(), ebpfRuntime(), precompiled()] as const,
      platform,
    });
    const cmd = rt.tracepoints.register(
      defineEvent({
        system: 'shell',
        name: 'shell_command',
        id: 100,
        fields: [
          ['status', 'u32'],
          ['duration_ns', 'u64'],
        ],
      }),
    );
    for (const name of ['printk', 'stats']) {
      rt.ebpf.loadObject(name, rt.precompiled.object(name));
      rt.ebpf.attach(name, 'shell:shell_command');
    }
    rt.tracepoints.enable('shell:shell_command');
    for (const d of [500n, 2000n, 0n]) cmd.emit(0, d);
    const key = new Uint8Array(new Uint32Array([100]).buffer);
    const count = rt.ebpf.map('printk:COUNTER_MAP').lookup(key);
    expect(new DataView(count.buffer, count.byteOffset).getBigUint64(0, true)).toBe(3n);
    expect(rt.ebpf.printk.at(-1)).toBe('tp 100 count 3');
    const s = rt.ebpf.map('stats:STATS_MAP').lookup(key);
    const v = new DataView(s.buffer, s.byteOffset);
    expect([0, 8, 16, 24].map((o) => v.getBigUint64(o, true))).toEqual([3n, 2500n, 500n, 2000n]);
  });

  it('obeys the load flag over the section: the record for a bare-section object', () => {
    const rt = createRuntime({
      features: [symbols(), tracepoints(), ebpfRuntime(), precompiled()] as const,
    });
    const p = rt.ebpf.loadObject('c', rt.precompiled.object('counter'), { context: 'record' });
    expect(p.context).toBe('record');
    expect(rt.ebpf.loadObject('d', rt.precompiled.object('counter')).context).toBe('trace-context');
  });
});
