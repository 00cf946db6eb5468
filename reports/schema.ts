/**
 * report.json: the report's data, every figure the charts, the HTML and the
 * Markdown show, in one machine-readable document with a schema version.
 *
 * Versioning: `schemaVersion` is bumped on any change a reader could notice
 * (a field removed, renamed or changing meaning); adding an optional field
 * does not bump it. Version 2: a cell's status may be 'not-judged' and every
 * cell carries `notJudged` (null, or the runs none could judge and why).
 * Version 3: `costs` (commit latency per synchronous_commit level and
 * semi-sync wait point, read scaling), `levels` (a leaderless model's matrix
 * per consistency level and its PBS curves), `live` (a real server's column
 * from `replicheck live pg --out`), options `costRuns` / `levelRuns`, and the
 * chart kinds 'commit-latency', 'read-scaling' and 'pbs'.
 * REPORT_JSON_SCHEMA below is standard JSON Schema (draft
 * 2020-12), so any validator (ajv, …) can check a report; `validateReport` is a
 * small built-in validator for the subset of keywords the schema uses.
 *
 * Units are last in field names (ms, lsn). Times are true simulator time.
 * Every "null" means "no measurement" and is different from zero (as
 * pg_stat_replication shows NULL for an idle, caught-up standby).
 */

import type { LatencySummary } from '../src/analysis.js';

export const REPORT_SCHEMA_VERSION = 3;

/** HDR percentiles of a distribution in ms: the metrics' own summary, as stored. */
export type SummaryDoc = LatencySummary;

/**
 * One cell of the guarantee matrix: a model variant against one guarantee.
 *
 * - claimed: the variant claims it; `runs` counts runs where the claim was in
 *   force (no fault outside its tolerance) and `broken` the runs where it broke
 *   there — each such run is a finding. Runs outside the tolerance are measured
 *   and counted in `outsideRuns`/`outsideBroken` (expected, not findings).
 * - not claimed: measured on every run the checker can judge; `runs`/`broken`.
 *
 * status: 'finding' (claimed and broke), 'holds' (claimed, never broke in
 * force), 'broken' (unclaimed, broke at least once), 'held' (unclaimed, never
 * broke), 'not-judged' (no run could judge it).
 */
export interface CellDoc {
  guarantee: string;
  claimed: boolean;
  under: string | null;
  status: 'finding' | 'holds' | 'broken' | 'held' | 'not-judged';
  runs: number;
  broken: number;
  outsideRuns: number;
  outsideBroken: number;
  byProfile: { profile: string; runs: number; broken: number }[];
  /**
   * Runs that could not judge it (evidence missing: no authority, no read …)
   * and the reason most of them gave; null when every run judged it.
   */
  notJudged: { runs: number; reason: string } | null;
  /** The first violation sentence seen (before shrinking). */
  example: string | null;
  counterexample: CounterexampleDoc | null;
}

/** The smallest run found that breaks a cell, shrunk by fast-check. */
export interface CounterexampleDoc {
  profile: string;
  ops: number;
  faults: number;
  /** Shrinking steps that succeeded, and simulations spent shrinking. */
  shrinks: number;
  evaluations: number;
  sentence: string;
  token: string;
  replay: string;
  /** Space-time diagram of the minimal run, relative to the report directory. */
  svg: string | null;
  /** Linearizability cells: the partial-linearization timeline (longest legal order, ops that cannot be placed). */
  linearization: string | null;
}

export interface StandbyLagDoc {
  standby: string;
  source: 'report' | 'standby-events';
  /** Flushed WAL positions followed, over every run. */
  positions: number;
  unreplayed: number;
  writeLagMs: SummaryDoc | null;
  flushLagMs: SummaryDoc | null;
  replayLagMs: SummaryDoc | null;
}

export interface SinkLagDoc {
  sink: string;
  applies: number;
  reapplied: number;
  lagMs: SummaryDoc | null;
}

