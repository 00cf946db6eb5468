/**
 * fast-check arbitraries that build a {@link Scenario} for a model, designed so
 * that a failing scenario shrinks to something a person can read:
 *
 * - fewer operations (one flat op list; removing an op never moves the others,
 *   because op times are absolute, not gaps),
 * - fewer sessions (each op carries a session index that shrinks toward 0),
 * - fewer faults, and faults of the plainest kind (process crash, two-way
 *   partition, restart only in the quiet phase),
 * - shorter delays (every time and duration shrinks toward 0),
 * - zero clock skew (offsets, drift and jumps shrink toward 0 and zero entries
 *   are dropped) and constant latency (latency kinds cross-shrink toward
 *   `constant`), no loss, no duplication.
 *
 * Swarm testing (Groce et al., ISSTA 2012): each scenario first draws its own
 * feature set — which fault kinds, op kinds and read policies are on, how many
 * keys and sessions, the span, whether the network loses and duplicates,
 * whether clocks are skewed, fsync slow, transactions multi-op, faults aimed at
 * protocol moments — and the scenario is drawn under it. No `chain`: features
 * and a full-width scenario are drawn side by side and the features mask the
 * scenario in a `map`, so the shrinker works on both at once and never
 * regenerates what it already shrank. Features shrink to the plainest (no
 * faults, one key, one session, reads and writes, no loss, no skew).
 *
 * Time design: client ops are scheduled in the first `span` ms of virtual time
 * (drawn from 20 ms to `spanMs`, default 1500, on a log scale, unless `spanMs`
 * is pinned) and faults are drawn from the same window, so they overlap. A
 * model's marks let a fault land instead a fraction of a millisecond to tens of
 * milliseconds after the n-th time a node marks a protocol moment.
 *
 * Written values are not generated: they are assigned after generation as
 * `"<session>-<n>"` (the n-th write of that session), so every `w` value is
 * unique across the scenario however the shrinker cuts it.
 */
import fc from 'fast-check';
import type { MicroOp, NodeId, ReadPolicy, UpdateExpr } from '../history/types.js';
import type {
  ClockParams,
  DiskParams,
  Fault,
  LatencyDist,
  LinkParams,
  MarkSpec,
  NetworkParams,
  SessionSpec,
  SimLimits,
  TimedRequest,
} from '../sim/types.js';
import type { Scenario } from './types.js';

export type FaultKind = Fault['kind'];
export type LatencyKind = LatencyDist['kind'];
export type MicroOpKind = MicroOp['f'];
export type FaultProfileName = 'calm' | 'lossy-network' | 'partitions' | 'clock-skew' | 'crashes' | 'everything';

/**
 * How hostile a scenario's environment is. Each profile is a bundle of
 * fault kinds and upper bounds; generated values range from 0 up to the bound
 * and shrink toward 0.
 */
export interface FaultProfile {
  name: FaultProfileName;
  description: string;
  faultKinds: readonly FaultKind[];
  faultsMax: number;
  /** Latency kinds to draw from; the first is where shrinking ends. */
  latencyKinds: readonly LatencyKind[];
  lossRateMax: number;
  dupRateMax: number;
  /** Bound on |clock offset| per node; 0 = no skew. */
  clockOffsetMsMax: number;
  clockDriftPpmMax: number;
  clockJumpsMax: number;
  /** Also vary fsync latency (matters when machine crashes lose unsynced writes). */
  varyFsync: boolean;
}

const LAN: readonly LatencyKind[] = ['constant', 'uniform', 'exponential'];
const WAN: readonly LatencyKind[] = ['constant', 'uniform', 'exponential', 'pareto', 'mixture'];

/** The six environments reports compare guarantees across. */
export const FAULT_PROFILES: Readonly<Record<FaultProfileName, FaultProfile>> = {
  calm: profile('calm', 'no faults, small LAN latency, synchronised clocks', [], 0, LAN, 0, 0, 0, 0, 0),
  'lossy-network': profile(
    'lossy-network',
    'heavy-tailed latency, datagram loss and duplication, clogged links',
    ['clog'], 3, WAN, 0.3, 0.2, 0, 0, 0,
  ),
  partitions: profile('partitions', 'one-way and two-way partitions, clogged links', ['partition', 'clog'], 3, LAN, 0, 0, 0, 0, 0),
  // 180 s covers the "10:00 on the primary, 10:03 on the replica" case.
  'clock-skew': profile('clock-skew', 'clock offsets up to 3 min, drift, jumps', [], 0, LAN, 0, 0, 180_000, 500, 2),
  crashes: profile('crashes', 'process and machine crashes with restarts, pauses', ['crash', 'pause'], 3, LAN, 0, 0, 0, 0, 0, true),
  everything: profile(
    'everything',
    'every fault kind, lossy heavy-tailed network and skewed clocks together',
    ['crash', 'pause', 'partition', 'clog'], 4, WAN, 0.2, 0.1, 180_000, 500, 2, true,
  ),
};

export const FAULT_PROFILE_NAMES = Object.keys(FAULT_PROFILES) as FaultProfileName[];

function profile(
  name: FaultProfileName,
  description: string,
  faultKinds: FaultKind[],
  faultsMax: number,
  latencyKinds: readonly LatencyKind[],
  lossRateMax: number,
  dupRateMax: number,
  clockOffsetMsMax: number,
  clockDriftPpmMax: number,
  clockJumpsMax: number,
  varyFsync = false,
): FaultProfile {
  return {
    name, description, faultKinds, faultsMax, latencyKinds, lossRateMax, dupRateMax,
    clockOffsetMsMax, clockDriftPpmMax, clockJumpsMax, varyFsync,
  };
}

/**
 * An array whose shrinker can drop *any* element. fast-check's array shrinker
 * drops elements from the front, so with `[w, r]` and a failure that needs the
 * write it cannot get rid of the trailing read. Each slot is an option instead,
 * and an option shrinks to "absent" first, so every element can go on its own.
 * Generation almost never draws "absent" (1 in 10^6), so lengths are as asked
 * and the length filter practically never rejects.
 */
function removableArray<T>(item: fc.Arbitrary<T>, minLength: number, maxLength: number): fc.Arbitrary<T[]> {
  return fc
    .array(fc.option(item, { nil: null, freq: 1_000_000 }), { minLength, maxLength, size: 'max' })
    .map((slots) => slots.filter((x): x is T => x !== null))
    .filter((xs) => xs.length >= minLength);
}

// ───────────────────────────── options ─────────────────────────────

