/**
 * The run loop: one call to `simulate` runs a model under a SimConfig and returns
 * the recorded history (the trace) and its hash.
 *
 * A single-threaded discrete-event loop over virtual (true) time. Every effect a
 * node has on the world — messages, timers, fsyncs, client replies — becomes an
 * event in one queue ordered by (time, sequence number). Nothing reads the host's
 * clock or randomness, so the same model, configuration and seed give the same
 * history byte for byte.
 */
import { createHash } from 'node:crypto';
import type { ClientRequest, ClientResult, History, HistoryEntry, MicroOp, NetEntry, NodeId, NodeView, Value } from '../history/types.js';
import { NodeClock } from './clock.js';
import { SimDisk } from './disk.js';
import { DeterminismError, ModelError, SimLimitError } from './errors.js';
import { guarded } from './guard.js';
import { roundUs, sampleLatency } from './latency.js';
import { EventQueue } from './queue.js';
import { RandomStreams, type Rng } from './random.js';
import type {
  ClusterView,
  Fault,
  FaultAnchor,
  IncomingRequest,
  LatencyDist,
  LinkParams,
  Model,
  NodeContext,
  NodeProgram,
  RunResult,
  SessionInfo,
  SessionSpec,
  SimConfig,
} from './types.js';

export interface SimulateOptions<C> {
  model: Model<C>;
  config: C;
  bug?: string;
  sim: SimConfig;
}

/**
 * A read a node served that its visible state did not hold: the value of `key`
 * in `view().data` (absent = null) at the reply was `visible`, and no value the
 * node showed from the request's arrival until then was `value`.
 */
export interface ReadMismatch {
  node: NodeId;
  op: number;
  session: string;
  key: string;
  /** What the read returned. */
  value: Value;
  /** What `view().data` held at the reply. */
  visible: Value;
  /** Every value `view().data` showed for the key from the arrival to the reply, in order. */
  seen: Value[];
  arrivedT: number;
  t: number;
  /** history.length at the reply: the entries before it are what had happened. */
  at: number;
}

export interface SimRun extends RunResult {
  /** Reads that disagreed with the serving node's visible state (first few; empty when none). */
  readMismatches: ReadMismatch[];
}

/** Reads recorded per run at most; the first names the problem. */
const MISMATCHES_MAX = 8;

/** Run a model once. Throws SimLimitError, ModelError or DeterminismError. */
export function simulate<C>(opts: SimulateOptions<C>): SimRun {
  const sim = new Simulation(opts);
  const history = guarded(() => sim.run());
  const result = { history, events: sim.eventCount, endMs: sim.now, readMismatches: sim.readMismatches } as unknown as SimRun;
  // Hashing serialises every entry, which costs more than the run itself on big
  // traces; compute it on first use and keep it.
  let hash: string | undefined;
  Object.defineProperty(result, 'hash', { enumerable: true, get: () => (hash ??= hashHistory(history)) });
  return result;
}

/** sha256 over the JSON-lines form of a history (one JSON object per line). */
export function hashHistory(history: History): string {
  const h = createHash('sha256');
  for (const e of history) h.update(JSON.stringify(e) + '\n');
  return h.digest('hex');
}

// ───────────────────────────── internals ─────────────────────────────

/** An event in the queue; its time and sequence number live in the queue (./queue.ts). */
type SimEvent =
  | { kind: 'deliver'; from: number; to: number; msg: unknown; id: number; stream: boolean; epoch: number; label: string; bg: boolean }
  | TimerEvent
  | { kind: 'flush'; complete: () => void }
  | { kind: 'call'; node: number; inc: number; during: string; fn: (p: NodeProgram, c: NodeContext) => void }
  | { kind: 'arrive'; req: number }
  | { kind: 'reply'; req: number; result: ClientResult }
  | { kind: 'timeout'; req: number }
  | { kind: 'next'; session: number }
  | { kind: 'fault'; index: number }
  | { kind: 'heal'; index: number }
  | { kind: 'restart'; node: number; gen: number }
  | { kind: 'resume'; node: number; gen: number }
  | { kind: 'quiet' };

type EventOf<K extends SimEvent['kind']> = Extract<SimEvent, { kind: K }>;

/**
 * A timer is its own event, found by id for cancelling (`Simulation.timerById`);
 * a cancelled or fired one is no longer `live`, and one of an earlier incarnation
 * of its node is void.
 */
interface TimerEvent {
  kind: 'timer';
  node: number;
  id: number;
  inc: number;
  tag: string;
  payload: unknown;
  background: boolean;
  live: boolean;
}

interface NodeSlot {
  id: NodeId;
  idx: number;
  alive: boolean;
  paused: boolean;
  /** Incarnation: bumped by every crash so that events of a dead process are void. */
  inc: number;
  /** Bumped by every crash/pause so that stale restart/resume events are void. */
  gen: number;
  program: NodeProgram;
  ctx: NodeContext;
  clock: NodeClock;
  disk: SimDisk;
  rng: Rng;
  deferred: SimEvent[];
  /** Live foreground timers of this incarnation (a crash takes them out of `foregroundTimers`). */
  fgTimers: number;
  /** Requests at this node whose reads are checked at the reply (see `observe`). */
  watch: RequestState[];
}

interface RequestState {
  id: number;
  session: number;
  req: IncomingRequest['req'];
  node: number;
  state: 'to-node' | 'at-node' | 'replied' | 'done';
  /** Keys the transaction reads and never writes; undefined when there are none. */
  reads: string[] | undefined;
  /** Per key of `reads`: the values the node's view showed while the request was at it. */
  seen: Value[][] | undefined;
  arrivedT: number;
}

