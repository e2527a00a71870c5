// Boot benchmark (issue 20): Debian's arm64 kernel with the test initramfs on one vCPU, on the
// default EL2 path, until /init prints its first line (or the VM stops, or the virtual-time
// limit). Prints wall time, guest instructions, emulator M insns/s and the last console line.
// With --runs N it boots N times, each in a fresh process (V8 state and compiled code are
// per process), and prints the median. When qemu-system-aarch64 is installed it then boots the
// same files on `-M virt -cpu cortex-a57` (TCG) to the same line, as the baseline of the same
// run, and prints the ratio (--no-qemu leaves it out).
// Needs tools/linux-guest/out/{Image,initrd.gz} (tools/linux-guest/fetch-images.sh).
//   pnpm --filter @axebpf/axvisor-vmm bench:linux [-- --runs 3 --cpus 2 --ts --limit-s 5 --until-end --no-qemu]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { qemuLinuxArgs } from '../../../tools/linux-guest/src/qemu.js';
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
const runs = Number(arg('--runs') ?? 1);
const limitS = Number(arg('--limit-s') ?? 20);
const untilEnd = argv.includes('--until-end');
const marker = untilEnd ? '=== axebpf init end ===' : '=== axebpf init begin ===';
if (!Number.isInteger(cpus) || cpus < 1 || !Number.isInteger(runs) || runs < 1 || !(limitS > 0)) {
  process.stderr.write(
    'bench:linux: --cpus and --runs take a positive integer, --limit-s seconds\n',
  );
  process.exit(2);
}

/**
 * One boot in this process: prints the report (`--json` adds one JSON line for the parent).
 * @returns wall seconds, or undefined when the marker was not reached.
 */
function bootOnce(): number | undefined {
  const vmm = new Vmm({
    hypervisor: argv.includes('--ts') ? 'ts' : 'el2',
    loadImage: (p) => new Uint8Array(readFileSync(p)),
  });
  const vm = vmm.createVm(
    parseVmConfig(linuxVmToml({ kernel, initrd, cpus, cmdline: 'console=ttyAMA0' }), 'linux.toml'),
  );
  if (argv.includes('--echo')) vm.onConsole((t) => process.stdout.write(t));
  vmm.startVm(vm.id);
  const limitNs = BigInt(Math.round(limitS * 1e9));
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
  const reached = vm.console.includes(marker);
  process.stdout.write(
    [
      `Linux boot, ${cpus} vCPU(s), ${argv.includes('--ts') ? 'TypeScript exits' : 'EL2 image'}: ${reached ? `reached "${marker}"` : `stopped at ${vm.status} ${vm.stopReason ?? ''} (virtual ${(Number(vmm.timeNs) / 1e9).toFixed(3)} s)`}`,
      `  wall ${wall.toFixed(1)} s, guest instructions ${(insns / 1e6).toFixed(1)} M (+${(el2 / 1e6).toFixed(1)} M at EL2), ${(insns / wall / 1e6).toFixed(1)} M insns/s, ${exits} exits`,
      `  last console line: ${lines[lines.length - 1]}`,
      '',
    ].join('\n'),
  );
  if (argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ wall, insns, reached })}\n`);
  return reached ? wall : undefined;
}

/** Wall seconds of qemu-system-aarch64 from start to the marker on its console, or why not. */
function qemuBoot(): Promise<number | string> {
  try {
    execFileSync('qemu-system-aarch64', ['--version'], { stdio: 'ignore' });
  } catch {
    return Promise.resolve('qemu-system-aarch64 not installed');
  }
  const args = qemuLinuxArgs({ kernel, initrd, cpus });
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('qemu-system-aarch64', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(`qemu-system-aarch64 did not print the marker within ${limitS * 10} s`);
    }, limitS * 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      text += d;
      if (text.includes(marker)) {
        const s = (performance.now() - t0) / 1000;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(s);
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve('qemu-system-aarch64 exited before the marker');
    });
  });
}

let emulator: number | undefined;
if (argv.includes('--json') || !argv.includes('--runs')) emulator = bootOnce();
else {
  const walls: number[] = [];
  let insns = 0;
  const self = fileURLToPath(import.meta.url);
  const rest = argv.filter((a, i) => a !== '--runs' && argv[i - 1] !== '--runs');
  for (let r = 0; r < runs; r++) {
    const text = execFileSync(process.execPath, [...process.execArgv, self, ...rest, '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const json = text.trimEnd().split('\n').pop()!;
    const res = JSON.parse(json) as { wall: number; insns: number; reached: boolean };
    process.stdout.write(`run ${r + 1}/${runs}: ${text.split('\n')[1]!.trim()}\n`);
    if (!res.reached) {
      process.stdout.write(`run ${r + 1} did not reach the marker:\n${text}`);
      process.exit(1);
    }
    walls.push(res.wall);
    insns = res.insns;
  }
  const sorted = [...walls].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  process.stdout.write(
    `median of ${runs}: ${median.toFixed(1)} s wall, ${(insns / median / 1e6).toFixed(1)} M insns/s (min ${sorted[0]!.toFixed(1)} s, max ${sorted[sorted.length - 1]!.toFixed(1)} s)\n`,
  );
  emulator = median;
}
if (emulator !== undefined && !argv.includes('--json') && !argv.includes('--no-qemu')) {
  const q = await qemuBoot();
  if (typeof q === 'string') process.stdout.write(`baseline: ${q}\n`);
  else
    process.stdout.write(
      `baseline: qemu-system-aarch64 -cpu cortex-a57 (TCG) reached the same line in ${q.toFixed(1)} s; this emulator took ${(emulator / q).toFixed(2)}x as long\n`,
    );
}