/**
 * The space a workload is drawn from. Each scenario draws its own features
 * inside it (swarm testing): a value given here bounds them, so `keys: 1`,
 * `opKinds: ['w']` or `policies: ['primary']` pin a feature; `spanMs` pins the span.
 */
export interface WorkloadOptions {
  /** Most keys, named k1…kN; each scenario uses k1…kK for a drawn K ≤ N. Default 3. */
  keys?: number;
  /** Fewest / most client requests (transactions) in the whole scenario. Defaults 1 / 20. */
  opsMin?: number;
  opsMax?: number;
  /** Most client sessions. Default 3. */
  sessionsMax?: number;
  /** Micro-op kinds that may be drawn; reads and writes among them are always on. Default all but 'del'. */
  opKinds?: readonly MicroOpKind[];
  /** Most micro-ops in one transaction; 1 disables multi-op transactions. Default 3. */
  txnOpsMax?: number;
  /** Whether transactions may end in ROLLBACK. Default true. */
  rollback?: boolean;
  /** Read policies sessions may use; the first is always on and where shrinking ends. Default all four. */
  policies?: readonly ReadPolicy[];
  /** Ops are scheduled in [0, spanMs]: given, it is the span; absent, each scenario draws one in 20–1500 ms. */
  spanMs?: number;
}

/** A protocol moment earlier runs saw: `node` marked `mark`, up to `count` times in one run. */
export interface AnchorPair {
  node: NodeId;
  mark: string;
  count: number;
}

/** Coverage feedback's steer of a draw: nothing here knows a model or a bug. */
export interface CoverageBias {
  /**
   * The (node, mark) pairs earlier runs reached: a fault aimed at a mark picks
   * one of these (and an occurrence that happened) instead of any node and any
   * mark, most of which never meet (a broker does not mark a sink's moments).
   */
  anchors?: readonly AnchorPair[];
  /**
   * A fault schedule to start from (one an earlier run reached new behaviour
   * with). Each of its faults is kept, nudged in time, whatever the drawn
   * features; fresh faults fill up to the profile's maximum; everything else is
   * drawn afresh. Each kept fault shrinks away on its own.
   */
  seedFaults?: readonly Fault[];
}

export interface ScenarioOptions extends WorkloadOptions {
  model: string;
  /** Node ids of the model's topology (for faults and clocks). */
  nodes: readonly NodeId[];
  config?: Record<string, unknown>;
  bug?: string;
  /** Fault profile. Default 'everything'. */
  profile?: FaultProfileName;
  /** Override the profile's fault kinds; given, every one of them is on in every scenario. */
  faultKinds?: readonly FaultKind[];
  /** Override the profile's maximum fault count. */
  faultsMax?: number;
  /** The model's protocol moments (`model.marks`): faults may be timed by them. */
  marks?: readonly (string | MarkSpec)[];
  /** Draw a feature set per scenario (default true); false turns every feature on. */
  swarm?: boolean;
  /** What earlier runs of an exploration showed (coverage feedback). */
  bias?: CoverageBias;
  limits?: SimLimits;
  /**
   * Numeric knobs a scenario may set on top of `config` (swarm only). A knob
   * that changes the node list is topology; `nodes` must then be the union of
   * the node lists (see {@link knobNodes}), and each scenario's faults, links
   * and clocks are mapped onto its own nodes.
   */
  knobs?: KnobSpace;
}

/** The knobs a scenario may draw, and how the model answers a configuration. */
export interface KnobSpace {
  /** Each knob's candidate values, plainest first (the first is where shrinking a drawn value ends). */
  knobs: readonly { name: string; values: readonly number[]; default?: number }[];
  /** The model's node ids under a configuration, or undefined when the model rejects it. */
  nodesOf: (config: Record<string, unknown>) => readonly NodeId[] | undefined;
}

/**
 * The nodes faults may name when knobs are drawn: the base configuration's
 * nodes first, then any node some single knob value adds, in order.
 */
export function knobNodes(base: Record<string, unknown>, space: KnobSpace): NodeId[] {
  const out = [...(space.nodesOf(base) ?? [])];
  for (const k of space.knobs) {
    for (const v of k.values) for (const n of space.nodesOf({ ...base, [k.name]: v }) ?? []) if (!out.includes(n)) out.push(n);
  }
  return out;
}

const ALL_POLICIES: readonly ReadPolicy[] = ['primary', 'any-standby', 'sticky-standby', 'read-your-writes'];
const DEFAULT_OP_KINDS: readonly MicroOpKind[] = ['r', 'w', 'upd', 'now', 'rand'];
const DEFAULT_SPAN_MS = 1500;
/** The shortest drawn span: races between a handful of ops need them this close. */
const SPAN_MIN_MS = 20;
const SPAN_STEPS = 32;

interface ResolvedWorkload {
  keys: string[];
  opsMin: number;
  opsMax: number;
  sessionsMax: number;
  opKinds: readonly MicroOpKind[];
  txnOpsMax: number;
  rollback: boolean;
  policies: readonly ReadPolicy[];
  /** The longest span; op times are drawn in [0, spanMs] and scaled to the scenario's span. */
  spanMs: number;
  spanPinned: boolean;
}

function resolveWorkload(o: WorkloadOptions): ResolvedWorkload {
  const keyCount = o.keys ?? 3;
  const r: ResolvedWorkload = {
    keys: Array.from({ length: keyCount }, (_, i) => `k${i + 1}`),
    opsMin: o.opsMin ?? 1,
    opsMax: o.opsMax ?? 20,
    sessionsMax: o.sessionsMax ?? 3,
    opKinds: o.opKinds ?? DEFAULT_OP_KINDS,
    txnOpsMax: o.txnOpsMax ?? 3,
    rollback: o.rollback ?? true,
    policies: o.policies ?? ALL_POLICIES,
    spanMs: o.spanMs ?? DEFAULT_SPAN_MS,
    spanPinned: o.spanMs !== undefined,
  };
  if (keyCount < 1) throw new RangeError(`workload: keys must be >= 1, got ${keyCount}`);
  if (r.opsMin < 0 || r.opsMax < r.opsMin) throw new RangeError(`workload: need 0 <= opsMin <= opsMax, got ${r.opsMin}..${r.opsMax}`);
  if (r.sessionsMax < 1) throw new RangeError(`workload: sessionsMax must be >= 1, got ${r.sessionsMax}`);
  if (r.opKinds.length === 0) throw new RangeError('workload: opKinds must not be empty');
  if (r.policies.length === 0) throw new RangeError('workload: policies must not be empty');
  if (r.txnOpsMax < 1) throw new RangeError(`workload: txnOpsMax must be >= 1, got ${r.txnOpsMax}`);
  return r;
}

