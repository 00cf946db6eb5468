import { defineConfig } from 'vitest/config';

// Slow suites (full Porcupine kv logs, big property budgets) are tagged by file
// name `*.slow.test.ts` and run only when REPLICHECK_SLOW=1 (as .ci/run does).
const slow = process.env.REPLICHECK_SLOW === '1';

export default defineConfig({
  test: {
    include: slow ? ['test/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: slow ? ['node_modules/**'] : ['node_modules/**', 'test/**/*.slow.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