interface SessionState {
  spec: SessionSpec;
  info: SessionInfo;
  next: number;
  rng: Rng;
}

/** The faults timed by one mark of one node, and how often the node made that mark so far in this run. */
interface AnchoredMark {
  faults: { index: number; nth: number }[];
  count: number;
}

const DOWN_VIEW: NodeView = { role: 'down', data: {} };

class Simulation<C> {
  now = 0;
  eventCount = 0;
  readonly readMismatches: ReadMismatch[] = [];
  private readonly model: Model<C>;
  private readonly config: C;
  private readonly bug: string | undefined;
  private readonly sim: SimConfig;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly random: RandomStreams;
  private readonly history: HistoryEntry[] = [];
  private readonly nodes: NodeSlot[] = [];
  private readonly index = new Map<NodeId, number>();
  private readonly n: number;
  private readonly traceMessages: boolean;
  private readonly maxEvents: number;
  private readonly maxTimeMs: number;
  private readonly quietMaxMs: number;
  private readonly clientTimeoutMs: number;
  private readonly breakDetectMs: number;
  private readonly clientLatency: LatencyDist;
  // network state, indexed by from * n + to
  private readonly links: LinkParams[] = [];
  private readonly linkRng: Rng[] = [];
  private readonly blocked: Int32Array;
  private readonly clogMs: Float64Array;
  private readonly lastDeliver: Float64Array;
  /** Streams are connections: one epoch and open flag per unordered pair (lo * n + hi). */
  private readonly streamEpoch: Int32Array;
  private readonly streamOpen: Uint8Array;
  private msgSeq = 0;
  private timerSeq = 0;
  /** Live timers by id (ids are this run's sequence): an array, not a Map, as most timers fire or are cancelled soon. */
  private readonly timerById: (TimerEvent | undefined)[] = [];
  // what keeps the quiet phase alive
  private inFlight = 0;
  private foregroundTimers = 0;
  private flushing = 0;
  private openRequests = 0;
  private deferredCount = 0;
  /** Queued model callbacks (fsync completions, stream-break notices). */
  private calls = 0;
  // clients
  private readonly requests: RequestState[] = [];
  private readonly sessions: SessionState[] = [];
  private sessionsDone = 0;
  // faults
  private readonly faultActive: boolean[];
  private quiet = false;
  private quietAt = -1;
  private quietScheduled = false;
  private lastFaultMs: number;
  /**
   * Faults timed by a mark, by node, then mark name, with the marks counted so far;
   * empty when every fault is timed by the clock. Looked up by node once per context,
   * so a mark builds no key string.
   */
  private readonly anchors = new Map<NodeId, Map<string, AnchoredMark>>();

  constructor(opts: SimulateOptions<C>) {
    this.model = opts.model;
    this.config = opts.config;
    this.bug = opts.bug;
    this.sim = opts.sim;
    const s = opts.sim;
    this.random = new RandomStreams(s.seed);
    this.n = s.nodes.length;
    this.traceMessages = s.traceMessages ?? true;
    this.maxEvents = s.limits?.maxEvents ?? 2_000_000;
    this.maxTimeMs = s.limits?.maxTimeMs ?? 600_000;
    this.quietMaxMs = s.limits?.quietMaxMs ?? 10_000;
    this.clientTimeoutMs = s.limits?.clientTimeoutMs ?? 1_000;
    this.breakDetectMs = s.network.breakDetectMs ?? 50;
    this.clientLatency = s.network.clientLatency ?? { kind: 'constant', ms: 0.2 };
    const nn = this.n * this.n;
    this.blocked = new Int32Array(nn);
    this.clogMs = new Float64Array(nn);
    this.lastDeliver = new Float64Array(nn);
    this.streamEpoch = new Int32Array(nn);
    this.streamOpen = new Uint8Array(nn);
    this.faultActive = s.faults.map(() => false);
    // The quiet phase waits until every scheduled fault has played out its duration
    // (a fault timed by a mark: once it struck; one that has not struck by then never does).
    this.lastFaultMs = s.faults.reduce((m, f) => (f.after ? m : Math.max(m, f.atMs + faultDurationMs(f))), 0);
    s.faults.forEach((f, index) => {
      if (!f.after) return;
      let byMark = this.anchors.get(f.after.node);
      if (!byMark) this.anchors.set(f.after.node, (byMark = new Map()));
      let anchored = byMark.get(f.after.mark);
      if (!anchored) byMark.set(f.after.mark, (anchored = { faults: [], count: 0 }));
      anchored.faults.push({ index, nth: f.after.nth });
    });
    s.nodes.forEach((id, i) => this.index.set(id, i));
    if (this.index.size !== this.n) throw new Error(`node ids must be unique: ${s.nodes.join(', ')}`);
    this.initLinks();
  }

  run(): History {
    const s = this.sim;
    this.history.push({
      type: 'meta',
      t: 0,
      model: this.model.name,
      ...(this.bug !== undefined ? { bug: this.bug } : {}),
      seed: s.seed,
      nodes: [...s.nodes],
      ...(s.scenario !== undefined ? { scenario: s.scenario } : {}),
    });
    s.nodes.forEach((id, i) => this.nodes.push(this.createSlot(id, i)));
    for (const slot of this.nodes) this.startProgram(slot, 'start');
    s.faults.forEach((f, index) => {
      if (!f.after) this.queue.push(f.atMs, { kind: 'fault', index });
    });
    s.sessions.forEach((spec, i) => this.addSession(spec, i));
    if (s.sessions.length === 0) this.scheduleQuiet();
    this.loop();
    this.recordFinal();
    return this.history;
  }

