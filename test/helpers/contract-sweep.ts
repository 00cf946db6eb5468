/** Runs generated scenarios of a model and collects every model-contract breach (sentence and seed). */
import fc from 'fast-check';
import { defaultSeed, scenariosFor, type PropertyOptions } from '../../properties/harness.js';
import { checkModelContract } from '../../src/check/contract.js';
import { runScenario } from '../../src/verdict/judge.js';
import type { Model } from '../../src/analysis.js';

export function contractBreaches(model: Model, opts: PropertyOptions, runs: number, label: string): string[] {
  const out: string[] = [];
  for (const s of fc.sample(scenariosFor(model, opts), { numRuns: runs, seed: defaultSeed(`contract ${label}`) })) {
    const run = runScenario(model, s);
    for (const b of checkModelContract(run.history, run.readMismatches)) out.push(`seed ${s.seed}: ${b.sentence}`);
  }
  return out;
}
