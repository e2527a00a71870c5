/** Shared vitest settings (see vitest-reporters.js). */
export declare function testResultsReporters(): {
  reporters: string[];
  outputFile: { json: string };
  passWithNoTests: boolean;
  testTimeout: number;
  hookTimeout: number;
};