  // ─────────── loop ───────────

  private loop(): void {
    for (;;) {
      const ev = this.queue.pop();
      if (!ev) return;
      this.now = this.queue.lastT;
      if (++this.eventCount > this.maxEvents) this.limit('maxEvents', this.maxEvents, 'the event budget is spent');
      if (this.now > this.maxTimeMs) this.limit('maxTimeMs', this.maxTimeMs, 'virtual time ran past the bound');
      this.dispatch(ev);
      if (this.quiet) {
        if (this.now - this.quietAt > this.quietMaxMs) {
          this.limit('quietMaxMs', this.quietMaxMs, `the model never quiesced (${this.pendingSummary()})`);
        }
        if (this.isQuiescent()) return;
      }
    }
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case 'deliver':
        return this.onDeliver(ev);
      case 'timer':
        return this.onTimer(ev);
      case 'flush':
        this.flushing--;
        return ev.complete();
      case 'call':
        return this.onCall(ev);
      case 'arrive':
        return this.onArrive(ev);
      case 'reply':
        return this.onReply(ev);
      case 'timeout':
        return this.onTimeout(ev);
      case 'next':
        return this.issueNext(ev.session);
      case 'fault':
        return this.inject(ev.index);
      case 'heal':
        return this.heal(ev.index);
      case 'restart':
        if (this.nodes[ev.node]!.gen === ev.gen) this.restart(this.nodes[ev.node]!);
        return;
      case 'resume':
        if (this.nodes[ev.node]!.gen === ev.gen) this.resume(this.nodes[ev.node]!);
        return;
      case 'quiet':
        return this.beginQuiet();
    }
  }

  private push(t: number, ev: SimEvent): void {
    this.queue.push(roundUs(t), ev);
  }

  private limit(name: 'maxEvents' | 'maxTimeMs' | 'quietMaxMs', value: number, detail: string): never {
    throw new SimLimitError(name, value, this.sim.seed, this.now, detail);
  }

  private pendingSummary(): string {
    return (
      `${this.inFlight} messages in flight, ${this.foregroundTimers} foreground timers, ` +
      `${this.flushing} fsyncs, ${this.calls} queued callbacks, ${this.openRequests} open requests` +
      (this.model.quiescent ? `, model.quiescent() = ${this.modelQuiescent()}` : '')
    );
  }

  private isQuiescent(): boolean {
    if (this.inFlight || this.foregroundTimers || this.flushing || this.openRequests || this.calls) return false;
    if (this.deferredCount) return false;
    return this.modelQuiescent();
  }

  private modelQuiescent(): boolean {
    if (!this.model.quiescent) return true;
    const view = this.clusterView();
    return this.callModel('router', 'quiescent()', () => this.model.quiescent!(view, this.config));
  }

  // ─────────── nodes ───────────

  private createSlot(id: NodeId, idx: number): NodeSlot {
    const slot = {
      id,
      idx,
      alive: true,
      paused: false,
      inc: 0,
      gen: 0,
      clock: new NodeClock(this.sim.clocks?.[id]),
      rng: this.random.stream(`node:${id}`),
      deferred: [],
      fgTimers: 0,
      watch: [],
    } as unknown as NodeSlot;
    const fsyncRng = this.random.stream(`disk:${id}`);
    const fsyncLatency = this.sim.disk?.fsyncLatency ?? { kind: 'constant', ms: 1 };
    slot.disk = new SimDisk((complete) => {
      this.flushing++;
      this.push(this.now + sampleLatency(fsyncLatency, fsyncRng), { kind: 'flush', complete });
    });
    return slot;
  }

  private startProgram(slot: NodeSlot, ev: 'start' | 'restart'): void {
    slot.program = this.callModel(slot.id, 'program()', () => this.model.program(slot.id, this.config, this.bug));
    slot.ctx = this.makeContext(slot, slot.inc);
    this.history.push({ type: 'node', t: this.now, node: slot.id, ev });
    try {
      slot.program.start(slot.ctx);
    } catch (err) {
      this.modelThrew(slot.id, `start (${ev})`, err);
    }
    this.afterCallback(slot);
  }

  // Model callbacks run inside try/catch at each call site rather than through a
  // wrapper taking a closure and a description: deliveries and timers are most of
  // a run's events, and the description is only needed when the model throws.

  /** What the simulator owes a node after each of its callbacks: a look at the reads it serves. */
  private afterCallback(slot: NodeSlot): void {
    if (slot.watch.length > 0) this.observe(slot);
  }

  /** Model code threw while doing `during`: a ModelError (the simulator's own errors pass through). */
  private modelThrew(node: string, during: string, err: unknown): never {
    if (err instanceof DeterminismError || err instanceof SimLimitError || err instanceof ModelError) throw err;
    throw new ModelError(node, this.now, this.sim.seed, during, err);
  }

  private callModel<T>(node: string, during: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      return this.modelThrew(node, during, err);
    }
  }

  /** The node's view(), as a model callback. */
  private viewOf(slot: NodeSlot): NodeView {
    let v: NodeView;
    try {
      v = slot.program.view();
    } catch (err) {
      return this.modelThrew(slot.id, 'view()', err);
    }
    // A malformed view would surface later as a bare TypeError deep in a checker.
    if (typeof v !== 'object' || v === null || typeof v.role !== 'string' || typeof v.data !== 'object' || v.data === null || Array.isArray(v.data)) {
      const got = v === null || typeof v !== 'object' ? String(v) : JSON.stringify(v).slice(0, 120);
      return this.modelThrew(slot.id, 'view()', new TypeError(`view() must return { role: string, data: { key: value } }, got ${got}`));
    }
    return v;
  }

  /** Queue model code to run on a node later (fsync callbacks), if that process still lives. */
  private later(
    slot: NodeSlot,
    inc: number,
    during: string,
    fn: (p: NodeProgram, c: NodeContext) => void,
    delayMs = 0,
  ): void {
    this.calls++;
    this.push(this.now + delayMs, { kind: 'call', node: slot.idx, inc, during, fn });
  }

  private onCall(ev: EventOf<'call'>): void {
    const slot = this.nodes[ev.node]!;
    if (!slot.alive || slot.inc !== ev.inc) {
      this.calls--;
      return;
    }
    if (this.defer(slot, ev)) return;
    this.calls--;
    try {
      ev.fn(slot.program, slot.ctx);
    } catch (err) {
      this.modelThrew(slot.id, ev.during, err);
    }
    this.afterCallback(slot);
  }

  /** A paused node holds its events until it resumes. */
  private defer(slot: NodeSlot, ev: SimEvent): boolean {
    if (!slot.paused) return false;
    slot.deferred.push(ev);
    this.deferredCount++;
    return true;
  }

  private makeContext(slot: NodeSlot, inc: number): NodeContext {
    const live = () => slot.alive && slot.inc === inc;
    const anchored = this.anchors.get(slot.id);
    return {
      id: slot.id,
      nodes: this.sim.nodes,
      now: () => roundUs(slot.clock.wallAt(this.now)),
      send: (to, msg, opts) => {
        if (live()) this.send(slot, to, msg, opts?.channel !== 'datagram', opts?.background === true);
      },
      setTimer: (delayMs, tag, payload, opts) => this.setTimer(slot, inc, delayMs, tag, payload, opts?.background),
      cancelTimer: (id) => this.cancelTimer(slot, inc, id),
      reply: (reqId, result) => this.reply(slot, reqId, result),
      disk: slot.disk.api((cb) => () => this.later(slot, inc, 'fsync callback', cb)),
      random: () => slot.rng(),
      emit: (name, data) => {
        this.history.push(
          data === undefined
            ? { type: 'event', t: this.now, node: slot.id, name }
            : { type: 'event', t: this.now, node: slot.id, name, data },
        );
      },
      mark: (name) => {
        if (anchored !== undefined && live()) this.mark(anchored, name);
      },
    };
  }

  /** Count a mark of a node some fault is timed by; a fault timed by its n-th occurrence is scheduled now. */
  private mark(byMark: Map<string, AnchoredMark>, name: string): void {
    const anchored = byMark.get(name);
    if (!anchored || this.quiet) return;
    const n = ++anchored.count;
    for (const a of anchored.faults) {
      if (a.nth === n) this.push(this.now + this.sim.faults[a.index]!.atMs, { kind: 'fault', index: a.index });
    }
  }

  private setTimer(
    slot: NodeSlot,
    inc: number,
    delayMs: number,
    tag: string,
    payload: unknown,
    background = false,
  ): number {
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`setTimer(${tag}): delay must be ≥ 0, got ${delayMs}`);
    const id = ++this.timerSeq;
    if (slot.inc !== inc || !slot.alive) return id;
    const ev: TimerEvent = { kind: 'timer', node: slot.idx, id, inc, tag, payload, background, live: true };
    this.timerById[id] = ev;
    if (!background) {
      this.foregroundTimers++;
      slot.fgTimers++;
    }
    this.push(this.now + slot.clock.trueDuration(delayMs), ev);
    return id;
  }

  private cancelTimer(slot: NodeSlot, inc: number, id: number): void {
    if (slot.inc !== inc) return;
    const t = this.timerById[id];
    // Only a live timer of this node's current incarnation (a crash voided the others).
    if (!t || !t.live || t.node !== slot.idx || t.inc !== slot.inc) return;
    this.timerDone(slot, t);
  }

  private timerDone(slot: NodeSlot, t: TimerEvent): void {
    t.live = false;
    this.timerById[t.id] = undefined;
    if (!t.background) {
      this.foregroundTimers--;
      slot.fgTimers--;
    }
  }

  private onTimer(ev: TimerEvent): void {
    const slot = this.nodes[ev.node]!;
    if (slot.inc !== ev.inc || !slot.alive) return;
    if (!ev.live) return; // cancelled
    if (this.defer(slot, ev)) return;
    this.timerDone(slot, ev);
    try {
      slot.program.onTimer(slot.ctx, ev.tag, ev.payload);
    } catch (err) {
      this.modelThrew(slot.id, `onTimer(${ev.tag})`, err);
    }
    this.afterCallback(slot);
  }

  // ─────────── network ───────────

  private initLinks(): void {
    const { defaultLink, links = {} } = this.sim.network;
    for (const [key] of Object.entries(links)) {
      const [a, b] = key.split('->');
      if (a === undefined || b === undefined || !this.index.has(a) || !this.index.has(b)) {
        throw new Error(`network.links["${key}"]: expected "from->to" with known node ids`);
      }
    }
    for (const from of this.sim.nodes) {
      for (const to of this.sim.nodes) {
        const own = links[`${from}->${to}`];
        this.links.push(own ? { ...defaultLink, ...own } : defaultLink);
        this.linkRng.push(this.random.stream(`net:${from}->${to}`));
      }
    }
  }

  private node(id: NodeId, what: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`${what}: unknown node ${JSON.stringify(id)}`);
    return i;
  }

  private pair(a: number, b: number): number {
    return a < b ? a * this.n + b : b * this.n + a;
  }

  private send(slot: NodeSlot, toId: NodeId, msg: unknown, stream: boolean, bg: boolean): void {
    const from = slot.idx;
    const to = this.index.get(toId);
    if (to === undefined) throw new Error(`send from ${slot.id}: unknown node ${JSON.stringify(toId)}`);
    const id = ++this.msgSeq;
    const label = labelOf(msg);
    const channel = stream ? 'stream' : 'datagram';
    const link = from * this.n + to;
    if (this.traceMessages) this.net('send', from, to, id, channel, label, undefined, bg);
    if (stream) return this.sendStream(from, to, link, msg, id, label, bg);
    if (this.blocked[link]) return this.net('drop', from, to, id, channel, label, 'partition', bg);
    const params = this.links[link]!;
    const rng = this.linkRng[link]!;
    if (params.lossRate > 0 && rng() < params.lossRate) return this.net('drop', from, to, id, channel, label, 'loss', bg);
    const copies = params.dupRate > 0 && rng() < params.dupRate ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      if (!bg) this.inFlight++;
      const at = this.now + sampleLatency(params.latency, rng) + this.clogMs[link]!;
      this.push(at, { kind: 'deliver', from, to, msg, id, stream: false, epoch: 0, label, bg });
    }
  }

  private sendStream(from: number, to: number, link: number, msg: unknown, id: number, label: string, bg: boolean): void {
    const p = this.pair(from, to);
    if (this.blocked[link] || this.blocked[to * this.n + from]) {
      // TCP needs both directions; the sender's connection times out and breaks.
      this.net('drop', from, to, id, 'stream', label, 'partition', bg);
      this.streamOpen[p] = 1;
      return this.breakStream(from, to, 'partition');
    }
    this.streamOpen[p] = 1;
    const sampled = this.now + sampleLatency(this.links[link]!.latency, this.linkRng[link]!) + this.clogMs[link]!;
    const at = Math.max(roundUs(sampled), this.lastDeliver[link]!);
    this.lastDeliver[link] = at;
    if (!bg) this.inFlight++;
    this.push(at, { kind: 'deliver', from, to, msg, id, stream: true, epoch: this.streamEpoch[p]!, label, bg });
  }

  /** Break the connection between a and b: in-flight messages are lost, live ends are told. */
  private breakStream(a: number, b: number, why: string): void {
    const p = this.pair(a, b);
    this.streamEpoch[p]!++;
    this.lastDeliver[a * this.n + b] = 0;
    this.lastDeliver[b * this.n + a] = 0;
    if (!this.streamOpen[p]) return;
    this.streamOpen[p] = 0;
    if (this.traceMessages) this.net('break', a, b, 0, 'stream', '', why);
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      const slot = this.nodes[self]!;
      if (!slot.alive || !slot.program.onStreamBreak) continue;
      const peerId = this.nodes[peer]!.id;
      const during = `onStreamBreak(${peerId})`;
      this.later(slot, slot.inc, during, (prog, ctx) => prog.onStreamBreak?.(ctx, peerId), this.breakDetectMs);
    }
  }

  /** A foreground message stops counting as in flight once delivered or dropped. */
  private landed(ev: EventOf<'deliver'>): void {
    if (!ev.bg) this.inFlight--;
  }

  private onDeliver(ev: EventOf<'deliver'>): void {
    const channel = ev.stream ? 'stream' : 'datagram';
    const slot = this.nodes[ev.to]!;
    if (ev.stream && ev.epoch !== this.streamEpoch[this.pair(ev.from, ev.to)]) {
      this.landed(ev);
      return this.net('drop', ev.from, ev.to, ev.id, channel, ev.label, 'stream-broken', ev.bg);
    }
    if (!ev.stream && this.blocked[ev.from * this.n + ev.to]) {
      this.landed(ev);
      return this.net('drop', ev.from, ev.to, ev.id, channel, ev.label, 'partition', ev.bg);
    }
    if (!slot.alive) {
      this.landed(ev);
      return this.net('drop', ev.from, ev.to, ev.id, channel, ev.label, 'crashed', ev.bg);
    }
    if (this.defer(slot, ev)) return;
    this.landed(ev);
    if (this.traceMessages) this.net('recv', ev.from, ev.to, ev.id, channel, ev.label, undefined, ev.bg);
    const fromId = this.nodes[ev.from]!.id;
    try {
      slot.program.onMessage(slot.ctx, fromId, ev.msg);
    } catch (err) {
      this.modelThrew(slot.id, `onMessage(${ev.label} from ${fromId})`, err);
    }
    this.afterCallback(slot);
  }

  private net(
    ev: 'send' | 'recv' | 'drop' | 'break',
    from: number,
    to: number,
    msg: number,
    channel: 'stream' | 'datagram',
    label: string,
    why?: string,
    bg = false,
  ): void {
    // Hot path (most history entries): each entry is built whole in its final shape,
    // as one of four literals, because adding `why` or `bg` to a built object costs
    // an allocation. The key order is the JSON-lines order the history hash pins.
    const t = this.now;
    const a = this.nodes[from]!.id;
    const b = this.nodes[to]!.id;
    let e: NetEntry;
    if (why) e = bg ? { type: 'net', t, ev, from: a, to: b, msg, channel, label, why, bg } : { type: 'net', t, ev, from: a, to: b, msg, channel, label, why };
    else e = bg ? { type: 'net', t, ev, from: a, to: b, msg, channel, label, bg } : { type: 'net', t, ev, from: a, to: b, msg, channel, label };
    this.history.push(e);
  }

  // ─────────── clients ───────────

  private addSession(spec: SessionSpec, i: number): void {
    const info: SessionInfo = { id: spec.id, policy: spec.policy };
    this.sessions.push({ spec, info, next: 0, rng: this.random.stream(`client:${spec.id}`) });
    if (spec.ops.length === 0) return this.sessionDone();
    this.push(spec.ops[0]!.atMs, { kind: 'next', session: i });
  }

  private sessionDone(): void {
    if (++this.sessionsDone === this.sim.sessions.length) this.scheduleQuiet();
  }

  private clusterView(): ClusterView {
    const nodes: ClusterView['nodes'] = [];
    for (const s of this.nodes) nodes.push({ id: s.id, alive: s.alive, view: s.alive ? this.viewOf(s) : DOWN_VIEW });
    return { nodes };
  }

  private issueNext(sessionIdx: number): void {
    const session = this.sessions[sessionIdx]!;
    const op = session.spec.ops[session.next]!;
    const req = session.info.lastCommit ? { ...op.req, after: session.info.lastCommit } : op.req;
    const view = this.clusterView();
    let target: NodeId | undefined;
    try {
      target = this.model.route(req, session.info, view, this.config);
    } catch (err) {
      this.modelThrew('router', 'route()', err);
    }
    const id = this.requests.length;
    const node = target === undefined ? -1 : this.node(target, 'route()');
    const reads = checkedReads(req);
    const state: RequestState = { id, session: sessionIdx, req, node, state: 'to-node', reads, seen: undefined, arrivedT: 0 };
    this.requests.push(state);
    this.openRequests++;
    const nodeId = target ?? 'none';
    this.history.push({ type: 'invoke', t: this.now, op: id, session: session.spec.id, node: nodeId, req });
    if (node < 0) return this.complete(state, { type: 'fail', error: 'no node available' });
    if (session.info.policy === 'sticky-standby' && isReadOnly(req.txn)) session.info.sticky = nodeId;
    if (!this.nodes[node]!.alive) return this.complete(state, { type: 'fail', error: 'connection refused' });
    this.push(this.now + sampleLatency(this.clientLatency, session.rng), { kind: 'arrive', req: id });
    this.push(this.now + this.clientTimeoutMs, { kind: 'timeout', req: id });
  }

  private onArrive(ev: EventOf<'arrive'>): void {
    const r = this.requests[ev.req]!;
    if (r.state !== 'to-node') return;
    const slot = this.nodes[r.node]!;
    if (!slot.alive) return this.complete(r, { type: 'fail', error: 'connection refused' });
    if (this.defer(slot, ev)) return;
    r.state = 'at-node';
    r.arrivedT = this.now;
    if (r.reads) {
      r.seen = r.reads.map(() => []);
      slot.watch.push(r);
      this.observe(slot);
    }
    const session = this.sessions[r.session]!;
    const incoming: IncomingRequest = {
      id: r.id,
      session: session.spec.id,
      policy: session.spec.policy,
      req: r.req,
    };
    try {
      slot.program.onRequest(slot.ctx, incoming);
    } catch (err) {
      this.modelThrew(slot.id, `onRequest(op ${r.id})`, err);
    }
    this.afterCallback(slot);
  }

  private reply(slot: NodeSlot, reqId: number, result: ClientResult): void {
    const r = this.requests[reqId];
    if (!r || r.node !== slot.idx) throw new Error(`reply(${reqId}): no such request at ${slot.id}`);
    if (!slot.alive) return;
    if (r.state === 'done') return; // the client already gave up (timeout); the node cannot know
    if (r.state !== 'at-node') throw new Error(`reply(${reqId}): request already answered`);
    checkResult(result, reqId);
    r.state = 'replied';
    if (r.reads) {
      this.unwatch(slot, r);
      if (result.type === 'ok') this.checkReads(slot, r, result.txn);
    }
    const rng = this.sessions[r.session]!.rng;
    this.push(this.now + sampleLatency(this.clientLatency, rng), { kind: 'reply', req: reqId, result });
  }

  // ─────────── the model's word: reads come from the visible state ───────────
  //
  // A read is served at some instant between the request's arrival and its reply.
  // Model state changes only inside callbacks, so the node's visible state over
  // that window is its view() at the arrival, after every callback it ran while
  // the request was there, and at the reply itself: a read must return one of those.

  /** Record the current view of every watched key on the node. */
  private observe(slot: NodeSlot): void {
    const data = this.viewOf(slot).data;
    for (const r of slot.watch) {
      const keys = r.reads!;
      for (let i = 0; i < keys.length; i++) {
        const v = data[keys[i]!] ?? null;
        const seen = r.seen![i]!;
        if (seen.length === 0 || seen[seen.length - 1] !== v) seen.push(v);
      }
    }
  }

  private unwatch(slot: NodeSlot, r: RequestState): void {
    const i = slot.watch.indexOf(r);
    if (i >= 0) slot.watch.splice(i, 1);
  }

  private checkReads(slot: NodeSlot, r: RequestState, txn: readonly MicroOp[]): void {
    const keys = r.reads!;
    let data: Record<string, Value> | undefined;
    for (const m of txn) {
      if (m.f !== 'r' || m.v === undefined) continue;
      const i = keys.indexOf(m.k);
      if (i < 0) continue;
      if (r.seen![i]!.includes(m.v)) continue; // most reads: the state at arrival, no view() needed
      data ??= this.viewOf(slot).data;
      const visible = data[m.k] ?? null;
      if (m.v === visible) continue;
      if (this.readMismatches.length >= MISMATCHES_MAX) return;
      this.readMismatches.push({
        node: slot.id, op: r.id, session: this.sessions[r.session]!.spec.id, key: m.k, value: m.v, visible,
        seen: [...r.seen![i]!], arrivedT: r.arrivedT, t: this.now, at: this.history.length,
      });
    }
  }

  private onReply(ev: EventOf<'reply'>): void {
    const r = this.requests[ev.req]!;
    if (r.state === 'done') return;
    this.complete(r, ev.result);
  }

  private onTimeout(ev: EventOf<'timeout'>): void {
    const r = this.requests[ev.req]!;
    if (r.state === 'done') return;
    this.complete(r, { type: 'info', reason: `client timeout after ${this.clientTimeoutMs} ms` });
  }

  private complete(r: RequestState, result: ClientResult): void {
    if (r.reads && r.state === 'at-node') this.unwatch(this.nodes[r.node]!, r);
    r.state = 'done';
    this.openRequests--;
    const session = this.sessions[r.session]!;
    // Each entry is built whole, in the key order the history hash pins (type, t, op, session, node, …).
    const t = this.now;
    const sid = session.spec.id;
    const node = r.node < 0 ? 'none' : this.nodes[r.node]!.id;
    if (result.type === 'ok') {
      const { txn, commit } = result;
      this.history.push(commit ? { type: 'ok', t, op: r.id, session: sid, node, txn, commit } : { type: 'ok', t, op: r.id, session: sid, node, txn });
      if (commit) session.info.lastCommit = commit;
    } else if (result.type === 'fail') {
      this.history.push({ type: 'fail', t, op: r.id, session: sid, node, error: result.error });
    } else {
      this.history.push({ type: 'info', t, op: r.id, session: sid, node, reason: result.reason });
    }
    session.next++;
    const op = session.spec.ops[session.next];
    if (!op) return this.sessionDone();
    this.push(Math.max(this.now, op.atMs), { kind: 'next', session: r.session });
  }

  // ─────────── faults and lifecycle ───────────

  private inject(index: number): void {
    const f = this.sim.faults[index]!;
    if (this.quiet) return;
    this.faultActive[index] = true;
    // A fault timed by a mark plays out its duration as a clock-timed one does: the
    // quiet phase waits for it (else clients finishing early would cut it short).
    if (f.after) this.lastFaultMs = Math.max(this.lastFaultMs, roundUs(this.now + faultDurationMs(f)));
    this.history.push({ type: 'fault', t: this.now, phase: 'inject', fault: describeFault(f) });
    switch (f.kind) {
      case 'crash': {
        const slot = this.nodes[this.node(f.node, 'fault')]!;
        if (slot.alive) this.crash(slot, f.mode);
        if (f.restartAfterMs !== undefined) this.push(this.now + f.restartAfterMs, { kind: 'heal', index });
        return;
      }
      case 'pause': {
        const slot = this.nodes[this.node(f.node, 'fault')]!;
        if (slot.alive && !slot.paused) {
          slot.paused = true;
          slot.gen++;
          this.history.push({ type: 'node', t: this.now, node: slot.id, ev: 'pause' });
        }
        return this.push(this.now + f.durationMs, { kind: 'heal', index });
      }
      case 'partition':
        return this.partition(index, f, +1);
      case 'clog': {
        const link = this.node(f.from, 'fault') * this.n + this.node(f.to, 'fault');
        this.clogMs[link]! += f.extraMs;
        return this.push(this.now + f.durationMs, { kind: 'heal', index });
      }
    }
  }

  private partition(index: number, f: Extract<Fault, { kind: 'partition' }>, delta: 1 | -1): void {
    const from = f.from.map((id) => this.node(id, 'fault'));
    const to = f.to.map((id) => this.node(id, 'fault'));
    for (const a of from) {
      for (const b of to) {
        if (a === b) continue;
        this.blocked[a * this.n + b]! += delta;
        if (!f.oneWay) this.blocked[b * this.n + a]! += delta;
        if (delta > 0) this.breakStream(a, b, 'partition');
      }
    }
    if (delta > 0 && f.durationMs !== undefined) this.push(this.now + f.durationMs, { kind: 'heal', index });
  }

  private heal(index: number): void {
    if (!this.faultActive[index]) return;
    this.faultActive[index] = false;
    const f = this.sim.faults[index]!;
    this.history.push({ type: 'fault', t: this.now, phase: 'heal', fault: describeFault(f) });
    switch (f.kind) {
      case 'crash': {
        const slot = this.nodes[this.node(f.node, 'fault')]!;
        if (!slot.alive) this.restart(slot);
        return;
      }
      case 'pause':
        return this.resume(this.nodes[this.node(f.node, 'fault')]!);
      case 'partition':
        return this.partition(index, f, -1);
      case 'clog': {
        const link = this.node(f.from, 'fault') * this.n + this.node(f.to, 'fault');
        this.clogMs[link]! -= f.extraMs;
        return;
      }
    }
  }

  private crash(slot: NodeSlot, mode: 'process' | 'machine'): void {
    slot.alive = false;
    slot.paused = false;
    slot.inc++;
    slot.gen++;
    this.deferredCount -= slot.deferred.length;
    for (const ev of slot.deferred) {
      if (ev.kind === 'deliver') this.landed(ev);
      if (ev.kind === 'call') this.calls--;
    }
    slot.deferred = [];
    this.foregroundTimers -= slot.fgTimers;
    slot.fgTimers = 0;
    slot.watch = [];
    if (mode === 'machine') slot.disk.machineCrash();
    this.history.push({ type: 'node', t: this.now, node: slot.id, ev: 'crash', mode });
    for (let other = 0; other < this.n; other++) if (other !== slot.idx) this.breakStream(slot.idx, other, 'crash');
    for (const r of this.requests) {
      if (r.node === slot.idx && r.state === 'at-node') this.complete(r, { type: 'info', reason: `node ${slot.id} crashed` });
    }
  }

  private restart(slot: NodeSlot): void {
    if (slot.alive) return;
    slot.alive = true;
    slot.gen++;
    this.startProgram(slot, 'restart');
  }

  private resume(slot: NodeSlot): void {
    if (!slot.paused) return;
    slot.paused = false;
    slot.gen++;
    this.history.push({ type: 'node', t: this.now, node: slot.id, ev: 'resume' });
    const held = slot.deferred;
    slot.deferred = [];
    this.deferredCount -= held.length;
    // Re-run held events now, in their original order, before anything else due now: a
    // stream message landing at this very moment was sent after the held ones (FIFO).
    for (const ev of held) this.queue.pushFirst(this.now, ev);
  }

  private scheduleQuiet(): void {
    if (this.quietScheduled) return;
    this.quietScheduled = true;
    this.push(Math.max(this.now, this.lastFaultMs), { kind: 'quiet' });
  }

  /** The quiet phase: heal everything, restart and resume nodes, then wait for quiescence. */
  private beginQuiet(): void {
    if (this.now < roundUs(this.lastFaultMs)) return this.push(this.lastFaultMs, { kind: 'quiet' });
    this.quiet = true;
    this.quietAt = this.now;
    this.history.push({ type: 'quiet', t: this.now });
    this.sim.faults.forEach((_, i) => this.heal(i));
    for (const slot of this.nodes) {
      if (slot.paused) this.resume(slot);
      if (!slot.alive) this.restart(slot);
    }
  }

  private recordFinal(): void {
    for (const slot of this.nodes) {
      const view = slot.alive ? this.viewOf(slot) : DOWN_VIEW;
      this.history.push({ type: 'final', t: this.now, node: slot.id, alive: slot.alive, view });
    }
  }
}

