/**
 * Reusable fast-check properties over any model — ours or a user's — written
 * against the public API only.
 *
 *   guaranteeProperty(model, opts)  a fast-check property: scenario ⇒ claimed guarantees hold
 *   checkModel(model, opts)         run it (saved failures first), shrink, return a summary
 *   assertModel(model, opts)        the same, throwing a readable failure (for vitest)
 *
 * Run budget: REPLICHECK_RUNS (default 100 per property). Seed: REPLICHECK_SEED
 * (an integer, or `random`); by default each target gets a fixed seed derived from
 * its name, so `npm test` is repeatable and a red test stays red until fixed.
 */
import fc from 'fast-check';
import {
  DEFAULT_FAILURE_FILE,
  explainVerdict,
  failed,
  fnv1a,
  judgeScenario,
  loadFailures,
  sameTarget,
  scenarioArb,
  knobNodes,
  updateFailures,
  type SavedFailure,
  scenarioSize,
  deletionPass,
  type Probe,
  type DeletionResult,
  type CheckerTable,
  type CheckOptions,
  type CoverageBias,
  type FaultKind,
  type FaultProfileName,
  type GuaranteeClaim,
  type KnobSpace,
  type NodeId,
  type JudgeOptions,
  type Model,
  type Scenario,
  type SimLimits,
  type Verdict,
  type WorkloadOptions,
} from '../src/analysis.js';

export interface PropertyOptions {
  /** How a replay finds the model again: built-in name or module path. Default model.name. */
  modelRef?: string;
  /** Model configuration (a variant). Default {} (the model's defaults). */
  config?: Record<string, unknown>;
  /** Planted bug to enable. */
  bug?: string;
  /** A short name for the variant in messages ("sync-on"). */
  variant?: string;
  /** Fault profile of generated scenarios. Default 'everything'. */
  profile?: FaultProfileName;
  faultKinds?: readonly FaultKind[];
  faultsMax?: number;
  /** Workload shape (keys, ops, sessions, op kinds, read policies). */
  workload?: WorkloadOptions;
  /**
   * Draw a feature set per scenario and aim faults at the model's marks (default
   * true); false: every feature on and faults timed by the clock only.
   */
  swarm?: boolean;
  /**
   * Also draw the topology per scenario from the model's ranged knobs (see
   * knobSpace). Default false: at `run`'s default budget it found no bug the
   * fixed topologies miss and lost finds that need the variant's standbys
   * (measured at seeds 1–3).
   */
  drawTopology?: boolean;
  /** What earlier runs of an exploration showed (coverage feedback; see scenarioArb's bias). */
  bias?: CoverageBias;
  /** Only these guarantees (default: every claim). */
  guarantees?: readonly string[];
  /**
   * Guarantees to check although the variant does not claim them — to *show*
   * where a design breaks (e.g. read-your-writes on an async standby).
   */
  extraClaims?: readonly GuaranteeClaim[];
  check?: CheckOptions;
  /** Checkers a model family brings beyond the built-in registry. */
  checkers?: CheckerTable;
  /** Simulator limits written into every scenario (event budget…), so a replay keeps them. */
  limits?: SimLimits;
  /** Record message traffic in judged histories (default true; see JudgeOptions). */
  traceMessages?: boolean;
}

export interface CheckModelOptions extends PropertyOptions {
  /** Runs (default REPLICHECK_RUNS or 100). */
  numRuns?: number;
  /** fast-check seed (default REPLICHECK_SEED or a fixed seed per target). */
  seed?: number;
  /** Failure file path, or false to neither read nor write one. Default .replicheck/failures.json. */
  failureFile?: string | false;
  /**
   * Most runs spent shrinking after the first failure (default 500). Past it,
   * every further candidate counts as passing, so fast-check stops where it is;
   * a count, not a time, so the result stays deterministic.
   */
  shrinkBudget?: number;
  /**
   * Most runs of the deletion pass after fast-check's shrink (default
   * {@link DELETION_BUDGET}; 0: no pass). See src/scenario/shrink.ts.
   */
  deletionBudget?: number;
  /**
   * Judge only fast-check's run at this path of the seed ("99": its 100th run,
   * generated with that run's bias toward small values), then shrink it.
   */
  path?: string;
}

