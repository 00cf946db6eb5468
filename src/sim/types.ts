/**
 * Simulator contracts: what a run is given (SimConfig), what a model is (Model),
 * and the only door a node program has to the world (NodeContext).
 *
 * Time: every time in a SimConfig and in the trace is *true* simulator time in
 * milliseconds since the start of the run. A node never sees true time; it reads
 * its own clock through `ctx.now()`.
 */
import type {
  ClientRequest,
  ClientResult,
  CommitPos,
  EmitData,
  History,
  NodeId,
  NodeView,
  ReadPolicy,
  SessionId,
} from '../history/types.js';

// ───────────────────────────── network ─────────────────────────────

/**
 * A one-way latency distribution in milliseconds. Samples are rounded to 1 µs so
 * traces print stably. Mixtures express published fits (e.g. 95% uniform LAN,
 * 5% Pareto tail).
 */
export type LatencyDist =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** minMs + Exp(mean = meanMs) */
  | { kind: 'exponential'; meanMs: number; minMs?: number }
  /** Pareto type I: scaleMs · U^(-1/shape); heavy tail when shape is small. */
  | { kind: 'pareto'; scaleMs: number; shape: number; capMs?: number }
  | { kind: 'mixture'; parts: { weight: number; dist: LatencyDist }[] };

export interface LinkParams {
  latency: LatencyDist;
  /** Probability a datagram is lost. Streams never lose (TCP retransmits). */
  lossRate: number;
  /** Probability a datagram is delivered twice. */
  dupRate: number;
}

export interface NetworkParams {
  /** Parameters of every directed link unless overridden. */
  defaultLink: LinkParams;
  /** Overrides keyed "from->to". */
  links?: Record<string, Partial<LinkParams>>;
  /**
   * Time for a stream endpoint to notice its connection broke (TCP keepalive /
   * timeout), in ms. Default 50.
   */
  breakDetectMs?: number;
  /** Client ↔ node latency (clients are never partitioned). Default constant 0.2 ms. */
  clientLatency?: LatencyDist;
}

// ───────────────────────────── clocks & disks ─────────────────────────────

/**
 * A node's wall clock reads `t + offsetMs + driftPpm·1e-6·t + Σ jumps so far`,
 * where t is true time. Timers run on the monotonic clock: they tick at the
 * drifted rate but ignore jumps (as CLOCK_MONOTONIC vs CLOCK_REALTIME).
 */
export interface ClockParams {
  offsetMs: number;
  driftPpm: number;
  jumps?: { atMs: number; byMs: number }[];
}

export interface DiskParams {
  /** Latency of one fsync. Default constant 1 ms. */
  fsyncLatency?: LatencyDist;
}

// ───────────────────────────── faults ─────────────────────────────

/**
 * A scheduled fault. `atMs` is true time. Faults with a duration heal by
 * themselves; every fault heals at the start of the quiet phase at the latest.
 */
export type Fault = FaultOfKind & {
  /**
   * Time the fault by a protocol moment instead of the clock: it is injected
   * `atMs` after the `nth` time `node` marks `mark` (`ctx.mark`), if that
   * happens before the quiet phase; otherwise it never happens.
   */
  after?: FaultAnchor;
};

/** A protocol moment a fault is timed by: the `nth` (1-based) `mark` on `node`. */
export interface FaultAnchor {
  mark: string;
  node: NodeId;
  nth: number;
}

/**
 * A protocol moment a model marks with `ctx.mark(name)` (an fsync started, a
 * sync ack sent, a lease renewed …), so generated faults can land right there.
 */
export interface MarkSpec {
  name: string;
  /** What has just happened when the mark is made, in a few words. */
  description: string;
}

type FaultOfKind =
  /**
   * Kill a node. 'process': the program dies, the OS page cache survives (unsynced
   * writes stay). 'machine': power loss, unsynced writes are lost. The node
   * restarts after `restartAfterMs` (absent: only in the quiet phase).
   */
  | { kind: 'crash'; atMs: number; node: NodeId; mode: 'process' | 'machine'; restartAfterMs?: number }
  /** Stop-the-world stall: nothing runs on the node; events wait until it resumes. */
  | { kind: 'pause'; atMs: number; node: NodeId; durationMs: number }
  /**
   * Drop every message from `from` nodes to `to` nodes, and back unless oneWay.
   * Streams crossing the cut break.
   */
  | { kind: 'partition'; atMs: number; from: NodeId[]; to: NodeId[]; oneWay?: boolean; durationMs?: number }
  /** Delay (not drop) every message from→to by an extra `extraMs` for a while. */
  | { kind: 'clog'; atMs: number; from: NodeId; to: NodeId; extraMs: number; durationMs: number };

