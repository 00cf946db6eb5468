/**
 * The property suite: for every built-in model variant, every claimed guarantee
 * holds over REPLICHECK_RUNS generated scenarios (default 100) with aggressive
 * fault schedules. A failure prints the minimal scenario, its timeline and the
 * replay command, and is saved to .replicheck/failures.json to be tried first
 * next time.
 */
import { describe, it } from 'vitest';
import { BUILTIN_MODELS } from '../models/index.js';
import { assertModel } from '../properties/harness.js';

for (const [name, entry] of Object.entries(BUILTIN_MODELS)) {
  describe(`${name}: claimed guarantees hold`, () => {
    for (const [variant, config] of Object.entries(entry.variants)) {
      it(`${variant}`, () => {
        assertModel(entry.model, {
          modelRef: name,
          variant,
          config,
          profile: entry.profile ?? 'everything',
          ...(entry.workload ? { workload: entry.workload } : {}),
          ...(entry.checkers ? { checkers: entry.checkers } : {}),
        });
      });
    }
  });
}
