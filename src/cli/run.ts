/**
 * `replicheck run <model | ./path/to/model.ts>`: run the property suite (every
 * claimed guarantee, generated scenarios with faults) on one model, over each of
 * its variants or the one chosen, spread over worker threads. Exit 1 when a
 * claimed guarantee breaks, 2 when the model throws, hangs, a run hits a limit or
 * the model breaks its contract (its events or reads disagree with its visible
 * state; src/check/contract.ts), 3 when nothing broke but some claimed guarantee
 * was never judged (no run had the evidence it needs) — never 0 with "held" for a
 * claim nobody checked.
 *
 * Runs are numbered: run i judges variant i mod V with a seed derived from the
 * run seed and i (src/run/explore.ts), so which run fails first, and its token,
 * do not depend on the worker count; `--shard i/n` judges a disjoint slice of
 * the numbers, and the first failure over all shards is the lowest run number.
 */
import type { Command } from 'commander';
import {
  defaultRuns,
  defaultSeed,
  recordFailure,
  retrySaved,
  type NotJudged,
} from '../../properties/harness.js';
import { explainVerdict, replayCommand } from '../verdict/explain.js';
import { judgeScenario, type Verdict } from '../verdict/judge.js';
import { DEFAULT_FAILURE_FILE } from '../verdict/failures.js';
import { FAULT_PROFILE_NAMES } from '../scenario/arbitraries.js';
import { decodeToken, scenarioSize } from '../scenario/compact.js';
import { parseScenario } from '../scenario/validate.js';
import { explore, startRunPool, type ExploreResult, type RunRecord, type Shard } from '../run/explore.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers } from '../run/pool.js';
import { progressLine } from '../run/progress.js';
import { assertBug, parseProfile, targetOptions, variantTargets, type RunTarget } from '../run/targets.js';
import { loadModel, type LoadedModel } from './load-model.js';
import { intOption, MAX_RUNS, MAX_EXPLORE_SEED, println, shardOption } from './options.js';

interface RunOptions {
  bug?: string;
  variant?: string;
  config?: string;
  profile?: string;
  runs?: string;
  seed?: string;
  workers?: string;
  shard?: string;
  maxEvents?: string;
  timeoutMs?: string;
  json?: boolean;
  failureFile?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the property suite on one model; exit 1 when a claimed guarantee breaks, 3 when one was never judged')
    .argument('<model>', 'built-in model name or path to a model module (./my-model.ts)')
    .option('--bug <name>', 'enable a planted bug')
    .option('--variant <name>', 'run only this variant (default: every variant)')
    .option('--config <json>', 'run this configuration (JSON object) instead of the variants')
    .option('--profile <name>', `fault profile: ${FAULT_PROFILE_NAMES.join(', ')} (default: the model's own, else everything)`)
    .option('--runs <n>', 'scenarios per variant (default REPLICHECK_RUNS or 100)')
    .option('--seed <n>', 'run seed (default REPLICHECK_SEED or fixed per model and bug)')
    .option('--workers <n>', `worker threads (default ${defaultWorkers()}, the cores available)`)
    .option('--shard <i/n>', 'judge only the i-th of n disjoint slices of the runs (a CI matrix; the lowest failing run wins)')
    .option('--max-events <n>', 'simulator event budget per run (a run past it fails with a limit, exit 2)')
    .option('--timeout-ms <n>', `wall-clock ms a run may take before it is reported as "model hangs" (default ${DEFAULT_TIMEOUT_MS})`)
    .option('--no-failure-file', 'neither replay nor save .replicheck/failures.json')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExit codes: 0 every claimed guarantee held and was judged; 1 a claimed guarantee broke; ' +
      '2 bad input or harness error (a model that throws, hangs or hits a limit); 3 nothing broke, but a claimed guarantee ' +
      'was never judged (printed with the reason).')
    .action(async (ref: string, opts: RunOptions) => {
      process.exitCode = await runCommand(ref, opts);
    });
}

interface Plan {
  ref: string;
  entry: LoadedModel;
  bug?: string;
  targets: RunTarget[];
  runsPerVariant: number;
  seed: number;
  workers: number;
  shard?: Shard;
  timeoutMs: number;
}