export interface VariantDoc {
  name: string;
  config: Record<string, unknown>;
  claims: { id: string; under: string | null; tolerates: string[] | null }[];
  /** Runs simulated (every profile), and those that could not be judged (limit, model error). */
  runs: number;
  harnessFailures: number;
  cells: CellDoc[];
  lag: StandbyLagDoc[];
  sinks: SinkLagDoc[];
  /** CDC deliveries of the same change to one group more than once, summed over runs. */
  duplicateDeliveries: number;
  /** PBS t-visibility pooled over runs (weighted by each run's committed versions). */
  visibility: { writes: number; points: { tMs: number; probability: number }[] } | null;
  convergence: { runs: number; ms: SummaryDoc | null; valuesMs: number[] };
  staleness: {
    reads: number;
    staleReads: number;
    staleFraction: number | null;
    byVersionsBehind: number[];
    staleMs: SummaryDoc | null;
  };
}

export interface ModelDoc {
  name: string;
  description: string;
  /** The matrix columns for this model. */
  guarantees: string[];
  variants: VariantDoc[];
}

export interface FindingDoc {
  /** claim-not-judged: a claimed guarantee no run could judge (`sentence` says why, `broken` is 0). */
  kind: 'claim-broken' | 'claim-not-judged' | 'harness-failure';
  model: string;
  variant: string;
  /** The broken guarantee, or the failure kind (limit, model-error, determinism, checker-error). */
  guarantee: string;
  profile: string;
  runs: number;
  broken: number;
  sentence: string;
  replay: string | null;
}

export interface LagOverTimeDoc {
  model: string;
  variant: string;
  profile: string;
  replay: string;
  /** Why this run: the rule that picked it. */
  why: string;
  series: { label: string; points: { t: number; v: number | null }[] }[];
  faults: { startMs: number; endMs: number; kind: string; label: string }[];
}

