/**
 * Per-variant accumulation: one run at a time is judged (every matrix column)
 * and measured (lag, CDC lag, t-visibility, convergence, staleness), and only
 * the pooled figures are kept — never the histories, so memory stays flat
 * however many runs a report makes. Minimal runs are re-simulated later from
 * their scenarios.
 */
import {
  DEFAULT_VISIBILITY_GRID_MS,
  cdcMetrics,
  convergenceTime,
  encodeToken,
  faultOutside,
  faultWindows,
  isGuaranteeId,
  judgeClaims,
  judgeScenario,
  measureGuarantees,
  notJudgeable,
  measureStaleness,
  scenarioSize,
  standbyLag,
  stalenessSummary,
  summarize,
  visibilityCurve,
  type FaultProfileName,
  type GuaranteeClaim,
  type GuaranteeId,
  type History,
  type LatencySummary,
  type ReadStaleness,
  type Scenario,
} from '../src/analysis.js';
import type { ReportModelEntry } from './run.js';
import type { CellDoc, CounterexampleDoc, SummaryDoc, VariantDoc } from './schema.js';

/** One model variant as the runner sees it. */
export interface Target {
  modelName: string;
  entry: ReportModelEntry;
  variant: string;
  config: Record<string, unknown>;
  claims: GuaranteeClaim[];
  /** Matrix columns: every built-in guarantee, the family's checkers, and the claims. */
  columns: string[];
  nodes: string[];
}

/** How one guarantee fared in one run. */
export interface Outcome {
  judged: boolean;
  /** Why the run could not judge it (when not judged). */
  notJudged?: string;
  /** The claim was in force (claimed, and no fault outside its tolerance). */
  inClaim: boolean;
  violations: number;
  example?: string;
}

/**
 * Judge the columns of a target (or only `only`) on one history: a claimed
 * guarantee in force is judged as the property suite judges it (judgeClaims,
 * which may find its evidence missing); everything else is measured as
 * measureGuarantees does (each guarantee's default options, fault tolerance
 * ignored), family checkers with default options.
 */
export function judgeColumns(t: Target, h: History, only?: string): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  const checkers = t.entry.checkers ?? {};
  const toMeasure: GuaranteeId[] = [];
  for (const g of only ? [only] : t.columns) {
    const claim = t.claims.find((c) => c.id === g);
    if (claim && !faultOutside(h, claim.tolerates)) {
      const { outcomes: [o], violations: vs } = judgeClaims(h, [claim], {}, checkers);
      out.set(g, o?.notJudged !== undefined
        ? { judged: false, notJudged: o.notJudged, inClaim: true, violations: 0 }
        : { judged: true, inClaim: true, violations: vs.length, ...(vs[0] ? { example: vs[0].sentence } : {}) });
    } else if (checkers[g]) {
      const why = notJudgeable(h, g);
      const vs = why === undefined ? checkers[g](h, {}) : [];
      out.set(g, { judged: why === undefined, ...(why !== undefined ? { notJudged: why } : {}), inClaim: false,
        violations: vs.length, ...(vs[0] ? { example: vs[0].sentence } : {}) });
    } else if (isGuaranteeId(g)) toMeasure.push(g);
  }
  for (const m of measureGuarantees(h, toMeasure)) {
    out.set(m.id, {
      judged: m.judged, ...(m.notJudged !== undefined ? { notJudged: m.notJudged } : {}), inClaim: false,
      violations: m.violations, ...(m.example ? { example: m.example } : {}),
    });
  }
  return out;
}

/** A run that could not be judged: simulator limit, model error, determinism guard, or a checker that threw. */
export interface RunFailure {
  kind: string;
  message: string;
  profile: FaultProfileName;
  token: string;
}

/** The smallest run that broke a cell (in the way the cell counts). */
export interface SmallestRun {
  profile: FaultProfileName;
  index: number;
  scenario: Scenario;
  inClaim: boolean;
  ops: number;
  faults: number;
}

export interface CellAcc {
  runs: number;
  broken: number;
  outsideRuns: number;
  outsideBroken: number;
  /** Every judged run per profile, in claim or not (for the anomaly chart). */
  byProfile: Map<string, { runs: number; broken: number }>;
  /** Runs that could not judge it, by reason. */
  notJudged: Map<string, number>;
  example?: string;
  smallest?: SmallestRun;
  counterexample?: CounterexampleDoc;
}

