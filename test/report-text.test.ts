/**
 * The report's text outputs fit where they are read: the terminal summary in
 * 80 columns (a wide matrix split into several tables), summary.md in 120
 * (with lag figures and a pasteable replay command for every broken cell).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { displayWidth, modelGrid, splitColumns, terminalSummary, wrapItems, wrapText } from '../reports/matrix.js';
import { commandBlock, MARKDOWN_COLUMNS, reportMarkdown } from '../reports/markdown.js';
import { REPORT_SCHEMA_VERSION, type CellDoc, type ModelDoc, type ReportDoc, type SummaryDoc, type VariantDoc } from '../reports/schema.js';

const GUARANTEES = [
  'convergence', 'committed-prefix', 'no-aborted-read', 'no-intermediate-read', 'durability', 'lossless-failover',
  'read-your-writes', 'monotonic-reads', 'monotonic-writes', 'writes-follow-reads', 'bounded-staleness', 'linearizable-primary-reads',
];
const REPLAY = `npx replicheck replay rc1:${'AbC-_9'.repeat(110)} --guarantee read-your-writes`;

function cellDoc(guarantee: string, i: number, v: number): CellDoc {
  const claimed = i % 2 === 0;
  const broken = (i + v) % 5 === 0 ? 12 : 0;
  const status: CellDoc['status'] = claimed ? (broken > 0 ? 'finding' : 'holds') : broken > 0 ? 'broken' : 'held';
  return {
    guarantee, claimed, under: null, status, runs: 300, broken, outsideRuns: 0, outsideBroken: 0, byProfile: [],
    notJudged: null, example: null,
    counterexample: broken > 0
      ? { profile: 'partitions', ops: 9, faults: 2, shrinks: 3, evaluations: 30, sentence: `${guarantee} broke: ${'a long explanation '.repeat(12)}`, token: 'rc1:x', replay: REPLAY, svg: null, linearization: null }
      : null,
  };
}

const summary = (p50: number, p99: number, max: number): SummaryDoc => ({ count: 40, p50, p90: p99, p99, p999: max, max, mean: p50 });

function variant(name: string, v: number): VariantDoc {
  return {
    name, config: {}, claims: [], runs: 300, harnessFailures: 0,
    cells: GUARANTEES.map((g, i) => cellDoc(g, i, v)),
    lag: [{ standby: 'n2', source: 'report', positions: 40, unreplayed: 0, writeLagMs: null, flushLagMs: null, replayLagMs: summary(3.25, 41.5, 1341) }],
    sinks: v === 0 ? [{ sink: 'sink-mem', applies: 9, reapplied: 0, lagMs: null }] : [],
    duplicateDeliveries: 0, visibility: null, convergence: { runs: 0, ms: null, valuesMs: [] },
    staleness: { reads: 0, staleReads: 0, staleFraction: null, byVersionsBehind: [], staleMs: null },
  };
}

const wideModel: ModelDoc = {
  name: 'wal', description: 'WAL', guarantees: GUARANTEES,
  variants: ['async', 'sync-remote-apply-slow-replay', 'semisync-after-commit'].map(variant),
};

const doc: ReportDoc = {
  schemaVersion: REPORT_SCHEMA_VERSION, tool: { name: 'replicheck', version: '0' }, generatedAt: '', elapsedMs: 1000,
  options: { models: ['wal'], profiles: ['calm', 'partitions'], runs: 50, seed: 1, shrinkBudget: 30, costRuns: 0, levelRuns: 0 },
  totals: { runs: 900, events: 1, runsPerS: 900, findings: 1, harnessFailures: 0, brokenCells: 3, cells: 36 },
  profiles: [], models: [wideModel],
  findings: [{
    kind: 'claim-broken', model: 'wal', variant: 'async', guarantee: 'convergence', profile: 'partitions', runs: 300, broken: 12,
    sentence: `key k1: ${'node n2 ended with a value no other node holds '.repeat(5)}`, replay: REPLAY,
  }],
  anomalies: [], lagOverTime: null, costs: null, levels: [], live: null, charts: [], chartLabels: true,
};

const lines = (s: string): string[] => s.split('\n');

describe('terminal summary', () => {
  it('splits a wide matrix into tables of 80 columns, evenly, every column and variant in them', () => {
    const grid = modelGrid(wideModel);
    for (const l of lines(grid)) expect(displayWidth(l)).toBeLessThanOrEqual(80);
    const tables = grid.split('\n\n');
    expect(tables.length).toBeGreaterThan(1);
    const heads = tables.map((t) => lines(t)[0]!.trim().split(/\s+/).slice(1).filter((w) => !/^\(\d+\/\d+\)$/.test(w)));
    expect(Math.max(...heads.map((h) => h.length)) - Math.min(...heads.map((h) => h.length))).toBeLessThanOrEqual(1);
    const { shown, quiet } = splitColumns(wideModel);
    expect(shown.length).toBeGreaterThan(8);
    expect(heads.flat().length).toBe(shown.length);
    expect(grid).toContain(`(also measured, never broke: ${quiet[0]}`);
    const names = wideModel.variants.map((v) => v.name);
    for (const t of tables) expect(lines(t).slice(1, 1 + names.length).map((l) => l.split(/\s+/)[0])).toEqual(names);
    // A wide terminal gets one table.
    expect(modelGrid(wideModel, { width: 400 }).split('\n\n').length).toBe(1);
  });

  it('wraps the legend, the column names and the findings to 80 columns; only a replay command is longer', () => {
    const text = terminalSummary(doc, 'replicheck-report/index.html');
    const long = lines(text).filter((l) => displayWidth(l) > 80);
    expect(long.length).toBeGreaterThan(0);
    for (const l of long) expect(l.trim()).toBe(REPLAY);
    expect(text).toContain('bounded = bounded-staleness');
  });

  it('wraps prose between words and lists between items', () => {
    expect(wrapText('aa bb cc dd', 5, 2)).toBe('aa bb\n  cc\n  dd');
    expect(wrapItems(['a = x', 'b = y', 'c = z'], ', ', 13)).toBe('a = x, b = y,\n  c = z');
  });
});

describe('summary.md', () => {
  const md = reportMarkdown(doc);

  it(`has no line over ${MARKDOWN_COLUMNS} characters`, () => {
    for (const l of lines(md)) expect(displayWidth(l)).toBeLessThanOrEqual(MARKDOWN_COLUMNS);
    // The matrix keeps every guarantee column, split over tables.
    for (const g of ['conv', 'bounded']) expect(md).toContain(`| ${g} |`);
  });

  it('gives p50 / p99 / max replication lag per variant and standby or sink', () => {
    expect(md).toContain('| wal/async | n2 | 3.25 | 41.5 | 1341 | 40 |');
    expect(md).toContain('| wal/sync-remote-apply-slow-replay | n2 | 3.25 | 41.5 | 1341 | 40 |');
    expect(md).toContain('| wal/async | → sink-mem | — | — | — | 0 |');
  });

  it('gives the replay command of every broken cell', () => {
    const broken = wideModel.variants.flatMap((v) => v.cells.filter((c) => c.counterexample).map((c) => `**wal/${v.name}** × \`${c.guarantee}\``));
    expect(broken.length).toBeGreaterThan(3);
    for (const b of broken) expect(md).toContain(b);
    expect(md.split('```sh').length - 1).toBe(broken.length);
  });

  it('cuts a command with line continuations that a shell joins back into the same command', () => {
    const block = commandBlock(REPLAY, '  ');
    expect(block[0]).toBe('  ```sh');
    expect(block.at(-1)).toBe('  ```');
    const body = block.slice(1, -1);
    expect(body.length).toBeGreaterThan(3);
    for (const l of body) expect(l.length).toBeLessThanOrEqual(MARKDOWN_COLUMNS);
    // What a user pastes: the shell sees the very same words.
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${body.map((l) => l.trimStart()).join('\n')}`], { encoding: 'utf8' }).trim().split('\n');
    expect(words.join(' ')).toBe(REPLAY);
  });
});
