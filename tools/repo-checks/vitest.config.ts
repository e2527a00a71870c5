import { defineConfig } from 'vitest/config';
import { testResultsReporters } from '../../tools/test-utils/vitest-reporters.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    ...testResultsReporters(),
  },
});