export interface ModelCheckResult {
  model: string;
  variant?: string;
  bug?: string;
  config: Record<string, unknown>;
  /** Runs executed (including saved failures replayed first). */
  runs: number;
  found: boolean;
  /** The shrunk failing verdict. */
  verdict?: Verdict;
  guarantee?: string;
  sentence?: string;
  token?: string;
  ops?: number;
  faults?: number;
  /** Runs until the first failure (before shrinking), and the time it took. */
  runsUntilFound?: number;
  msUntilFound?: number;
  shrinks?: number;
  seed: number;
  /** Saved failures that passed this time and were dropped from the failure file. */
  fixed: number;
  /**
   * Claimed guarantees that no run judged (evidence missing, or every run
   * outside the claim's fault tolerance), each with its most frequent reason.
   * Not "held": `replicheck run` exits 3 on them.
   */
  notJudged: NotJudged[];
}

/** A claim no run could judge. */
export interface NotJudged {
  guarantee: string;
  /** The most frequent reason the runs gave. */
  reason: string;
  /** Runs that could not judge it. */
  runs: number;
}

/**
 * Tallies, over many verdicts, which claims some run judged and why the
 * others could not be judged.
 */
export class JudgedTally {
  private readonly judged = new Set<string>();
  private readonly reasons = new Map<string, Map<string, number>>();

  add(v: { outcomes: readonly { id: string; notJudged?: string }[] }): void {
    for (const o of v.outcomes) {
      if (o.notJudged === undefined) {
        this.judged.add(o.id);
        continue;
      }
      const byReason = this.reasons.get(o.id) ?? new Map<string, number>();
      byReason.set(o.notJudged, (byReason.get(o.notJudged) ?? 0) + 1);
      this.reasons.set(o.id, byReason);
    }
  }

  /** Claims seen only as not judged, in first-seen order. */
  neverJudged(): NotJudged[] {
    return [...this.reasons].filter(([id]) => !this.judged.has(id)).map(([guarantee, byReason]) => {
      const [reason] = [...byReason].reduce((a, b) => (b[1] > a[1] ? b : a));
      return { guarantee, reason, runs: [...byReason.values()].reduce((n, x) => n + x, 0) };
    });
  }
}

/** Thrown inside a property when a run breaks a claimed guarantee or fails. */
export class GuaranteeBroken extends Error {
  override name = 'GuaranteeBroken';
  constructor(readonly verdict: Verdict) {
    const v = verdict.violations[0];
    super(v ? `${v.guarantee}: ${v.sentence}` : `run failed: ${verdict.failure?.message ?? 'unknown'}`);
  }
}

export function defaultRuns(): number {
  const raw = process.env.REPLICHECK_RUNS;
  if (raw === undefined || raw === '') return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`REPLICHECK_RUNS must be a positive integer, got '${raw}'`);
  return n;
}

/** The seed for a target: REPLICHECK_SEED, `random`, or a stable hash of the target's name. */
export function defaultSeed(target: string): number {
  const raw = process.env.REPLICHECK_SEED;
  if (raw === 'random') return (Math.random() * 0x7fffffff) | 0;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`REPLICHECK_SEED must be an integer or 'random', got '${raw}'`);
    return n;
  }
  return fnv1a(target) >>> 1; // fast-check seeds are 31-bit
}

export function targetLabel(model: Model<never> | Model, opts: PropertyOptions): string {
  const ref = opts.modelRef ?? model.name;
  const variant = opts.variant ? ` (${opts.variant})` : '';
  return `${ref}${variant}${opts.bug ? ` with bug ${opts.bug}` : ''}`;
}

/**
 * Scenarios for a model variant — the one place the CLI, the suite and the
 * report draw them: swarm-drawn features inside the model's workload, faults
 * timed by the clock or aimed at the model's marks, shrinking toward fewer
 * ops, fewer faults, calmer networks.
 */
