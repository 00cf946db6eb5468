/**
 * The report's sections beyond the matrix, on the built-in models at a tiny
 * budget: the costs the seed names (WAL), the leaderless matrix per
 * consistency level with its PBS curves, and the live PostgreSQL column from
 * a hand-written live.json — in report.json (against its schema), summary.md
 * and index.html.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BUILTIN_MODELS } from '../models/index.js';
import { builtinRegistryModule, collectReport, type CollectedReport } from '../reports/run.js';
import { renderCharts } from '../reports/output.js';
import { reportMarkdown } from '../reports/markdown.js';
import { reportHtml } from '../reports/html.js';
import { displayWidth, terminalSummary } from '../reports/matrix.js';
import { MARKDOWN_COLUMNS } from '../reports/markdown.js';
import { drawConfig, drawnKnobs } from '../reports/costs.js';
import { liveDoc, LiveInputError, parseLive, readLive } from '../reports/live.js';
import { REPORT_SCHEMA_VERSION, validateReport, type ModelDoc, type ReportDoc } from '../reports/schema.js';

const LIVE_FIXTURE = join(import.meta.dirname, 'fixtures/live/live.json');

let collected: CollectedReport;
let doc: ReportDoc;
let pngs: Record<string, Buffer>;

function asDoc(c: CollectedReport): { doc: ReportDoc; pngs: Record<string, Buffer> } {
  const { charts, pngs } = renderCharts(c);
  const { diagrams: _d, ...rest } = c;
  const d = JSON.parse(JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, tool: { name: 'replicheck', version: '0' }, generatedAt: '', ...rest, charts, chartLabels: true })) as ReportDoc;
  return { doc: d, pngs };
}

beforeAll(async () => {
  const live = readLive(LIVE_FIXTURE);
  collected = await collectReport({
    registry: { wal: BUILTIN_MODELS['wal']!, leaderless: BUILTIN_MODELS['leaderless']! },
    profiles: ['calm'], runs: 1, shrinkBudget: 0, costRuns: 1, levelRuns: 1, live,
  });
  ({ doc, pngs } = asDoc(collected));
}, 300_000);

describe('report sections: costs', () => {
  it('report.json with every new section validates, and damage to them is caught', () => {
    expect(validateReport(doc)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(doc)) as any;
    bad.costs.commitLatency[0].count = -1;
    bad.live.disagreements[0].where = 'elsewhere';
    bad.levels[0].pbs.curves[0].points[0].probability = 2;
    const errors = validateReport(bad);
    expect(errors).toContain('$.costs.commitLatency[0].count: must be ≥ 0');
    expect(errors).toContain('$.live.disagreements[0].where: must be one of matrix, synchronous-commit');
    expect(errors).toContain('$.levels[0].pbs.curves[0].points[0].probability: must be ≤ 1');
  });

  it('commit latency grows with what a commit waits for, on the same scenarios', () => {
    const pooled = (level: string) => doc.costs!.commitLatency.find((c) => c.level === level && c.profile === 'all')!;
    const levels = ['off', 'local', 'remote_write', 'on', 'remote_apply', 'semisync AFTER_SYNC', 'semisync AFTER_COMMIT'];
    for (const l of levels) expect(pooled(l).count, l).toBeGreaterThan(0);
    // off waits for nothing, local for the primary's flush, the synchronous levels for a standby too.
    expect(pooled('off').p50!).toBeLessThan(pooled('local').p50!);
    expect(pooled('local').p50!).toBeLessThan(pooled('remote_write').p50!);
    expect(pooled('remote_write').p50!).toBeLessThanOrEqual(pooled('on').p50!);
    expect(pooled('on').p50!).toBeLessThanOrEqual(pooled('remote_apply').p50!);
    expect(doc.charts.some((c) => c.kind === 'commit-latency')).toBe(true);
  });

  it('summary.md keeps the costs table within its line width with every profile and wide figures', () => {
    const profiles = ['calm', 'lossy-network', 'partitions', 'clock-skew', 'crashes', 'everything', 'all'];
    const wide = doc.costs!.commitLatency.filter((c) => c.profile === 'all')
      .flatMap((c) => profiles.map((profile) => ({ ...c, profile, p50: 123.456, p99: 98765.4 })));
    const md = reportMarkdown({ ...doc, costs: { ...doc.costs!, commitLatency: wide } });
    expect(md).toMatch(/^\| semisync AFTER_COMMIT \| 123\/98765 \|/m);
    for (const l of md.split('\n')) expect(displayWidth(l), l).toBeLessThanOrEqual(MARKDOWN_COLUMNS);
  });

  it('read scaling: 1–3 standbys × every read policy; reads from the primary are never stale', () => {
    const rows = doc.costs!.readScaling;
    expect(rows.map((r) => `${r.standbys} ${r.policy}`)).toEqual(
      [1, 2, 3].flatMap((n) => ['primary', 'any-standby', 'sticky-standby', 'read-your-writes'].map((p) => `${n} ${p}`)),
    );
    for (const r of rows.filter((x) => x.policy === 'primary')) expect(r.staleFraction).toBe(0);
    expect(rows.every((r) => r.latencyMs.count > 0)).toBe(true);
    expect(doc.charts.some((c) => c.kind === 'read-scaling')).toBe(true);
    expect(pngs['charts/read-scaling.png']!.length).toBeGreaterThan(1000);
  });

  it('the drawn tunables are the same for every level and stay within the knobs\' values', () => {
    const model = BUILTIN_MODELS['wal']!.model;
    expect(drawnKnobs(model)).not.toContain('synchronousCommit');
    expect(drawnKnobs(model)).not.toContain('nodes');
    const a = drawConfig(model, { synchronousCommit: 'off' }, 7, 3);
    const b = drawConfig(model, { synchronousCommit: 'remote_apply', synchronousStandbyNames: 'FIRST 1 (*)' }, 7, 3);
    for (const k of drawnKnobs(model)) {
      expect(a[k], k).toEqual(b[k]);
      expect(model.knobs.find((x) => x.name === k)!.values).toContain(a[k]);
    }
    const seeds = [1, 2, 3, 4, 5].map((s) => JSON.stringify(drawConfig(model, {}, s, 0)));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
});

describe('report sections: determinism', () => {
  it('the same figures on two worker threads as in this thread', async () => {
    const two = await collectReport({
      registry: BUILTIN_MODELS, models: ['wal', 'leaderless'], workers: 2, registryModule: builtinRegistryModule(),
      profiles: ['calm'], runs: 1, shrinkBudget: 0, costRuns: 1, levelRuns: 1,
    });
    expect(JSON.stringify(two.costs)).toBe(JSON.stringify(collected.costs));
    expect(JSON.stringify(two.levels)).toBe(JSON.stringify(collected.levels));
  }, 300_000);
});

describe('report sections: consistency levels and PBS', () => {
  it('every write level × read level, claims following R + W > RF', () => {
    const l = doc.levels.find((x) => x.model === 'leaderless')!;
    expect(l.variants.map((v) => v.name)).toEqual(
      ['ONE', 'QUORUM', 'ALL'].flatMap((w) => ['ONE', 'QUORUM', 'ALL'].map((r) => `W=${w} R=${r}`)),
    );
    const claims = (name: string) => l.variants.find((v) => v.name === name)!.claims.map((c) => c.id);
    expect(claims('W=QUORUM R=QUORUM')).toContain('lww-read-latest');
    expect(claims('W=ONE R=ALL')).toContain('lww-read-latest');
    expect(claims('W=ONE R=ONE')).not.toContain('lww-read-latest');
    for (const v of l.variants) expect(v.cells.map((c) => c.guarantee)).toEqual(l.guarantees);
  });

  it('PBS: strict quorums are consistent at commit, R = W = 1 is not, and curves rise with t', () => {
    const pbs = doc.levels[0]!.pbs;
    expect(pbs.curves).toHaveLength(pbs.n * pbs.n);
    const curve = (r: number, w: number) => pbs.curves.find((c) => c.r === r && c.w === w)!.points;
    expect(curve(2, 2)[0]).toEqual({ tMs: 0, probability: 1 });
    expect(curve(1, 1)[0]!.probability).toBeLessThan(0.95);
    const ps = curve(1, 1).map((p) => p.probability);
    expect(ps.at(-1)!).toBeGreaterThan(ps[0]!);
    expect(doc.charts.some((c) => c.kind === 'pbs' && c.model === 'leaderless')).toBe(true);
  });

  it('the level matrix is in summary.md and index.html', () => {
    const md = reportMarkdown(doc);
    expect(md).toContain('## leaderless: guarantees per consistency level');
    expect(md).toMatch(/^\| W=ONE R=ALL \|/m);
    expect(md).toMatch(/^\| R=1 W=1 \| 0\.\d{3} \|/m);
    expect(reportHtml(doc, { pngs, diagrams: {} })).toContain('<section id="levels">');
  });
});

describe('report sections: live PostgreSQL column', () => {
  it('sets the live cells under their variant and says every disagreement once', () => {
    const col = doc.live!.column!;
    expect(col).toMatchObject({ model: 'wal', variant: 'async', profile: 'crashes', runs: 6 });
    // The model ran only calm here, so the comparison falls back to every profile.
    const dur = col.cells.find((c) => c.guarantee === 'durability')!;
    expect(dur).toMatchObject({ judged: 6, broke: 2, token: 'rc1:FIXTURE-durability' });
    expect(dur.model?.profile).toBe('all');
    const sync = doc.live!.disagreements.filter((d) => d.where === 'synchronous-commit');
    expect(sync).toHaveLength(1);
    expect(sync[0]!.sentence).toContain('synchronous_commit = remote_apply');
    expect(sync[0]!.sentence).toContain('1 of 3 runs broke');
    const md = reportMarkdown(doc);
    expect(md.match(/^\| ↳ PostgreSQL \(live\) \|/gm)?.length).toBeGreaterThan(0);
    expect(md).toContain('## Live PostgreSQL beside the model');
    expect(md).toContain('npx replicheck live pg --replay rc1:FIXTURE-c --guarantee read-your-writes --times 5');
    expect(md).not.toContain('No live column');
    const html = reportHtml(doc, { pngs, diagrams: {} });
    expect(html).toContain('↳ PostgreSQL (live)');
    expect(html).toContain('<section id="live">');
    expect(html.match(/class="[a-z-]+ live disagree"/g)).toHaveLength(doc.live!.disagreements.filter((d) => d.where === 'matrix').length);
    expect(terminalSummary(doc, 'r/index.html')).toContain(`≠ live PostgreSQL 15.10 (fixture): ${doc.live!.disagreements.length} disagreement(s)`);
  });

  it('live results without drawn scenarios: the table, no live row, and the reason said once', () => {
    const tableOnly = liveDoc({ ...readLive(LIVE_FIXTURE).input, drawn: null }, 'live.json', doc.models);
    const d = { ...doc, live: tableOnly };
    expect(validateReport(d)).toEqual([]);
    const md = reportMarkdown(d);
    expect(md).not.toContain('↳ PostgreSQL');
    expect(md.match(/the live results hold no drawn scenarios/g)).toHaveLength(1);
    expect(md).toMatch(/^\| standby-ryw \| remote_apply \| read-your-writes \| held \| broke \| 1 of 3 \| \*\*no\*\* \|$/m);
    expect(reportHtml(d, { pngs, diagrams: {} }).match(/the live results hold no drawn scenarios/g)).toHaveLength(1);
  });

  it('without live data: no live row, no live section, and it is said once', () => {
    const { doc: none } = asDoc({ ...collected, live: null });
    expect(validateReport(none)).toEqual([]);
    const md = reportMarkdown(none);
    expect(md).not.toContain('↳ PostgreSQL');
    expect(md.match(/No live column/g)).toHaveLength(1);
    const html = reportHtml(none, { pngs, diagrams: {} });
    expect(html).not.toContain('↳ PostgreSQL');
    expect(html).not.toContain('<section id="live">');
    expect(html.match(/No live column/g)).toHaveLength(1);
  });
});

describe('live.json', () => {
  const model = (status: 'held' | 'broken', broken: number, runs: number): ModelDoc => ({
    name: 'wal', description: '', guarantees: ['durability'],
    variants: [{
      name: 'async', config: {}, claims: [], runs, harnessFailures: 0, lag: [], sinks: [], duplicateDeliveries: 0, visibility: null,
      convergence: { runs: 0, ms: null, valuesMs: [] }, staleness: { reads: 0, staleReads: 0, staleFraction: null, byVersionsBehind: [], staleMs: null },
      cells: [{
        guarantee: 'durability', claimed: false, under: null, status, runs, broken, outsideRuns: 0, outsideBroken: 0,
        byProfile: [{ profile: 'crashes', runs, broken }], notJudged: null, example: null, counterexample: null,
      }],
    }],
  });
  const input = (judged: number, broke: number) => parseLive({
    schema: 'replicheck-live/1', target: 'pg', postgres: 'PostgreSQL 15',
    drawn: { variant: 'async', profile: 'crashes', runs: judged, perMinute: 3, column: { durability: { claimed: false, judged, broke } } },
  });

  it('a disagreement either way, agreement when both broke or both held, nothing when one side judged nothing', () => {
    expect(liveDoc(input(4, 1), 'f', [model('held', 0, 50)]).disagreements[0]!.sentence).toBe(
      'durability: PostgreSQL broke it in 1 of 4 runs; the model (wal/async under crashes) never did in 50',
    );
    expect(liveDoc(input(4, 0), 'f', [model('broken', 7, 50)]).disagreements[0]!.sentence).toBe(
      'durability: the model (wal/async under crashes) broke it in 7 of 50 runs; PostgreSQL never did in 4',
    );
    expect(liveDoc(input(4, 2), 'f', [model('broken', 7, 50)]).disagreements).toEqual([]);
    expect(liveDoc(input(4, 0), 'f', [model('held', 0, 50)]).column!.cells[0]!.agree).toBe(true);
    expect(liveDoc(input(0, 0), 'f', [model('broken', 7, 50)]).column!.cells[0]!.agree).toBeNull();
    expect(liveDoc(input(4, 1), 'f', []).column!.cells[0]!.model).toBeNull();
  });

  it('rejects what is not a live.json, saying why', () => {
    expect(() => parseLive({ schema: 'replicheck-live/2', target: 'pg', postgres: 'x' })).toThrow(/schema must be 'replicheck-live\/1'/);
    expect(() => parseLive({ schema: 'replicheck-live/1', target: 'pg', postgres: 'x', drawn: { variant: 'a', profile: 'p', runs: 1, column: { d: { judged: 1, broke: 2 } } } }))
      .toThrow(/broke exceeds judged/);
    expect(() => parseLive({ schema: 'replicheck-live/1', target: 'pg', postgres: 'x', syncTable: [{ case: 'c' }] })).toThrow(/syncTable\[0\]\.level must be a string/);
    expect(() => readLive('/nonexistent/live.json')).toThrow(LiveInputError);
    expect(readLive(join(import.meta.dirname, 'fixtures/live')).input.target).toBe('pg'); // a directory holding live.json
  });
});
