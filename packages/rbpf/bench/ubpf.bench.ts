// The four benchmarks of issue 23 (alu64, alu32, mem, call) for both engines, in M eBPF
// instructions per second, beside uBPF's figures measured on this machine class and the
// previous implementation measured in the same process (run: pnpm --filter @axebpf/rbpf
// bench:ubpf; the previous engines come from `sh bench/baseline.sh [ref]`, default the commit
// this work started from). Best of N short samples, old and new interleaved, so that a loaded
// machine slows both alike.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as current from '../src/index.js';
import { ALU32, ALU64, CALL5, MEM_4K } from './programs.js';

type Rbpf = typeof current;
const here = new URL('.', import.meta.url).pathname;
const baselineDir = `${here}baseline/src/index.ts`;
const previous: Rbpf | undefined = existsSync(baselineDir)
  ? ((await import(baselineDir)) as Rbpf)
  : undefined;
const previousRef = previous ? readFileSync(`${here}baseline/REF`, 'utf8').trim() : 'none';

/** uBPF (Release build) on this machine class, medians of 5 runs, from issue 23. */
const UBPF: Record<string, { interpreter: number; jit: number }> = {
  alu64: { interpreter: 297, jit: 3721 },
  alu32: { interpreter: 279, jit: 4361 },
  mem: { interpreter: 244, jit: 12343 },
  call: { interpreter: 270, jit: 786 },
};

type Variant = 'interpreter' | 'wasm' | 'wasm verified';

interface Bench {
  name: string;
  source: string;
  /** Loop count (the wasm engine runs a quarter, the interpreter a 16th: short samples suit a loaded machine). */
  n: number;
  /** Runs per sample (mem loops inside the program a fixed number of times). */
  runsPerSample: number;
}

const BENCHES: Bench[] = [
  { name: 'alu64', source: ALU64, n: 4_000_000, runsPerSample: 1 },
  { name: 'alu32', source: ALU32, n: 4_000_000, runsPerSample: 1 },
  { name: 'mem', source: MEM_4K, n: 0, runsPerSample: 40 },
  { name: 'call', source: CALL5, n: 1_000_000, runsPerSample: 1 },
];

/** Prepares one engine on one bench; returns a function that runs one sample (insns, ns). */
function setup(lib: Rbpf, variant: Variant, bench: Bench): (() => number) | undefined {
  const helpers = new lib.HelperTable().register(
    5,
    'xor5',
    (c) => c.u32(1) ^ c.u32(2) ^ c.u32(3) ^ c.u32(4) ^ c.u32(5),
  );
  const program = lib.Program.fromBytes(lib.assemble(bench.source));
  const engine = variant === 'interpreter' ? 'interpreter' : 'wasm';
  if (variant === 'wasm verified') {
    if (!('verifiedVariant' in lib.EbpfVm.prototype)) return undefined;
    if (bench.name !== 'mem') return undefined; // the other loops run an unbounded count from the context
    // 16 x 512 iterations: the verifier walks each one (as Linux's does, ~49k instructions), and
    // its state comparisons at the loop head take it past the default work bound of 300,000.
    lib.verify(program, { programType: 'raw-memory', memorySize: 4096, maxWork: 1_000_000 });
  }
  const vm = new lib.EbpfVm(program, { helpers, maxInstructions: 2 ** 52, engine });
  if (engine === 'wasm') vm.compile();
  let ctx: Uint8Array | current.Region;
  if (bench.name === 'mem') {
    ctx = vm.memory.map('buffer', 4096, true);
  } else {
    const n = variant === 'interpreter' ? bench.n >> 4 : bench.n >> 2;
    ctx = new Uint8Array(new Uint32Array([n]).buffer);
  }
  return () => {
    let insns = 0;
    for (let i = 0; i < bench.runsPerSample; i++) insns += vm.run(ctx).insnCount;
    return insns;
  };
}

/**
 * One sample in M insns per second of the process's CPU time (user + system): on a machine
 * shared with other work, wall time mostly measures how long the process waited for a core.
 * `CLOCK=wall` measures wall time instead.
 */
function sample(run: () => number): number {
  if (process.env['CLOCK'] === 'wall') {
    const t0 = process.hrtime.bigint();
    const insns = run();
    return (insns / Number(process.hrtime.bigint() - t0)) * 1e3;
  }
  const t0 = process.cpuUsage();
  const insns = run();
  const d = process.cpuUsage(t0);
  return insns / Math.max(1, d.user + d.system); // insns per µs = M insns/s
}

const samples = Number(process.env['SAMPLES'] ?? 25);
const row = process.env['BENCH_ROW'];
if (row === undefined) {
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `rbpf engines vs uBPF (issue 23) and vs the previous engines (${previousRef}); best of ${samples} samples of ${process.env['CLOCK'] === 'wall' ? 'wall' : 'CPU'} time; load average ${load}`,
  );
  console.log('');
  console.log('bench  engine          M insn/s  previous  vs prev   uBPF  vs uBPF');
  // One process per bench, so that V8's type feedback from one program does not slow another.
  for (const bench of BENCHES) {
    spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_ROW: bench.name },
    });
  }
  console.log('');
  console.log(
    'uBPF columns: its interpreter for the interpreter rows, its x86-64 JIT for the wasm rows (the JIT does not check bounds).',
  );
  console.log(`load average after: ${loadavg()[0]!.toFixed(1)}`);
}
for (const bench of BENCHES.filter((b) => b.name === row)) {
  for (const variant of ['interpreter', 'wasm', 'wasm verified'] as Variant[]) {
    const now = setup(current, variant, bench);
    if (now === undefined) continue;
    const before =
      previous === undefined
        ? undefined
        : setup(previous, variant === 'wasm verified' ? 'wasm' : variant, bench);
    // warm up (V8 tiers the interpreter loop and the Wasm code up in the background)
    const warm = performance.now();
    while (performance.now() - warm < 300) {
      now();
      before?.();
    }
    let best = 0;
    let bestBefore = 0;
    // alternate which goes first, so neither always runs right after the other
    for (let i = 0; i < samples; i++) {
      if (i % 2 === 1 && before) bestBefore = Math.max(bestBefore, sample(before));
      best = Math.max(best, sample(now));
      if (i % 2 === 0 && before) bestBefore = Math.max(bestBefore, sample(before));
    }
    const ref = variant === 'interpreter' ? UBPF[bench.name]!.interpreter : UBPF[bench.name]!.jit;
    const prev = before ? bestBefore.toFixed(0).padStart(8) : '       -';
    const vsPrev = before ? `${(best / bestBefore).toFixed(2)}x`.padStart(8) : '       -';
    console.log(
      `${bench.name.padEnd(6)} ${variant.padEnd(15)} ${best.toFixed(0).padStart(8)}  ${prev}  ${vsPrev} ${String(ref).padStart(6)}  ${(best / ref).toFixed(2)}x`,
    );
  }
}