// ───────────────────────────── features ─────────────────────────────

/**
 * What one scenario turns on. Every field shrinks toward the plainest value
 * (false, 1, or the shortest span), and a scenario is its full-width draw
 * masked by these, so shrinking a feature only ever removes or narrows.
 */
export interface WorkloadFeatures {
  keys: number;
  sessions: number;
  /** Op kinds beyond reads and writes, in `opKinds` order: on or off. */
  extraOps: boolean[];
  /** Read policies beyond the first, in `policies` order: on or off. */
  extraPolicies: boolean[];
  txns: boolean;
  rollback: boolean;
  spanMs: number;
}

export interface EnvFeatures {
  /** Fault kinds, in the order of the kinds given: on or off. */
  faultKinds: boolean[];
  /** Faults may be timed by marks. */
  aim: boolean;
  /**
   * Mark-timed faults strike together: every one after the first waits for the
   * first one's moment (its node, mark and occurrence), each with its own delay
   * and target — correlated failures, as when one outage takes two machines.
   */
  cluster: boolean;
  lossy: boolean;
  skew: boolean;
  slowFsync: boolean;
}

const flags = (n: number, swarm: boolean): fc.Arbitrary<boolean[]> =>
  swarm ? fc.array(fc.boolean(), { minLength: n, maxLength: n }) : fc.constant(Array.from({ length: n }, () => true));
const upTo = (max: number, swarm: boolean): fc.Arbitrary<number> => (swarm && max > 1 ? fc.integer({ min: 1, max }) : fc.constant(max));
const flag = (swarm: boolean): fc.Arbitrary<boolean> => (swarm ? fc.boolean() : fc.constant(true));

/** Reads and writes are always on (or the first kind, for a workload with neither). */
function baseOps(kinds: readonly MicroOpKind[]): MicroOpKind[] {
  const rw = kinds.filter((k) => k === 'r' || k === 'w');
  return rw.length > 0 ? rw : [kinds[0]!];
}

function spanArb(w: ResolvedWorkload, swarm: boolean): fc.Arbitrary<number> {
  if (!swarm || w.spanPinned || w.spanMs <= SPAN_MIN_MS) return fc.constant(w.spanMs);
  // Log scale: spans of tens of ms (races) are drawn as often as spans of a second.
  const ratio = w.spanMs / SPAN_MIN_MS;
  return fc.integer({ min: 0, max: SPAN_STEPS }).map((i) => Math.round(SPAN_MIN_MS * ratio ** (i / SPAN_STEPS)));
}

function workloadFeaturesArb(w: ResolvedWorkload, swarm: boolean): fc.Arbitrary<WorkloadFeatures> {
  const base = baseOps(w.opKinds);
  return fc.record({
    keys: upTo(w.keys.length, swarm),
    sessions: upTo(w.sessionsMax, swarm),
    extraOps: flags(w.opKinds.filter((k) => !base.includes(k)).length, swarm),
    extraPolicies: flags(w.policies.length - 1, swarm),
    txns: w.txnOpsMax > 1 ? flag(swarm) : fc.constant(false),
    rollback: w.rollback ? flag(swarm) : fc.constant(false),
    spanMs: spanArb(w, swarm),
  });
}

// ───────────────────────────── workload ─────────────────────────────

/** A micro-op before values are assigned: writes carry no value yet; `k` is a key index. */
type DraftOp = { f: 'r' | 'now' | 'rand' | 'del'; k: number } | { f: 'w'; k: number } | { f: 'upd'; k: number; expr: UpdateExpr };
interface DraftRequest {
  session: number;
  /** Time in [0, spanMs of the space], scaled to the scenario's span. */
  t: number;
  txn: DraftOp[];
  end: 'commit' | 'rollback';
}
interface DraftWorkload {
  drafts: DraftRequest[];
  /** A policy index per possible session. */
  policies: number[];
}

const updateExprArb: fc.Arbitrary<UpdateExpr> = fc.oneof(
  { withCrossShrink: true },
  fc.integer({ min: 1, max: 100 }).map((n): UpdateExpr => ({ op: 'add', n })),
  fc.integer({ min: 2, max: 5 }).map((n): UpdateExpr => ({ op: 'mul', n })),
);

function draftOpArb(w: ResolvedWorkload): fc.Arbitrary<DraftOp> {
  const key = fc.integer({ min: 0, max: w.keys.length - 1 });
  // Order matters: shrinking ends at the first kind in the list (a read).
  const byKind: Record<MicroOpKind, fc.Arbitrary<DraftOp>> = {
    r: key.map((k): DraftOp => ({ f: 'r', k })),
    w: key.map((k): DraftOp => ({ f: 'w', k })),
    upd: fc.tuple(key, updateExprArb).map(([k, expr]): DraftOp => ({ f: 'upd', k, expr })),
    now: key.map((k): DraftOp => ({ f: 'now', k })),
    rand: key.map((k): DraftOp => ({ f: 'rand', k })),
    del: key.map((k): DraftOp => ({ f: 'del', k })),
  };
  // Plain reads and unique-value writes are what checkers read best, so they dominate.
  const weight: Record<MicroOpKind, number> = { r: 3, w: 3, upd: 1, now: 1, rand: 1, del: 1 };
  return fc.oneof({ withCrossShrink: true }, ...w.opKinds.map((kind) => ({ weight: weight[kind], arbitrary: byKind[kind] })));
}

function draftRequestArb(w: ResolvedWorkload): fc.Arbitrary<DraftRequest> {
  const op = draftOpArb(w);
  const single = op.map((o) => [o]);
  const txn =
    w.txnOpsMax > 1
      ? fc.oneof(
          { withCrossShrink: true },
          { weight: 3, arbitrary: single },
          // Minimum 1, not 2: a failing [w, r] must be able to shrink to [w] by dropping r.
          { weight: 1, arbitrary: removableArray(op, 1, w.txnOpsMax) },
        )
      : single;
  const end = w.rollback
    ? fc.oneof(
        { withCrossShrink: true },
        { weight: 6, arbitrary: fc.constant('commit' as const) },
        { weight: 1, arbitrary: fc.constant('rollback' as const) },
      )
    : fc.constant('commit' as const);
  return fc.record({
    session: fc.integer({ min: 0, max: w.sessionsMax - 1 }),
    t: fc.integer({ min: 0, max: w.spanMs }),
    txn,
    end,
  });
}

