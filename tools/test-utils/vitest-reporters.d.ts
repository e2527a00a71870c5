/** Shared vitest settings (see vitest-reporters.js). */
export declare function testResultsReporters(): {
  reporters: string[];
  outputFile: { json: string };
  passWithNoTests: boolean;
  testTimeout: number;
  hookTimeout: number;
  maxWorkers: number;
};
/** How many packages' tests run at once: `AXEBPF_TEST_CONCURRENCY`, else the cores (at most 4). */
export declare function testConcurrency(): number;
