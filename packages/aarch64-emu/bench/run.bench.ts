// Guest instructions per second of the emulator on the compiled benchmark programs
// (test/programs/bin/bench-*.elf and the other corpus programs), against qemu-aarch64 measured
// in the same run (its instruction count comes from the golden file). Usage: pnpm bench
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLinuxProgram } from '../src/index.js';

const dir = join(import.meta.dirname, '..', 'test', 'programs');
const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Record<string, { insns: number }>;
const files = ['bench-O2.elf', 'bench-Os.elf', 'bench-O0.elf', 'sort-O2.elf', 'recursion-O2.elf'];
const hasQemu = spawnSync('qemu-aarch64', ['--version']).status === 0;

function best(f: () => number, reps: number): number {
  let t = Infinity;
  for (let i = 0; i < reps; i++) t = Math.min(t, f());
  return t;
}

console.log('program            insns        emu M/s   qemu M/s   emu/qemu');
for (const name of files) {
  const image = readFileSync(join(dir, 'bin', name));
  let insns = 0;
  const emuS = best(() => {
    const t0 = process.hrtime.bigint();
    insns = runLinuxProgram(image).insns;
    return Number(process.hrtime.bigint() - t0) / 1e9;
  }, 3);
  let qemuText = '      n/a', ratioText = '      n/a';
  if (hasQemu) {
    const qS = best(() => {
      const t0 = process.hrtime.bigint();
      spawnSync('qemu-aarch64', [join(dir, 'bin', name)]);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    }, 3);
    const q = golden[name]!.insns / qS / 1e6;
    qemuText = q.toFixed(1).padStart(9);
    ratioText = (insns / emuS / 1e6 / q).toFixed(3).padStart(9);
  }
  console.log(`${name.padEnd(18)} ${String(insns).padStart(9)} ${(insns / emuS / 1e6).toFixed(1).padStart(10)} ${qemuText}  ${ratioText}`);
}
if (!hasQemu) console.log('qemu-aarch64 not installed: no baseline');
