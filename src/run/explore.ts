/**
 * Exploration over worker threads: run `i` of an exploration judges the scenario
 * drawn for target `targets[i mod T]` from the seed `runSeed(seed, i)`, so its
 * result depends on (seed, i) only — never on the worker count or on which run
 * finished first. A failure is reported with the run index; when the exploration
 * stops at the first failure it is the lowest failing index.
 *
 * A run draws and judges its scenario with the harness's own property, as fast-check
 * run number `runPosition(i)` of its seed: the k-th round over the targets gets
 * run k's bias toward small values (fast-check biases its first runs most), so
 * 1,000 rounds draw what `replicheck run --runs 1000` draws, not 1,000 first runs.
 * A failing run is shrunk by the harness's own `checkModel`, so the token printed
 * is the one `run` would print.
 */
import fc from 'fast-check';
import { checkModel, GuaranteeBroken, guaranteeProperty, scenariosFor } from '../../properties/harness.js';
import type { HarnessFailure, Verdict } from '../check/judge.js';
import { encodeToken, scenarioSize } from '../scenario/compact.js';
import type { Scenario } from '../scenario/types.js';
import { fnv1a } from '../sim/random.js';
import type { LoadedModel } from '../cli/load-model.js';
import { targetOptions, type RunTarget } from './targets.js';
import { WorkerPool, type TaskOutcome } from './pool.js';

/** How one run ended. `held`: every claimed guarantee held. */
export type RunStatus = 'held' | 'alarm' | 'failure';

/**
 * What a run found, as plain data. `alarm`: a claimed guarantee broke.
 * `failure`: the run could not be judged — the simulator hit a limit, the model
 * threw or broke determinism, its worker crashed, or it did not finish in time
 * (`kind: 'hang'`).
 */
export type RunFinding =
  | { status: 'held' }
  | { status: 'alarm'; guarantee: string; sentence: string; token: string; ops: number; faults: number }
  | { status: 'failure'; kind: FailureKind; message: string; token: string };

// A harness failure of a run, or the pool's own: a run past the watchdog, a worker that died.
export type FailureKind = HarnessFailure['kind'] | 'hang' | 'crash';

/** A task for a run worker: judge run `index`, or shrink it once it failed. */
export interface RunTask {
  target: RunTarget;
  /** The run's own seed, `runSeed(exploration seed, index)`. */
  seed: number;
  /** Which of fast-check's runs of that seed to draw (its bias), `runPosition(index, targets)`. */
  position: number;
  shrink: boolean;
}

export interface RunRecord {
  index: number;
  target: RunTarget;
  seed: number;
  position: number;
  finding: Exclude<RunFinding, { status: 'held' }>;
  /** The token of the unshrunk run when shrinking produced a smaller one. */
  runToken?: string;
}

/** The seed of run `index` of an exploration seeded `seed` (31-bit, as fast-check takes). */
export function runSeed(seed: number, index: number): number {
  return fnv1a(`${seed}/${index}`) >>> 1;
}

/** Rounds over the targets cycle through fast-check's first 1,000 run biases. */
const POSITIONS = 1000;

/** The fast-check run whose draw run `index` takes: its round over the targets, mod 1,000. */
export function runPosition(index: number, targets: number): number {
  return Math.floor(index / targets) % POSITIONS;
}

/** The target of run `index`: targets take turns, so a time-bounded exploration covers them evenly. */
export function targetOf<T>(targets: readonly T[], index: number): T {
  return targets[index % targets.length]!;
}

// ---- worker side: judge and shrink one run --------------------------------

const properties = new Map<string, fc.IPropertyWithHooks<[Scenario]>>();

/** Judge one run: draw its scenario, simulate, check every claimed guarantee. */
export function judgeRun(entry: LoadedModel, task: RunTask): RunFinding {
  const key = JSON.stringify(task.target);
  let prop = properties.get(key);
  if (!prop) properties.set(key, (prop = guaranteeProperty(entry.model, targetOptions(entry, task.target))));
  // endOnFailure: no shrinking here; a failure is shrunk as its own task, under its own watchdog.
  const out = fc.check(prop, { seed: task.seed, path: String(task.position), numRuns: 1, endOnFailure: true });
  if (!out.failed) return { status: 'held' };
  if (out.errorInstance instanceof GuaranteeBroken) return findingOf(out.errorInstance.verdict);
  const token = out.counterexample ? encodeToken(out.counterexample[0]) : drawToken(entry, task);
  const message = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  return { status: 'failure', kind: 'crash', message, token };
}

/** Shrink a failing run with the harness's own shrinker; `held` if it no longer fails. */
export function shrinkRun(entry: LoadedModel, task: RunTask): RunFinding {
  const opts = targetOptions(entry, task.target);
  const r = checkModel(entry.model, { ...opts, seed: task.seed, path: String(task.position), numRuns: 1, failureFile: false });
  return r.found && r.verdict ? findingOf(r.verdict) : { status: 'held' };
}

/** The replay token of a run, drawn again without running it (for a run that hung). */
export function drawToken(entry: LoadedModel, task: Pick<RunTask, 'target' | 'seed' | 'position'>): string {
  const arb = scenariosFor(entry.model, targetOptions(entry, task.target));
  const [scenario] = fc.sample(arb, { seed: task.seed, path: String(task.position), numRuns: 1 });
  return encodeToken(scenario!);
}

function findingOf(v: Verdict): RunFinding {
  if (v.failure) return { status: 'failure', kind: v.failure.kind, message: v.failure.message, token: v.token };
  const first = v.violations[0];
  if (!first) return { status: 'held' };
  const size = scenarioSize(v.scenario);
  return { status: 'alarm', guarantee: first.guarantee, sentence: first.sentence, token: v.token, ops: size.ops, faults: size.faults };
}

