/**
 * report.json against its schema: a real report validates, and the validator
 * catches each kind of damage (missing field, wrong type, value out of range,
 * unknown enum value, unexpected field, wrong schema version) at the right path.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { collectReport } from '../reports/run.js';
import { renderCharts } from '../reports/output.js';
import { REPORT_JSON_SCHEMA, REPORT_SCHEMA_VERSION, validateReport, type ReportDoc } from '../reports/schema.js';
import { toyEntry } from './helpers/report-model.js';

let doc: ReportDoc;

beforeAll(async () => {
  const collected = await collectReport({ registry: { toy: toyEntry }, runs: 4, shrinkBudget: 5 });
  const { diagrams: _diagrams, ...rest } = collected;
  doc = JSON.parse(JSON.stringify({
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'replicheck', version: '0.1.0' },
    generatedAt: '2026-01-01T00:00:00.000Z',
    ...rest,
    charts: renderCharts(collected).charts,
    chartLabels: true,
  })) as ReportDoc;
});

const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;

describe('report.json schema', () => {
  it('a real report validates, with counterexamples, lag, visibility and a lag-over-time run', () => {
    expect(validateReport(doc)).toEqual([]);
    const cells = doc.models[0]!.variants.flatMap((v) => v.cells);
    expect(cells.some((c) => c.counterexample !== null)).toBe(true);
    expect(doc.models[0]!.variants[0]!.lag[0]!.replayLagMs).not.toBeNull();
    expect(doc.lagOverTime).not.toBeNull();
  });

  it('is standard JSON Schema with a versioned id', () => {
    expect(REPORT_JSON_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(REPORT_JSON_SCHEMA.$id).toMatch(/report-3\.json$/);
  });

  it.each([
    ['missing field', (d: any) => delete d.totals.runs, "$.totals: missing required 'runs'"],
    ['wrong schema version', (d: any) => (d.schemaVersion = 1), '$.schemaVersion: must be 3'],
    ['wrong type', (d: any) => (d.models[0].variants[0].runs = '12'), '$.models[0].variants[0].runs: must be integer, got string'],
    ['negative count', (d: any) => (d.models[0].variants[0].cells[0].broken = -1), '$.models[0].variants[0].cells[0].broken: must be ≥ 0'],
    ['unknown status', (d: any) => (d.models[0].variants[0].cells[0].status = 'maybe'), '$.models[0].variants[0].cells[0].status: must be one of finding, holds, broken, held, not-judged'],
    ['probability above 1', (d: any) => (d.models[0].variants[0].visibility.points[0].probability = 1.5), '$.models[0].variants[0].visibility.points[0].probability: must be ≤ 1'],
    ['unexpected field', (d: any) => (d.totals.extra = 1), "$.totals: unexpected property 'extra'"],
    ['summary that is neither null nor a summary', (d: any) => (d.models[0].variants[0].lag[0].replayLagMs = { p50: 1 }), "$.models[0].variants[0].lag[0].replayLagMs: missing required 'count'"],
    ['NaN is not a number in JSON', (d: any) => (d.elapsedMs = Number.NaN), '$.elapsedMs: must be number, got number'],
  ])('catches %s', (_name, damage, message) => {
    const d = clone();
    damage(d);
    expect(validateReport(d)).toContain(message);
  });

  test.prop([fc.integer({ min: 0, max: 10_000 })], { numRuns: 40 })('removing any required field anywhere is caught', (pick) => {
    const d = clone();
    const paths = requiredPaths(d, REPORT_JSON_SCHEMA);
    const [parent, key] = paths[pick % paths.length]!;
    delete parent[key];
    expect(validateReport(d).some((e) => e.includes(`missing required '${key}'`))).toBe(true);
  });
});

/** Every (object, required key) pair of a document, following the schema. */
function requiredPaths(d: unknown, root: Record<string, any>): [Record<string, unknown>, string][] {
  const out: [Record<string, unknown>, string][] = [];
  const walk = (v: unknown, s: Record<string, any>): void => {
    if (s.$ref) return walk(v, root.$defs[s.$ref.split('/').pop()]);
    if (s.anyOf) return v === null ? undefined : walk(v, s.anyOf[0]);
    if (Array.isArray(v) && s.items) return v.forEach((x) => walk(x, s.items));
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    for (const k of s.required ?? []) out.push([o, k]);
    for (const [k, sub] of Object.entries(s.properties ?? {})) if (k in o) walk(o[k], sub as Record<string, any>);
  };
  walk(d, root);
  return out;
}
