import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Server end-to-end suites start real processes and databases; keep them from starving each other on 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
