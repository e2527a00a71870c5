#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `pnpm fuzz <target> [--count N] [--time S] [--seed S]`: runs one fuzz harness of
// tools/scripts/fuzz/ against the built packages (run `pnpm build` first). A harness mutates
// valid inputs and checks that every failure is the package's typed error; it exits 1 and
// prints the input on the first finding. Bounded by a count of inputs and/or seconds.
// Targets that live in a package (EXTERNAL) run as that package's script, with their own
// options (`pnpm fuzz ebpf --count N --seed S --verify-every K`).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TARGETS = {
  filter: './fuzz/filter.mjs',
  hypimage: './fuzz/hypimage.mjs',
  ksym: './fuzz/ksym.mjs',
};

/** target name -> [package directory, command, what it does]; run from that directory. */
const EXTERNAL = {
  ebpf: [
    'packages/kbpf-basic',
    ['tsx', 'fuzz/ebpf-cli.ts'],
    'random eBPF programs on both engines and the verifier (--count N --seed S --verify-every K)',
  ],
  bpfscript: [
    'packages/bpfscript',
    ['vitest', 'run', 'test/fuzz.test.ts'],
    'random token streams and valid programs through the compiler (FUZZ_RUNS=N scales it)',
  ],
};

const usage = `usage: pnpm fuzz <${[...Object.keys(TARGETS), ...Object.keys(EXTERNAL)].join('|')}> [--count N] [--time SECONDS] [--seed S]`;
const external = EXTERNAL[process.argv[2]];
if (external !== undefined) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const [dir, [bin, ...rest]] = external;
  const r = spawnSync(
    join(root, 'node_modules', '.bin', bin),
    [...rest, ...process.argv.slice(3)],
    { cwd: join(root, dir), stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}
let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      count: { type: 'string' },
      time: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (e) {
  console.error(`fuzz: ${e.message.split('\n')[0]}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
const target = positionals[0];
if (values.help === true || target === undefined) {
  console.log(usage);
  process.exit(target === undefined && values.help !== true ? 2 : 0);
}
if (!(target in TARGETS)) {
  console.error(`fuzz: unknown target \`${target}\`\n${usage}`);
  process.exit(2);
}
const num = (text, name, fallback) => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`fuzz: --${name} \`${text}\` is not a non-negative number`);
    process.exit(2);
  }
  return n;
};
const count = num(values.count, 'count', values.time === undefined ? 10_000 : Infinity);
const seconds = num(values.time, 'time', Infinity);
const seed = num(values.seed, 'seed', 1) >>> 0;

const { fuzz } = await import(new URL(TARGETS[target], import.meta.url).href);
const t0 = performance.now();
const result = fuzz({ count, deadline: t0 + seconds * 1000, seed });
const ms = performance.now() - t0;
if (result.finding !== undefined) {
  console.error(
    `fuzz ${target}: FINDING after ${result.runs} inputs (seed ${seed}):\n${result.finding}`,
  );
  process.exit(1);
}
console.log(
  `fuzz ${target}: ${result.runs} inputs in ${(ms / 1000).toFixed(1)} s (seed ${seed}): ${result.summary}`,
);