// ───────────────────────────── workload ─────────────────────────────

export interface TimedRequest {
  /** Earliest true time at which the session issues it (sessions are sequential). */
  atMs: number;
  req: ClientRequest;
}

export interface SessionSpec {
  id: SessionId;
  policy: ReadPolicy;
  ops: TimedRequest[];
}

// ───────────────────────────── limits ─────────────────────────────

export interface SimLimits {
  /** Events processed before the run is stopped. Default 2,000,000. */
  maxEvents?: number;
  /** Virtual-time bound for the whole run in ms. Default 600,000. */
  maxTimeMs?: number;
  /** Longest the quiet phase may last before the model is declared non-quiescent. Default 10,000. */
  quietMaxMs?: number;
  /** A client gives up and records `info` after this long. Default 1,000. */
  clientTimeoutMs?: number;
}

export interface SimConfig {
  seed: number;
  nodes: NodeId[];
  network: NetworkParams;
  clocks?: Record<NodeId, ClockParams>;
  disk?: DiskParams;
  faults: Fault[];
  sessions: SessionSpec[];
  limits?: SimLimits;
  /** Record net send/recv entries (needed for timelines). Default true. */
  traceMessages?: boolean;
  /** Scenario to store in the history's meta entry. */
  scenario?: unknown;
}

// ───────────────────────────── models ─────────────────────────────

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * A node's disk. Each named file is either an append-only record list or a single
 * value. Writes land in the OS cache; `fsync` makes everything written *before*
 * the call durable once its latency has passed. A machine crash rolls every file
 * back to its durable contents; a process crash keeps the cache. Stored values
 * must be treated as immutable (the disk keeps references, not copies).
 */
export interface Disk {
  append(file: string, record: unknown): number;
  /** All records of an append file (cached view), oldest first. */
  records<T = unknown>(file: string): readonly T[];
  /** Keep only the first `length` records (pg_rewind, torn-tail cleanup). */
  truncate(file: string, length: number): void;
  put(file: string, value: unknown): void;
  get<T = unknown>(file: string): T | undefined;
  /** Durable-on-completion; `done` runs on this node after the fsync latency unless it crashed. */
  fsync(done?: () => void): void;
}

export type TimerId = number;

export interface SendOptions {
  /** 'stream' (default): FIFO, lossless, breaks on partitions/crashes. 'datagram': unordered, lossy. */
  channel?: 'stream' | 'datagram';
  /**
   * A background message (a poll, a heartbeat, a periodic offset commit, and the
   * answers to them) does not keep the quiet phase alive; a model that polls
   * must then say when it is done through `Model.quiescent`.
   */
  background?: boolean;
}

/** The only powers a node program has. Everything is deterministic given the seed. */
export interface NodeContext {
  readonly id: NodeId;
  /** Every node of the topology, including this one. */
  readonly nodes: readonly NodeId[];
  /** This node's wall clock in ms (skewed, drifting, may jump). */
  now(): number;
  send(to: NodeId, msg: unknown, opts?: SendOptions): void;
  /**
   * Run `onTimer(tag, payload)` after `delayMs` of this node's monotonic clock.
   * A `background` timer does not keep the quiet phase alive (heartbeats,
   * status intervals); a foreground timer does.
   */
  setTimer(delayMs: number, tag: string, payload?: unknown, opts?: { background?: boolean }): TimerId;
  cancelTimer(id: TimerId): void;
  /** Complete a client request. A second reply for the same request is an error. */
  reply(reqId: number, result: ClientResult): void;
  readonly disk: Disk;
  /** This node's seeded random stream in [0, 1). */
  random(): number;
  /**
   * Record an internal event (see EVENT_NAMES in history/types). A name of the
   * shared vocabulary must carry its EventData; a model's own names take any object.
   */
  emit<N extends string>(name: N, data?: EmitData<N>): void;
  /**
   * Mark a protocol moment (one of the model's `marks`): faults may be timed
   * from the n-th mark on this node. Costs nothing when no fault is.
   */
  mark(name: string): void;
}

export interface IncomingRequest {
  id: number;
  session: SessionId;
  policy: ReadPolicy;
  req: ClientRequest;
}

/**
 * What runs on one node. A fresh program is created at start and after every
 * restart; all memory is lost in a crash, so `start` must recover from the disk.
 */
