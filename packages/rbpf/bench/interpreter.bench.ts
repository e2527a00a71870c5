// Interpreter throughput: eBPF instructions per second on four loops, reported with the ratio
// to the 64-bit ALU loop of the same run (run: pnpm --filter @axebpf/rbpf bench).
import { assemble, EbpfVm, HelperTable } from '../src/index.js';
import { ALU32, ALU64, HELPER, MEMORY } from './programs.js';

const helpers = new HelperTable().register(5, 'identity', (c) => c.u64(1));
const ctx = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

function measure(name: string, source: string, iterations: number): { name: string; insnsPerSec: number; callsPerSec: number } {
  const vm = new EbpfVm(assemble(source), { helpers, maxInstructions: 2 ** 52 });
  const c = ctx(iterations);
  vm.run(ctx(10_000)); // warm up
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    vm.run(c);
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.max(best, vm.lastInsnCount / (ns / 1e9));
  }
  return { name, insnsPerSec: best, callsPerSec: name === 'helper call' ? (best * iterations) / vm.lastInsnCount : 0 };
}

const rows = [
  measure('alu64', ALU64, 2_000_000),
  measure('alu32', ALU32, 2_000_000),
  measure('memory', MEMORY, 1_000_000),
  measure('helper call', HELPER, 1_000_000),
];
const base = rows[0]!.insnsPerSec;
console.log('engine       program       M insns/s   vs alu64   helper calls/s');
for (const r of rows) {
  console.log(
    `interpreter  ${r.name.padEnd(12)} ${(r.insnsPerSec / 1e6).toFixed(1).padStart(10)}   ${(r.insnsPerSec / base).toFixed(2).padStart(7)}   ${r.callsPerSec ? (r.callsPerSec / 1e6).toFixed(1) + ' M' : ''}`,
  );
}
