// Compiled filter throughput: records/s for codegen, closures and the reference evaluator,
// against a hand-written predicate and an empty loop over the same records (same run).
// Run: pnpm --filter @axebpf/tp-lexer bench
import { compileFilterText, evaluateFilter, parseFilter } from '../src/index.js';
import type { FilterField, FilterPredicate } from '../src/index.js';

const fields: FilterField[] = [
  { name: 'common_type', kind: 'integer', offset: 0, size: 2, signed: false },
  { name: 'common_pid', kind: 'integer', offset: 4, size: 4, signed: true },
  { name: 'vm_id', kind: 'integer', offset: 8, size: 4, signed: false },
  { name: 'exit_reason', kind: 'integer', offset: 12, size: 4, signed: false },
  { name: 'pc', kind: 'integer', offset: 16, size: 8, signed: false },
  { name: 'comm', kind: 'char-array', offset: 24, size: 16, signed: false },
];
const N = 1024;
const records: Uint8Array[] = [];
const views: DataView[] = [];
const enc = new TextEncoder();
for (let i = 0; i < N; i++) {
  const b = new Uint8Array(40);
  const v = new DataView(b.buffer);
  v.setUint32(8, i % 4, true);
  v.setUint32(12, [18, 3, 7, 1][(i % 7) % 4]!, true);
  v.setBigUint64(16, 0x3fff0000n + BigInt(i * 4096), true);
  b.set(enc.encode(i % 3 === 0 ? 'vcpu0' : 'qemu'), 24);
  records.push(b);
  views.push(v);
}

const numeric = 'vm_id == 1 && (exit_reason == 18 || exit_reason == 3) && pc >= 0x40000000';
const withString = 'vm_id != 2 && comm ~ "vcpu*"';

function measure(name: string, body: (iters: number) => number, iters: number): number {
  let best = Infinity;
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    const t0 = process.hrtime.bigint();
    sink += body(iters);
    const ns = Number(process.hrtime.bigint() - t0);
    if (round > 1) best = Math.min(best, ns);
  }
  const perSec = (iters / best) * 1e9;
  console.log(
    `${name.padEnd(44)} ${(perSec / 1e6).toFixed(1).padStart(8)} M records/s  ${(best / iters).toFixed(2).padStart(7)} ns/record  (sink ${sink % 10})`,
  );
  return perSec;
}

function loop(pred: FilterPredicate): (iters: number) => number {
  return (iters) => {
    let pass = 0;
    for (let i = 0; i < iters; i++) {
      const k = i & (N - 1);
      if (pred(records[k]!, views[k]!)) pass++;
    }
    return pass;
  };
}

const ITERS = 5_000_000;
console.log(
  `node ${process.version}, ${ITERS} evaluations per round, best of 5 rounds after 2 warm-up\n`,
);
const empty = measure(
  'empty loop (same record walk)',
  loop(() => true),
  ITERS,
);
const hand = measure(
  'hand-written predicate (numeric)',
  loop(
    (_b, v) =>
      v.getUint32(8, true) === 1 &&
      (v.getUint32(12, true) === 18 || v.getUint32(12, true) === 3) &&
      (v.getUint32(20, true) > 0 || v.getUint32(16, true) >= 0x40000000),
  ),
  ITERS,
);
const gen = measure(
  'codegen: ' + numeric.slice(0, 34),
  loop(compileFilterText(numeric, fields, { mode: 'codegen' })!.predicate),
  ITERS,
);
const clo = measure(
  'closures: same filter',
  loop(compileFilterText(numeric, fields, { mode: 'closures' })!.predicate),
  ITERS,
);
const genS = measure(
  'codegen: ' + withString,
  loop(compileFilterText(withString, fields, { mode: 'codegen' })!.predicate),
  ITERS,
);
const cloS = measure(
  'closures: same filter',
  loop(compileFilterText(withString, fields, { mode: 'closures' })!.predicate),
  ITERS,
);
const ast = parseFilter(numeric, fields)!;
const ref = measure(
  'reference evaluator (AST walk, BigInt)',
  (iters) => {
    let pass = 0;
    for (let i = 0; i < iters; i++) if (evaluateFilter(ast, records[i & (N - 1)]!)) pass++;
    return pass;
  },
  ITERS / 50,
);
console.log(
  `\nratios: codegen/closures ${(gen / clo).toFixed(2)}x (numeric), ${(genS / cloS).toFixed(2)}x (string); codegen/reference ${(gen / ref).toFixed(0)}x; codegen/hand-written ${(gen / hand).toFixed(2)}; empty loop ${(empty / 1e6).toFixed(0)} M/s`,
);
console.log(
  `target >= 20 M records/s: codegen numeric ${gen >= 20e6 ? 'met' : 'NOT met'}, string ${genS >= 20e6 ? 'met' : 'NOT met'}`,
);
