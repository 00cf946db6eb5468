/**
 * Meta-tests: every planted bug of every built-in model is caught by the
 * property suite, and fast-check shrinks the counterexample to something a
 * person can read (≤ 12 client operations, ≤ 3 faults).
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, bugRunOptions } from '../models/index.js';
import { checkModel } from '../properties/harness.js';
import { judgeScenario } from '../src/analysis.js';

const OPS_MAX = 12;
const FAULTS_MAX = 3;

for (const [name, entry] of Object.entries(BUILTIN_MODELS)) {
  describe(`${name}: every planted bug is caught and shrinks small`, () => {
    it('has a trigger for every planted bug', () => {
      expect(Object.keys(entry.triggers ?? {}).sort()).toEqual(entry.model.bugs.map((b) => b.name).sort());
    });
    for (const bug of entry.model.bugs) {
      const trigger = entry.triggers?.[bug.name];
      if (!trigger) continue;
      it(`${bug.name}`, () => {
        const r = checkModel(entry.model, { ...bugRunOptions(name, bug.name), failureFile: false });
        expect(r.found, `${bug.name} was not caught in ${r.runs} runs`).toBe(true);
        if (trigger.guarantees) expect(trigger.guarantees).toContain(r.guarantee);
        expect(r.ops).toBeLessThanOrEqual(OPS_MAX);
        expect(r.faults).toBeLessThanOrEqual(FAULTS_MAX);
        // The correct variant passes the very scenario that exposed the bug.
        const { bug: _planted, ...clean } = r.verdict!.scenario;
        const verdict = judgeScenario(entry.model, clean, entry.checkers ? { checkers: entry.checkers } : {});
        expect(verdict.violations.map((v) => v.sentence)).toEqual([]);
        expect(verdict.failure).toBeUndefined();
      });
    }
  });
}