function draftWorkloadArb(w: ResolvedWorkload): fc.Arbitrary<DraftWorkload> {
  return fc.record({
    drafts: removableArray(draftRequestArb(w), w.opsMin, w.opsMax),
    policies: fc.array(fc.integer({ min: 0, max: w.policies.length - 1 }), { minLength: w.sessionsMax, maxLength: w.sessionsMax }),
  });
}

/**
 * Client sessions for a workload, each scenario under its own features.
 * Sessions are numbered s1…sN in order of their generated index; sessions
 * without ops are left out. Each session's ops are sorted by time (stable),
 * and writes get their unique values.
 */
export function workloadArb(opts: WorkloadOptions & { swarm?: boolean } = {}): fc.Arbitrary<SessionSpec[]> {
  const w = resolveWorkload(opts);
  return fc.tuple(workloadFeaturesArb(w, opts.swarm ?? true), draftWorkloadArb(w)).map(([f, d]) => buildSessions(w, f, d));
}

/** A draft workload under a feature set: disabled kinds and policies fall back to the plainest. */
function buildSessions(w: ResolvedWorkload, f: WorkloadFeatures, d: DraftWorkload): SessionSpec[] {
  const base = baseOps(w.opKinds);
  const on = new Set<MicroOpKind>([...base, ...w.opKinds.filter((k) => !base.includes(k)).filter((_, i) => f.extraOps[i])]);
  const fallback: MicroOpKind = base.includes('w') ? 'w' : base[0]!;
  const policyOn = (i: number) => i === 0 || f.extraPolicies[i - 1] === true;
  const scale = (t: number) => (f.spanMs === w.spanMs ? t : Math.round((t * f.spanMs) / w.spanMs));
  const drafts = d.drafts.map((r): DraftRequest => {
    const txn = (f.txns ? r.txn : r.txn.slice(0, 1)).map((o): DraftOp => {
      const k = o.k % f.keys;
      if (on.has(o.f)) return { ...o, k };
      return fallback === 'upd' ? { f: 'upd', k, expr: { op: 'add', n: 1 } } : ({ f: fallback, k } as DraftOp);
    });
    return { session: r.session % f.sessions, t: scale(r.t), txn, end: f.rollback ? r.end : 'commit' };
  });
  const used = [...new Set(drafts.map((x) => x.session))].sort((a, b) => a - b);
  return used.map((index, i) => {
    const id = `s${i + 1}`;
    const mine = drafts.filter((x) => x.session === index).sort((a, b) => a.t - b.t);
    const p = d.policies[index] ?? 0;
    return { id, policy: w.policies[policyOn(p) ? p : 0]!, ops: assignValues(id, mine, w.keys) };
  });
}

function assignValues(session: string, drafts: DraftRequest[], keys: readonly string[]): TimedRequest[] {
  let writes = 0;
  const fill = (o: DraftOp): MicroOp => {
    const k = keys[o.k]!;
    if (o.f === 'w') return { f: 'w', k, v: `${session}-${++writes}` };
    return o.f === 'upd' ? { f: 'upd', k, expr: { ...o.expr } } : { f: o.f, k };
  };
  return drafts.map((d) => ({ atMs: d.t, req: { txn: d.txn.map(fill), end: d.end } }));
}

// ───────────────────────────── faults ─────────────────────────────

export interface FaultOptions {
  nodes: readonly NodeId[];
  kinds: readonly FaultKind[];
  faultsMax: number;
  /** Faults start in [0, spanMs]. Default 1500. */
  spanMs?: number;
  /** Mark names a fault may be timed by (the model's `marks`); none: every fault is timed by the clock. */
  marks?: readonly string[];
  /** Given and not empty: aimed faults pick among these pairs only (coverage feedback). */
  anchors?: readonly AnchorPair[];
  /** Restart delays on a log scale (swarm scenarios); else uniform 1–1000 ms, as hand-tuned searches were tuned on. */
  logRestarts?: boolean;
}

/** A fault before its timing is settled: its kind's fields, a clock time and maybe an anchor. */
interface DraftFault {
  fault: Fault;
  /** In [0, spanMs of the space], scaled to the scenario's span. */
  t: number;
  anchor: DraftAnchor | undefined;
}
interface DraftAnchor {
  node: NodeId;
  mark: string;
  nth: number;
  /** Log-scale step of the delay after the mark (0 = at the mark). */
  step: number;
  /**
   * The fault strikes the node that marked the moment (BUGGIFY's "fail here"):
   * a crash or pause hits it, a partition cuts it off from every other node.
   * Drawn independently, the faulted node is that one only one time in N, and a
   * partition's drawn sides isolate it rarely.
   */
  own: boolean;
}

/** Most occurrences of a mark a fault waits for. */
const NTH_MAX = 8;
/** Delays after a mark reach 50 ms in 0.1 ms steps, most of them under a few ms. */
const OFFSET_TENTHS_MAX = 500;
const OFFSET_STEPS = 100;

/** Delay after a mark, in ms with 0.1 ms resolution: step 0 is 0, then log-spaced up to 50 ms. */
export function anchorOffsetMs(step: number): number {
  return (Math.round((OFFSET_TENTHS_MAX + 1) ** (step / OFFSET_STEPS)) - 1) / 10;
}

function draftFaultsArb(opts: FaultOptions, kinds: readonly FaultKind[], spanMs: number): fc.Arbitrary<DraftFault[]> {
  const marks = opts.marks ?? [];
  // An absent anchor (timed by the clock) is where shrinking starts, so a fault
  // that needs no mark reads as a plain time; one that does keeps its anchor.
  const seen = (opts.anchors ?? []).filter((a) => opts.nodes.includes(a.node) && marks.includes(a.mark));
  // A pair earlier runs reached, and an occurrence of it that happened (nth wraps within its count).
  const where: fc.Arbitrary<{ node: NodeId; mark: string; nth: number }> = seen.length > 0
    ? fc.record({ i: fc.integer({ min: 0, max: seen.length - 1 }), nth: fc.integer({ min: 1, max: NTH_MAX }) })
      .map(({ i, nth }) => ({ node: seen[i]!.node, mark: seen[i]!.mark, nth: 1 + ((nth - 1) % Math.max(1, Math.min(NTH_MAX, seen[i]!.count))) }))
    : fc.record({ node: fc.constantFrom(...opts.nodes), mark: fc.constantFrom(...(marks.length > 0 ? marks : [''])), nth: fc.integer({ min: 1, max: NTH_MAX }) });
  const anchor: fc.Arbitrary<DraftAnchor | undefined> =
    marks.length === 0
      ? fc.constant(undefined)
      : fc.option(
          fc.record({ where, step: fc.integer({ min: 0, max: OFFSET_STEPS }), own: fc.boolean() })
            .map(({ where: w, step, own }): DraftAnchor => ({ ...w, step, own })),
          { nil: undefined, freq: 3 },
        );
  const one = fc.record({
    fault: fc.oneof(...kinds.map((k) => faultOfKind(k, opts.nodes, opts.logRestarts === true))),
    t: fc.integer({ min: 0, max: spanMs }),
    anchor,
  });
  return removableArray(one, 0, opts.faultsMax);
}