/** Commit latency (client invocation → acknowledgement of a committed write) of one level under one profile ('all': pooled). */
export interface CommitLatencyDoc {
  level: string;
  config: Record<string, unknown>;
  profile: string;
  runs: number;
  /** Commits measured; p50/p99/max are nearest-rank, null without commits. */
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface LatencyPercentilesDoc {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Reads with `standbys` standbys and every session on one read policy, pooled over the report's profiles. */
export interface ReadScalingDoc {
  standbys: number;
  policy: string;
  runs: number;
  /** Mean over runs of reads completed per second of the reads' span; null without reads. */
  readsPerS: number | null;
  /** The same for the node that served most reads: the load a read replica takes off. */
  busiestNodeReadsPerS: number | null;
  latencyMs: LatencyPercentilesDoc;
  /** Reads that missed a committed version / reads measured. */
  staleFraction: number | null;
  /** p99 of how long stale reads were behind (ms); null when none was stale. */
  staleMsP99: number | null;
}

/** The costs the seed names, from the WAL model's histories. */
export interface CostsDoc {
  model: string;
  /** Scenarios per (level or topology, profile). */
  runs: number;
  /** Tunable knobs drawn per run from the report seed. */
  drawnKnobs: string[];
  /** Runs the simulator could not finish (no figures from them). */
  failedRuns: number;
  commitLatency: CommitLatencyDoc[];
  readScaling: ReadScalingDoc[];
}

/** One (write level, read level) row of a leaderless model's matrix. */
export interface LevelRowDoc {
  name: string;
  config: Record<string, unknown>;
  claims: { id: string; under: string | null }[];
  runs: number;
  harnessFailures: number;
  cells: CellDoc[];
}

/** A leaderless model's guarantees per consistency level, and its PBS curves. */
export interface LevelsDoc {
  model: string;
  /** Scenarios per (level pair, profile). */
  runs: number;
  guarantees: string[];
  variants: LevelRowDoc[];
  pbs: PbsDoc;
}

export interface PbsDoc {
  n: number;
  trials: number;
  /** The WARS legs' latency distributions (w, a, r, s). */
  legs: Record<string, unknown>;
  curves: { r: number; w: number; points: { tMs: number; probability: number }[] }[];
}

/** One guarantee on the live server beside the model's cell for the same variant. */
export interface LiveCellDoc {
  guarantee: string;
  claimed: boolean;
  judged: number;
  broke: number;
  example: string | null;
  token: string | null;
  /** The model's cell (under the live profile when the report ran it), or null when the report has no such cell. */
  model: { status: CellDoc['status']; runs: number; broken: number; profile: string } | null;
  /** null: one side judged nothing, so nothing to compare. */
  agree: boolean | null;
}

export interface LiveDoc {
  /** The live.json file read (as given). */
  source: string;
  target: string;
  postgres: string;
  column: { model: string; variant: string; profile: string; runs: number; perMinute: number | null; cells: LiveCellDoc[] } | null;
  syncTable: {
    case: string;
    level: string;
    guarantee: string;
    model: string;
    live: string;
    broke: number;
    runs: number;
    agree: boolean;
    token: string | null;
    sentence: string | null;
  }[];
  /** A replayed schedule: how often each guarantee broke. */
  replay: { runs: number; broke: { guarantee: string; runs: number }[] } | null;
  /** Every place model and server disagree, one sentence each. */
  disagreements: { where: 'matrix' | 'synchronous-commit'; guarantee: string; sentence: string; token: string | null }[];
}

export interface ChartDoc {
  file: string;
  kind: 'lag-percentiles' | 'lag-over-time' | 'visibility' | 'convergence' | 'anomalies' | 'commit-latency' | 'read-scaling' | 'pbs';
  title: string;
  /** Model the chart is about, or null for a chart over every model. */
  model: string | null;
}

export interface ReportDoc {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'replicheck'; version: string };
  /** When the report was written (for people; every other figure but the timings is deterministic). */
  generatedAt: string;
  elapsedMs: number;
  options: { models: string[]; profiles: string[]; runs: number; seed: number; shrinkBudget: number; costRuns: number; levelRuns: number };
  totals: {
    runs: number;
    events: number;
    runsPerS: number;
    findings: number;
    harnessFailures: number;
    brokenCells: number;
    cells: number;
  };
  profiles: { name: string; description: string }[];
  models: ModelDoc[];
  findings: FindingDoc[];
  /** Runs with a violation per guarantee and fault profile, over every model (claimed or not). */
  anomalies: { guarantee: string; profile: string; runs: number; broken: number }[];
  lagOverTime: LagOverTimeDoc | null;
  /** Null when no model with the WAL knobs was in the report, or costRuns was 0. */
  costs: CostsDoc | null;
  levels: LevelsDoc[];
  /** Null when no live.json was given. */
  live: LiveDoc | null;
  charts: ChartDoc[];
  /** False when the machine had no font: charts were drawn without text. */
  chartLabels: boolean;
}

// ───────────────────────────── JSON Schema ─────────────────────────────

type Schema = Record<string, unknown>;

const num: Schema = { type: 'number' };
const int: Schema = { type: 'integer', minimum: 0 };
const str: Schema = { type: 'string' };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
const arr = (items: Schema): Schema => ({ type: 'array', items });
const obj = (properties: Record<string, Schema>, extra = false): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: extra,
});
const ref = (name: string): Schema => ({ $ref: `#/$defs/${name}` });

const summary = obj({ count: int, p50: num, p90: num, p99: num, p999: num, max: num, mean: num });

const counterexample = obj({
  profile: str,
  ops: int,
  faults: int,
  shrinks: int,
  evaluations: int,
  sentence: str,
  token: str,
  replay: str,
  svg: nullable(str),
  linearization: nullable(str),
});

const cell = obj({
  guarantee: str,
  claimed: { type: 'boolean' },
  under: nullable(str),
  status: { enum: ['finding', 'holds', 'broken', 'held', 'not-judged'] },
  runs: int,
  broken: int,
  outsideRuns: int,
  outsideBroken: int,
  byProfile: arr(obj({ profile: str, runs: int, broken: int })),
  notJudged: nullable(obj({ runs: int, reason: str })),
  example: nullable(str),
  counterexample: nullable(ref('counterexample')),
});