/** How the run ended: a failure found (saved or explored), or every run judged. */
interface Outcome {
  /** Runs judged in all: saved failures replayed first, then explored runs. */
  runs: number;
  /** Saved failures that passed this time and were dropped, per target. */
  fixed: number[];
  saved: number;
  explored?: ExploreResult;
  found?: Found;
  notJudged: (NotJudged & { variant: string })[];
  ms: number;
}

interface Found {
  target: RunTarget;
  /** The run number, or null for a saved failure replayed first. */
  runIndex: number | null;
  guarantee: string;
  sentence: string;
  token: string;
  /** The unshrunk run's token when shrinking gave a smaller one. */
  runToken?: string;
  /** Judged again here from the token, for the explanation (none for a run that hung or crashed its worker). */
  verdict?: Verdict;
  harness: boolean;
  ops: number;
  faults: number;
  runsUntilFound: number;
  msUntilFound: number;
}

async function runCommand(ref: string, opts: RunOptions): Promise<number> {
  const plan = await planRun(ref, opts);
  const o = await execute(plan, opts);
  if (opts.json) printJson(plan, o);
  else printText(plan, o);
  if (o.found) return o.found.harness ? 2 : 1;
  return o.notJudged.length > 0 ? 3 : 0;
}

async function planRun(ref: string, opts: RunOptions): Promise<Plan> {
  const entry = await loadModel(ref);
  assertBug(entry, ref, opts.bug);
  const profile = opts.profile !== undefined ? parseProfile(opts.profile) : undefined;
  const runsPerVariant = intOption(opts.runs, '--runs', 1, MAX_RUNS) ?? defaultRuns();
  const seed = intOption(opts.seed, '--seed', 0, MAX_EXPLORE_SEED) ?? defaultSeed(`${ref}${opts.bug ? ` with bug ${opts.bug}` : ''}`);
  const workers = intOption(opts.workers, '--workers', 1) ?? defaultWorkers();
  const maxEvents = intOption(opts.maxEvents, '--max-events', 1);
  const timeoutMs = intOption(opts.timeoutMs, '--timeout-ms', 1) ?? DEFAULT_TIMEOUT_MS;
  const shard = shardOption(opts.shard);
  // The model's own workload and profile (a user's --profile wins); each configuration checked up front (exit 2).
  const targets = variantTargets(entry, {
    ...(profile ? { profile } : {}),
    ...(opts.bug !== undefined ? { bug: opts.bug } : {}),
    ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
    ...(opts.config !== undefined ? { config: opts.config } : {}),
    ...(maxEvents !== undefined ? { limits: { maxEvents } } : {}),
  });
  return {
    ref, entry, targets, runsPerVariant, seed, workers, timeoutMs,
    ...(opts.bug !== undefined ? { bug: opts.bug } : {}),
    ...(shard ? { shard } : {}),
  };
}

async function execute(plan: Plan, opts: RunOptions): Promise<Outcome> {
  const t0 = performance.now();
  const saved = opts.failureFile === false ? undefined : replaySaved(plan);
  if (saved?.found) {
    return { runs: saved.runs, fixed: saved.fixed, saved: saved.runs, found: saved.found, notJudged: [], ms: Math.round(performance.now() - t0) };
  }
  const pool = startRunPool({ refs: [plan.ref], workers: plan.workers, timeoutMs: plan.timeoutMs });
  const total = shardSize(plan);
  const bar = progressLine({ label: 'run', total, quiet: opts.json === true });
  let explored: ExploreResult;
  try {
    await pool.ready();
    explored = await explore(pool, {
      targets: plan.targets,
      entries: new Map([[plan.ref, plan.entry]]),
      seed: plan.seed,
      runs: plan.runsPerVariant * plan.targets.length,
      stopAtFirstFailure: true,
      tally: true,
      ...(plan.shard ? { shard: plan.shard } : {}),
      onRun: (done, failing) => bar.update(done, failing),
    });
  } finally {
    bar.stop();
    await pool.close();
  }
  const rec = explored.failing[0];
  const found = rec ? foundOf(plan, rec, explored.runs) : undefined;
  if (found?.verdict && opts.failureFile !== false) save(plan, found);
  const notJudged = found
    ? []
    : plan.targets.flatMap((t, i) => (explored.tallies?.[i]?.neverJudged() ?? []).map((n) => ({ variant: t.variant, ...n })));
  const savedRuns = saved?.runs ?? 0;
  return {
    runs: savedRuns + explored.runs,
    fixed: saved?.fixed ?? plan.targets.map(() => 0),
    saved: savedRuns,
    explored,
    ...(found ? { found } : {}),
    notJudged,
    ms: Math.round(performance.now() - t0),
  };
}

