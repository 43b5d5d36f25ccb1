import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['src/**/*.test.ts', 'bench/**/*.test.ts'], environment: 'node' },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // The browser suite is its own project (scripts/test-ui.sh).
          exclude: ['**/node_modules/**', 'test/e2e-ui/**'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Real engine, 2 cores: a few files at once keeps the engine responsive.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        test: {
          name: 'e2e-ui',
          include: ['test/e2e-ui/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // One browser at a time: Chromium and the engine share two cores with everything else.
          fileParallelism: false,
        },
      },
    ],
  },
});