const variant = obj({
  name: str,
  config: { type: 'object' },
  claims: arr(obj({ id: str, under: nullable(str), tolerates: nullable(arr(str)) })),
  runs: int,
  harnessFailures: int,
  cells: arr(ref('cell')),
  lag: arr(
    obj({
      standby: str,
      source: { enum: ['report', 'standby-events'] },
      positions: int,
      unreplayed: int,
      writeLagMs: nullable(ref('summary')),
      flushLagMs: nullable(ref('summary')),
      replayLagMs: nullable(ref('summary')),
    }),
  ),
  sinks: arr(obj({ sink: str, applies: int, reapplied: int, lagMs: nullable(ref('summary')) })),
  duplicateDeliveries: int,
  visibility: nullable(obj({ writes: int, points: arr(obj({ tMs: num, probability: { type: 'number', minimum: 0, maximum: 1 } })) })),
  convergence: obj({ runs: int, ms: nullable(ref('summary')), valuesMs: arr(num) }),
  staleness: obj({
    reads: int,
    staleReads: int,
    staleFraction: nullable(num),
    byVersionsBehind: arr(int),
    staleMs: nullable(ref('summary')),
  }),
});

const latencyPct = obj({ count: int, p50: nullable(num), p99: nullable(num), max: nullable(num) });

const costs = obj({
  model: str,
  runs: int,
  drawnKnobs: arr(str),
  failedRuns: int,
  commitLatency: arr(obj({ level: str, config: { type: 'object' }, profile: str, runs: int, count: int, p50: nullable(num), p99: nullable(num), max: nullable(num) })),
  readScaling: arr(obj({
    standbys: int, policy: str, runs: int, readsPerS: nullable(num), busiestNodeReadsPerS: nullable(num), latencyMs: latencyPct,
    staleFraction: nullable({ type: 'number', minimum: 0, maximum: 1 }), staleMsP99: nullable(num),
  })),
});

const probability = { type: 'number', minimum: 0, maximum: 1 };

const levels = obj({
  model: str,
  runs: int,
  guarantees: arr(str),
  variants: arr(obj({ name: str, config: { type: 'object' }, claims: arr(obj({ id: str, under: nullable(str) })), runs: int, harnessFailures: int, cells: arr(ref('cell')) })),
  pbs: obj({ n: int, trials: int, legs: { type: 'object' }, curves: arr(obj({ r: int, w: int, points: arr(obj({ tMs: num, probability })) })) }),
});

const status = { enum: ['finding', 'holds', 'broken', 'held', 'not-judged'] };

const live = obj({
  source: str,
  target: str,
  postgres: str,
  column: nullable(obj({
    model: str, variant: str, profile: str, runs: int, perMinute: nullable(num),
    cells: arr(obj({
      guarantee: str, claimed: { type: 'boolean' }, judged: int, broke: int, example: nullable(str), token: nullable(str),
      model: nullable(obj({ status, runs: int, broken: int, profile: str })), agree: nullable({ type: 'boolean' }),
    })),
  })),
  syncTable: arr(obj({ case: str, level: str, guarantee: str, model: str, live: str, broke: int, runs: int, agree: { type: 'boolean' }, token: nullable(str), sentence: nullable(str) })),
  replay: nullable(obj({ runs: int, broke: arr(obj({ guarantee: str, runs: int })) })),
  disagreements: arr(obj({ where: { enum: ['matrix', 'synchronous-commit'] }, guarantee: str, sentence: str, token: nullable(str) })),
});

/** The JSON Schema of report.json (draft 2020-12). */
export const REPORT_JSON_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://replicheck.dev/schema/report-${REPORT_SCHEMA_VERSION}.json`,
  title: 'replicheck report',
  ...obj({
    schemaVersion: { const: REPORT_SCHEMA_VERSION },
    tool: obj({ name: { const: 'replicheck' }, version: str }),
    generatedAt: str,
    elapsedMs: num,
    options: obj({ models: arr(str), profiles: arr(str), runs: int, seed: { type: 'integer' }, shrinkBudget: int, costRuns: int, levelRuns: int }),
    totals: obj({
      runs: int,
      events: int,
      runsPerS: num,
      findings: int,
      harnessFailures: int,
      brokenCells: int,
      cells: int,
    }),
    profiles: arr(obj({ name: str, description: str })),
    models: arr(obj({ name: str, description: str, guarantees: arr(str), variants: arr(ref('variant')) })),
    findings: arr(
      obj({
        kind: { enum: ['claim-broken', 'claim-not-judged', 'harness-failure'] },
        model: str,
        variant: str,
        guarantee: str,
        profile: str,
        runs: int,
        broken: int,
        sentence: str,
        replay: nullable(str),
      }),
    ),
    anomalies: arr(obj({ guarantee: str, profile: str, runs: int, broken: int })),
    lagOverTime: nullable(
      obj({
        model: str,
        variant: str,
        profile: str,
        replay: str,
        why: str,
        series: arr(obj({ label: str, points: arr(obj({ t: num, v: nullable(num) })) })),
        faults: arr(obj({ startMs: num, endMs: num, kind: str, label: str })),
      }),
    ),
    costs: nullable(ref('costs')),
    levels: arr(ref('levels')),
    live: nullable(ref('live')),
    charts: arr(
      obj({
        file: str,
        kind: { enum: ['lag-percentiles', 'lag-over-time', 'visibility', 'convergence', 'anomalies', 'commit-latency', 'read-scaling', 'pbs'] },
        title: str,
        model: nullable(str),
      }),
    ),
    chartLabels: { type: 'boolean' },
  }),
  $defs: { summary, counterexample, cell, variant, costs, levels, live },
};

