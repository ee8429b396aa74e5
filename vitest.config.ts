import { defineConfig } from 'vitest/config';

// Three projects, as in Hono: `unit` is pure logic on plain data and needs nothing outside the repo;
// `integration` starts a real etcd + kube-apiserver (+ Prometheus) once, in globalSetup, on loopback;
// `cli` builds with tsc once and runs the built `pytuner` binary in child processes.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts', 'bench/**/*.test.ts'],
          // The property tests run a fixed number of generated cases; on a busy 2-core machine that takes longer than
          // vitest's 5 s default without anything being wrong.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/harness/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // `cli` runs the built binary (dist/cli/main.js) as a user would; globalSetup builds it once.
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts', 'test/golden/**/*.test.ts'],
          globalSetup: ['test/cli/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