/** Usable kinds: those needing two nodes are skipped on one-node topologies. */
function usableKinds(kinds: readonly FaultKind[], nodes: readonly NodeId[]): FaultKind[] {
  return kinds.filter((k) => nodes.length >= 2 || k === 'crash' || k === 'pause');
}

/**
 * Drafts timed under a feature set: faults of kinds switched off are left out,
 * an anchor counts only while aiming is on. Clock-timed faults come first, by
 * time; mark-timed ones follow in draw order.
 */
function buildFaults(
  drafts: DraftFault[],
  kinds: readonly FaultKind[],
  on: readonly boolean[],
  aim: boolean,
  scale: (t: number) => number,
  nodes: readonly NodeId[],
  cluster = false,
): Fault[] {
  const kept = drafts.filter((d) => on[kinds.indexOf(d.fault.kind)] === true);
  const lead = cluster ? kept.find((d) => d.anchor)?.anchor : undefined;
  const faults = kept.map((d): Fault => {
    if (aim && d.anchor) {
      const { step, own } = d.anchor;
      const { node, mark, nth } = lead ?? d.anchor;
      return { ...strike(d.fault, own ? node : undefined, nodes), atMs: anchorOffsetMs(step), after: { mark, node, nth } };
    }
    return { ...d.fault, atMs: scale(d.t) };
  });
  const rank = (f: Fault) => (f.after ? Infinity : f.atMs);
  return faults.sort((a, b) => rank(a) - rank(b));
}

/** A fault aimed at `node` (the one that marked the moment): a crash or pause hits it, a partition isolates it. */
function strike(f: Fault, node: NodeId | undefined, nodes: readonly NodeId[]): Fault {
  if (node === undefined) return f;
  if (f.kind === 'crash' || f.kind === 'pause') return { ...f, node };
  const others = nodes.filter((n) => n !== node);
  if (f.kind === 'partition' && others.length > 0) return { ...f, from: [node], to: others };
  return f;
}

/**
 * An earlier schedule, each fault nudged: a mark-timed one by a factor of up to
 * 2 in its delay and one occurrence of its mark either way, a clock-timed one by
 * up to 40 ms. Nudges shrink to none, and each fault to absent.
 */
function seededFaultsArb(seed: readonly Fault[]): fc.Arbitrary<Fault[]> {
  const one = (f: Fault): fc.Arbitrary<Fault | null> =>
    fc.option(
      fc.record({ d: fc.integer({ min: -4, max: 4 }), n: fc.integer({ min: -1, max: 1 }) }).map(({ d, n }): Fault => {
        if (f.after) {
          const atMs = d === 0 ? f.atMs : Math.min(OFFSET_TENTHS_MAX / 10, round1(Math.max(f.atMs, 0.1) * 2 ** (d / 4)));
          return { ...f, atMs, after: { ...f.after, nth: Math.max(1, f.after.nth + n) } };
        }
        return { ...f, atMs: Math.max(0, f.atMs + d * 10) };
      }),
      { nil: null, freq: 1_000_000 },
    );
  return fc.tuple(...seed.map(one)).map((fs) => fs.filter((f): f is Fault => f !== null));
}

/** Seeded faults first, then fresh ones up to `max` in all; clock-timed before mark-timed, as buildFaults orders. */
function withSeeded(seeded: readonly Fault[], fresh: readonly Fault[], max: number): Fault[] {
  if (seeded.length === 0) return [...fresh];
  const all = [...seeded, ...fresh.slice(0, Math.max(0, max - seeded.length))];
  const rank = (f: Fault) => (f.after ? Infinity : f.atMs);
  return all.sort((a, b) => rank(a) - rank(b));
}

/** A fault schedule with every given kind on. Kinds needing two nodes are skipped on one-node topologies. */
export function faultsArb(opts: FaultOptions): fc.Arbitrary<Fault[]> {
  const kinds = usableKinds(opts.kinds, opts.nodes);
  if (kinds.length === 0 || opts.faultsMax <= 0 || opts.nodes.length === 0) return fc.constant([]);
  const span = opts.spanMs ?? DEFAULT_SPAN_MS;
  const on = kinds.map(() => true);
  return draftFaultsArb(opts, kinds, span).map((ds) => buildFaults(ds, kinds, on, true, (t) => t, opts.nodes));
}

function faultOfKind(kind: FaultKind, nodes: readonly NodeId[], logRestarts: boolean): fc.Arbitrary<Fault> {
  // The time is settled later (scaled to the span, or an anchor's delay).
  const at = fc.constant(0);
  const node = fc.constantFrom(...nodes);
  switch (kind) {
    case 'crash':
      return crashArb(at, node, logRestarts);
    case 'pause':
      return fc.record({ atMs: at, node, durationMs: fc.integer({ min: 1, max: 500 }) }).map((r): Fault => ({ kind: 'pause', ...r }));
    case 'partition':
      return partitionArb(at, nodes);
    case 'clog':
      return clogArb(at, nodes);
  }
}

const RESTART_MAX_MS = 1000;
const RESTART_STEPS = 60;
const restartMs = (i: number): number => Math.round(RESTART_MAX_MS ** (i / RESTART_STEPS));

function crashArb(at: fc.Arbitrary<number>, node: fc.Arbitrary<NodeId>, logRestarts: boolean): fc.Arbitrary<Fault> {
  // Absent restartAfterMs (restart only in the quiet phase) is the simplest form.
  // Log scale, 1 ms to 1 s: a node back before its peers notice it was gone (a
  // heartbeat, a failure detector's timeout) is drawn as often as one back after.
  const restart = fc.option(logRestarts ? fc.integer({ min: 0, max: RESTART_STEPS }).map(restartMs) : fc.integer({ min: 1, max: RESTART_MAX_MS }), { nil: undefined });
  return fc
    .record({ atMs: at, node, mode: fc.constantFrom('process' as const, 'machine' as const), restart })
    .map(({ atMs, node: n, mode, restart: r }): Fault =>
      r === undefined ? { kind: 'crash', atMs, node: n, mode } : { kind: 'crash', atMs, node: n, mode, restartAfterMs: r },
    );
}

