/**
 * `replicheck soak`: run the clean variants (no planted bug) of every built-in
 * model, or of the models named, at fresh seeds on every core, for a number of runs
 * or a time, and report every false alarm with its replay token. A clean variant
 * that breaks a guarantee it claims is a false alarm: of the model or of the
 * checker, either way a verdict that cannot be trusted.
 *
 * The soak's own seed is printed first; run i uses a seed derived from it and i,
 * so `--seed S --runs N` replays a soak whatever the worker count.
 * Exit 0 when nothing broke, 1 on a false alarm, 2 when runs could not be judged
 * (the model threw, hit a limit or hung) or on bad input.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { BUILTIN_MODELS } from '../../models/index.js';
import { replayCommand } from '../verdict/explain.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers } from '../run/pool.js';
import { explore, startRunPool, type ExploreResult, type RunRecord, type Shard } from '../run/explore.js';
import { assertBug, parseProfile, variantTargets, type RunTarget } from '../run/targets.js';
import { loadModel, type LoadedModel } from './load-model.js';
import { intOption, MAX_RUNS, MAX_EXPLORE_SEED, OptionError, println, shardOption } from './options.js';

interface SoakOptions {
  model?: string[];
  runs?: string;
  time?: string;
  seed?: string;
  workers?: string;
  timeout?: string;
  profile?: string;
  bug?: string;
  shard?: string;
  json?: boolean;
}

const DEFAULT_RUNS = 1000;

export function registerSoak(program: Command): void {
  program
    .command('soak')
    .description('run clean variants at fresh seeds on every core; report every false alarm with its token')
    .option('--model <name>', 'soak this model (built-in name or path; repeat for several; default every built-in model)', collect, [])
    .option('--runs <n>', `runs in all (default ${DEFAULT_RUNS}, or unbounded with --time)`)
    .option('--time <duration>', 'stop starting runs after this long: 90s, 5m, 1h')
    .option('--seed <n>', 'soak seed (default: a random one, printed first)')
    .option('--workers <n>', `worker threads (default ${defaultWorkers()}, the cores available)`)
    .option('--timeout <s>', `seconds a run may take before it is reported as a hang (default ${DEFAULT_TIMEOUT_MS / 1000})`)
    .option('--profile <name>', "fault profile (default each model's own, else everything)")
    .option('--bug <name>', 'plant this bug in every variant (to see the soak catch one; not a soak of clean models)')
    .option('--shard <i/n>', 'judge only the i-th of n disjoint slices of the runs (a CI matrix)')
    .option('--json', 'print one JSON document')
    .action(async (opts: SoakOptions) => {
      process.exitCode = await soakCommand(opts);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface SoakPlan {
  seed: number;
  runs?: number;
  timeMs?: number;
  workers: number;
  timeoutMs: number;
  shard?: Shard;
  /** The --profile given, as typed (soak again must say it: the runs depend on it). */
  profile?: string;
  entries: Map<string, LoadedModel>;
  targets: RunTarget[];
}

async function soakCommand(opts: SoakOptions): Promise<number> {
  const plan = await planSoak(opts);
  if (!opts.json) {
    println(`soak seed ${plan.seed}: ${plan.targets.length} variant${plan.targets.length > 1 ? 's' : ''} of ${[...plan.entries.keys()].join(', ')} on ${plan.workers} worker${plan.workers > 1 ? 's' : ''}`);
  }
  const pool = startRunPool({ refs: [...plan.entries.keys()], workers: plan.workers, timeoutMs: plan.timeoutMs });
  const bar = progress(opts.json === true, plan);
  let result: ExploreResult;
  const t0 = performance.now();
  let start = t0;
  try {
    await pool.ready();
    start = performance.now();
    result = await explore(pool, {
      targets: plan.targets,
      entries: plan.entries,
      seed: plan.seed,
      ...(plan.runs !== undefined ? { runs: plan.runs } : {}),
      ...(plan.timeMs !== undefined ? { deadline: start + plan.timeMs } : {}),
      ...(plan.shard ? { shard: plan.shard } : {}),
      onRun: (done, failing) => bar?.update(done, { failing, rate: (done / ((performance.now() - start) / 1000)).toFixed(1) }),
    });
  } finally {
    bar?.stop();
    await pool.close();
  }
  const end = performance.now();
  const summary = summarize(plan, result, Math.round(end - t0), end - start);
  if (opts.json) println(JSON.stringify(summary, null, 2));
  else printSummary(summary);
  if (summary.falseAlarms > 0) return 1;
  return summary.harnessFailures > 0 ? 2 : 0;
}

