/**
 * Checks that cannot fail are defects: a model whose replicas never exchange
 * anything must fail convergence, and a model with no authority (no node in
 * role 'primary') cannot pass what is judged against one — it is "not judged",
 * and `replicheck run` exits 3, never 0 with "held".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { checkModel, scenariosFor, type CheckModelOptions } from '../properties/harness.js';
import { BUILTIN_MODELS, bugRunOptions, variantRunOptions } from '../models/index.js';
import { main } from '../src/cli/main.js';
import { collectReport } from '../reports/run.js';
import { cellSummary, modelGrid } from '../reports/matrix.js';
import { GUARANTEE_IDS, encodeToken, guaranteeDef, isGuaranteeId, judgeScenario, runScenario } from '../src/analysis.js';
import { noPrimaryModel } from './fixtures/no-primary.js';
import { silentReplicaModel } from './fixtures/silent-replica.js';

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  process.exitCode = undefined;
  try {
    return { code: await main(args), out };
  } finally {
    o.mockRestore();
    process.exitCode = undefined;
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

const quiet = { failureFile: false as const, profile: 'calm' as const, numRuns: 50 };

describe('a replica that never hears from the primary has not converged', () => {
  it('fails convergence when clients read from the silent replica', () => {
    const r = checkModel(silentReplicaModel, quiet);
    expect(r.found).toBe(true);
    expect(r.guarantee).toBe('convergence');
    expect(r.sentence).toMatch(/node n2 holds nothing but authority n1 holds .* replicas did not converge/);
  });

  it('fails convergence even when no client ever talks to the replica', () => {
    const r = checkModel(silentReplicaModel, { ...quiet, config: { readsOnPrimary: true } });
    expect(r.found).toBe(true);
    expect(r.guarantee).toBe('convergence');
  });

  it('is not judged, not held, when no node holds any data', () => {
    const r = checkModel(silentReplicaModel, { ...quiet, workload: { opKinds: ['r'] } });
    expect(r.found).toBe(false);
    expect(r.notJudged).toEqual([{ guarantee: 'convergence', reason: 'no node ever held data', runs: 50 }]);
  });

  it('`replicheck run` exits 1 on it', async () => {
    const r = await cli('run', './test/fixtures/silent-replica.ts', '--profile', 'calm', '--runs', '30', '--no-failure-file');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/convergence/);
  });
});

describe('a model without a primary cannot pass primary-based claims', () => {
  it('every run reports durability as not judged, with the reason', () => {
    const r = checkModel(noPrimaryModel, quiet);
    expect(r.found).toBe(false);
    expect(r.notJudged).toHaveLength(1);
    expect(r.notJudged[0]).toMatchObject({ guarantee: 'durability', runs: 50 });
    expect(r.notJudged[0]!.reason).toMatch(/no authority: no live node ends the run with role 'primary'/);
  });

  it('the verdict of each run carries the claim as not judged', () => {
    for (const scenario of fc.sample(scenariosFor(noPrimaryModel, { profile: 'calm' }), { seed: 1, numRuns: 10 })) {
      const v = judgeScenario(noPrimaryModel, scenario);
      expect(v.violations).toEqual([]);
      expect(v.outcomes).toEqual([{ id: 'durability', notJudged: expect.stringMatching(/^no authority/), violations: 0 }]);
    }
  });

  it('the same model naming its leader primary is judged, and holds', () => {
    const r = checkModel(noPrimaryModel, { ...quiet, config: { primaryRole: true } });
    expect(r).toMatchObject({ found: false, notJudged: [] });
  });

  it('`replicheck run` prints "not judged (reason)" and exits 3; --json carries it', async () => {
    const r = await cli('run', './test/fixtures/no-primary.ts', '--profile', 'calm', '--runs', '20', '--no-failure-file');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/durability — not judged \(no authority: no live node ends the run with role 'primary'\) in all 20 runs/);
    expect(r.out).not.toMatch(/held/);
    const j = await cli('run', './test/fixtures/no-primary.ts', '--profile', 'calm', '--runs', '20', '--no-failure-file', '--json');
    expect(j.code).toBe(3);
    const doc = JSON.parse(j.out) as { found: boolean; notJudged: { guarantee: string; reason: string; runs: number }[] };
    expect(doc.found).toBe(false);
    expect(doc.notJudged).toEqual([{ variant: 'default', guarantee: 'durability', reason: expect.stringMatching(/^no authority/), runs: 20 }]);
    const ok = await cli('run', './test/fixtures/no-primary.ts', '--config', '{"primaryRole":true}', '--profile', 'calm', '--runs', '20', '--no-failure-file');
    expect(ok.code).toBe(0);
  });
});

describe('the CLI says "not judged" wherever it would have said "held"', () => {
  it('replay lists the claims this run could not judge', async () => {
    const [scenario] = fc.sample(scenariosFor(noPrimaryModel, { profile: 'calm', modelRef: './test/fixtures/no-primary.ts' }), { seed: 3, numRuns: 1 });
    const r = await cli('replay', encodeToken(scenario!));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0 claimed guarantee\(s\) judged and held in this run; not judged:\n {2}durability \(no authority/);
    const j = await cli('replay', encodeToken(scenario!), '--json');
    expect(JSON.parse(j.out).notJudged).toEqual([{ guarantee: 'durability', reason: expect.stringMatching(/^no authority/) }]);
  });

  it('models --guarantees lists the guarantee table', async () => {
    const r = await cli('models', '--guarantees', '--json');
    const rows = JSON.parse(r.out) as { id: string; family: string; evidence: string }[];
    expect(rows.map((x) => x.id)).toEqual([...GUARANTEE_IDS]);
    expect(rows.every((x) => x.family.length > 0 && x.evidence.length > 0)).toBe(true);
  });
});

describe('the report shows a claim no run could judge', () => {
  it('as a "?" cell with its reason and a claim-not-judged finding', async () => {
    const registry = { np: { model: noPrimaryModel as never, variants: { default: {} } } };
    const r = await collectReport({ registry, runs: 3, seed: 1, profiles: ['calm'] });
    const cell = r.models[0]!.variants[0]!.cells.find((c) => c.guarantee === 'durability')!;
    expect(cell).toMatchObject({ claimed: true, status: 'not-judged', runs: 0, notJudged: { runs: 3 } });
    expect(cell.notJudged!.reason).toMatch(/^no authority/);
    expect(r.findings.filter((f) => f.kind === 'claim-not-judged').map((f) => f.guarantee)).toEqual(['durability']);
    expect(modelGrid(r.models[0]!).split('\n')[1]).toMatch(/^default\s+\?/);
    expect(cellSummary(cell)).toMatch(/claimed, but not judged: no run could judge it \(no authority/);
  });
});

describe('"not judged" never hides a violation', () => {
  // A precondition that said "cannot judge" where the checker would have found
  // something would turn a finding into silence: on every planted bug's own
  // trigger (and each model's clean default), whenever the table says a run
  // cannot judge a guarantee, its checker must indeed find nothing there.
  const targets = Object.entries(BUILTIN_MODELS).flatMap(([name, entry]) => [
    { name, opts: variantRunOptions(name, Object.keys(entry.variants)[0]!) as CheckModelOptions },
    ...entry.model.bugs.map((b) => ({ name, opts: bugRunOptions(name, b.name) as CheckModelOptions })),
  ]);
  it.each(targets.map((t) => [`${t.name}${t.opts.bug ? ` ${t.opts.bug}` : ''}`, t] as const))('%s', (_label, { name, opts }) => {
    const entry = BUILTIN_MODELS[name]!;
    const ids = (entry.guarantees ?? GUARANTEE_IDS).filter(isGuaranteeId);
    for (const scenario of fc.sample(scenariosFor(entry.model, opts), { seed: 7, numRuns: 8 })) {
      let h;
      try {
        h = runScenario(entry.model, scenario).history;
      } catch {
        continue; // a run the harness rejects judges nothing
      }
      for (const id of ids) {
        const def = guaranteeDef(id)!;
        const options = def.measureWith ? def.measureWith({}) : {};
        if (def.judgeable(h, options) === undefined) continue;
        expect(def.checker(h, options), `${id} on ${encodeToken(scenario)}`).toEqual([]);
      }
    }
  });
});