export interface LagAcc {
  source: 'report' | 'standby-events';
  write: number[];
  flush: number[];
  replay: number[];
  positions: number;
  unreplayed: number;
}

export interface SinkAcc {
  applies: number;
  reapplied: number;
  lag: number[];
}

/** What a run offers for the "lag over time" chart. */
export interface LagCandidateInfo {
  peakMs: number;
  faults: number;
}

/**
 * What a VariantAcc holds, as structured-cloneable data: a worker thread
 * accumulates one (variant, profile) cell and the main thread absorbs the cells in
 * a fixed order, which gives the figures one thread would have computed.
 */
export interface AccState {
  runs: number;
  events: number;
  failures: RunFailure[];
  cells: Map<string, CellAcc>;
  lag: Map<string, LagAcc>;
  sinks: Map<string, SinkAcc>;
  duplicates: number;
  vis: VisRun[];
  convergence: number[];
  stale: ReadStaleness[];
}

/** One run's visibility curve: summed in run order when the document is built (floating point is not associative). */
interface VisRun {
  writes: number;
  probabilities: number[];
}

export class VariantAcc {
  runs = 0;
  events = 0;
  readonly failures: RunFailure[] = [];
  private readonly cells = new Map<string, CellAcc>();
  private readonly lag = new Map<string, LagAcc>();
  private readonly sinks = new Map<string, SinkAcc>();
  private duplicates = 0;
  private readonly vis: VisRun[] = [];
  private readonly convergence: number[] = [];
  private readonly stale: ReadStaleness[] = [];

  constructor(readonly target: Target) {
    for (const g of target.columns) {
      this.cells.set(g, { runs: 0, broken: 0, outsideRuns: 0, outsideBroken: 0, byProfile: new Map(), notJudged: new Map() });
    }
  }

  cell(g: string): CellAcc {
    const c = this.cells.get(g);
    if (!c) throw new Error(`no column '${g}' for ${this.target.modelName}/${this.target.variant}`);
    return c;
  }

  /** Columns with a counted break (in claim for claimed ones, measured for the rest). */
  brokenCells(): string[] {
    return this.target.columns.filter((g) => this.cell(g).broken > 0 && this.cell(g).smallest);
  }

  /** Simulate, judge and measure one scenario. Returns what it offers the lag-over-time chart, if anything. */
  observe(profile: FaultProfileName, index: number, scenario: Scenario): LagCandidateInfo | undefined {
    this.runs++;
    const fail = (kind: string, err: unknown): undefined => {
      const message = err instanceof Error ? err.message : String(err);
      this.failures.push({ kind, message, profile, token: encodeToken(scenario) });
      return undefined;
    };
    let h: History;
    try {
      const v = judgeScenario(this.target.entry.model, scenario, { guarantees: [] });
      if (v.failure || !v.run) return fail(v.failure?.kind ?? 'harness-error', v.failure?.message ?? 'no run');
      this.events += v.run.events;
      h = v.run.history;
    } catch (err) {
      return fail('harness-error', err);
    }
    try {
      this.judge(profile, index, scenario, h);
    } catch (err) {
      return fail('checker-error', err);
    }
    try {
      return this.measure(h);
    } catch (err) {
      return fail('metric-error', err);
    }
  }

  private judge(profile: FaultProfileName, index: number, scenario: Scenario, h: History): void {
    for (const [g, o] of judgeColumns(this.target, h)) {
      const c = this.cell(g);
      if (!o.judged) {
        if (o.notJudged !== undefined) c.notJudged.set(o.notJudged, (c.notJudged.get(o.notJudged) ?? 0) + 1);
        continue;
      }
      const broke = o.violations > 0;
      const outside = !o.inClaim && this.target.claims.some((x) => x.id === g);
      if (outside) {
        c.outsideRuns++;
        if (broke) c.outsideBroken++;
      } else {
        c.runs++;
        if (broke) c.broken++;
      }
      const bp = c.byProfile.get(profile) ?? { runs: 0, broken: 0 };
      bp.runs++;
      if (broke) bp.broken++;
      c.byProfile.set(profile, bp);
      if (!broke) continue;
      c.example ??= o.example;
      if (!outside) c.smallest = smaller(c.smallest, { profile, index, scenario, inClaim: o.inClaim, ...scenarioSize(scenario) });
    }
  }

