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
 *
 * With coverage feedback (./coverage.ts) runs go in epochs of whole rounds: an
 * epoch's runs are handed out once every earlier run has answered, and are
 * steered by what those earlier runs showed, taken in index order — still a
 * function of (seed, index), whatever the worker count.
 */
import fc from 'fast-check';
import { checkModel, GuaranteeBroken, guaranteeProperty, JudgedTally, scenariosFor } from '../../properties/harness.js';
import type { ClaimOutcome } from '../check/guarantees.js';
import type { HarnessFailure, Verdict } from '../verdict/judge.js';
import { encodeToken, scenarioSize } from '../scenario/compact.js';
import type { Scenario } from '../scenario/types.js';
import { fnv1a } from '../sim/random.js';
import type { LoadedModel } from '../cli/load-model.js';
import { targetOptions, type RunTarget } from './targets.js';
import { Corpus, countingMarks, epochStart, signatureOf, type RunCoverage } from './coverage.js';
import type { CoverageBias } from '../scenario/arbitraries.js';
import { WorkerPool, type TaskOutcome } from './pool.js';

/**
 * Whether explorations use coverage feedback unless told (see ./coverage.ts).
 * Measured at seeds 1–3 on the cdc bugs untuned search missed (commit-before-processing,
 * offset-before-durable): off, 1 of 6 hunts found them in 83 CPU-s; on, 6 of 6 in 70 CPU-s.
 */
export const COVERAGE_DEFAULT = true;
/**
 * Whether some runs start from a corpus entry's fault schedule, besides aiming at
 * the reached marks: with the marks alone, commit-before-processing was found at 1 seed of 3; with both, 3.
 */
const COVERAGE_MUTANTS = true;

/** A shrink's watchdog, in run watchdogs. */
const SHRINK_RUNS = 10;

/** How one run ended. `held`: every claimed guarantee held. */
export type RunStatus = 'held' | 'alarm' | 'failure';

/**
 * What a run found, as plain data. `alarm`: a claimed guarantee broke.
 * `failure`: the run could not be judged — the simulator hit a limit, the model
 * threw or broke determinism, its worker crashed, or it did not finish in time
 * (`kind: 'hang'`).
 */
export type RunFinding =
  | { status: 'held'; outcomes?: Judged[]; coverage?: RunCoverage }
  | { status: 'alarm'; guarantee: string; sentence: string; token: string; ops: number; faults: number; outcomes?: Judged[] }
  | { status: 'failure'; kind: FailureKind; message: string; token: string };

/** Whether a run judged a claim, and if not why: what `run` tallies to exit 3 on a claim never judged. */
export type Judged = Pick<ClaimOutcome, 'id' | 'notJudged'>;

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
  /** Coverage feedback's steer of this run's draw (it is drawn and shrunk with it). */
  bias?: CoverageBias;
  /** Report the run's behaviour signature (coverage feedback is on). */
  coverage?: boolean;
}

export interface RunRecord {
  index: number;
  target: RunTarget;
  seed: number;
  position: number;
  bias?: CoverageBias;
  finding: Exclude<RunFinding, { status: 'held' }>;
  /** The token of the unshrunk run when shrinking produced a smaller one. */
  runToken?: string;
  /** When the run's answer came back, in ms after the exploration started. */
  atMs: number;
}

/** A slice of the run indices (`--shard i/n`, `index` 0-based): whole rounds over the targets go to shards in turn. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The j-th run index of an exploration's shard. Round r (runs r·T … r·T+T−1, one
 * per target) belongs to shard r mod n, so the shards are disjoint, their union is
 * every index, and every shard explores every target.
 */
export function shardIndex(j: number, targets: number, shard?: Shard): number {
  if (!shard || shard.count === 1) return j;
  const round = shard.index + shard.count * Math.floor(j / targets);
  return round * targets + (j % targets);
}

