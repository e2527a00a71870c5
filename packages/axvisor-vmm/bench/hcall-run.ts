// One run of the hypercall-heavy `hcall` guest (200,000 hypercalls, one exit each), timed in
// wall-clock milliseconds: what the exit benchmark and the profiling helper both measure.
// Imports the built package, so the figures are those of the shipped code.
import { bundledImage, parseVmConfig, Vmm } from '../dist/index.js';
import { readFileSync } from 'node:fs';

const config = readFileSync(new URL('../configs/hcall.toml', import.meta.url), 'utf8');

/** Tracing during a run: off, every tracepoint enabled with nothing recording, or recording. */
export type Tracing = 'off' | 'enabled, tracing_on=0' | 'enabled, trace pipe recording';

/** Who handles exits, and how much tracing is on. */
export interface HcallMode {
  hyp: 'el2' | 'ts';
  tracing: Tracing;
}

/** Boots the hcall guest in a fresh VMM, runs it to its end and times the run. */
export function runHcall(mode: HcallMode): {
  exits: number;
  ms: number;
  el2: number;
  jitBlocks: number;
} {
  const vmm = new Vmm({ loadImage: bundledImage, hypervisor: mode.hyp });
  if (mode.tracing !== 'off') vmm.tracepoints.enableAll();
  // tracing_on=0 (Linux's /sys/kernel/tracing/tracing_on): events are enabled but nothing
  // records them; with it on, every enabled event is formatted into the trace pipe.
  if (mode.tracing === 'enabled, tracing_on=0') vmm.tracepoints.tracingOn = false;
  const vm = vmm.createVm(parseVmConfig(config, 'hcall.toml'));
  vmm.startVm(vm.id);
  const t0 = performance.now();
  vmm.runUntilIdle();
  const ms = performance.now() - t0;
  const exits = [...vm.vcpus[0]!.exits.values()].reduce((a, b) => a + b, 0);
  if (vm.stopReason !== 'system off') throw new Error(`guest did not finish: ${vm.stopReason}`);
  return { exits, ms, el2: vm.vcpus[0]!.el2Insns, jitBlocks: vm.vcpus[0]!.cpu.jitBlocks };
}
