/**
 * The report runner on a small model of our own: claimed guarantees that break
 * are findings, unclaimed ones are measured, every broken cell gets a minimal
 * counterexample that really breaks it when replayed, the same seed gives the
 * same figures, and bad input is refused with a clear message.
 */
import { describe, expect, it } from 'vitest';
import { decodeToken, parseScenario, runScenario } from '../src/analysis.js';
import { judgeColumns } from '../reports/accumulate.js';
import { collectReport, ReportInputError, type CollectedReport, type ReportRegistry } from '../reports/run.js';
import { modelGrid, terminalSummary } from '../reports/matrix.js';
import { toyEntry, toyModel } from './helpers/report-model.js';

const registry: ReportRegistry = { toy: toyEntry };

let cached: CollectedReport | undefined;
async function report(): Promise<CollectedReport> {
  cached ??= await collectReport({ registry, runs: 5, seed: 1, shrinkBudget: 20 });
  return cached;
}

const cellOf = (r: CollectedReport, variant: string, g: string) =>
  r.models[0]!.variants.find((v) => v.name === variant)!.cells.find((c) => c.guarantee === g)!;

describe('report runner', () => {
  it('a claimed guarantee that breaks is a finding; the same unclaimed one is measured', async () => {
    const r = await report();
    const over = cellOf(r, 'overclaim', 'read-your-writes');
    const honest = cellOf(r, 'async', 'read-your-writes');
    expect(over).toMatchObject({ claimed: true, status: 'finding' });
    expect(over.broken).toBeGreaterThan(0);
    expect(honest.claimed).toBe(false);
    expect(['broken', 'held']).toContain(honest.status);
    expect(r.findings.filter((f) => f.kind === 'claim-broken').map((f) => `${f.variant}:${f.guarantee}`)).toEqual(['overclaim:read-your-writes']);
    // What the toy model really gives holds in every run.
    for (const g of ['convergence', 'committed-prefix', 'durability']) {
      expect(cellOf(r, 'async', g)).toMatchObject({ claimed: true, status: 'holds', broken: 0 });
      // Every run is judged or says why not (e.g. a run without an acknowledged write for durability).
      const c = cellOf(r, 'async', g);
      expect(c.runs).toBeGreaterThan(0);
      expect(c.runs + (c.notJudged?.runs ?? 0)).toBe(30);
    }
  });

  it('every broken cell has a minimal counterexample that breaks it again when replayed', async () => {
    const r = await report();
    const broken = r.models[0]!.variants.flatMap((v) => v.cells.filter((c) => c.broken > 0).map((c) => ({ v, c })));
    expect(broken.length).toBeGreaterThan(0);
    for (const { v, c } of broken) {
      const x = c.counterexample!;
      expect(x.replay).toBe(`npx replicheck replay ${x.token} --guarantee ${c.guarantee}`);
      expect(x.svg && r.diagrams[x.svg]).toMatch(/^<svg/);
      expect(x.sentence.length).toBeGreaterThan(10);
      const scenario = parseScenario(decodeToken(x.token));
      expect(scenario.model).toBe('toy');
      const h = runScenario(toyModel as never, scenario).history;
      const target = { modelName: 'toy', entry: toyEntry, variant: v.name, config: v.config, claims: v.claims.map((cl) => ({ id: cl.id })), columns: [c.guarantee], nodes: ['n1', 'n2'] };
      const o = judgeColumns(target, h, c.guarantee).get(c.guarantee)!;
      expect(o.violations, `${v.name}/${c.guarantee}`).toBeGreaterThan(0);
    }
  });

  it('shrinking never makes the counterexample bigger than the smallest failing run', async () => {
    const unshrunk = await collectReport({ registry, runs: 5, seed: 1, shrinkBudget: 0 });
    const r = await report();
    for (const v of r.models[0]!.variants) {
      for (const c of v.cells.filter((x) => x.counterexample)) {
        const before = unshrunk.models[0]!.variants.find((u) => u.name === v.name)!.cells.find((u) => u.guarantee === c.guarantee)!.counterexample!;
        const size = (x: { ops: number; faults: number }) => x.ops + x.faults;
        expect(size(c.counterexample!)).toBeLessThanOrEqual(size(before));
        expect(before.evaluations).toBe(0);
      }
    }
  });

  it('the same seed gives the same figures; another seed other scenarios', async () => {
    const a = await report();
    const b = await collectReport({ registry, runs: 5, seed: 1, shrinkBudget: 20 });
    const strip = (r: CollectedReport) => ({ models: r.models, findings: r.findings, anomalies: r.anomalies, lag: r.lagOverTime });
    expect(strip(b)).toEqual(strip(a));
    const c = await collectReport({ registry, runs: 5, seed: 2, shrinkBudget: 0 });
    expect(c.models[0]!.variants[0]!.staleness).not.toEqual(a.models[0]!.variants[0]!.staleness);
  });

  it('measures lag, visibility, convergence and staleness, and picks a run with faults for lag over time', async () => {
    const r = await report();
    const v = r.models[0]!.variants[0]!;
    expect(v.lag.map((l) => l.standby)).toEqual(['n2']);
    expect(v.lag[0]!.replayLagMs!.count).toBeGreaterThan(10);
    expect(v.visibility!.points.at(-1)!.probability).toBe(1); // every write reaches the standby in the quiet phase
    expect(v.convergence.runs).toBe(30);
    expect(v.staleness.reads).toBeGreaterThan(0);
    const l = r.lagOverTime!;
    expect(l.faults.length).toBeGreaterThan(0);
    expect(l.series[0]!.points.length).toBeGreaterThan(1);
    expect(r.totals.runs).toBe(60);
    expect(r.anomalies.every((a) => a.broken <= a.runs)).toBe(true);
  });

  it('prints the matrix for the terminal with the finding and the report path', async () => {
    const r = await report();
    const grid = modelGrid(r.models[0]!);
    expect(grid.split('\n')[2]).toMatch(/^overclaim\s+✓\s+✓.*✗ \d+\/\d+/);
    const doc = { ...r, schemaVersion: 3 as const, tool: { name: 'replicheck' as const, version: '0' }, generatedAt: '', charts: [], chartLabels: true };
    const text = terminalSummary(doc, 'replicheck-report/index.html');
    expect(text).toContain("✗ toy/overclaim: claimed 'read-your-writes' broke");
    expect(text).toContain('npx replicheck replay rc1:');
    expect(text.trim().split('\n').at(-1)).toBe('report: replicheck-report/index.html');
  });
});