/**
 * Each node is on the `from` side, the `to` side or outside the cut; the
 * simplest form (everything shrunk to 'to') is repaired into "first node
 * isolated from all others", the classic minority partition.
 */
function partitionArb(at: fc.Arbitrary<number>, nodes: readonly NodeId[]): fc.Arbitrary<Fault> {
  const sides = fc.array(fc.constantFrom('to' as const, 'from' as const, 'none' as const), {
    minLength: nodes.length,
    maxLength: nodes.length,
  });
  const duration = fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined });
  return fc.record({ atMs: at, sides, oneWay: fc.boolean(), duration }).map(({ atMs, sides: s, oneWay, duration: d }): Fault => {
    const { from, to } = splitSides(nodes, s);
    const f: Fault = { kind: 'partition', atMs, from, to };
    if (oneWay) f.oneWay = true;
    if (d !== undefined) f.durationMs = d;
    return f;
  });
}

function splitSides(nodes: readonly NodeId[], sides: ('to' | 'from' | 'none')[]): { from: NodeId[]; to: NodeId[] } {
  const s = [...sides];
  if (!s.includes('from')) s[0] = 'from';
  if (!s.includes('to')) s[s.includes('none') ? s.lastIndexOf('none') : s.length - 1] = 'to';
  return { from: nodes.filter((_, i) => s[i] === 'from'), to: nodes.filter((_, i) => s[i] === 'to') };
}

function clogArb(at: fc.Arbitrary<number>, nodes: readonly NodeId[]): fc.Arbitrary<Fault> {
  const n = nodes.length;
  return fc
    .record({
      atMs: at,
      from: fc.integer({ min: 0, max: n - 1 }),
      step: fc.integer({ min: 1, max: n - 1 }),
      extraMs: fc.integer({ min: 1, max: 500 }),
      durationMs: fc.integer({ min: 1, max: 1000 }),
    })
    .map(({ atMs, from, step, extraMs, durationMs }): Fault => ({
      kind: 'clog',
      atMs,
      from: nodes[from] as NodeId,
      to: nodes[(from + step) % n] as NodeId,
      extraMs,
      durationMs,
    }));
}

// ───────────────────────────── network ─────────────────────────────

/** Milliseconds with 0.1 ms resolution, in [minTenths/10, maxTenths/10], shrinking toward the lower bound. */
const tenthsMs = (minTenths: number, maxTenths: number) =>
  fc.integer({ min: minTenths, max: maxTenths }).map((x) => x / 10);

/** A latency distribution; cross-shrinks toward the first of `kinds` (normally constant). */
export function latencyArb(kinds: readonly LatencyKind[] = WAN): fc.Arbitrary<LatencyDist> {
  if (kinds.length === 0) throw new RangeError('latencyArb: kinds must not be empty');
  return fc.oneof({ withCrossShrink: true }, ...kinds.map(latencyOfKind));
}

