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
import {
  BUNDLED_VMS,
  HypervisorError,
  bundledConfig,
  bundledImage,
  GuestProbeManager,
  parseVmConfig,
  Vmm,
  VMM_EVENT_LIST,
} from '@axebpf/axvisor-vmm';
import type { OverflowMode } from 'axebpf';
import { formatNmText, isLinuxArm64Image, symbolsFromElf } from '@axebpf/ksym';
import { defineEvent } from '@axebpf/tracepoint';
import { ChromeTrace } from './chrome-trace.js';
import { EventRecorder } from './record.js';
import { ShellError } from './errors.js';

/** The shell's own tracepoints (AxVisor fires them from its shell). */
export const SHELL_EVENTS = {
  shell_init: defineEvent({
    system: 'shell',
    name: 'shell_init',
    fields: [['duration_ns', 'u64']],
    id: 101,
    print: 'duration_ns=%llu',
  }),
  shell_command: defineEvent({
    system: 'shell',
    name: 'shell_command',
    fields: [
      ['status', 'u32'],
      ['duration_ns', 'u64'],
      ['command', 'string'],
    ],
    id: 100,
    print: 'status=%u duration_ns=%llu command=%s',
  }),
};

function makeRuntime(platform: Platform, events: { capacity?: number; mode?: OverflowMode } = {}) {
  return createRuntime({
    features: [
      symbols(),
      tracepoints(),
      ebpfRuntime(),
      precompiled(),
      hprobe(),
      guestKprobe(),
    ] as const,
    platform,
    events,
  });
}

/** The runtime type of a session. */
export type SessionRuntime = ReturnType<typeof makeRuntime>;

/** A VM to create: a configuration and its image. */
export interface VmSource {
  /** The validated configuration. */
  config: VmConfig;
  /** The image bytes. */
  image: Uint8Array;
  /** Where the configuration came from (a file, or `<name>.toml` for a bundled one). */
  file?: string;
  /** Reads the other files the config names (`ramdisk_path`, `dtb_path`). */
  load?: (path: string) => Uint8Array;
}

/** Options of a {@link Session}: what to set up before the VMM and its VMs exist. */
export interface SessionOptions {
  /**
   * Tracepoints to enable before the VMM is created (`vmm:*`, `shell:*`, `*` for all, or
   * names), so the boot-time ones (`vmm_init`, `vm_create`, `memory_map`...) are seen.
   */
  trace?: readonly string[];
  /** A precompiled program to attach to each of `trace` (as `trace enable <tp> --prog`). */
  prog?: string;
  /** Event ring size in events (default 4096). */
  ringCapacity?: number;
  /** What a full ring does: drop the newest event (default) or overwrite the oldest (ftrace's overwrite mode). */
  ringMode?: OverflowMode;
  /** Record every event to this file from before boot (as `trace record FILE`). */
  record?: string;
}

/**
 * Enables tracepoints by a shell pattern: `*` (all), `sys:*` (a subsystem) or a name.
 * @param rt - the runtime.
 * @param pattern - the pattern.
 * @returns the names enabled.
 * @throws {TracepointError} for an unknown name.
 */
export function enableTracepoints(rt: SessionRuntime, pattern: string): string[] {
  const names = rt.tracepoints.list().map((t) => t.name);
  if (pattern === '*' || pattern === '*:*') {
    rt.tracepoints.enableAll();
    return names;
  }
  if (pattern.endsWith(':*')) {
    rt.tracepoints.enableSubsystem(pattern.slice(0, -2));
    return names.filter((n) => n.startsWith(pattern.slice(0, -1)));
  }
  rt.tracepoints.enable(pattern);
  return [pattern];
}

