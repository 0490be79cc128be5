import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests, and integration tests that run against the real
// Kafka broker and HDFS started by stack/ (the global setup starts them when they are
// not already up, and stops only what it started).
export default defineConfig({
  resolve: {
    // The example plugins import the SDK by its package name; resolve it to the sources in tests.
    alias: { 'tsagent/sdk': fileURLToPath(new URL('./src/sdk/index.ts', import.meta.url)) },
  },
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'plugins/**/*.test.ts'],
          exclude: ['test/integration/**'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
