// Engine throughput: eBPF instructions per second on four loops for the interpreter and the
// WebAssembly engine, measured in the same run, with the wasm/interpreter ratio and compile time
// (run: pnpm --filter @axebpf/rbpf bench).
import { assemble, EbpfVm, HelperTable } from '../src/index.js';
import { ALU32, ALU64, HELPER, MEMORY } from './programs.js';

// A cheap helper (no BigInt), so the figure is the cost of the call path itself.
const helpers = new HelperTable().register(5, 'identity', (c) => c.u32(1));
const ctx = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

interface Row {
  engine: 'interpreter' | 'wasm';
  name: string;
  insnsPerSec: number;
  callsPerSec: number;
  compileMs: number;
}

function measure(
  engine: 'interpreter' | 'wasm',
  name: string,
  source: string,
  iterations: number,
): Row {
  const vm = new EbpfVm(assemble(source), { helpers, maxInstructions: 2 ** 52, engine });
  const compileMs = engine === 'wasm' ? vm.compile() / 1e6 : 0;
  const c = ctx(iterations);
  // warm up until V8 has optimised the hot path (the wasm tier-up happens in the background)
  for (let i = 0; i < 3; i++) vm.run(ctx(Math.max(1, iterations >> 3)));
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    vm.run(c);
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.max(best, vm.lastInsnCount / (ns / 1e9));
  }
  const callsPerSec = name === 'helper call' ? (best * iterations) / vm.lastInsnCount : 0;
  return { engine, name, insnsPerSec: best, callsPerSec, compileMs };
}

const programs: [string, string, number][] = [
  ['alu64', ALU64, 4_000_000],
  ['alu32', ALU32, 4_000_000],
  ['memory', MEMORY, 2_000_000],
  ['helper call', HELPER, 2_000_000],
];
console.log('program       engine         M insns/s   M calls/s   compile ms   wasm/interpreter');
for (const [name, source, n] of programs) {
  const interp = measure('interpreter', name, source, n >> 2);
  const compiled = measure('wasm', name, source, n);
  for (const r of [interp, compiled]) {
    const ratio = r.engine === 'wasm' ? `${(r.insnsPerSec / interp.insnsPerSec).toFixed(1)}x` : '';
    console.log(
      `${name.padEnd(13)} ${r.engine.padEnd(12)} ${(r.insnsPerSec / 1e6).toFixed(1).padStart(10)} ${(r.callsPerSec ? (r.callsPerSec / 1e6).toFixed(1) : '').padStart(11)} ${(r.compileMs ? r.compileMs.toFixed(2) : '').padStart(12)}   ${ratio}`,
    );
  }
}