// ───────────────────────────── validator ─────────────────────────────

/**
 * Validate `doc` against `schema` (default: the report schema). Returns every
 * error as "path: message"; empty means valid. Supports the keywords the
 * report schema uses: type, properties, required, additionalProperties, items,
 * enum, const, minimum, maximum, anyOf and local $ref to #/$defs.
 */
export function validateReport(doc: unknown, schema: Schema = REPORT_JSON_SCHEMA): string[] {
  const errors: string[] = [];
  check(doc, schema, '$', schema, errors);
  return errors;
}

function check(v: unknown, s: Schema, path: string, root: Schema, errors: string[]): void {
  if (typeof s.$ref === 'string') return check(v, resolveRef(s.$ref, root), path, root, errors);
  if (Array.isArray(s.anyOf)) {
    const tries = (s.anyOf as Schema[]).map((alt) => {
      const sub: string[] = [];
      check(v, alt, path, root, sub);
      return sub;
    });
    if (tries.some((t) => t.length === 0)) return;
    // Report the closest alternative's errors (for "X or null", the X ones), not just "no match".
    const alts = s.anyOf as Schema[];
    const candidates = v === null ? tries : tries.filter((_, i) => alts[i]!.type !== 'null');
    const best = (candidates.length > 0 ? candidates : tries).reduce((a, b) => (b.length < a.length ? b : a));
    errors.push(...best);
    return;
  }
  if ('const' in s && v !== s.const) errors.push(`${path}: must be ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(v)) errors.push(`${path}: must be one of ${s.enum.join(', ')}`);
  if (typeof s.type === 'string' && !hasType(v, s.type)) {
    errors.push(`${path}: must be ${s.type}, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`);
    return;
  }
  if (typeof v === 'number') checkRange(v, s, path, errors);
  if (Array.isArray(v) && s.items) v.forEach((x, i) => check(x, s.items as Schema, `${path}[${i}]`, root, errors));
  if (isObject(v)) checkObject(v, s, path, root, errors);
}

function checkRange(v: number, s: Schema, path: string, errors: string[]): void {
  if (typeof s.minimum === 'number' && v < s.minimum) errors.push(`${path}: must be ≥ ${s.minimum}`);
  if (typeof s.maximum === 'number' && v > s.maximum) errors.push(`${path}: must be ≤ ${s.maximum}`);
}

function checkObject(v: Record<string, unknown>, s: Schema, path: string, root: Schema, errors: string[]): void {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  for (const k of (s.required ?? []) as string[]) if (!(k in v)) errors.push(`${path}: missing required '${k}'`);
  for (const [k, x] of Object.entries(v)) {
    const sub = props[k];
    if (sub) check(x, sub, `${path}.${k}`, root, errors);
    else if (s.additionalProperties === false) errors.push(`${path}: unexpected property '${k}'`);
  }
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'null':
      return v === null;
    default:
      return typeof v === type;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(r: string, root: Schema): Schema {
  const m = /^#\/\$defs\/(.+)$/.exec(r);
  const target = m ? (root.$defs as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
  if (!target) throw new Error(`schema: unresolvable $ref ${r}`);
  return target;
}