function latencyOfKind(kind: LatencyKind): fc.Arbitrary<LatencyDist> {
  switch (kind) {
    case 'constant':
      return tenthsMs(1, 50).map((ms): LatencyDist => ({ kind: 'constant', ms }));
    case 'uniform':
      return fc.tuple(tenthsMs(1, 20), tenthsMs(0, 100)).map(([minMs, w]): LatencyDist => ({ kind: 'uniform', minMs, maxMs: round1(minMs + w) }));
    case 'exponential':
      return fc.tuple(tenthsMs(1, 50), tenthsMs(0, 10)).map(([meanMs, minMs]): LatencyDist => ({ kind: 'exponential', meanMs, minMs }));
    case 'pareto':
      // Shape 1.1–3: the smaller, the heavier the tail; capped so a run ends.
      return fc.tuple(tenthsMs(1, 20), fc.integer({ min: 11, max: 30 }), fc.integer({ min: 50, max: 500 }))
        .map(([scaleMs, shape10, capMs]): LatencyDist => ({ kind: 'pareto', scaleMs, shape: shape10 / 10, capMs }));
    case 'mixture':
      // A LAN body with a rare heavy tail, e.g. 95% uniform + 5% Pareto.
      return fc.tuple(latencyOfKind('uniform'), latencyOfKind('pareto'), fc.integer({ min: 80, max: 99 }))
        .map(([body, tail, w]): LatencyDist => ({ kind: 'mixture', parts: [{ weight: w, dist: body }, { weight: 100 - w, dist: tail }] }));
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Rate in [0, max] in steps of 0.01, shrinking to 0. */
const rateArb = (max: number) => fc.integer({ min: 0, max: Math.round(max * 100) }).map((x) => x / 100);

export interface NetworkOptions {
  nodes: readonly NodeId[];
  latencyKinds?: readonly LatencyKind[];
  lossRateMax?: number;
  dupRateMax?: number;
  /** Most per-link latency overrides. Default 0 when the network is LAN-only, else 2. */
  linkOverridesMax?: number;
}

/** Network parameters: default link plus a few per-link latency overrides (slow links). */
export function networkArb(opts: NetworkOptions): fc.Arbitrary<NetworkParams> {
  const kinds = opts.latencyKinds ?? LAN;
  const link = fc.record({
    latency: latencyArb(kinds),
    lossRate: rateArb(opts.lossRateMax ?? 0),
    dupRate: rateArb(opts.dupRateMax ?? 0),
  });
  const overridesMax = opts.nodes.length < 2 ? 0 : (opts.linkOverridesMax ?? (kinds.length > LAN.length ? 2 : 0));
  const override = fc.tuple(fc.integer({ min: 0, max: opts.nodes.length - 1 }), fc.integer({ min: 1, max: Math.max(1, opts.nodes.length - 1) }), latencyArb(kinds));
  const overrides: fc.Arbitrary<[number, number, LatencyDist][]> =
    overridesMax > 0 ? fc.array(override, { maxLength: overridesMax }) : fc.constant([]);
  return fc.tuple(link, overrides).map(([defaultLink, ov]) => buildNetwork(defaultLink, ov, opts.nodes));
}

function buildNetwork(defaultLink: LinkParams, ov: [number, number, LatencyDist][], nodes: readonly NodeId[]): NetworkParams {
  const net: NetworkParams = { defaultLink };
  if (ov.length === 0) return net;
  const links: Record<string, Partial<LinkParams>> = {};
  for (const [from, step, latency] of ov) {
    links[`${nodes[from]}->${nodes[(from + step) % nodes.length]}`] = { latency };
  }
  net.links = links;
  return net;
}

// ───────────────────────────── clocks ─────────────────────────────

export interface ClockOptions {
  nodes: readonly NodeId[];
  offsetMsMax: number;
  driftPpmMax: number;
  jumpsMax: number;
  spanMs?: number;
}

/**
 * Per-node clock parameters, or `undefined` when every clock is exact (the
 * shrink target). Nodes whose clock is exact are left out of the record.
 */
export function clocksArb(opts: ClockOptions): fc.Arbitrary<Record<NodeId, ClockParams> | undefined> {
  if (opts.offsetMsMax <= 0 && opts.driftPpmMax <= 0 && opts.jumpsMax <= 0) return fc.constant(undefined);
  const span = opts.spanMs ?? DEFAULT_SPAN_MS;
  const sym = (max: number) => fc.integer({ min: -max, max });
  const jump = fc.record({ atMs: fc.integer({ min: 0, max: span }), byMs: sym(Math.max(1, opts.offsetMsMax)) });
  const clock = fc.record({
    offsetMs: sym(opts.offsetMsMax),
    driftPpm: sym(opts.driftPpmMax),
    jumps: removableArray(jump, 0, opts.jumpsMax),
  });
  return fc.array(clock, { minLength: opts.nodes.length, maxLength: opts.nodes.length }).map((cs) => buildClocks(opts.nodes, cs));
}

function buildClocks(nodes: readonly NodeId[], cs: ClockParams[]): Record<NodeId, ClockParams> | undefined {
  const out: Record<NodeId, ClockParams> = {};
  cs.forEach((c, i) => {
    const jumps = (c.jumps ?? []).filter((j) => j.byMs !== 0).sort((a, b) => a.atMs - b.atMs);
    if (c.offsetMs === 0 && c.driftPpm === 0 && jumps.length === 0) return;
    const p: ClockParams = { offsetMs: c.offsetMs, driftPpm: c.driftPpm };
    if (jumps.length > 0) p.jumps = jumps;
    out[nodes[i] as NodeId] = p;
  });
  return Object.keys(out).length > 0 ? out : undefined;
}

// ───────────────────────────── scenario ─────────────────────────────

/** fsync latency 1–10 ms: a longer window makes unsynced-write loss more likely. */
const diskArb: fc.Arbitrary<DiskParams | undefined> = fc
  .integer({ min: 0, max: 90 })
  .map((x) => (x === 0 ? undefined : { fsyncLatency: { kind: 'constant', ms: 1 + x / 10 } }));

/** A whole scenario for a model and fault profile, under a feature set drawn per scenario. */
export function scenarioArb(opts: ScenarioOptions): fc.Arbitrary<Scenario> {
  const p = FAULT_PROFILES[opts.profile ?? 'everything'];
  if (!p) throw new RangeError(`scenarioArb: unknown fault profile '${String(opts.profile)}' (expected one of ${FAULT_PROFILE_NAMES.join(', ')})`);
  if (opts.nodes.length === 0) throw new RangeError('scenarioArb: nodes must not be empty');
  const swarm = opts.swarm ?? true;
  const w = resolveWorkload(opts);
  const kinds = usableKinds(opts.faultKinds ?? p.faultKinds, opts.nodes);
  const faultsMax = kinds.length === 0 ? 0 : (opts.faultsMax ?? p.faultsMax);
  const marks = (opts.marks ?? []).map((m) => (typeof m === 'string' ? m : m.name));
  const env: fc.Arbitrary<EnvFeatures> = fc.record({
    // Kinds the caller named are pinned on; a profile's kinds are drawn.
    faultKinds: opts.faultKinds ? fc.constant(kinds.map(() => true)) : flags(kinds.length, swarm),
    aim: marks.length > 0 && faultsMax > 0 ? flag(swarm) : fc.constant(false),
    // Off without swarm: a caller that turns every feature on keeps independent faults.
    cluster: swarm && marks.length > 0 && faultsMax > 1 ? fc.boolean() : fc.constant(false),
    lossy: p.lossRateMax > 0 || p.dupRateMax > 0 ? flag(swarm) : fc.constant(false),
    skew: p.clockOffsetMsMax > 0 || p.clockDriftPpmMax > 0 || p.clockJumpsMax > 0 ? flag(swarm) : fc.constant(false),
    slowFsync: p.varyFsync ? flag(swarm) : fc.constant(false),
  });
  const faultOpts: FaultOptions = {
    nodes: opts.nodes, kinds, faultsMax, spanMs: w.spanMs, marks, logRestarts: swarm, ...(opts.bias?.anchors ? { anchors: opts.bias.anchors } : {}),
  };
  const seedFaults = opts.bias?.seedFaults ?? [];
  const space = swarm ? opts.knobs : undefined;
  const base = opts.config ?? {};
  const topology = space ? topologyKnobs(base, space) : [];
  // Features first: the shrinker tries switching whole features off before it
  // touches single values, which removes most of a scenario in a few runs
  // (measured: fewer shrink runs than features after the ops). The simulator
  // seed, which mostly refuses to shrink, comes last: after every accepted step
  // fast-check tries each part's candidates again from the first part.
  return fc
    .record({
      workload: workloadFeaturesArb(w, swarm),
      env,
      knobs: space ? knobDrawArb(space, topology) : fc.constant<KnobDraw | undefined>(undefined),
      drafts: draftWorkloadArb(w),
      faults: faultsMax > 0 ? draftFaultsArb(faultOpts, kinds, w.spanMs) : fc.constant<DraftFault[]>([]),
      seeded: seedFaults.length > 0 ? seededFaultsArb(seedFaults) : fc.constant<Fault[]>([]),
      network: networkArb({ nodes: opts.nodes, latencyKinds: p.latencyKinds, lossRateMax: p.lossRateMax, dupRateMax: p.dupRateMax }),
      clocks: clocksArb({ nodes: opts.nodes, offsetMsMax: p.clockOffsetMsMax, driftPpmMax: p.clockDriftPpmMax, jumpsMax: p.clockJumpsMax, spanMs: w.spanMs }),
      disk: p.varyFsync ? diskArb : fc.constant(undefined),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .map((r) => {
      const f = r.workload;
      const scale = (t: number) => (f.spanMs === w.spanMs ? t : Math.round((t * f.spanMs) / w.spanMs));
      const network = r.env.lossy ? r.network : { ...r.network, defaultLink: { ...r.network.defaultLink, lossRate: 0, dupRate: 0 } };
      const parts: ScenarioParts = {
        seed: r.seed,
        sessions: buildSessions(w, f, r.drafts),
        faults: withSeeded(r.seeded, buildFaults(r.faults, kinds, r.env.faultKinds, r.env.aim, scale, opts.nodes, r.env.cluster), faultsMax),
        network,
        clocks: r.env.skew ? r.clocks : undefined,
        disk: r.env.slowFsync ? r.disk : undefined,
      };
      if (!space || !r.knobs) return assembleScenario(opts, parts);
      const drawn = drawnConfig(base, space, topology, r.knobs);
      return assembleScenario({ ...opts, config: drawn.config }, onNodes(parts, opts.nodes, drawn.nodes));
    });
}

// ───────────────────────────── knobs ─────────────────────────────

/**
 * A scenario's knob settings: per knob, an index into its values or the base
 * configuration's own (undefined, where shrinking ends). Topology knobs count
 * on their own; the others only while `tune` is on, so most scenarios keep the
 * variant's timings and a failure shrinks back to them when it can.
 */
interface KnobDraw {
  tune: boolean;
  picks: (number | undefined)[];
}

/** Which knobs change the node list. */
function topologyKnobs(base: Record<string, unknown>, space: KnobSpace): boolean[] {
  const own = (space.nodesOf(base) ?? []).join(',');
  return space.knobs.map((k) => k.values.some((v) => {
    const ns = space.nodesOf({ ...base, [k.name]: v });
    return ns !== undefined && ns.join(',') !== own;
  }));
}

function knobDrawArb(space: KnobSpace, topology: readonly boolean[]): fc.Arbitrary<KnobDraw | undefined> {
  return fc.record({
    tune: fc.boolean(),
    // Two scenarios in three keep a knob's base value (where shrinking ends); the others draw one of its values.
    picks: fc.tuple(...space.knobs.map((k) => fc.oneof(
      { withCrossShrink: true },
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: k.values.length - 1 }) },
    ))),
  }).map((d): KnobDraw => ({ tune: d.tune, picks: d.picks.map((p, i) => (p === undefined || (!d.tune && !topology[i]) ? undefined : p)) }));
}

/**
 * The configuration a draw asks for, if the model accepts it; else the same
 * with only the topology drawn; else the base. Knobs set to the base's own
 * value are left out, so a shrunk scenario names only what it changed.
 */
function drawnConfig(
  base: Record<string, unknown>,
  space: KnobSpace,
  topology: readonly boolean[],
  d: KnobDraw,
): { config: Record<string, unknown>; nodes: readonly NodeId[] | undefined } {
  const build = (which: (i: number) => boolean): Record<string, unknown> => {
    const c = { ...base };
    space.knobs.forEach((k, i) => {
      const p = d.picks[i];
      const v = p === undefined ? undefined : k.values[p];
      if (v !== undefined && which(i) && v !== (base[k.name] ?? k.default)) c[k.name] = v;
    });
    return c;
  };
  for (const config of [build(() => true), build((i) => topology[i] === true), { ...base }]) {
    const nodes = space.nodesOf(config);
    if (nodes) return { config, nodes };
  }
  return { config: { ...base }, nodes: undefined };
}

/**
 * Parts drawn over `all` nodes, moved onto a scenario's own `nodes`: a node it
 * lacks stands for the node at the same position, modulo. A partition or clog
 * left without two distinct sides is dropped; so are links and clocks of
 * nodes the scenario lacks.
 */
function onNodes(parts: ScenarioParts, all: readonly NodeId[], nodes: readonly NodeId[] | undefined): ScenarioParts {
  if (!nodes || nodes.length === 0 || all.every((n) => nodes.includes(n))) return parts;
  const has = new Set(nodes);
  const to = (n: NodeId): NodeId => (has.has(n) ? n : nodes[Math.max(0, all.indexOf(n)) % nodes.length]!);
  const faults: Fault[] = [];
  for (const f0 of parts.faults) {
    const f: Fault = f0.after ? { ...f0, after: { ...f0.after, node: to(f0.after.node) } } : { ...f0 };
    if (f.kind === 'partition') {
      const from = [...new Set(f.from.map(to))];
      const dest = [...new Set(f.to.map(to))].filter((n) => !from.includes(n));
      if (from.length === 0 || dest.length === 0) continue;
      faults.push({ ...f, from, to: dest });
    } else if (f.kind === 'clog') {
      const a = to(f.from);
      const b = to(f.to);
      if (a === b) continue;
      faults.push({ ...f, from: a, to: b });
    } else {
      faults.push({ ...f, node: to(f.node) });
    }
  }
  let network = parts.network;
  if (network.links) {
    const links = Object.fromEntries(Object.entries(network.links).filter(([k]) => k.split('->').every((n) => has.has(n))));
    const { links: _all, ...rest } = network;
    network = Object.keys(links).length > 0 ? { ...rest, links } : rest;
  }
  let clocks = parts.clocks;
  if (clocks) {
    const kept = Object.fromEntries(Object.entries(clocks).filter(([n]) => has.has(n)));
    clocks = Object.keys(kept).length > 0 ? kept : undefined;
  }
  return { ...parts, faults, network, clocks };
}

interface ScenarioParts {
  seed: number;
  sessions: SessionSpec[];
  faults: Fault[];
  network: NetworkParams;
  clocks: Record<NodeId, ClockParams> | undefined;
  disk: DiskParams | undefined;
}

function assembleScenario(opts: ScenarioOptions, r: ScenarioParts): Scenario {
  // Key order as declared in Scenario, the same canonical order parseScenario produces.
  const s: Scenario = { model: opts.model, config: { ...(opts.config ?? {}) } } as Scenario;
  if (opts.bug !== undefined) s.bug = opts.bug;
  Object.assign(s, { seed: r.seed, sessions: r.sessions, faults: r.faults, network: r.network });
  if (r.clocks !== undefined) s.clocks = r.clocks;
  if (r.disk !== undefined) s.disk = r.disk;
  if (opts.limits !== undefined) s.limits = { ...opts.limits };
  return s;
}