/** The bundled VMs (hello and worker). */
export function bundledVms(): VmSource[] {
  return BUNDLED_VMS.map((name) => {
    const config = parseVmConfig(bundledConfig(name), `${name}.toml`);
    return { config, image: bundledImage(config.kernelPath), file: `${name}.toml` };
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
  /** The running `trace record`, if any. */
  recorder: EventRecorder | undefined;
  readonly #interruptHandlers = new Set<() => void>();
  readonly #shellCommand;
  /** Config file of each VM id (for errors naming both files of an id clash). */
  readonly #files = new Map<number, string>();
  /** Things worth saying about the setup that are not errors (printed by `vm list`). */
  readonly notes: string[] = [];
  /** Per VM: how its config's other files (ramdisk_path, dtb_path) are read. */
  readonly #loaders = new Map<number, (path: string) => Uint8Array>();

  /**
   * Creates the hypervisor and the runtime and creates (but does not start) the VMs.
   * @param vms - the VMs (default: the bundled ones).
   */
  constructor(vms: readonly VmSource[] = bundledVms(), options: SessionOptions = {}) {
    const t0 = performance.now();
    // The runtime reads time and the current VM from the VMM, created just after it.
    const platform: Platform = {
      // (the VMM fires vmm_init and vhal_init from its constructor, before `this.vmm` is set:
      // time 0 on CPU 0 of the host then)
      timeNs: () => (this.vmm === undefined ? 0n : this.vmm.platform.timeNs()),
      cpuId: () => (this.vmm === undefined ? 0 : this.vmm.platform.cpuId()),
      currentVmId: () => (this.vmm === undefined ? 0 : this.vmm.platform.currentVmId()),
      currentVcpuId: () => (this.vmm === undefined ? 0 : this.vmm.platform.currentVcpuId()),
      exitReason: () => (this.vmm === undefined ? 0 : this.vmm.platform.exitReason()),
      pidTgid: () => (this.vmm === undefined ? 0n : this.vmm.platform.pidTgid()),
      comm: () => (this.vmm === undefined ? 'axvisor' : this.vmm.platform.comm()),
    };
    this.rt = makeRuntime(platform, {
      ...(options.ringCapacity === undefined ? {} : { capacity: options.ringCapacity }),
      ...(options.ringMode === undefined ? {} : { mode: options.ringMode }),
    });
    // Every tracepoint exists before the VMM does, so `--trace` can enable the boot-time ones
    // (the VMM finds its events registered and fires them from its constructor on).
    for (const def of VMM_EVENT_LIST) this.rt.tracepoints.register(def);
    const shellInit = this.rt.tracepoints.register(SHELL_EVENTS.shell_init);
    this.#shellCommand = this.rt.tracepoints.register(SHELL_EVENTS.shell_command);
    bridgeTracepointEvents(this.rt.tracepoints, this.rt);
    this.trace = new ChromeTrace(this.rt.tracepoints, {
      events: this.rt.events,
      current: () => ({ vmId: platform.currentVmId(), vcpuId: platform.currentVcpuId() }),
    });
    if (options.record !== undefined)
      this.recorder = new EventRecorder(this.rt.events, options.record);
    for (const pattern of options.trace ?? []) {
      for (const tp of enableTracepoints(this.rt, pattern)) {
        if (options.prog === undefined) continue;
        if (!this.rt.ebpf.programs().some((p) => p.name === options.prog))
          this.rt.ebpf.loadObject(options.prog, this.rt.precompiled.object(options.prog));
        this.rt.ebpf.attach(options.prog, tp);
      }
    }
    this.vmm = new Vmm({
      tracepoints: this.rt.tracepoints,
      // a config's other files (ramdisk_path, dtb_path) through its source's loader
      loadImage: (path, config) => {
        const load = this.#loaders.get(config.id);
        if (load === undefined)
          throw new HypervisorError({
            code: 'BAD_IMAGE',
            vmId: config.id,
            message: `VM ${config.id}: no file loader for ${path}`,
          });
        return load(path);
      },
    });
    const vmm = this.vmm;
    this.probes = new GuestProbeManager(vmm);
    this.rt.guestKprobes.bind(this.probes);
    this.rt.events.follow((e) => {
      if (this.verbose)
        process.stdout.write(
          `${e.name} vm${e.vmId} ${e.args.map((a) => `0x${a.toString(16)}`).join(' ')}\n`,
        );
    });
    // The hypervisor's own symbols: the kallsyms blob injected into its EL2 image (as AxVisor
    // loads its `.kallsyms` section), so `ksym lookup handle_hvc` and hprobe resolve EL2 code.
    const hyp = vmm.hypImage;
    if (hyp !== undefined && hyp.kallsyms.some((b) => b !== 0))
      this.rt.symbols.load('axvisor', hyp.kallsyms);
    // hprobe: BRKs taken in the EL2 image go to the probe manager (AxVisor installs its trap
    // vector on the first `trace hprobe`; installing it up front costs nothing here).
    if (hyp !== undefined) this.rt.hprobe.install(vmm.hprobeHost());
    for (const source of vms) this.addVm(source);
    // Wall-clock setup time is not virtual time: report 0 so runs stay deterministic.
    void t0;
    if (shellInit.active) shellInit.emit(0n);
  }

  /**
   * Creates a VM (not started) and loads its guest symbols as table `vm<id>`.
   * @param source - configuration, image and the file it came from.
   * @returns the VM.
   * @throws {HypervisorError} `BAD_CONFIG` naming both files when the id is taken.
   */
  addVm(source: VmSource): Vm {
    const id = source.config.id;
    const taken = this.#files.get(id);
    if (this.vmm.vms().some((v) => v.id === id)) {
      throw new HypervisorError({
        code: 'BAD_CONFIG',
        vmId: id,
        key: 'base.id',
        ...(source.file === undefined ? {} : { file: source.file }),
        message: `VM id ${id} of ${source.file ?? 'the new VM'} is taken by vm${id} (${this.vmm.vm(id).config.name}${taken === undefined ? '' : `, from ${taken}`}): give it another \`[base] id\``,
      });
    }
    if (source.load !== undefined) this.#loaders.set(id, source.load);
    const vm = this.vmm.createVm(source.config, source.image);
    if (source.file !== undefined) this.#files.set(id, source.file);
    // Guest symbols, as aarch64 nm lists them: without the $x/$d mapping symbols; a Linux
    // arm64 Image through its own kallsyms tables.
    if (!isLinuxArm64Image(source.image)) {
      this.rt.symbols.load(
        `vm${vm.id}`,
        formatNmText(symbolsFromElf(source.image).filter((s) => !s.name.startsWith('$'))),
      );
    } else {
      try {
        this.rt.symbols.load(`vm${vm.id}`, source.image);
      } catch (e) {
        // a kernel without readable kallsyms still boots; its symbols can be loaded later
        // (`trace loadsyms`), so this is a note, not an error
        this.notes.push(
          `vm${vm.id}: no guest symbols from its Image (${(e as Error).message}); load them with \`trace loadsyms vm${vm.id} <file>\``,
        );
      }
    }
    return vm;
  }

  /**
   * Destroys a VM (stopping it first if it runs) and drops its symbol table.
   * @param id - VM id.
   * @throws {HypervisorError} `NO_SUCH_VM`.
   */
  destroyVm(id: number): void {
    const vm = this.vmm.vm(id);
    if (vm.status === 'Running' || vm.status === 'Suspended')
      this.vmm.stopVm(id, 'destroyed by the host');
    this.vmm.destroyVm(id);
    this.#files.delete(id);
    this.rt.symbols.unload(`vm${id}`);
  }

  /**
   * A VM by the shell's argument (`1` or `vm1`).
   * @param arg - the argument.
   * @returns the VM.
   * @throws {ShellError} `BAD_ARGUMENT` when it is not a number; {@link HypervisorError}
   *   `NO_SUCH_VM`.
   */
  vm(arg: string): Vm {
    const digits = arg.replace(/^vm/, '');
    if (!/^\d+$/.test(digits))
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `\`${arg}\` is not a VM id: write a number (\`1\`) or vm<N> (\`vm1\`)`,
      });
    return this.vmm.vm(Number(digits));
  }

  /**
   * Registers what a long command does on Ctrl-C (`run` stops at the next exit).
   * @param handler - called by {@link Session.interrupt}.
   * @returns a function that removes it.
   */
  onInterrupt(handler: () => void): () => void {
    this.#interruptHandlers.add(handler);
    return () => this.#interruptHandlers.delete(handler);
  }

  /**
   * Ctrl-C while a command runs (the REPL calls it from readline's SIGINT).
   * @returns true when a running command took it; false when nothing was running.
   */
  interrupt(): boolean {
    for (const h of this.#interruptHandlers) h();
    return this.#interruptHandlers.size > 0;
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
