import { defineConfig } from 'vitest/config';

// One runner for the whole repo. Workspace packages resolve to their TypeScript sources through the
// "source" export condition, so tests never run stale builds of sibling packages.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
