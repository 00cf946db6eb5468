/**
 * Judging a live run with the same checkers, claims and explanations as a
 * simulated one: the WAL model's claims for the scenario's configuration
 * (what PostgreSQL documents for that synchronous_commit level), checked on
 * the black-box history; everything else measured for the report's live
 * column. A replay plays the schedule again N times and counts how often
 * each guarantee broke — a real run is not deterministic.
 */
import { explainVerdict } from '../verdict/explain.js';
import { judgeClaims, measureGuarantees, GUARANTEE_FAMILIES, type ClaimOutcome, type GuaranteeMeasurement } from '../check/guarantees.js';
import type { Verdict } from '../verdict/judge.js';
import type { Violation } from '../check/types.js';
import { hashHistory } from '../sim/run.js';
import type { GuaranteeClaim, Model } from '../sim/types.js';
import type { Scenario } from '../scenario/types.js';
import { encodeToken } from '../scenario/compact.js';
import { BUILTIN_MODELS } from '../../models/index.js';
import { runLive, type LiveRun, type LiveRunOptions } from './run.js';

/** Keys the live target reads that the WAL model may not know. */
const LIVE_ONLY = ['applyDelayMs', 'isolation', 'commitCancelMs'];

/**
 * The model's configuration for a live scenario: live-only keys the model
 * rejects are left out; one it accepts (a model that learned the knob) is kept,
 * so the model judges the same case as the server.
 */
export function modelConfig(config: Record<string, unknown>): Record<string, unknown> {
  const base = Object.fromEntries(Object.entries(config).filter(([k]) => !LIVE_ONLY.includes(k)));
  const m = walModel();
  for (const k of LIVE_ONLY) {
    if (!(k in config)) continue;
    try {
      m.configure({ ...base, [k]: config[k] });
      base[k] = config[k];
    } catch {
      // the model has no such knob: the server alone reads it
    }
  }
  return base;
}

/** The live-only keys of `config` the model does not read (said beside a table cell). */
export function modelIgnores(config: Record<string, unknown>): string[] {
  const kept = modelConfig(config);
  return LIVE_ONLY.filter((k) => k in config && !(k in kept));
}

function walModel(): Model {
  const entry = BUILTIN_MODELS['wal'];
  if (!entry) throw new Error('live pg: the wal model is missing');
  return entry.model;
}

/** What the WAL model claims for this configuration (the documented promise of that commit level). */
export function liveClaims(scenario: Scenario): GuaranteeClaim[] {
  const m = walModel();
  return m.claims(m.configure(modelConfig(scenario.config)));
}

export interface LiveJudgeOptions {
  guarantees?: readonly string[];
  extraClaims?: readonly GuaranteeClaim[];
}

export interface LiveVerdict {
  scenario: Scenario;
  token: string;
  claims: GuaranteeClaim[];
  violations: Violation[];
  outcomes: ClaimOutcome[];
  /** Every replication guarantee measured on this run (claimed or not). */
  measured: GuaranteeMeasurement[];
  run: LiveRun;
}

export function judgeLive(scenario: Scenario, run: LiveRun, opts: LiveJudgeOptions = {}): LiveVerdict {
  const extra = opts.extraClaims ?? [];
  const own = liveClaims(scenario).filter((c) => !extra.some((x) => x.id === c.id));
  let claims = [...own, ...extra];
  if (opts.guarantees) claims = claims.filter((c) => opts.guarantees!.includes(c.id));
  const { violations, outcomes } = judgeClaims(run.history, claims);
  const measured = measureGuarantees(run.history, GUARANTEE_FAMILIES.replication);
  return { scenario, token: encodeToken(scenario), claims, violations, outcomes, measured, run };
}

/** Live plays in this process and their wall time (scenarios per minute in the CLI summary). */
export const livePlays = { count: 0, ms: 0, notes: new Set<string>() };

/** Play and judge one scenario on a fresh cluster. */
export async function checkLive(scenario: Scenario, opts: LiveJudgeOptions & LiveRunOptions = {}): Promise<LiveVerdict> {
  const run = await runLive(scenario, opts);
  livePlays.count++;
  livePlays.ms += run.ms;
  for (const n of run.notes) livePlays.notes.add(n);
  return judgeLive(scenario, run, opts);
}

/** The explanation `replicheck run` prints, with the live replay command. */
export function explainLive(v: LiveVerdict, times = 5, guarantees: readonly string[] = []): string {
  const history = v.run.history;
  const verdict: Verdict = {
    scenario: v.scenario,
    token: v.token,
    claims: v.claims,
    violations: v.violations,
    outcomes: v.outcomes,
    run: { history, get hash() { return hashHistory(history); }, events: history.length, endMs: history.at(-1)?.t ?? 0 },
  };
  const text = explainVerdict(verdict, { label: `PostgreSQL (${describeConfig(v.scenario.config)})` });
  // A real run is not deterministic: the replay plays the schedule again and counts.
  const extra = guarantees.length > 0 ? ` --guarantee ${guarantees.join(',')}` : '';
  return text.replace(/npx replicheck replay (\S+)/, `npx replicheck live pg --replay $1${extra} --times ${times}`);
}

export function describeConfig(c: Record<string, unknown>): string {
  const parts = [`synchronous_commit=${String(c['synchronousCommit'] ?? 'on')}`];
  const names = String(c['synchronousStandbyNames'] ?? '');
  parts.push(names ? `synchronous_standby_names='${names}'` : 'no synchronous standby');
  parts.push(`${Number(c['nodes'] ?? 3) - 1} standby(s)`);
  if (c['applyDelayMs']) parts.push(`recovery_min_apply_delay=${String(c['applyDelayMs'])}ms`);
  return parts.join(', ');
}

export interface Reproduction {
  runs: number;
  /** Runs in which each guarantee broke. */
  broke: Record<string, number>;
  /** Runs that could not judge a guarantee (evidence missing), by guarantee. */
  notJudged: Record<string, number>;
  ms: number[];
  /** The first violating verdict, for its explanation. */
  example?: LiveVerdict;
}

/** Play a scenario `times` times and count how often each claimed (or extra) guarantee broke. */
export async function reproduce(
  scenario: Scenario,
  times: number,
  opts: LiveJudgeOptions & LiveRunOptions & { onRun?: (i: number, v: LiveVerdict) => void } = {},
): Promise<Reproduction> {
  const out: Reproduction = { runs: 0, broke: {}, notJudged: {}, ms: [] };
  for (let i = 0; i < times; i++) {
    const v = await checkLive(scenario, opts);
    out.runs++;
    out.ms.push(v.run.ms);
    for (const g of new Set(v.violations.map((x) => x.guarantee))) out.broke[g] = (out.broke[g] ?? 0) + 1;
    for (const o of v.outcomes) if (o.notJudged) out.notJudged[o.id] = (out.notJudged[o.id] ?? 0) + 1;
    if (!out.example && v.violations.length > 0) out.example = v;
    opts.onRun?.(i, v);
  }
  return out;
}