function faultDurationMs(f: Fault): number {
  switch (f.kind) {
    case 'crash':
      return f.restartAfterMs ?? 0;
    case 'partition':
      return f.durationMs ?? 0;
    case 'pause':
    case 'clog':
      return f.durationMs;
  }
}

function labelOf(msg: unknown): string {
  if (typeof msg === 'object' && msg !== null && 'type' in msg) return String((msg as { type: unknown }).type);
  return typeof msg;
}

/**
 * The keys a request reads and never writes (reading one's own write says
 * nothing about the node's visible state; a key read before the transaction
 * writes it is visible changed by the time a commit replies). Undefined: none.
 */
function checkedReads(req: ClientRequest): string[] | undefined {
  let reads: string[] | undefined;
  for (const m of req.txn) if (m.f === 'r' && !(reads ??= []).includes(m.k)) reads.push(m.k);
  if (!reads) return undefined;
  const kept = reads.filter((k) => !req.txn.some((m) => m.f !== 'r' && m.k === k));
  return kept.length > 0 ? kept : undefined;
}

function isReadOnly(txn: { f: string }[]): boolean {
  return txn.every((m) => m.f === 'r');
}

function checkResult(result: ClientResult, reqId: number): void {
  const r = result as { type?: unknown; txn?: unknown; error?: unknown; reason?: unknown };
  const ok =
    (r.type === 'ok' && Array.isArray(r.txn)) ||
    (r.type === 'fail' && typeof r.error === 'string') ||
    (r.type === 'info' && typeof r.reason === 'string');
  if (!ok) throw new Error(`reply(${reqId}): malformed result ${JSON.stringify(result)}`);
}

