import { defineConfig } from 'vitest/config';

// Slow suites (the long Porcupine kv histories, big property budgets) live in
// `*.slow.test.ts` files and run only with REPLICHECK_SLOW=1, as .ci/run does.
// The untuned exploration of every planted bug at three seeds (the figure that
// counts for bug finding; `npm run bench` reports it too) takes tens of CPU
// minutes: `*.explore.test.ts`, run with REPLICHECK_EXPLORE=1.
const slow = process.env.REPLICHECK_SLOW === '1';
const explore = process.env.REPLICHECK_EXPLORE === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      'node_modules/**',
      ...(slow ? [] : ['test/**/*.slow.test.ts']),
      ...(explore ? [] : ['test/**/*.explore.test.ts']),
    ],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