export interface NodeProgram {
  start(ctx: NodeContext): void;
  onMessage(ctx: NodeContext, from: NodeId, msg: unknown): void;
  onTimer(ctx: NodeContext, tag: string, payload: unknown): void;
  onRequest(ctx: NodeContext, request: IncomingRequest): void;
  /** A stream to or from `peer` broke; messages in flight on it were lost. */
  onStreamBreak?(ctx: NodeContext, peer: NodeId): void;
  /** Visible state for inspection and final-state checks. Must not mutate anything. */
  view(): NodeView;
}

/** What the router sees of the cluster when it picks a node for a request. */
export interface ClusterView {
  nodes: { id: NodeId; alive: boolean; view: NodeView }[];
}

export interface SessionInfo {
  id: SessionId;
  policy: ReadPolicy;
  /** The node this session last used for reads (sticky routing), if any. */
  sticky?: NodeId;
  /** Last commit position this session saw acknowledged. */
  lastCommit?: CommitPos;
}

/** A guarantee a model variant claims (checked) or does not claim (measured). */
export interface GuaranteeClaim {
  /** Guarantee id, e.g. 'convergence', 'durability', 'read-your-writes'. */
  id: string;
  /** Under which faults the claim holds, in words (e.g. "standby process crash"). */
  under?: string;
  /** Fault kinds the claim tolerates; scenarios with others only measure it. */
  tolerates?: string[];
  /** Where the real system documents the promise (or its limit). */
  source?: string;
  /**
   * For 'bounded-staleness': the bound the claim promises. `since: 'ack'`
   * counts a version as due once its write was acknowledged to its client
   * ("a read reflects every commit acknowledged before it began"); 'commit'
   * (default) once it committed anywhere.
   */
  bound?: StalenessBound;
}

export interface StalenessBound {
  /** Most versions of the key a read may miss. */
  kMax?: number;
  /** Longest a missed version may have been due, in ms. */
  tMsMax?: number;
  since?: 'commit' | 'ack';
}

export interface PlantedBug {
  name: string;
  description: string;
  /** The real incident, documentation page or bug report the mutant reproduces. */
  source: string;
}

export interface ModelKnob {
  name: string;
  /** The allowed values, or for a numeric knob with `range`, typical ones. */
  values: readonly (string | number | boolean)[];
  /** A numeric knob takes any value in [min, max] (integers when `integer`). */
  range?: { min: number; max?: number; integer?: boolean };
  default: string | number | boolean;
  description: string;
  /** Where the real system documents the behaviour this knob selects. */
  source?: string;
}

/**
 * A documented behaviour of the real system that a model reproduces — most often
 * where that system surprises its users — with what selects it, what it decides
 * and the planted bugs that break it. Every planted bug of a built-in model sits
 * beside the behaviour it breaks; the basic mechanics (streaming and replay,
 * at-least-once delivery) are behaviours too.
 */
export interface ModelBehaviour {
  /** Unique within the model, kebab-case. */
  id: string;
  title: string;
  /** What the model does, in one or two sentences. */
  what: string;
  /** Names of the model's knobs that select or tune it (none: always on). */
  knobs: readonly string[];
  /** Guarantee ids whose claim depends on it: claimed only with it, or dropped because of it. */
  claims: readonly string[];
  /** Names of the model's planted bugs that break it. */
  bugs: readonly string[];
  /** Where the real system documents it, as the model's knob, claim and bug sources cite it. */
  sources: readonly string[];
}

/**
 * A model: a named factory of node programs plus its topology, router and the
 * guarantees it claims. Plain record of functions, nothing to inherit.
 * `C` is the model's configuration (JSON data, part of the scenario).
 */
export interface Model<C = Record<string, unknown>> {
  name: string;
  description: string;
  knobs: ModelKnob[];
  bugs: PlantedBug[];
  /** Fill defaults and reject invalid configuration with a clear Error. */
  configure(raw: Record<string, unknown>, bug?: string): C;
  nodes(config: C): NodeId[];
  program(node: NodeId, config: C, bug?: string): NodeProgram;
  /** Which node serves a request; `undefined` fails it with "no node available". */
  route(request: ClientRequest, session: SessionInfo, cluster: ClusterView, config: C): NodeId | undefined;
  claims(config: C, bug?: string): GuaranteeClaim[];
  /** Optional extra quiescence test for the quiet phase (e.g. "all standbys caught up"). */
  quiescent?(cluster: ClusterView, config: C): boolean;
  /** The protocol moments its nodes mark with `ctx.mark`; generated faults aim at them. */
  marks?: readonly MarkSpec[];
  /** The real system's documented behaviours it reproduces (`replicheck models` lists them). */
  behaviours?: readonly ModelBehaviour[];
}

export interface RunResult {
  history: History;
  /** sha256 of the JSON-lines history (computed on first read). */
  readonly hash: string;
  events: number;
  endMs: number;
}
