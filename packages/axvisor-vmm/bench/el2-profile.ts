// Profiling helper: runs the hcall guest with the EL2 image N times and prints exits/s.
// (node --cpu-prof --import tsx bench/el2-profile.ts [el2|ts] [runs])
import { bundledImage, parseVmConfig, Vmm } from '../dist/index.js';
import { readFileSync } from 'node:fs';

const config = readFileSync(new URL('../configs/hcall.toml', import.meta.url), 'utf8');
const hyp = (process.argv[2] ?? 'el2') as 'el2' | 'ts';
const runs = Number(process.argv[3] ?? 5);
let best = 0;
for (let i = 0; i < runs; i++) {
  const vmm = new Vmm({ loadImage: bundledImage, hypervisor: hyp });
  const vm = vmm.createVm(parseVmConfig(config, 'hcall.toml'));
  vmm.startVm(vm.id);
  const t0 = performance.now();
  vmm.runUntilIdle();
  const ms = performance.now() - t0;
  const exits = [...vm.vcpus[0]!.exits.values()].reduce((a, b) => a + b, 0);
  if (vm.stopReason !== 'system off') throw new Error(`guest did not finish: ${vm.stopReason}`);
  best = Math.max(best, exits / (ms / 1000));
  console.log(`${hyp}: ${exits} exits in ${ms.toFixed(0)} ms, el2 insns/exit ${(vm.vcpus[0]!.el2Insns / exits).toFixed(1)}, jit blocks ${vm.vcpus[0]!.cpu.jitBlocks}`);
}
console.log(`best ${(best / 1000).toFixed(0)} k exits/s`);
