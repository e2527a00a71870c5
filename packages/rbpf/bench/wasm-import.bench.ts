// What a call from WebAssembly into a JavaScript import costs on this Node/V8, by signature:
// 0, 1, 3 or 5 i32 arguments, and an i32 or f64 result. Every import does the same work (reads
// an int32 from the memory and xors it into a small integer), so the figures differ only by the
// signature. (A variant that sums its argument into a closure variable measures the allocation
// of a heap number once the sum leaves the small-integer range, not the arguments.)
// Run: pnpm --filter @axebpf/rbpf exec tsx bench/wasm-import.bench.ts
import type { WasmModule } from '../src/wasm-api.js';
import { wasm } from '../src/wasm-api.js';

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const I32 = 0x7f;

/** A module importing `m.f` with `args` i32 parameters and `result` (or none), and `run(n)`. */
function moduleOf(args: number, result: number | undefined): WasmModule {
  const importType = [
    0x60,
    args,
    ...Array<number>(args).fill(I32),
    ...(result ? [1, result] : [0]),
  ];
  const runType = [0x60, 1, I32, 0];
  // loop: push n `args` times, call f, drop its result, n -= 1, loop while n != 0
  const body = [0x00, 0x03, 0x40];
  for (let i = 0; i < args; i++) body.push(0x20, 0);
  body.push(0x10, 0);
  if (result) body.push(0x1a);
  body.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b, 0x0b);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [2, ...importType, ...runType]),
    ...section(2, [1, 1, 0x6d, 1, 0x66, 0x00, 0]),
    ...section(3, [1, 1]),
    ...section(7, [1, 3, 0x72, 0x75, 0x6e, 0x00, 1]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ];
  return new wasm.Module(new Uint8Array(bytes));
}

const view = new Int32Array(new wasm.Memory({ initial: 1 }).buffer);
let acc = 0;
const F64 = 0x7c;
const cases: [string, number, number | undefined, (...a: number[]) => number | void][] = [
  ['0 args', 0, undefined, () => void (acc ^= view[3]!)],
  ['1 arg', 1, undefined, (a) => void (acc ^= view[3]! ^ a!)],
  ['3 args', 3, undefined, (a) => void (acc ^= view[3]! ^ a!)],
  ['5 args', 5, undefined, (a) => void (acc ^= view[3]! ^ a!)],
  ['0 args -> i32', 0, I32, () => (acc ^= view[3]!)],
  ['0 args -> f64', 0, F64, () => (acc ^= view[3]!)],
];

const n = 2_000_000;
console.log(`Wasm -> JS import calls, best of 9 samples of ${n} calls (CPU time)`);
for (const [name, args, result, f] of cases) {
  const instance = new wasm.Instance(moduleOf(args, result), { m: { f } });
  const run = instance.exports['run'] as (n: number) => void;
  run(n); // warm up
  let best = Infinity;
  for (let i = 0; i < 9; i++) {
    const t0 = process.cpuUsage();
    run(n);
    const d = process.cpuUsage(t0);
    best = Math.min(best, ((d.user + d.system) * 1e3) / n);
  }
  console.log(`${name.padEnd(14)} ${best.toFixed(2)} ns per call`);
}
