import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn whole processes and servers; two cores suit two workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
