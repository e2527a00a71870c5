// SPDX-License-Identifier: MIT
// One shell session: the simulated AxVisor with its VMs, the axebpf runtime observing it, the
// event bridge and the Chrome trace collector. The main job and the interactive shell share it.

import { createRuntime } from 'axebpf';
import type { Platform } from 'axebpf';
import { hprobe } from 'axebpf/hprobe';
import { precompiled } from 'axebpf/precompiled';
import { guestKprobe } from 'axebpf/guest-kprobe';
import { ebpfRuntime } from 'axebpf/runtime';
import { symbols } from 'axebpf/symbols';
import { bridgeTracepointEvents, tracepoints } from 'axebpf/tracepoints';
import type { Vm, VmConfig } from '@axebpf/axvisor-vmm';
import { HypervisorError } from '@axebpf/axvisor-vmm';
import { BUNDLED_VMS, bundledConfig, bundledImage, GuestProbeManager, parseVmConfig, Vmm } from '@axebpf/axvisor-vmm';
import { formatNmText, isLinuxArm64Image, symbolsFromElf } from '@axebpf/ksym';
import { defineEvent } from '@axebpf/tracepoint';
import { ChromeTrace } from './chrome-trace.js';

/** The shell's own tracepoints (AxVisor fires them from its shell). */
export const SHELL_EVENTS = {
  shell_init: defineEvent({ system: 'shell', name: 'shell_init', fields: [['duration_ns', 'u64']], id: 101, print: 'duration_ns=%llu' }),
  shell_command: defineEvent({ system: 'shell', name: 'shell_command', fields: [['status', 'u32'], ['duration_ns', 'u64'], ['command', 'string']], id: 100, print: 'status=%u duration_ns=%llu command=%s' }),
};

function makeRuntime(platform: Platform) {
  return createRuntime({ features: [symbols(), tracepoints(), ebpfRuntime(), precompiled(), hprobe(), guestKprobe()] as const, platform });
}

/** The runtime type of a session. */
export type SessionRuntime = ReturnType<typeof makeRuntime>;

/** A VM to create: a configuration and its image. */
export interface VmSource {
  /** The validated configuration. */
  config: VmConfig;
  /** The image bytes. */
  image: Uint8Array;
  /** Reads the other files the config names (`ramdisk_path`, `dtb_path`). */
  load?: (path: string) => Uint8Array;
}

/** The bundled VMs (hello and worker). */
export function bundledVms(): VmSource[] {
  return BUNDLED_VMS.map((name) => {
    const config = parseVmConfig(bundledConfig(name), `${name}.toml`);
    return { config, image: bundledImage(config.kernelPath) };
  });
}

/** The state a shell works on. */
export class Session {
  /** The simulated hypervisor. */
  readonly vmm: Vmm;
  /** The tracing runtime (symbols, tracepoints, eBPF runtime, precompiled programs, hprobe). */
  readonly rt: SessionRuntime;
  /** Guest kprobes of the VMM (bound to `rt.guestKprobes`). */
  readonly probes: GuestProbeManager;
  /** vCPU slices and exits for `export trace`. */
  readonly trace: ChromeTrace;
  /** Print each event as it happens (`trace verbose on`). */
  verbose = false;
  readonly #shellCommand;

  /**
   * Creates the hypervisor and the runtime and creates (but does not start) the VMs.
   * @param vms - the VMs (default: the bundled ones).
   */
  constructor(vms: readonly VmSource[] = bundledVms()) {
    const t0 = performance.now();
    // The runtime reads time and the current VM from the VMM, created just after it.
    const platform: Platform = {
      timeNs: () => this.vmm.platform.timeNs(),
      cpuId: () => this.vmm.platform.cpuId(),
      currentVmId: () => this.vmm.platform.currentVmId(),
      currentVcpuId: () => this.vmm.platform.currentVcpuId(),
      exitReason: () => this.vmm.platform.exitReason(),
      pidTgid: () => this.vmm.platform.pidTgid(),
      comm: () => this.vmm.platform.comm(),
    };
    this.rt = makeRuntime(platform);
    const loaders = new Map(vms.map((v) => [v.config.id, v.load]));
    this.vmm = new Vmm({
      tracepoints: this.rt.tracepoints,
      loadImage: (path, config) => {
        const load = loaders.get(config.id);
        if (load === undefined) throw new HypervisorError({ code: 'BAD_IMAGE', vmId: config.id, message: `VM ${config.id}: no file loader for ${path}` });
        return load(path);
      },
    });
    const vmm = this.vmm;
    this.probes = new GuestProbeManager(vmm);
    this.rt.guestKprobes.bind(this.probes);
    const shellInit = this.rt.tracepoints.register(SHELL_EVENTS.shell_init);
    this.#shellCommand = this.rt.tracepoints.register(SHELL_EVENTS.shell_command);
    bridgeTracepointEvents(this.rt.tracepoints, this.rt);
    this.trace = new ChromeTrace(this.rt.tracepoints);
    this.rt.events.follow((e) => {
      if (this.verbose) process.stdout.write(`${e.name} vm${e.vmId} ${e.args.map((a) => `0x${a.toString(16)}`).join(' ')}\n`);
    });
    // The hypervisor's own symbols: the kallsyms blob injected into its EL2 image (as AxVisor
    // loads its `.kallsyms` section), so `ksym lookup handle_hvc` and hprobe resolve EL2 code.
    const hyp = vmm.hypImage;
    if (hyp !== undefined && hyp.kallsyms.some((b) => b !== 0)) this.rt.symbols.load('axvisor', hyp.kallsyms);
    // hprobe: BRKs taken in the EL2 image go to the probe manager (AxVisor installs its trap
    // vector on the first `trace hprobe`; installing it up front costs nothing here).
    if (hyp !== undefined) this.rt.hprobe.install(vmm.hprobeHost());
    for (const source of vms) {
      const vm = vmm.createVm(source.config, source.image);
      // Guest symbols, as aarch64 nm lists them: without the $x/$d mapping symbols; a Linux
      // arm64 Image through its own kallsyms tables.
      this.rt.symbols.load(`vm${vm.id}`, isLinuxArm64Image(source.image) ? source.image : formatNmText(symbolsFromElf(source.image).filter((s) => !s.name.startsWith('$'))));
    }
    // Wall-clock setup time is not virtual time: report 0 so runs stay deterministic.
    void t0;
    if (shellInit.active) shellInit.emit(0n);
  }

  /**
   * A VM by the shell's argument (`1` or `vm1`).
   * @param arg - the argument.
   * @returns the VM.
   * @throws {HypervisorError} `NO_SUCH_VM`.
   */
  vm(arg: string): Vm {
    const id = Number(arg.replace(/^vm/, ''));
    return this.vmm.vm(Number.isInteger(id) ? id : -1);
  }

  /**
   * Fires `shell:shell_command` for a command that ran.
   * @param command - the command text.
   * @param ok - whether it succeeded.
   */
  commandDone(command: string, ok: boolean): void {
    if (this.#shellCommand.active) this.#shellCommand.emit(ok ? 0 : 1, 0n, command);
  }
}
