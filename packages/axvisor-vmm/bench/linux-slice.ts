// Bounded slice of the Linux boot (issue 20 speed work): boots Debian's arm64 kernel on one vCPU
// (EL2 image path) and runs until N guest instructions (default 150 M). Prints M insns/s.
//   pnpm --filter @axebpf/axvisor-vmm bench:linux-slice [-- N_millions]  (node --import tsx --cpu-prof bench/linux-slice.ts N for a profile)
//   JIT_THRESHOLD=n sets Cpu.defaultJitThreshold (a Linux VM raises it to at least 65536).
import { existsSync, readFileSync } from 'node:fs';
import { Cpu } from '@axebpf/aarch64-emu';
import { linuxVmToml, parseVmConfig, Vmm } from '../dist/index.js';

if (process.env['JIT_THRESHOLD']) Cpu.defaultJitThreshold = Number(process.env['JIT_THRESHOLD']);
if (process.env['WASM_THRESHOLD']) Cpu.defaultWasmThreshold = Number(process.env['WASM_THRESHOLD']);
if (process.env['WASM_BATCH']) Cpu.defaultWasmBatch = Number(process.env['WASM_BATCH']);

const out =
  process.env['LINUX_GUEST_OUT'] ??
  new URL('../../../tools/linux-guest/out/', import.meta.url).pathname;
const kernel = `${out}Image`,
  initrd = `${out}initrd.gz`;
if (!existsSync(kernel) || !existsSync(initrd)) {
  process.stdout.write('linux-slice skipped: images missing (tools/linux-guest/fetch-images.sh)\n');
  process.exit(0);
}
const target = Number(process.argv.slice(2).find((a) => a !== '--') ?? 150) * 1e6;
const vmm = new Vmm({ hypervisor: 'el2', loadImage: (p) => new Uint8Array(readFileSync(p)) });
const vm = vmm.createVm(
  parseVmConfig(linuxVmToml({ kernel, initrd, cpus: 1, cmdline: 'console=ttyAMA0' }), 'linux.toml'),
);
vmm.startVm(vm.id);
const t0 = performance.now();
const insns = () => vm.vcpus.reduce((n, v) => n + v.insns, 0);
while (vm.status === 'Running' && insns() < target) vmm.run(1_000_000n);
const wall = (performance.now() - t0) / 1000;
const n = insns();
if (process.env['CONSOLE_OUT'])
  (await import('node:fs')).writeFileSync(process.env['CONSOLE_OUT'], vm.console);
const lines = vm.console.trimEnd().split('\n');
process.stdout.write(
  `slice: ${(n / 1e6).toFixed(1)} M insns in ${wall.toFixed(1)} s = ${(n / wall / 1e6).toFixed(2)} M insns/s, virtual ${(Number(vmm.timeNs) / 1e9).toFixed(3)} s\n  last: ${lines[lines.length - 1]}\n  compiled: ${vm.vcpus.map((v) => `${(v.cpu as Cpu).jitBlocks} regions (${(v.cpu as Cpu).wasmRegions} WebAssembly)`).join(', ')}\n`,
);
