// Shared vitest reporter settings: the default console reporter plus a JSON file that
// tools/scripts/run-tests.mjs sums into the one `N passed, N failed` line CI reads.
import os from 'node:os';

/** @returns {{ reporters: string[], outputFile: { json: string }, passWithNoTests: boolean, testTimeout: number, hookTimeout: number, maxWorkers: number }} */
export function testResultsReporters() {
  return {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    // Packages whose code lands in a later issue have no tests yet; they report 0, not a failure.
    passWithNoTests: true,
    // Oracle tests compile and run external tools and the shell tests boot VMs in child
    // processes; on a busy two-core machine one of them took over a minute. A timeout only
    // catches hangs here (speed is measured by benchmarks, never by timeouts): allow three.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // run-tests.mjs runs as many packages at a time as there are cores (at most 4); each gets an
    // equal share of the cores, so the machine is not oversubscribed by packages x workers.
    maxWorkers: Math.max(1, Math.floor(os.availableParallelism() / testConcurrency())),
  };
}

/**
 * How many packages' tests run at once under tools/scripts/run-tests.mjs: `AXEBPF_TEST_CONCURRENCY`
 * when set, else the number of cores (at most 4).
 * @returns {number}
 */
export function testConcurrency() {
  const fromEnv = Number.parseInt(process.env.AXEBPF_TEST_CONCURRENCY ?? '', 10);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, Math.min(4, os.availableParallelism()));
}
