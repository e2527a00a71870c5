// Guest instructions per second of the emulator on the compiled benchmark programs
// (test/programs/bin/bench-*.elf and two short corpus programs), against qemu-aarch64 measured
// in the same run (its instruction count comes from the golden file) and against the
// emulator's own interpreter (block JIT off) in the same run; "wasm" is the WebAssembly tier
// (the program's memory in an arena, regions compiled after the same 16 runs as the JavaScript
// JIT's). Usage: pnpm bench (BENCH_REPS=n changes the number of runs per program, default 5;
// the best is reported, the first run, which includes JIT compilation, is shown too).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Cpu, PhysicalMemory, runLinuxProgram } from '../src/index.js';

const dir = join(import.meta.dirname, '..', 'test', 'programs');
const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Record<
  string,
  { insns: number }
>;
const files = ['bench-O2.elf', 'bench-Os.elf', 'bench-O0.elf', 'sort-O2.elf', 'recursion-O2.elf'];
const hasQemu = spawnSync('qemu-aarch64', ['--version']).status === 0;
const reps = Number(process.env['BENCH_REPS'] ?? 5);

/** Seconds of each of `n` runs of `f`. */
function times(f: () => void, n: number): number[] {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return t;
}

const f1 = (x: number): string => x.toFixed(1).padStart(8);
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, ${reps} runs per program (best shown)`,
);
console.log(
  'program              insns   JIT M/s  1st run  wasm M/s  1st run  interp M/s  qemu M/s  emu/qemu  JIT/interp',
);
for (const name of files) {
  const image = readFileSync(join(dir, 'bin', name));
  const insns = golden[name]!.insns;
  Cpu.defaultJitThreshold = 16;
  const jit = times(() => {
    if (runLinuxProgram(image).insns !== insns)
      throw new Error(`${name}: instruction count differs from the golden file`);
  }, reps);
  PhysicalMemory.defaultArenaBytes = 96 << 20;
  Cpu.defaultWasmThreshold = 16;
  const wasm = times(() => {
    if (runLinuxProgram(image).insns !== insns)
      throw new Error(`${name}: instruction count differs from the golden file (wasm)`);
  }, reps);
  PhysicalMemory.defaultArenaBytes = undefined;
  Cpu.defaultWasmThreshold = 256;
  Cpu.defaultJitThreshold = Infinity;
  const interp = times(
    () => {
      runLinuxProgram(image);
    },
    Math.min(reps, 3),
  );
  Cpu.defaultJitThreshold = 16;
  const emu = insns / Math.min(...jit) / 1e6;
  const first = insns / jit[0]! / 1e6;
  const int = insns / Math.min(...interp) / 1e6;
  let qemuText = '     n/a',
    ratioText = '     n/a';
  if (hasQemu) {
    const q =
      insns /
      Math.min(
        ...times(() => {
          spawnSync('qemu-aarch64', [join(dir, 'bin', name)]);
        }, reps),
      ) /
      1e6;
    qemuText = f1(q);
    ratioText = (emu / q).toFixed(3).padStart(8);
  }
  console.log(
    `${name.padEnd(16)} ${String(insns).padStart(9)}  ${f1(emu)} ${f1(first)} ${f1(insns / Math.min(...wasm) / 1e6)} ${f1(insns / wasm[0]! / 1e6)}    ${f1(int)}  ${qemuText}  ${ratioText}  ${(emu / int).toFixed(2).padStart(9)}`,
  );
}
if (!hasQemu) console.log('qemu-aarch64 not installed: no baseline');