/** A fault as a person reads it in a timeline. */
export function describeFault(f: Fault): { kind: string; nodes: NodeId[]; text: string } {
  const d = describeFaultKind(f);
  return f.after ? { ...d, text: `${d.text} ${anchorText(f.atMs, f.after)}` } : d;
}

/** "0.3ms after n2's 2nd flush-ack". */
export function anchorText(atMs: number, a: FaultAnchor): string {
  const nth = a.nth % 100 >= 11 && a.nth % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][a.nth % 10] ?? 'th');
  return `${atMs}ms after ${a.node}'s ${a.nth}${nth} ${a.mark}`;
}

function describeFaultKind(f: Fault): { kind: string; nodes: NodeId[]; text: string } {
  switch (f.kind) {
    case 'crash': {
      const restart = f.restartAfterMs === undefined ? 'until quiet' : `restart +${f.restartAfterMs}ms`;
      return { kind: `crash:${f.mode}`, nodes: [f.node], text: `crash ${f.node} (${f.mode}, ${restart})` };
    }
    case 'pause':
      return { kind: 'pause', nodes: [f.node], text: `pause ${f.node} for ${f.durationMs}ms` };
    case 'partition': {
      const dur = f.durationMs === undefined ? 'until quiet' : `for ${f.durationMs}ms`;
      const arrow = f.oneWay ? '-/->' : '<-/->';
      return {
        kind: 'partition',
        nodes: [...f.from, ...f.to],
        text: `partition ${f.from.join(',')} ${arrow} ${f.to.join(',')} ${dur}`,
      };
    }
    case 'clog':
      return {
        kind: 'clog',
        nodes: [f.from, f.to],
        text: `clog ${f.from} -> ${f.to} +${f.extraMs}ms for ${f.durationMs}ms`,
      };
  }
}