describe('report runner: bad input', () => {
  it('refuses an unknown model or profile, naming the known ones', async () => {
    await expect(collectReport({ registry, models: ['nope'] })).rejects.toThrow(new ReportInputError("unknown model 'nope'; models: toy"));
    await expect(collectReport({ registry, profiles: ['calm', 'stormy'] })).rejects.toThrow(/unknown fault profile 'stormy'; profiles: calm, lossy-network/);
    await expect(collectReport({ registry, runs: 0 })).rejects.toThrow(/runs must be an integer ≥ 1/);
    await expect(collectReport({ registry: {} })).rejects.toThrow(/no models are registered/);
  });

  it('refuses a variant that claims a guarantee no checker knows, and a variant that does not configure', async () => {
    const claimsUnknown = { ...toyEntry, model: { ...toyEntry.model, claims: () => [{ id: 'snapshot-isolation' }] } };
    await expect(collectReport({ registry: { toy: claimsUnknown } })).rejects.toThrow(/variant 'async' claims 'snapshot-isolation', which no checker knows/);
    const badVariant = { ...toyEntry, variants: { broken: { colour: 'red' } } };
    await expect(collectReport({ registry: { toy: badVariant } })).rejects.toThrow(/model 'toy' variant 'broken': toy: unknown knob "colour"/);
  });

  it('a family checker makes a claim known and is measured where not claimed', async () => {
    let calls = 0;
    const entry = {
      ...toyEntry,
      checkers: { 'always-broken': () => { calls++; return [{ guarantee: 'always-broken', sentence: 'planted: broken in every run', witness: [] }]; } },
    };
    const r = await collectReport({ registry: { toy: entry }, runs: 1, profiles: ['calm'], shrinkBudget: 0 });
    const cell = r.models[0]!.variants[0]!.cells.find((c) => c.guarantee === 'always-broken')!;
    expect(cell).toMatchObject({ claimed: false, status: 'broken', runs: 1, broken: 1, example: 'planted: broken in every run' });
    expect(calls).toBeGreaterThan(0);
  });
});
