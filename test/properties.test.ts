/**
 * The property suite: for every built-in model variant, every claimed guarantee
 * holds over REPLICHECK_RUNS generated scenarios (default 100) with aggressive
 * fault schedules. A failure prints the minimal scenario, its timeline and the
 * replay command, and is saved to .replicheck/failures.json to be tried first
 * next time.
 */
import { describe, it } from 'vitest';
import { BUILTIN_MODELS, variantRunOptions } from '../models/index.js';
import { assertModel } from '../properties/harness.js';

for (const [name, entry] of Object.entries(BUILTIN_MODELS)) {
  describe(`${name}: claimed guarantees hold`, () => {
    for (const variant of Object.keys(entry.variants)) {
      it(`${variant}`, () => {
        assertModel(entry.model, variantRunOptions(name, variant));
      });
    }
  });
}
