import { defineConfig } from 'vitest/config';
import { testResultsReporters } from '../../tools/test-utils/vitest-reporters.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    coverage: { provider: 'v8', include: ['src/**'] },
    ...testResultsReporters(),
  },
});
