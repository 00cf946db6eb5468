import { defineConfig } from 'vitest/config';

// Slow suites (the long Porcupine kv histories, big property budgets) live in
// `*.slow.test.ts` files and run only with REPLICHECK_SLOW=1, as .ci/run does.
const slow = process.env.REPLICHECK_SLOW === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: slow ? ['node_modules/**'] : ['node_modules/**', 'test/**/*.slow.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