/** Runs this shard judges when nothing fails. */
function shardSize(plan: Plan): number {
  const T = plan.targets.length;
  const rounds = plan.runsPerVariant;
  if (!plan.shard) return rounds * T;
  const mine = Math.floor(rounds / plan.shard.count) + (plan.shard.index < rounds % plan.shard.count ? 1 : 0);
  return mine * T;
}

function failureTarget(t: RunTarget): { model: string; config: Record<string, unknown>; bug?: string } {
  return { model: t.modelRef, config: t.config, ...(t.bug !== undefined ? { bug: t.bug } : {}) };
}

/**
 * Saved failures first, in this thread: those that pass now are dropped from the
 * file; the first that still fails is reported without exploring.
 */
function replaySaved(plan: Plan): { runs: number; fixed: number[]; found?: Found } {
  const t0 = performance.now();
  let runs = 0;
  const fixed: number[] = [];
  for (const t of plan.targets) {
    const opts = targetOptions(plan.entry, t);
    const r = retrySaved(plan.entry.model, opts, failureTarget(t));
    fixed.push(r.fixed);
    runs += r.fixed + r.stillFailing.length;
    const first = r.stillFailing[0];
    if (!first) continue;
    const verdict = judgeScenario(plan.entry.model, first, { ...(plan.entry.checkers ? { checkers: plan.entry.checkers } : {}) });
    const size = scenarioSize(first);
    const v = verdict.violations[0];
    return {
      runs,
      fixed,
      found: {
        target: t, runIndex: null, verdict, token: verdict.token, harness: verdict.failure !== undefined,
        guarantee: verdict.failure ? `run-failure:${verdict.failure.kind}` : v?.guarantee ?? 'run-failure:unknown',
        sentence: verdict.failure?.message ?? v?.sentence ?? '',
        ops: size.ops, faults: size.faults, runsUntilFound: runs, msUntilFound: Math.round(performance.now() - t0),
      },
    };
  }
  return { runs, fixed };
}

/** The first failing run as `run` reports it; judged again here (one run) for the explanation. */
function foundOf(plan: Plan, rec: RunRecord, runs: number): Found {
  const f = rec.finding;
  const base = {
    target: rec.target, runIndex: rec.index, token: f.token, ...(rec.runToken ? { runToken: rec.runToken } : {}),
    runsUntilFound: runs, msUntilFound: Math.round(rec.atMs),
  };
  // A run that hung would hang this thread too, and one that crashed its worker may crash it.
  if (f.status === 'failure' && (f.kind === 'hang' || f.kind === 'crash')) {
    const size = sizeOf(f.token);
    return { ...base, guarantee: `run-failure:${f.kind}`, sentence: f.message, harness: true, ...size };
  }
  const scenario = parseScenario(decodeToken(f.token));
  const verdict = judgeScenario(plan.entry.model, scenario, { ...(plan.entry.checkers ? { checkers: plan.entry.checkers } : {}) });
  const v = verdict.violations[0];
  return {
    ...base,
    verdict,
    harness: verdict.failure !== undefined || f.status === 'failure',
    guarantee: verdict.failure ? `run-failure:${verdict.failure.kind}` : v?.guarantee ?? (f.status === 'alarm' ? f.guarantee : `run-failure:${f.kind}`),
    sentence: verdict.failure?.message ?? v?.sentence ?? (f.status === 'alarm' ? f.sentence : f.message),
    ...scenarioSize(scenario),
  };
}

function sizeOf(token: string): { ops: number; faults: number } {
  try {
    return scenarioSize(parseScenario(decodeToken(token)));
  } catch {
    return { ops: 0, faults: 0 };
  }
}

function save(plan: Plan, found: Found): void {
  const r = { guarantee: found.guarantee, sentence: found.sentence, token: found.token, verdict: found.verdict };
  recordFailure(DEFAULT_FAILURE_FILE, failureTarget(found.target), r);
}

function label(plan: Plan, t: RunTarget): string {
  return `${plan.ref} (${t.variant})${plan.bug ? ` with bug ${plan.bug}` : ''}`;
}