// ---- main side: spread runs over the pool ---------------------------------

export interface ExploreOptions {
  targets: readonly RunTarget[];
  /** Loaded models by ref, to draw the token of a run that hung. */
  entries: ReadonlyMap<string, LoadedModel>;
  seed: number;
  /** Most runs (default: unbounded, then `deadline` must be set). */
  runs?: number;
  /** `performance.now()` after which no new run starts; runs in flight finish. */
  deadline?: number;
  /** Stop at the first failing run (the lowest failing index is reported). Default false. */
  stopAtFirstFailure?: boolean;
  /** Shrink failing runs (default true). */
  shrink?: boolean;
  /** Called after each run completes (progress display). */
  onRun?: (done: number, failing: number) => void;
}

export interface ExploreResult {
  /** Runs judged: indices 0 … runs-1, a prefix whatever the worker count. */
  runs: number;
  /** Runs per target, in the order of `targets`. */
  runsPerTarget: number[];
  /** Every failing run, by index (only the lowest when stopping at the first). */
  failing: RunRecord[];
}

/**
 * Judge runs 0, 1, 2 … on the pool until `runs` or `deadline`. Indices are handed
 * out in order and every handed-out index completes, so the judged runs form a
 * prefix; with `stopAtFirstFailure`, no index above a known failure is handed out
 * and the lowest failure among those in flight wins.
 */
export async function explore(pool: WorkerPool<RunTask, RunFinding>, opts: ExploreOptions): Promise<ExploreResult> {
  if (opts.targets.length === 0) throw new Error('explore needs at least one target');
  if (opts.runs === undefined && opts.deadline === undefined) throw new Error('explore needs runs or a deadline');
  const failing: RunRecord[] = [];
  const maxInFlight = pool.size * 2; // keep every worker fed while answers travel back
  let next = 0;
  let done = 0;
  let stopAt = Infinity; // no index at or above this is handed out

  const more = (): boolean =>
    next < stopAt &&
    (opts.runs === undefined || next < opts.runs) &&
    (opts.deadline === undefined || performance.now() < opts.deadline);

  const one = async (index: number): Promise<void> => {
    const target = targetOf(opts.targets, index);
    const position = runPosition(index, opts.targets.length);
    const task: RunTask = { target, seed: runSeed(opts.seed, index), position, shrink: false };
    const finding = asFinding(await pool.run(task), opts, task);
    done++;
    if (finding.status !== 'held') {
      if (opts.stopAtFirstFailure) stopAt = Math.min(stopAt, index + 1);
      failing.push({ index, target, seed: task.seed, position, finding });
    }
    opts.onRun?.(done, failing.length);
  };

  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const pump = (): void => {
      while (inFlight < maxInFlight && more()) {
        inFlight++;
        void one(next++).then(() => {
          inFlight--;
          pump();
        });
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });

  failing.sort((a, b) => a.index - b.index);
  const kept = opts.stopAtFirstFailure ? failing.slice(0, 1) : failing;
  const runs = opts.stopAtFirstFailure && kept[0] ? kept[0].index + 1 : next;
  const runsPerTarget = opts.targets.map((_, t) => countFor(t, runs, opts.targets.length));
  // Shrunk once the failures that count are known (a lower failing run may still have been in flight).
  return { runs, runsPerTarget, failing: await Promise.all(kept.map((r) => shrunk(pool, opts, r))) };
}

/** Runs among 0 … runs-1 that went to target t. */
function countFor(t: number, runs: number, targets: number): number {
  return Math.floor(runs / targets) + (t < runs % targets ? 1 : 0);
}

async function shrunk(pool: WorkerPool<RunTask, RunFinding>, opts: ExploreOptions, r: RunRecord): Promise<RunRecord> {
  if (opts.shrink === false) return r;
  if (r.finding.status === 'failure' && (r.finding.kind === 'hang' || r.finding.kind === 'crash')) return r;
  const out = await pool.run({ target: r.target, seed: r.seed, position: r.position, shrink: true });
  // A shrink that hangs, crashes or no longer fails leaves the run's own token.
  if (out.kind !== 'done' || out.value.status === 'held' || out.value.token === r.finding.token) return r;
  return { ...r, finding: out.value, runToken: r.finding.token };
}

function asFinding(o: TaskOutcome<RunFinding>, opts: ExploreOptions, task: RunTask): RunFinding {
  if (o.kind === 'done') return o.value;
  const entry = opts.entries.get(task.target.modelRef);
  const token = entry ? drawToken(entry, task) : '';
  if (o.kind === 'timeout') {
    return { status: 'failure', kind: 'hang', message: `model hangs: the run did not finish within ${o.ms} ms`, token };
  }
  return { status: 'failure', kind: 'crash', message: o.message, token };
}

/** The run worker module, beside this one (.ts under tsx and vitest, .js once compiled). */
export function runWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./worker${ext}`, import.meta.url);
}

/** A pool of run workers with the given models preloaded. */
export function startRunPool(opts: { refs: string[]; workers?: number; timeoutMs?: number }): WorkerPool<RunTask, RunFinding> {
  return new WorkerPool<RunTask, RunFinding>(runWorkerUrl(), {
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    workerData: { refs: opts.refs },
    // A user's model given as a .ts path needs tsx in the worker even from compiled JS.
    typescript: opts.refs.some((r) => /\.(ts|mts|cts)$/.test(r)),
  });
}
