/** One judge for regression replays that must hold every claim, whatever the model. */
import { expect } from 'vitest';
import type { Model } from '../../src/sim/types.js';
import type { Scenario } from '../../src/scenario/types.js';
import { judgeScenario, type Verdict } from '../../src/verdict/judge.js';

/** Judge `s` on `model`: no harness failure, no violation (each printed with `label`). */
export function judgeCleanOn<C>(model: Model<C>, s: Scenario, label = ''): Verdict {
  const v = judgeScenario(model, s);
  expect(v.failure, v.failure?.message).toBeUndefined();
  expect(v.violations.map((x) => `${label}${x.guarantee}: ${x.sentence}`)).toEqual([]);
  return v;
}

/** The same scenario without its planted bug: what the clean model must hold. */
export function withoutBug(s: Scenario): Scenario {
  const { bug: _planted, ...clean } = s;
  return clean;
}
