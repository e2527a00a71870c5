// Shared vitest reporter settings: the default console reporter plus a JSON file that
// tools/scripts/run-tests.mjs sums into the one `N passed, N failed` line CI reads.
/** @returns {{ reporters: string[], outputFile: { json: string }, passWithNoTests: boolean, testTimeout: number, hookTimeout: number }} */
export function testResultsReporters() {
  return {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    // Packages whose code lands in a later issue have no tests yet; they report 0, not a failure.
    passWithNoTests: true,
    // Oracle tests compile and run external tools, and turbo runs packages side by side on two
    // cores: allow a minute per test. Speed is measured by benchmarks, never by timeouts.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  };
}