function shardText(plan: Plan, o: Outcome): string {
  if (!plan.shard) return '';
  const { index, count } = plan.shard;
  const T = plan.targets.length;
  const upTo = o.explored?.upTo ?? 0;
  return `shard ${index + 1}/${count}: runs i < ${upTo} with ⌊i/${T}⌋ mod ${count} = ${index}`;
}

function printText(plan: Plan, o: Outcome): void {
  const e = o.explored;
  plan.targets.forEach((t, i) => {
    const runs = e?.runsPerTarget[i] ?? 0;
    const nj = o.notJudged.filter((n) => n.variant === t.variant);
    const status = o.found?.target === t
      ? `✗ broke ${o.found.guarantee} at ${o.found.runIndex === null ? 'a saved failure' : `run ${o.found.runIndex}`}`
      : nj.length > 0
        ? `? ${runs} runs, not judged: ${nj.map((n) => n.guarantee).join(', ')}`
        : `✓ ${runs} runs`;
    const fixed = o.fixed[i] ? ` (${o.fixed[i]} saved failure${o.fixed[i]! > 1 ? 's' : ''} now pass)` : '';
    println(`${t.variant.padEnd(24)} ${status}${fixed}`);
  });
  const profiles = [...new Set(plan.targets.map((t) => t.profile))].join('/');
  const where = `profile ${profiles}, seed ${plan.seed}, ${plan.workers} worker${plan.workers > 1 ? 's' : ''}`;
  if (plan.shard) println(`${shardText(plan, o)} (${e?.runs ?? 0} runs)`);
  const f = o.found;
  if (f) {
    const which = f.runIndex === null ? 'a saved failure, replayed first' : `run ${f.runIndex} (${where})`;
    println(`\nfirst failure: ${which}`);
    if (f.verdict) {
      println(`\n${explainVerdict(f.verdict, { label: label(plan, f.target) })}`);
    } else {
      println(`\n✗ ${label(plan, f.target)}: ${f.sentence}`);
      println(`  the run was stopped; its scenario: ${replayCommand(f.token)}`);
    }
  } else if (o.notJudged.length > 0) {
    const n = o.notJudged.length;
    println(`\nno claimed guarantee broke over ${o.runs} scenarios (${o.ms} ms, ${where}), but ${n} claimed guarantee${n > 1 ? 's were' : ' was'} never judged:`);
    for (const x of o.notJudged) {
      println(`  ${plan.targets.length > 1 || x.variant !== 'default' ? `${x.variant}: ` : ''}${x.guarantee} — not judged (${x.reason}) in all ${x.runs} runs`);
    }
  } else {
    println(`\nall claimed guarantees held over ${o.runs} scenarios (${o.ms} ms, ${where})`);
  }
}

function printJson(plan: Plan, o: Outcome): void {
  const f = o.found;
  const e = o.explored;
  const out = {
    model: plan.ref,
    bug: plan.bug ?? null,
    runs: o.runs,
    found: Boolean(f),
    notJudged: o.notJudged.map((n) => ({ variant: n.variant, guarantee: n.guarantee, reason: n.reason, runs: n.runs })),
    variant: f?.target.variant ?? null,
    guarantee: f?.guarantee ?? null,
    sentence: f?.sentence ?? null,
    token: f?.token ?? null,
    replay: f ? replayCommand(f.token) : null,
    runToken: f?.runToken ?? null,
    runIndex: f?.runIndex ?? null,
    shrunkOps: f?.ops ?? null,
    shrunkFaults: f?.faults ?? null,
    runsUntilFound: f?.runsUntilFound ?? null,
    msUntilFound: f?.msUntilFound ?? null,
    ms: o.ms,
    seed: plan.seed,
    workers: plan.workers,
    shard: plan.shard
      ? { index: plan.shard.index + 1, count: plan.shard.count, upTo: e?.upTo ?? 0, runs: e?.runs ?? 0, explored: shardText(plan, o) }
      : null,
    variants: plan.targets.map((t, i) => ({
      variant: t.variant, runs: e?.runsPerTarget[i] ?? 0, found: f?.target === t, seed: plan.seed,
      notJudged: o.notJudged.filter((n) => n.variant === t.variant).map((n) => ({ guarantee: n.guarantee, reason: n.reason, runs: n.runs })),
    })),
  };
  println(JSON.stringify(out, null, 2));
}