async function planSoak(opts: SoakOptions): Promise<SoakPlan> {
  const refs = opts.model && opts.model.length > 0 ? [...new Set(opts.model)] : Object.keys(BUILTIN_MODELS);
  const runs = intOption(opts.runs, '--runs', 1, MAX_RUNS);
  const timeMs = opts.time !== undefined ? parseDuration(opts.time) : undefined;
  const seed = intOption(opts.seed, '--seed', 0, MAX_EXPLORE_SEED) ?? Math.floor(Math.random() * 0x7fffffff);
  const workers = intOption(opts.workers, '--workers', 1) ?? defaultWorkers();
  const timeoutS = opts.timeout !== undefined ? Number(opts.timeout) : DEFAULT_TIMEOUT_MS / 1000;
  if (!(timeoutS > 0)) throw new OptionError(`--timeout must be a positive number of seconds, got '${opts.timeout}'`);
  const profile = opts.profile !== undefined ? parseProfile(opts.profile) : undefined;
  const shard = shardOption(opts.shard);
  const entries = new Map<string, LoadedModel>();
  const targets: RunTarget[] = [];
  for (const ref of refs) {
    const entry = await loadModel(ref);
    assertBug(entry, ref, opts.bug);
    entries.set(ref, entry);
    targets.push(...variantTargets(entry, { ...(profile ? { profile } : {}), ...(opts.bug !== undefined ? { bug: opts.bug } : {}) }));
  }
  return {
    seed,
    ...(runs !== undefined || timeMs === undefined ? { runs: runs ?? DEFAULT_RUNS } : {}),
    ...(timeMs !== undefined ? { timeMs } : {}),
    workers,
    timeoutMs: Math.round(timeoutS * 1000),
    ...(shard ? { shard } : {}),
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    entries,
    targets,
  };
}

/** "90s", "5m", "1h", "1500ms" or a bare number of seconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new OptionError(`--time must be a duration like 90s, 5m or 1h, got '${raw}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new OptionError(`--time must be positive, got '${raw}'`);
  return ms;
}

interface Progress {
  update(done: number, payload: { failing: number; rate: string }): void;
  stop(): void;
}

/** A bar on a terminal; elsewhere (CI logs) a line every 30 s; nothing with --json. */
function progress(json: boolean, plan: SoakPlan): Progress | undefined {
  if (json) return undefined;
  const total = plan.runs ?? 0;
  if (!process.stderr.isTTY) return logLines(total);
  const format = total
    ? 'soak [{bar}] {value}/{total} runs | {rate} runs/s | {duration_formatted} | {failing} failing'
    : 'soak {value} runs | {rate} runs/s | {duration_formatted} | {failing} failing';
  const bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { failing: 0, rate: '0.0' });
  return bar;
}

function logLines(total: number): Progress {
  const t0 = performance.now();
  let last = t0;
  return {
    update(done, p) {
      const now = performance.now();
      if (now - last < 30_000) return;
      last = now;
      process.stderr.write(`soak: ${done}${total ? `/${total}` : ''} runs, ${p.rate} runs/s, ${Math.round((now - t0) / 1000)} s, ${p.failing} failing\n`);
    },
    stop() {},
  };
}

interface TargetRow {
  model: string;
  variant: string;
  runs: number;
  falseAlarms: number;
  harnessFailures: number;
}

interface FindingRow {
  run: number;
  model: string;
  variant: string;
  /** The broken guarantee, or `run-failure:<kind>` (limit, model-error, determinism, hang, crash). */
  guarantee: string;
  sentence: string;
  token: string;
  replay: string;
  /** The unshrunk run's token when the one above is its shrunk form. */
  runToken: string | null;
}

interface SoakSummary {
  seed: number;
  workers: number;
  runs: number;
  /** The slice judged (`--shard`, 1-based): its runs are those below `upTo` in the slice. */
  shard: { index: number; count: number; upTo: number } | null;
  /** Wall time, worker start-up included. */
  ms: number;
  /** Runs per second once the workers were up. */
  runsPerS: number;
  falseAlarms: number;
  harnessFailures: number;
  /** `replicheck soak` arguments that judge exactly these runs again. */
  again: string;
  targets: TargetRow[];
  alarms: FindingRow[];
  failures: FindingRow[];
}

