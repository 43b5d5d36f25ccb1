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
          // Separate projects: the browser suite (scripts/test-ui.sh), Podman (scripts/test-podman.sh), several berths (scripts/test-multi.sh),
          // the Swarm cluster (scripts/test-swarm.sh).
          exclude: ['**/node_modules/**', 'test/podman/**', 'test/e2e-ui/**', 'test/swarm/**', 'test/integration/multi-berth*.test.ts'],
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
        // scripts/test-podman.sh: needs DOCKER_HOST at Podman's Docker-compatible socket.
        test: {
          name: 'podman',
          include: ['test/podman/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // scripts/test-ui.sh: Debian's Chromium driven by playwright-core.
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
      {
        // scripts/test-multi.sh: three real berth processes on one Postgres store (leadership, locks).
        test: {
          name: 'multi',
          include: ['test/integration/multi-berth*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // A real multi-node Swarm (scripts/test-swarm.sh brings it up and down): one file at a time.
        test: {
          name: 'swarm',
          include: ['test/swarm/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