  private measure(h: History): LagCandidateInfo | undefined {
    let peakMs = -1;
    for (const s of standbyLag(h)) {
      const a = this.lag.get(s.standby) ?? { source: s.source, write: [], flush: [], replay: [], positions: 0, unreplayed: 0 };
      for (const p of s.positions) {
        if (p.writeLagMs !== null) a.write.push(p.writeLagMs);
        if (p.flushLagMs !== null) a.flush.push(p.flushLagMs);
        if (p.replayLagMs !== null) a.replay.push(p.replayLagMs);
      }
      a.positions += s.positions.length;
      a.unreplayed += s.unreplayedCount;
      this.lag.set(s.standby, a);
      const shown = s.series.map((p) => p.replayLagMs).filter((v): v is number => v !== null);
      if (shown.length >= 2) peakMs = Math.max(peakMs, ...shown);
    }
    this.measureCdc(h);
    const vis = visibilityCurve(h);
    if (vis.writes > 0) this.vis.push({ writes: vis.writes, probabilities: vis.points.map((p) => p.probability) });
    const conv = convergenceTime(h);
    if (conv) this.convergence.push(conv.convergenceMs);
    for (const s of measureStaleness(h)) this.stale.push({ versionsBehind: s.versionsBehind, staleMs: s.staleMs });
    return peakMs >= 0 ? { peakMs, faults: faultWindows(h).length } : undefined;
  }

  private measureCdc(h: History): void {
    const cdc = cdcMetrics(h);
    for (const s of cdc.sinks) {
      const a = this.sinks.get(s.sink) ?? { applies: 0, reapplied: 0, lag: [] };
      a.applies += s.samples.length;
      a.reapplied += s.reappliedCount;
      for (const x of s.samples) a.lag.push(x.lagMs);
      this.sinks.set(s.sink, a);
    }
    for (const d of cdc.duplicates) this.duplicates += d.duplicates;
  }

  /** Everything accumulated, as data (see AccState). */
  state(): AccState {
    return {
      runs: this.runs, events: this.events, failures: this.failures, cells: this.cells, lag: this.lag, sinks: this.sinks,
      duplicates: this.duplicates, vis: this.vis, convergence: this.convergence, stale: this.stale,
    };
  }

  /**
   * Add what another accumulator of the same target gathered, as if its runs had
   * been observed here next: sums add, lists append, first examples and the
   * earlier smallest run win, maps keep first-seen order.
   */
  absorb(s: AccState): void {
    this.runs += s.runs;
    this.events += s.events;
    append(this.failures, s.failures);
    for (const [g, c] of s.cells) {
      const mine = this.cell(g);
      mine.runs += c.runs;
      mine.broken += c.broken;
      mine.outsideRuns += c.outsideRuns;
      mine.outsideBroken += c.outsideBroken;
      for (const [p, x] of c.byProfile) {
        const bp = mine.byProfile.get(p) ?? { runs: 0, broken: 0 };
        mine.byProfile.set(p, { runs: bp.runs + x.runs, broken: bp.broken + x.broken });
      }
      for (const [reason, n] of c.notJudged) mine.notJudged.set(reason, (mine.notJudged.get(reason) ?? 0) + n);
      mine.example ??= c.example;
      if (c.smallest) mine.smallest = smaller(mine.smallest, c.smallest);
    }
    for (const [standby, a] of s.lag) {
      const mine = this.lag.get(standby);
      if (!mine) {
        this.lag.set(standby, { ...a, write: [...a.write], flush: [...a.flush], replay: [...a.replay] });
        continue;
      }
      append(mine.write, a.write);
      append(mine.flush, a.flush);
      append(mine.replay, a.replay);
      mine.positions += a.positions;
      mine.unreplayed += a.unreplayed;
    }
    for (const [sink, a] of s.sinks) {
      const mine = this.sinks.get(sink);
      if (!mine) {
        this.sinks.set(sink, { ...a, lag: [...a.lag] });
        continue;
      }
      mine.applies += a.applies;
      mine.reapplied += a.reapplied;
      append(mine.lag, a.lag);
    }
    this.duplicates += s.duplicates;
    append(this.vis, s.vis);
    append(this.convergence, s.convergence);
    append(this.stale, s.stale);
  }

