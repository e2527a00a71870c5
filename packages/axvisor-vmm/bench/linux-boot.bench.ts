// Boot benchmark (issue 20): Debian's arm64 kernel with the test initramfs on one vCPU, on the
// default EL2 path, until /init prints its first line (or the VM stops, or the virtual-time
// limit). Prints wall time, guest instructions, emulator M insns/s and the last console line.
// Needs tools/linux-guest/out/{Image,initrd.gz} (tools/linux-guest/fetch-images.sh).
//   pnpm --filter @axebpf/axvisor-vmm bench:linux [-- --cpus 2 --ts --limit-s 5 --until-end]
import { existsSync, readFileSync } from 'node:fs';
import { linuxVmToml, parseVmConfig, Vmm } from '../dist/index.js';

const out = new URL('../../../tools/linux-guest/out/', import.meta.url).pathname;
const kernel = `${out}Image`,
  initrd = `${out}initrd.gz`;
if (!existsSync(kernel) || !existsSync(initrd)) {
  process.stdout.write(
    `bench:linux skipped: ${kernel} or ${initrd} missing (run tools/linux-guest/fetch-images.sh)\n`,
  );
  process.exit(0);
}
const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};
const cpus = Number(arg('--cpus') ?? 1);
const limitNs = BigInt(Math.round(Number(arg('--limit-s') ?? 20) * 1e9));
const untilEnd = argv.includes('--until-end');
const marker = untilEnd ? '=== axebpf init end ===' : '=== axebpf init begin ===';
const vmm = new Vmm({
  hypervisor: argv.includes('--ts') ? 'ts' : 'el2',
  loadImage: (p) => new Uint8Array(readFileSync(p)),
});
const vm = vmm.createVm(
  parseVmConfig(linuxVmToml({ kernel, initrd, cpus, cmdline: 'console=ttyAMA0' }), 'linux.toml'),
);
if (argv.includes('--echo')) vm.onConsole((t) => process.stdout.write(t));
vmm.startVm(vm.id);
const t0 = performance.now();
let lastReport = t0;
while (vm.status === 'Running' && !vm.console.includes(marker) && vmm.timeNs < limitNs) {
  vmm.run(1_000_000n); // slices of 1 ms of virtual time: stops within 1 ms of the marker
  if (performance.now() - lastReport > 30_000) {
    lastReport = performance.now();
    const lines = vm.console.trimEnd().split('\n');
    process.stderr.write(
      `  ... ${(vmm.timeNs / 1_000_000n).toString()} ms virtual, ${((lastReport - t0) / 1000).toFixed(0)} s wall: ${lines[lines.length - 1]}\n`,
    );
  }
}
const wall = (performance.now() - t0) / 1000;
const insns = vm.vcpus.reduce((n, v) => n + v.insns, 0);
const el2 = vm.vcpus.reduce((n, v) => n + v.el2Insns, 0);
const lines = vm.console.trimEnd().split('\n');
const exits = vm.vcpus.reduce((n, v) => n + v.exitCounts.reduce((a, b) => a + b, 0), 0);
process.stdout.write(
  [
    `Linux boot, ${cpus} vCPU(s), ${argv.includes('--ts') ? 'TypeScript exits' : 'EL2 image'}: ${vm.console.includes(marker) ? `reached "${marker}"` : `stopped at ${vm.status} ${vm.stopReason ?? ''} (virtual ${(Number(vmm.timeNs) / 1e9).toFixed(3)} s)`}`,
    `  wall ${wall.toFixed(1)} s, guest instructions ${(insns / 1e6).toFixed(1)} M (+${(el2 / 1e6).toFixed(1)} M at EL2), ${(insns / wall / 1e6).toFixed(1)} M insns/s, ${exits} exits`,
    `  last console line: ${lines[lines.length - 1]}`,
    '',
  ].join('\n'),
);
