// VM exits per wall-clock second on the hypercall-heavy guest (200,000 hypercalls), with tracing
// off, then with every vmm:* tracepoint enabled and nothing attached, in the same process
// (run: pnpm --filter @axebpf/axvisor-vmm bench).
// Imports the built package (pnpm bench builds first), so the figures are those of the shipped code.
import { bundledImage, parseVmConfig, Vmm } from '../dist/index.js';
import { readFileSync } from 'node:fs';

const config = readFileSync(new URL('../configs/hcall.toml', import.meta.url), 'utf8');

type Mode = 'off' | 'enabled, tracing_on=0' | 'enabled, trace pipe recording';

function once(mode: Mode): { exits: number; ms: number } {
  const vmm = new Vmm({ loadImage: bundledImage });
  if (mode !== 'off') vmm.tracepoints.enableAll();
  // tracing_on=0 (Linux's /sys/kernel/tracing/tracing_on): events are enabled but nothing
  // records them; with it on, every enabled event is formatted into the trace pipe.
  if (mode === 'enabled, tracing_on=0') vmm.tracepoints.tracingOn = false;
  const vm = vmm.createVm(parseVmConfig(config, 'hcall.toml'));
  vmm.startVm(vm.id);
  const t0 = performance.now();
  vmm.runUntilIdle();
  const ms = performance.now() - t0;
  const exits = [...vm.vcpus[0]!.exits.values()].reduce((a, b) => a + b, 0);
  if (vm.stopReason !== 'system off') throw new Error(`guest did not finish: ${vm.stopReason}`);
  return { exits, ms };
}

// Modes are interleaved round by round (best of 7 each), so JIT warm-up and machine noise do
// not favour whichever mode runs last.
const modes: Mode[] = ['off', 'enabled, tracing_on=0', 'enabled, trace pipe recording'];
const rate = new Map<Mode, number>(modes.map((m) => [m, 0]));
let exits = 0;
for (let i = 0; i < 3; i++) once('off'); // warm up
for (let round = 0; round < 7; round++) {
  for (const mode of modes) {
    const r = once(mode);
    exits = r.exits;
    rate.set(mode, Math.max(rate.get(mode)!, r.exits / (r.ms / 1000)));
  }
}
const off = rate.get('off')!;
console.log(`exits per run: ${exits}`);
console.log(`all tracepoints disabled:                        ${(off / 1000).toFixed(0)} k exits/s`);
for (const mode of modes.slice(1)) {
  const r = rate.get(mode)!;
  console.log(`all tracepoints ${mode.padEnd(31)} ${(r / 1000).toFixed(0)} k exits/s (${(((off - r) / off) * 100).toFixed(1)}% slower)`);
}
