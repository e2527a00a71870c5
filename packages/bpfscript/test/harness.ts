// SPDX-License-Identifier: MIT
// A simulated AxVisor with the axebpf runtime, set up as the shell's Session does (symbols,
// tracepoints, eBPF runtime, precompiled programs, hprobe, guest kprobes), for running scripts
// next to the precompiled C programs on the same deterministic run.

import { createRuntime } from 'axebpf';
import type { Platform } from 'axebpf';
import { guestKprobe } from 'axebpf/guest-kprobe';
import { hprobe } from 'axebpf/hprobe';
import { precompiled } from 'axebpf/precompiled';
import { ebpfRuntime } from 'axebpf/runtime';
import { symbols } from 'axebpf/symbols';
import { tracepoints } from 'axebpf/tracepoints';
import {
  BUNDLED_VMS,
  bundledConfig,
  bundledImage,
  GuestProbeManager,
  parseVmConfig,
  PROBE_VMS,
  Vmm,
} from '@axebpf/axvisor-vmm';
import { formatNmText, symbolsFromElf } from '@axebpf/ksym';
import type { EventDefinition } from '@axebpf/tracepoint';
import { compile, ScriptRunner } from '../src/index.js';
import type { ScriptRunnerOptions } from '../src/index.js';

function makeRuntime(platform: Platform, engine: 'interpreter' | 'wasm') {
  return createRuntime({
    features: [
      symbols(),
      tracepoints(),
      ebpfRuntime({ engine }),
      precompiled(),
      hprobe(),
      guestKprobe(),
    ] as const,
    platform,
  });
}

/** The runtime type of a test session. */
export type TestRuntime = ReturnType<typeof makeRuntime>;

/** A VMM with the bundled VMs and the kprobe guest, and a runtime observing it. */
export class TestSession {
  readonly vmm: Vmm;
  readonly rt: TestRuntime;

  constructor(
    engine: 'interpreter' | 'wasm',
    vmNames: readonly string[] = [...BUNDLED_VMS, ...PROBE_VMS],
  ) {
    const platform: Platform = {
      timeNs: () => this.vmm.platform.timeNs(),
      cpuId: () => this.vmm.platform.cpuId(),
      currentVmId: () => this.vmm.platform.currentVmId(),
      currentVcpuId: () => this.vmm.platform.currentVcpuId(),
      exitReason: () => this.vmm.platform.exitReason(),
      pidTgid: () => this.vmm.platform.pidTgid(),
      comm: () => this.vmm.platform.comm(),
    };
    this.rt = makeRuntime(platform, engine);
    this.vmm = new Vmm({ tracepoints: this.rt.tracepoints });
    this.rt.guestKprobes.bind(new GuestProbeManager(this.vmm));
    const hyp = this.vmm.hypImage;
    if (hyp !== undefined && hyp.kallsyms.some((b) => b !== 0))
      this.rt.symbols.load('axvisor', hyp.kallsyms);
    if (hyp !== undefined) this.rt.hprobe.install(this.vmm.hprobeHost());
    for (const name of vmNames) {
      const config = parseVmConfig(bundledConfig(name), `${name}.toml`);
      const image = bundledImage(config.kernelPath);
      const vm = this.vmm.createVm(config, image);
      this.rt.symbols.load(
        `vm${vm.id}`,
        formatNmText(symbolsFromElf(image).filter((s) => !s.name.startsWith('$'))),
      );
    }
  }

  /** Every tracepoint definition of the runtime. */
  events(): EventDefinition[] {
    return this.rt.tracepoints.list().map((t) => this.rt.tracepoints.get(t.name)!.event);
  }

  /** The kprobe guest's VM id. */
  kprobeVm(): number {
    return this.vmm.vms().find((v) => v.config.name === 'kprobe')!.id;
  }

  /** Compiles and starts a script. */
  script(source: string, options: ScriptRunnerOptions = {}): ScriptRunner {
    const runner = new ScriptRunner(
      this.rt,
      compile(source, { tracepoints: this.events() }),
      options,
    );
    runner.start();
    return runner;
  }

  /** Loads a precompiled C program and attaches it to vmm:vcpu_run_exit. */
  attachC(name: 'vmexit_stats' | 'latency_hist'): void {
    this.rt.ebpf.loadObject(name, this.rt.precompiled.object(name));
    this.rt.ebpf.attach(name, 'vmm:vcpu_run_exit');
    this.rt.tracepoints.enable('vmm:vcpu_run_exit');
  }

  /** Starts every VM. */
  boot(): void {
    for (const vm of this.vmm.vms()) this.vmm.startVm(vm.id);
  }
}

/** vmexit_stats's rows: key {u32 vm, u32 reason} → {count, total, min, max}. */
export function vmexitStats(
  rt: TestRuntime,
): Map<string, { count: bigint; total: bigint; min: bigint; max: bigint }> {
  const out = new Map<string, { count: bigint; total: bigint; min: bigint; max: bigint }>();
  rt.ebpf.map('vmexit_stats:exit_stats').forEach((key, value) => {
    const k = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    out.set(`${k.getUint32(0, true)},${k.getUint32(4, true)}`, {
      count: v.getBigUint64(0, true),
      total: v.getBigUint64(8, true),
      min: v.getBigUint64(16, true),
      max: v.getBigUint64(24, true),
    });
  });
  return out;
}

/** latency_hist's 64 buckets: bucket i counts [2^i, 2^(i+1)), bucket 0 also 0. */
export function latencyHist(rt: TestRuntime): bigint[] {
  const map = rt.ebpf.map('latency_hist:latency_hist');
  return Array.from({ length: 64 }, (_, i) => {
    const v = map.lookup(new Uint8Array(new Uint32Array([i]).buffer));
    return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
  });
}
