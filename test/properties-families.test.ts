import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS } from '../models/index.js';
import { familyProperty, PROPERTY_FAMILIES } from '../properties/families.js';
import { GUARANTEE_IDS } from '../src/analysis.js';

const wal = BUILTIN_MODELS['wal']!;

describe('guarantee families', () => {
  it('cover every guarantee the checkers know, once', () => {
    const all = Object.values(PROPERTY_FAMILIES).flat();
    expect([...all].sort()).toEqual([...GUARANTEE_IDS].sort());
  });

  it('a family property holds on a correct variant', () => {
    fc.assert(familyProperty('durability', wal.model, { modelRef: 'wal', config: wal.variants['sync-on']! }), { numRuns: 40, seed: 7 });
  });

  it('and fails, with the family guarantee, on a planted bug', () => {
    const out = fc.check(
      familyProperty('consistency', wal.model, {
        modelRef: 'wal',
        config: wal.variants['statement-ctx']!,
        bug: 'statement-without-context',
        profile: 'clock-skew',
      }),
      { numRuns: 100, seed: 7 },
    );
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/convergence/);
  });
});

// The README's "Properties in your own tests", through @fast-check/vitest.
import { test } from '@fast-check/vitest';
import { scenariosFor } from '../properties/harness.js';
import { judgeScenario } from '../src/analysis.js';
import tinyAsyncModel from '../models/examples/tiny-async.js';

test.prop([scenariosFor(tinyAsyncModel, { profile: 'crashes' })], { numRuns: 30, seed: 3 })(
  'test.prop over generated scenarios: the tiny example model keeps its claims',
  (scenario) => {
    const v = judgeScenario(tinyAsyncModel, scenario);
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
  },
);