/** `ms`: wall time in all; `runMs`: after the workers had loaded the models. */
function summarize(plan: SoakPlan, r: ExploreResult, ms: number, runMs: number): SoakSummary {
  const rows: TargetRow[] = plan.targets.map((t, i) => ({
    model: t.modelRef,
    variant: t.variant,
    runs: r.runsPerTarget[i]!,
    falseAlarms: 0,
    harnessFailures: 0,
  }));
  const alarms: FindingRow[] = [];
  const failures: FindingRow[] = [];
  for (const rec of r.failing) {
    const row = rows[rec.index % plan.targets.length]!;
    if (rec.finding.status === 'alarm') {
      row.falseAlarms++;
      alarms.push(findingRow(rec));
    } else {
      row.harnessFailures++;
      failures.push(findingRow(rec));
    }
  }
  const models = [...plan.entries.keys()].map((m) => `--model ${m}`).join(' ');
  const bug = plan.targets[0]?.bug !== undefined ? ` --bug ${plan.targets[0].bug}` : '';
  const profile = plan.profile !== undefined ? ` --profile ${plan.profile}` : '';
  // With a shard, --runs is the whole budget the shards split (every index below upTo).
  const shard = plan.shard ? ` --shard ${plan.shard.index + 1}/${plan.shard.count}` : '';
  return {
    seed: plan.seed,
    workers: plan.workers,
    runs: r.runs,
    shard: plan.shard ? { index: plan.shard.index + 1, count: plan.shard.count, upTo: r.upTo } : null,
    ms,
    runsPerS: Math.round((r.runs / (runMs / 1000)) * 10) / 10,
    falseAlarms: alarms.length,
    harnessFailures: failures.length,
    again: `soak ${models} --seed ${plan.seed} --runs ${plan.shard ? r.upTo : r.runs}${bug}${profile}${shard}`,
    targets: rows,
    alarms,
    failures,
  };
}

function findingRow(rec: RunRecord): FindingRow {
  const f = rec.finding;
  return {
    run: rec.index,
    model: rec.target.modelRef,
    variant: rec.target.variant,
    guarantee: f.status === 'alarm' ? f.guarantee : `run-failure:${f.kind}`,
    sentence: f.status === 'alarm' ? f.sentence : f.message,
    token: f.token,
    replay: replayCommand(f.token),
    runToken: rec.runToken ?? null,
  };
}

function printSummary(s: SoakSummary): void {
  const mw = Math.max(5, ...s.targets.map((t) => t.model.length));
  const vw = Math.max(7, ...s.targets.map((t) => t.variant.length));
  println('');
  println(`${'model'.padEnd(mw)}  ${'variant'.padEnd(vw)}  ${'runs'.padStart(7)}  false alarms  harness failures`);
  for (const t of s.targets) {
    println(`${t.model.padEnd(mw)}  ${t.variant.padEnd(vw)}  ${String(t.runs).padStart(7)}  ${String(t.falseAlarms).padStart(12)}  ${String(t.harnessFailures).padStart(16)}`);
  }
  println('');
  println(`${s.runs} runs in ${(s.ms / 1000).toFixed(1)} s (${s.runsPerS} runs/s on ${s.workers} worker${s.workers > 1 ? 's' : ''}), seed ${s.seed}`);
  const planted = s.again.includes(' --bug ');
  printFindings(planted ? 'guarantee broke' : 'false alarm', s.alarms);
  printFindings('run could not be judged', s.failures);
  if (s.alarms.length === 0 && s.failures.length === 0) println('no false alarms');
  println(`\nsoak again: replicheck ${s.again}`);
}

/** One block per distinct token: shrinking often brings many runs to one minimal scenario. */
function printFindings(title: string, rows: readonly FindingRow[]): void {
  const byToken = new Map<string, FindingRow[]>();
  for (const f of rows) byToken.set(f.token, [...(byToken.get(f.token) ?? []), f]);
  for (const group of byToken.values()) {
    const f = group[0]!;
    const runs = group.length > 1 ? `runs ${listRuns(group)} (${group.length} runs)` : `run ${f.run}`;
    println(`\n✗ ${title}: ${f.model} (${f.variant}), ${runs}: ${f.guarantee}`);
    println(`  ${f.sentence}`);
    println(`  ${f.replay}`);
  }
}

function listRuns(group: readonly FindingRow[]): string {
  const shown = group.slice(0, 8).map((f) => f.run).join(', ');
  return group.length > 8 ? `${shown}, …` : shown;
}