/** Whether run `index` belongs to the shard. */
export function inShard(index: number, targets: number, shard?: Shard): boolean {
  return !shard || Math.floor(index / targets) % shard.count === shard.index;
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

// The verdict of the run the property just judged (set by its onVerdict hook).
const last: { verdict?: Verdict } = {};

/** Judge one run: draw its scenario, simulate, check every claimed guarantee. */
export function judgeRun(entry: LoadedModel, task: RunTask): RunFinding {
  const onVerdict = (v: Verdict): void => void (last.verdict = v);
  // A property per target and steer (the pairs change once per epoch); a corpus schedule is one run's own.
  const key = task.bias?.seedFaults ? undefined : JSON.stringify([task.target, task.bias ?? null, task.coverage === true]);
  let prop = key === undefined ? undefined : properties.get(key);
  if (!prop) {
    const model = task.coverage ? counting(entry) : entry.model;
    // Only the findings leave this function, and no checker (nor the coverage signature) reads message traffic: it is not recorded.
    prop = guaranteeProperty(model, { ...targetOptions(entry, task.target, task.bias), traceMessages: false }, onVerdict);
    if (key !== undefined) {
      if (properties.size >= 256) properties.clear();
      properties.set(key, prop);
    }
  }
  if (task.coverage) marksOf(entry).take(); // a draw that never ran leaves nothing behind
  delete last.verdict;
  // endOnFailure: no shrinking here; a failure is shrunk as its own task, under its own watchdog.
  const out = fc.check(prop, { seed: task.seed, path: String(task.position), numRuns: 1, endOnFailure: true });
  const seen = last.verdict as Verdict | undefined; // set by the hook during fc.check
  const outcomes = seen?.outcomes.map(judged);
  if (!out.failed) {
    const coverage: RunCoverage | undefined = task.coverage && seen?.run
      ? { sig: signatureOf(seen.run.history, outcomes ?? []), faults: seen.scenario.faults, marks: marksOf(entry).take() }
      : undefined;
    return { status: 'held', ...(outcomes ? { outcomes } : {}), ...(coverage ? { coverage } : {}) };
  }
  if (out.errorInstance instanceof GuaranteeBroken) {
    const f = findingOf(out.errorInstance.verdict);
    return f.status === 'alarm' && outcomes ? { ...f, outcomes } : f;
  }
  const token = out.counterexample ? encodeToken(out.counterexample[0]) : drawToken(entry, task);
  const message = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  return { status: 'failure', kind: 'crash', message, token };
}

/** Shrink a failing run with the harness's own shrinker; `held` if it no longer fails. */
export function shrinkRun(entry: LoadedModel, task: RunTask): RunFinding {
  const opts = targetOptions(entry, task.target, task.bias);
  const r = checkModel(entry.model, { ...opts, seed: task.seed, path: String(task.position), numRuns: 1, failureFile: false });
  return r.found && r.verdict ? findingOf(r.verdict) : { status: 'held' };
}

const markCounters = new WeakMap<LoadedModel, ReturnType<typeof countingMarks>>();
function marksOf(entry: LoadedModel): ReturnType<typeof countingMarks> {
  let c = markCounters.get(entry);
  if (!c) markCounters.set(entry, (c = countingMarks(entry.model)));
  return c;
}
const counting = (entry: LoadedModel) => marksOf(entry).model;

function judged(o: ClaimOutcome): Judged {
  return o.notJudged === undefined ? { id: o.id } : { id: o.id, notJudged: o.notJudged };
}

/** The replay token of a run, drawn again without running it (for a run that hung). */
export function drawToken(entry: LoadedModel, task: Pick<RunTask, 'target' | 'seed' | 'position' | 'bias'>): string {
  const arb = scenariosFor(entry.model, targetOptions(entry, task.target, task.bias));
  const [drawn] = fc.sample(arb, { seed: task.seed, path: String(task.position), numRuns: 1 });
  // The limits as the harness writes them into each scenario it judges.
  const limits = task.target.limits;
  return encodeToken(limits ? { ...drawn!, limits: { ...limits } } : drawn!);
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
  /** Explore only this slice of the run indices (`--shard`). */
  shard?: Shard;
  /** Tally, per target, which claims the counted runs judged (`run` exits 3 on a claim never judged). */
  tally?: boolean;
  /**
   * Coverage feedback (default {@link COVERAGE_DEFAULT}; never with a shard, whose
   * runs could not see the other shards' results): after each epoch, runs
   * that showed new behaviour join a corpus whose fault schedules later runs reuse.
   */
  coverage?: boolean;
  /** Called after each run completes (progress display). */
  onRun?: (done: number, failing: number) => void;
}

export interface ExploreResult {
  /**
   * Runs judged. Without a shard: indices 0 … runs-1, a prefix whatever the worker
   * count; with one, the shard's indices below `upTo`.
   */
  runs: number;
  /** Every index below this that belongs to the shard was judged (`runs` without a shard). */
  upTo: number;
  /** Runs per target, in the order of `targets`. */
  runsPerTarget: number[];
  /** Every failing run, by index (only the lowest when stopping at the first). */
  failing: RunRecord[];
  /** With `tally`: per target, what the counted runs judged. */
  tallies?: JudgedTally[];
}

/**
 * Judge runs 0, 1, 2 … (the shard's, in order) on the pool until `runs` or
 * `deadline`. Indices are handed out in order and every handed-out index
 * completes, so the judged runs form a prefix; with `stopAtFirstFailure`, no
 * index above a known failure is handed out and the lowest failure among those
 * in flight wins. Everything counted (runs, tallies) stops at that failure.
 */
export async function explore(pool: WorkerPool<RunTask, RunFinding>, opts: ExploreOptions): Promise<ExploreResult> {
  const T = opts.targets.length;
  if (T === 0) throw new Error('explore needs at least one target');
  if (opts.runs === undefined && opts.deadline === undefined) throw new Error('explore needs runs or a deadline');
  const t0 = performance.now();
  const failing: RunRecord[] = [];
  const outcomes = new Map<number, Judged[]>();
  const maxInFlight = pool.size * (pool.depth + 1); // every worker holds `depth` runs, and more wait their turn
  let next = 0; // position in the shard's sequence of indices
  let done = 0;
  let stopAt = Infinity; // no index at or above this is handed out
  const cov = (opts.coverage ?? COVERAGE_DEFAULT) && (!opts.shard || opts.shard.count === 1);
  const corpus = cov ? new Corpus(T) : undefined;
  const coverages = new Map<number, RunCoverage>();
  // Every index below `settled` has completed: an epoch's runs start only once the epochs before it have.
  const finished = new Set<number>();
  let settled = 0;

  const more = (): boolean => {
    const index = shardIndex(next, T, opts.shard);
    return index < stopAt &&
      (!cov || epochStart(index, T) <= settled) &&
      (opts.runs === undefined || index < opts.runs) &&
      (opts.deadline === undefined || performance.now() < opts.deadline);
  };

  const one = async (index: number): Promise<void> => {
    const target = targetOf(opts.targets, index);
    const position = runPosition(index, T);
    const seed = runSeed(opts.seed, index);
    let bias: CoverageBias | undefined;
    if (corpus) {
      // The runs of earlier epochs, in index order, whatever order they finished in.
      corpus.advance(epochStart(index, T), T, (i) => {
        const c = coverages.get(i);
        coverages.delete(i);
        return c;
      });
      bias = corpus.bias(opts.seed, index, T, COVERAGE_MUTANTS);
    }
    const task: RunTask = { target, seed, position, shrink: false, ...(bias ? { bias } : {}), ...(cov ? { coverage: true } : {}) };
    const finding = asFinding(await pool.run(task), opts, task);
    done++;
    if (cov) {
      if (finding.status === 'held' && finding.coverage) coverages.set(index, finding.coverage);
      finished.add(index);
      while (finished.delete(settled)) settled++;
    }
    if (opts.tally && finding.status !== 'failure' && finding.outcomes) outcomes.set(index, finding.outcomes);
    if (finding.status !== 'held') {
      if (opts.stopAtFirstFailure) stopAt = Math.min(stopAt, index + 1);
      failing.push({ index, target, seed: task.seed, position, ...(bias ? { bias } : {}), finding, atMs: performance.now() - t0 });
    }
    opts.onRun?.(done, failing.length);
  };

  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const pump = (): void => {
      while (inFlight < maxInFlight && more()) {
        inFlight++;
        void one(shardIndex(next++, T, opts.shard)).then(() => {
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
  // Runs counted: the shard's first `runs` indices (up to and including the first failure when stopping there).
  const runs = opts.stopAtFirstFailure && kept[0] ? positionOf(kept[0].index, T, opts.shard) + 1 : next;
  const upTo = runs === 0 ? 0 : shardIndex(runs - 1, T, opts.shard) + 1;
  const runsPerTarget = opts.targets.map((_, t) => countFor(t, runs, T));
  let tallies: JudgedTally[] | undefined;
  if (opts.tally) {
    tallies = opts.targets.map(() => new JudgedTally());
    for (const [index, os] of [...outcomes].sort((a, b) => a[0] - b[0])) {
      if (index < upTo) tallies[index % T]!.add({ outcomes: os });
    }
  }
  // Shrunk once the failures that count are known (a lower failing run may still have been in flight).
  const shrunkFailing = await Promise.all(kept.map((r) => shrunk(pool, opts, r)));
  return { runs, upTo, runsPerTarget, failing: shrunkFailing, ...(tallies ? { tallies } : {}) };
}

/** The position of run `index` in its shard's sequence (the inverse of shardIndex). */
function positionOf(index: number, targets: number, shard?: Shard): number {
  if (!shard || shard.count === 1) return index;
  const round = Math.floor(index / targets);
  return Math.floor(round / shard.count) * targets + (index % targets);
}

/** Runs among a shard's first `runs` that went to target t (the j-th run goes to target j mod T). */
function countFor(t: number, runs: number, targets: number): number {
  return Math.floor(runs / targets) + (t < runs % targets ? 1 : 0);
}

async function shrunk(pool: WorkerPool<RunTask, RunFinding>, opts: ExploreOptions, r: RunRecord): Promise<RunRecord> {
  if (opts.shrink === false) return r;
  if (r.finding.status === 'failure' && (r.finding.kind === 'hang' || r.finding.kind === 'crash')) return r;
  // A shrink is hundreds of runs: its watchdog is SHRINK_RUNS run watchdogs, so a
  // busy machine does not cut it short (that would make the result depend on load).
  const task: RunTask = { target: r.target, seed: r.seed, position: r.position, shrink: true, ...(r.bias ? { bias: r.bias } : {}) };
  const out = await pool.run(task, pool.timeoutMs * SHRINK_RUNS);
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
    // A run is milliseconds: the next one waits in the worker rather than a round trip away.
    depth: 2,
    // A user's model given as a .ts path needs tsx in the worker even from compiled JS.
    typescript: opts.refs.some((r) => /\.(ts|mts|cts)$/.test(r)),
  });
}