  toDoc(): VariantDoc {
    const t = this.target;
    const st = stalenessSummary(this.stale);
    const visWrites = this.vis.reduce((n, r) => n + r.writes, 0);
    const sums = DEFAULT_VISIBILITY_GRID_MS.map(() => 0);
    for (const r of this.vis) r.probabilities.forEach((p, i) => (sums[i] = (sums[i] ?? 0) + r.writes * p));
    return {
      name: t.variant,
      config: t.config,
      claims: t.claims.map((c) => ({ id: c.id, under: c.under ?? null, tolerates: c.tolerates ? [...c.tolerates] : null })),
      runs: this.runs,
      harnessFailures: this.failures.length,
      cells: t.columns.map((g) => this.cellDoc(g)),
      lag: [...this.lag.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([standby, a]) => ({
        standby,
        source: a.source,
        positions: a.positions,
        unreplayed: a.unreplayed,
        writeLagMs: summaryDoc(summarize(a.write)),
        flushLagMs: summaryDoc(summarize(a.flush)),
        replayLagMs: summaryDoc(summarize(a.replay)),
      })),
      sinks: [...this.sinks.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sink, a]) => ({
        sink,
        applies: a.applies,
        reapplied: a.reapplied,
        lagMs: summaryDoc(summarize(a.lag)),
      })),
      duplicateDeliveries: this.duplicates,
      visibility: visWrites === 0 ? null : {
        writes: visWrites,
        points: DEFAULT_VISIBILITY_GRID_MS.map((tMs, i) => ({ tMs, probability: round((sums[i] ?? 0) / visWrites, 4) })),
      },
      convergence: { runs: this.convergence.length, ms: summaryDoc(summarize(this.convergence)), valuesMs: this.convergence.map((v) => round(v, 3)) },
      staleness: { ...st, staleFraction: st.staleFraction === null ? null : round(st.staleFraction, 4), staleMs: summaryDoc(st.staleMs) },
    };
  }

  private cellDoc(g: string): CellDoc {
    const c = this.cell(g);
    const claim = this.target.claims.find((x) => x.id === g);
    const status: CellDoc['status'] = claim
      ? c.broken > 0 ? 'finding' : c.runs > 0 ? 'holds' : 'not-judged'
      : c.broken > 0 ? 'broken' : c.runs > 0 ? 'held' : 'not-judged';
    return {
      guarantee: g,
      claimed: claim !== undefined,
      under: claim?.under ?? null,
      status,
      runs: c.runs,
      broken: c.broken,
      outsideRuns: c.outsideRuns,
      outsideBroken: c.outsideBroken,
      byProfile: [...c.byProfile.entries()].map(([profile, x]) => ({ profile, ...x })),
      notJudged: mostFrequent(c.notJudged),
      example: c.example ?? null,
      counterexample: c.counterexample ?? null,
    };
  }
}

/** Append in place without spreading a long list into arguments. */
function append<T>(to: T[], from: readonly T[]): void {
  for (const x of from) to.push(x);
}

/** The reason most runs gave for not judging a cell (the first seen wins a tie). */
function mostFrequent(reasons: Map<string, number>): { runs: number; reason: string } | null {
  let best: [string, number] | undefined;
  for (const r of reasons) if (!best || r[1] > best[1]) best = r;
  return best ? { runs: [...reasons.values()].reduce((n, x) => n + x, 0), reason: best[0] } : null;
}

/** Fewer ops + faults first, then fewer ops; the earlier run wins a tie. */
function smaller(a: SmallestRun | undefined, b: SmallestRun): SmallestRun {
  if (!a) return b;
  const ka = a.ops + a.faults;
  const kb = b.ops + b.faults;
  return kb < ka || (kb === ka && b.ops < a.ops) ? b : a;
}

function summaryDoc(s: LatencySummary | null): SummaryDoc | null {
  if (!s) return null;
  return { count: s.count, p50: round(s.p50, 3), p90: round(s.p90, 3), p99: round(s.p99, 3), p999: round(s.p999, 3), max: round(s.max, 3), mean: round(s.mean, 3) };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
