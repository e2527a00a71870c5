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

const best = (mode: Mode) => {
  let rate = 0;
  let exits = 0;
  for (let i = 0; i < 5; i++) {
    const r = once(mode);
    exits = r.exits;
    rate = Math.max(rate, r.exits / (r.ms / 1000));
  }
  return { exits, rate };
};

once('off'); // warm up
const off = best('off');
console.log(`exits per run: ${off.exits}`);
console.log(`all tracepoints disabled:                        ${(off.rate / 1000).toFixed(0)} k exits/s`);
for (const mode of ['enabled, tracing_on=0', 'enabled, trace pipe recording'] as const) {
  const r = best(mode);
  console.log(`all tracepoints ${mode.padEnd(31)} ${(r.rate / 1000).toFixed(0)} k exits/s (${(((off.rate - r.rate) / off.rate) * 100).toFixed(1)}% slower)`);
}
