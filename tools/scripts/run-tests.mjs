#!/usr/bin/env node
// Runs every workspace test task through turbo, then sums the per-package vitest JSON results
// into one closing line, `N passed, N failed, N skipped`, which CI reads (vitest's own summary
// is per package). Exits non-zero when turbo failed or any test failed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testConcurrency } from '../test-utils/vitest-reporters.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const groups = ['packages', 'apps', 'tools'];
const resultFiles = () =>
  groups.flatMap((g) => {
    const dir = path.join(root, g);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .map((d) => path.join(dir, d, 'test-results.json'))
      .filter((f) => fs.existsSync(f));
  });

// Stale results from an earlier run must not be counted.
for (const f of resultFiles()) fs.rmSync(f);

// turbo would start every package's tests at once; on two cores that oversubscribes the machine
// (ten vitest processes) and slow oracle tests time out. Bound it (AXEBPF_TEST_CONCURRENCY
// overrides); vitest-reporters.js gives each package its share of the cores as workers.
const extra = process.argv.slice(2);
const concurrency = extra.some((a) => a.startsWith('--concurrency'))
  ? []
  : [`--concurrency=${testConcurrency()}`];
const turbo = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'test', '--continue', ...concurrency, ...extra],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const f of resultFiles()) {
  const r = JSON.parse(fs.readFileSync(f, 'utf8'));
  const p = r.numPassedTests ?? 0;
  const x = r.numFailedTests ?? 0;
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A suite that failed to load reports no failed test but counts as a failed suite.
  const brokenSuites = (r.numFailedTestSuites ?? 0) > 0 && x === 0 ? r.numFailedTestSuites : 0;
  passed += p;
  failed += x + brokenSuites;
  skipped += s;
  rows.push(
    `${path.relative(root, path.dirname(f)).padEnd(28)} ${String(p).padStart(5)} passed ${String(x + brokenSuites).padStart(3)} failed ${String(s).padStart(3)} skipped`,
  );
}
console.log('\nTest results by package:');
for (const row of rows) console.log('  ' + row);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turbo.status !== 0 || failed > 0 ? 1 : 0);