export function scenariosFor<C>(model: Model<C>, opts: PropertyOptions): fc.Arbitrary<Scenario> {
  const config = opts.config ?? {};
  const own = model.nodes(model.configure(config, opts.bug)); // throws on a configuration the model rejects
  const knobs = opts.swarm === false || !opts.drawTopology ? undefined : knobSpace(model, config, opts.bug);
  const nodes = knobs ? knobNodes(config, knobs) : own;
  return scenarioArb({
    ...opts.workload,
    model: opts.modelRef ?? model.name,
    nodes,
    config,
    ...(knobs ? { knobs } : {}),
    ...(opts.swarm === false ? { swarm: false } : model.marks && model.marks.length > 0 ? { marks: model.marks.map((m) => m.name) } : {}),
    ...(opts.bug !== undefined ? { bug: opts.bug } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    ...(opts.faultKinds ? { faultKinds: opts.faultKinds } : {}),
    ...(opts.faultsMax !== undefined ? { faultsMax: opts.faultsMax } : {}),
    ...(opts.bias ? { bias: opts.bias } : {}),
  });
}

/** A drawn knob value stays within this factor of the variant's own: a tuning around it, not another regime. */
const KNOB_FACTOR = 4;

/**
 * The knobs a swarm scenario may set: every numeric knob that declares a range
 * (a tunable the model must be correct for anywhere in it) and that the
 * variant does not set itself, over its typical values inside the range and
 * within {@link KNOB_FACTOR} of the variant's value (for topology, no more
 * nodes than the variant's), smallest first. A knob
 * whose value is 0 (a mode: "never", "instantly") stays; knobs with a closed
 * list of values are design choices the variants pin. None: undefined.
 */
export function knobSpace<C>(model: Model<C>, config: Record<string, unknown>, bug?: string): KnobSpace | undefined {
  const knobs = model.knobs.flatMap((k) => {
    const r = k.range;
    const own = k.default;
    if (!r || k.name in config || typeof own !== 'number' || own <= 0) return [];
    const nodeCount = (v: number): number | undefined => {
      try {
        return model.nodes(model.configure({ ...config, [k.name]: v }, bug)).length;
      } catch {
        return undefined;
      }
    };
    // A topology is drawn only smaller than the variant's (small scope: what breaks
    // on five nodes mostly breaks on two or three, and small clusters run faster).
    const ownCount = nodeCount(own) ?? 0;
    const near = (v: number) => v >= own / KNOB_FACTOR && v <= own * KNOB_FACTOR && (nodeCount(v) ?? 0) <= ownCount;
    const values = [...new Set(k.values.filter((v): v is number =>
      typeof v === 'number' && near(v) && v >= r.min && (r.max === undefined || v <= r.max) && (!r.integer || Number.isInteger(v))))].sort((a, b) => a - b);
    // Topology only: timing knobs drawn as well (one scenario in six) thinned the
    // search more than they found (measured at seeds 1–3: fewer bugs, slower finds).
    if (values.every((v) => v === own) || !values.some((v) => nodeCount(v) !== ownCount)) return [];
    return [{ name: k.name, values, default: own }];
  });
  if (knobs.length === 0) return undefined;
  const nodesOf = (c: Record<string, unknown>): NodeId[] | undefined => {
    try {
      return model.nodes(model.configure(c, bug));
    } catch {
      return undefined; // the model rejects this combination (e.g. a lease longer than its timeout)
    }
  };
  return { knobs, nodesOf };
}

/** scenariosFor, with the limits the options ask for written into each scenario. */
function scenariosWithLimits<C>(model: Model<C>, opts: PropertyOptions): fc.Arbitrary<Scenario> {
  const arb = scenariosFor(model, opts);
  const limits = opts.limits;
  return limits ? arb.map((s) => ({ ...s, limits: { ...limits } })) : arb;
}

function judgeOptions(opts: PropertyOptions): JudgeOptions {
  return {
    ...(opts.guarantees ? { guarantees: opts.guarantees } : {}),
    ...(opts.extraClaims ? { extraClaims: opts.extraClaims } : {}),
    ...(opts.check ? { check: opts.check } : {}),
    ...(opts.checkers ? { checkers: opts.checkers } : {}),
    ...(opts.traceMessages === false ? { traceMessages: false } : {}),
  };
}

/**
 * The property: every claimed guarantee holds on every generated scenario.
 * `onVerdict` sees each run's verdict (a caller tallying what was judged).
 */
export function guaranteeProperty<C>(
  model: Model<C>,
  opts: PropertyOptions = {},
  onVerdict?: (v: Verdict) => void,
): fc.IPropertyWithHooks<[Scenario]> {
  const jo = judgeOptions(opts);
  return fc.property(scenariosWithLimits(model, opts), (scenario) => {
    const v = judgeScenario(model, scenario, jo);
    onVerdict?.(v);
    if (failed(v)) throw new GuaranteeBroken(v);
  });
}

/**
 * Run the property: saved failures first (dropping those that now pass), then
 * `numRuns` generated scenarios; on failure, shrink and save the minimal one.
 */
export function checkModel<C>(model: Model<C>, opts: CheckModelOptions = {}): ModelCheckResult {
  const label = targetLabel(model as Model, opts);
  const seed = opts.seed ?? defaultSeed(label);
  const numRuns = opts.numRuns ?? defaultRuns();
  const target = { model: opts.modelRef ?? model.name, config: opts.config ?? {}, ...(opts.bug ? { bug: opts.bug } : {}) };
  const saved = retrySaved(model, opts, target);
  let firstFailAt: number | undefined;
  let shrinkRuns = 0;
  const shrinkBudget = opts.shrinkBudget ?? 500;
  const start = performance.now();
  const jo = judgeOptions(opts);
  const tally = new JudgedTally();
  const prop = fc.property(scenariosWithLimits(model, opts), (scenario) => {
    if (firstFailAt !== undefined && ++shrinkRuns > shrinkBudget) return;
    const v = judgeScenario(model, scenario, jo);
    if (firstFailAt === undefined) tally.add(v);
    if (!failed(v)) return;
    firstFailAt ??= performance.now();
    throw new GuaranteeBroken(v);
  });
  const examples = saved.stillFailing.map((s): [Scenario] => [s]);
  const out = fc.check(prop, { numRuns, seed, examples, endOnFailure: false, ...(opts.path !== undefined ? { path: opts.path } : {}) });
  const base: ModelCheckResult = {
    ...target,
    ...(opts.variant ? { variant: opts.variant } : {}),
    runs: out.numRuns,
    found: out.failed,
    seed,
    fixed: saved.fixed,
    notJudged: tally.neverJudged(),
  };
  if (!out.failed || !out.counterexample) return base;
  const deleted = deleteUnneeded(model, out.counterexample[0], opts, opts.deletionBudget ?? DELETION_BUDGET);
  const scenario = deleted.scenario;
  const verdict = judgeScenario(model, scenario, jo);
  const size = scenarioSize(scenario);
  const first = verdict.violations[0];
  const result: ModelCheckResult = {
    ...base,
    verdict,
    // A failed run (a broken model contract above all) comes first: the model's
    // own account cannot be trusted, whatever guarantee also broke.
    guarantee: verdict.failure ? `run-failure:${verdict.failure.kind}` : first?.guarantee ?? 'run-failure:unknown',
    sentence: verdict.failure?.message ?? first?.sentence ?? '',
    token: verdict.token,
    ops: size.ops,
    faults: size.faults,
    runsUntilFound: out.numRuns,
    msUntilFound: Math.round(((firstFailAt ?? performance.now()) - start) * 10) / 10,
    shrinks: out.numShrinks + deleted.kept,
  };
  if (opts.failureFile !== false) recordFailure(opts.failureFile ?? DEFAULT_FAILURE_FILE, target, result);
  return result;
}

/**
 * Runs the deletion pass may spend after fast-check's shrink. Measured on the
 * finds of the untuned meta-test: most passes stop, with nothing left to
 * remove, well below it (see test/shrink.test.ts and the meta-test's ceiling).
 */
export const DELETION_BUDGET = 300;

/**
 * The deletion pass (src/scenario/shrink.ts) over a failing scenario: what it
 * does not need removed while it fails the same way (the same harness failure,
 * or the same first broken guarantee), in at most `budget` runs.
 */
export function deleteUnneeded<C>(model: Model<C>, scenario: Scenario, opts: PropertyOptions = {}, budget = DELETION_BUDGET): DeletionResult {
  const jo = judgeOptions(opts);
  const first = judgeScenario(model, scenario, jo);
  // A scenario that does not fail has nothing to keep failing.
  if (failureKey(first) === undefined) return { scenario, tries: 0, kept: 0 };
  return deletionPass(scenario, sameFailure(model, first, jo), budget);
}

/** What a failure is, for "still fails the same way": the harness failure's kind, or the first broken guarantee. */
function failureKey(v: Verdict): string | undefined {
  if (v.failure) return `run-failure:${v.failure.kind}`;
  return failed(v) ? v.violations[0]?.guarantee : undefined;
}

/** A probe for the deletion pass: fails as `first` did, and when the run issued each op. */
function sameFailure<C>(model: Model<C>, first: Verdict, jo: JudgeOptions): (s: Scenario) => Probe {
  const key = failureKey(first);
  return (s) => {
    const v = judgeScenario(model, s, jo);
    const fails = failureKey(v) === key;
    if (!fails || !v.run) return { fails };
    const at = new Map(s.sessions.map((x): [string, number[]] => [x.id, []]));
    for (const e of v.run.history) if (e.type === 'invoke') at.get(e.session)?.push(e.t);
    return { fails, issuedAt: s.sessions.map((x) => at.get(x.id) ?? []) };
  };
}

/**
 * Like checkModel, but throws an Error whose message is the whole readable
 * failure — also when a claimed guarantee was never judged (a silent pass is
 * not a pass).
 */
export function assertModel<C>(model: Model<C>, opts: CheckModelOptions = {}): ModelCheckResult {
  const r = checkModel(model, opts);
  if (r.found && r.verdict) {
    throw new Error(`${explainVerdict(r.verdict, { label: targetLabel(model as Model, opts) })}\n\n(fast-check seed ${r.seed}, ${r.runsUntilFound} runs, ${r.shrinks} shrinks)`);
  }
  if (!r.found && r.notJudged.length > 0) {
    const lines = r.notJudged.map((n) => `  ${n.guarantee}: not judged in ${n.runs} runs (${n.reason})`);
    throw new Error(`${targetLabel(model as Model, opts)}: claimed guarantees no run could judge:\n${lines.join('\n')}`);
  }
  return r;
}

/** Saved failures of a target judged again: those that pass are dropped from the file. */
export function retrySaved<C>(
  model: Model<C>,
  opts: CheckModelOptions,
  target: { model: string; config: Record<string, unknown>; bug?: string },
): { stillFailing: Scenario[]; fixed: number } {
  if (opts.failureFile === false) return { stillFailing: [], fixed: 0 };
  const path = opts.failureFile ?? DEFAULT_FAILURE_FILE;
  const all = loadFailures(path);
  const mine = all.filter((f) => sameTarget(f, target));
  if (mine.length === 0) return { stillFailing: [], fixed: 0 };
  const jo = judgeOptions(opts);
  const passing = new Set(mine.filter((f) => !failed(judgeScenario(model, f.scenario, jo))).map((f) => f.token));
  // Re-read under the lock: another process may have added failures meanwhile.
  if (passing.size > 0) warnOnWriteError(path, () => updateFailures(path, (now) => now.filter((f) => !passing.has(f.token))));
  return { stillFailing: mine.filter((f) => !passing.has(f.token)).map((f) => f.scenario), fixed: passing.size };
}

/** Save a failure (once per token) so the next check tries it first. */
export function recordFailure(
  path: string,
  target: { model: string; config: Record<string, unknown>; bug?: string },
  r: Pick<ModelCheckResult, 'guarantee' | 'sentence' | 'token' | 'verdict'>,
): void {
  const entry: SavedFailure = {
    ...target,
    guarantee: r.guarantee ?? '',
    sentence: r.sentence ?? '',
    token: r.token ?? '',
    scenario: r.verdict!.scenario,
    savedAt: new Date().toISOString(),
  };
  warnOnWriteError(path, () => updateFailures(path, (all) => (all.some((f) => f.token === r.token) ? undefined : [...all, entry])));
}

/**
 * The failure file is a convenience: a read-only checkout or a full disk must
 * not hide the failure just found, which the caller prints with its token.
 */
function warnOnWriteError(path: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    process.stderr.write(`replicheck: warning: could not update the failure file ${path}: ${(err as Error).message}\n`);
  }
}
