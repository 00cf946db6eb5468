import { describe, expect, it } from 'vitest';
import { collectReport } from '../reports/run.js';
import { toyEntry } from './helpers/report-model.js';

describe('report: linearizability cells', () => {
  it('draw the partial linearization of their minimal run', async () => {
    // What is tested is the drawing, not the search: take the first seed whose report
    // breaks linearizable-primary-reads (a toy run breaks it only now and then).
    let drawn: { file: string; svg: string | undefined } | undefined;
    for (let seed = 1; seed <= 20 && !drawn; seed++) {
      const r = await collectReport({ registry: { toy: toyEntry }, runs: 4, seed, shrinkBudget: 5 });
      const cell = r.models[0]!.variants.flatMap((v) => v.cells).find((c) => c.guarantee === 'linearizable-primary-reads' && c.broken > 0);
      const file = cell?.counterexample?.linearization;
      if (file) drawn = { file, svg: r.diagrams[file] };
    }
    expect(drawn, 'no seed in 1..20 broke linearizable-primary-reads').toBeDefined();
    expect(drawn!.file).toMatch(/--linearization\.svg$/);
    expect(drawn!.svg).toMatch(/^<svg/);
  });
});
