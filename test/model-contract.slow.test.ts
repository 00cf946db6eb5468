/**
 * Every clean variant of every built-in model keeps its word: over a few
 * hundred generated runs each (faults of the variant's profile), no node's
 * events disagree with its final view and no read disagrees with its visible
 * state. Slow (minutes): runs with REPLICHECK_SLOW=1.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, variantRunOptions } from '../models/index.js';
import { contractBreaches } from './helpers/contract-sweep.js';

const RUNS = 300;

for (const [name, entry] of Object.entries(BUILTIN_MODELS)) {
  describe(`${name}: clean variants keep the model contract`, () => {
    for (const variant of Object.keys(entry.variants)) {
      it(`${variant}: ${RUNS} runs`, () => {
        expect(contractBreaches(entry.model, variantRunOptions(name, variant), RUNS, `${name} (${variant})`)).toEqual([]);
      }, 600_000);
    }
  });
}
