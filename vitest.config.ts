import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn whole processes and servers; two cores suit two workers.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['__tests__/**/*.test.ts'], exclude: ['__tests__/engine/**'], sequence: { groupOrder: 0 } } },
      // The engine tier: generated stacks on a private Docker engine that its global setup installs,
      // starts, fills with locally built images, and stops. It runs after the unit tests, so its
      // timing limits under load (no request over 1 s) meet a quiet machine; tier.test.ts orders it.
      {
        extends: true,
        test: {
          name: 'engine',
          include: ['__tests__/engine/**/*.test.ts'],
          globalSetup: ['__tests__/engine/global-setup.ts'],
          teardownTimeout: 180_000,
          fileParallelism: false,
          maxConcurrency: 8,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
