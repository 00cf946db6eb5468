/**
 * One scenario against real PostgreSQL: the same Scenario the simulator takes
 * (drawn by the same arbitraries), played in real time on a PgCluster.
 *
 * - Sessions run their timed requests through node-postgres clients, each
 *   routed as the WAL model routes it (writes and 'primary' sessions to the
 *   primary; the other read policies to standbys; read-your-writes waits on
 *   the standby until it replayed the session's last commit LSN).
 * - The history is black-box: invocation, completion (ok with the values
 *   read and computed, fail when the transaction certainly did not commit,
 *   info when the connection died or timed out after COMMIT was sent), the
 *   faults as injected and healed, node crashes and restarts, the promotion,
 *   lag samples from pg_stat_replication, and the final reads of every key on
 *   every node after the quiet phase. No model events: the checkers judge it
 *   as they judge any black box.
 * - Faults: crash = kill -9 of the server (a process crash: the OS page cache
 *   survives, so 'machine' crashes are played as process crashes), pause =
 *   SIGSTOP/SIGCONT, partition and clog = the TCP proxies between each
 *   standby and its upstream. With failover 'auto' the harness plays the
 *   monitor: `failoverTimeoutMs` after the primary crashed it promotes the
 *   most advanced running standby; the former primary rejoins through
 *   pg_rewind when it restarts. Faults timed by a model's marks are skipped
 *   (a real server emits no marks to count), and the run says so.
 * - Network: the scenario's link and client latencies are drawn per chunk in
 *   the proxies (samples under 1 ms are left to loopback); loss and
 *   duplication apply to datagrams only, in the model as here, and PostgreSQL
 *   streams over TCP.
 * - Clock skew: each server runs under libfaketime (LD_PRELOAD, FAKETIME =
 *   its offset and drift) when the library is installed; wall clocks only,
 *   jumps are not played. Without the library, skew is left out and said so.
 * - In-doubt commits (live-only `commitCancelMs`): a COMMIT still waiting
 *   that long is cancelled with pg_cancel_backend, as an operator or a
 *   statement_timeout would; PostgreSQL answers COMMIT with a WARNING that it
 *   committed locally and may not be replicated. The driver reports success,
 *   so the history records `ok`, plus a 'commit-in-doubt' event.
 */
import type {
  ClientRequest,
  FaultDescription,
  History,
  HistoryEntry,
  MicroOp,
  NodeId,
  Value,
} from '../history/types.js';
import type { Fault, SessionSpec } from '../sim/types.js';
import type { Scenario } from '../scenario/types.js';
import { formatFault } from '../scenario/compact.js';
import { fnv1a } from '../sim/random.js';
import { PgCluster, type PgNode } from './cluster.js';
import { faketimeSpec, findFaketime, loadPg } from './env.js';
import { RandomStreams } from '../sim/random.js';
import { sampleLatency } from '../sim/latency.js';
import type { Client } from 'pg';

/** The WAL model's configuration, as the live target reads it. */
export interface LiveConfig {
  nodes: number;
  synchronousCommit: string;
  synchronousStandbyNames: string;
  failover: 'none' | 'auto';
  failoverTimeoutMs: number;
  rywWaitMs: number;
  /** recovery_min_apply_delay on the standbys (live only; the model's slow replay). */
  applyDelayMs: number;
  /**
   * Transaction isolation (live only). Default serializable: the model runs each
   * transaction atomically, and under READ COMMITTED a read-then-write
   * transaction is not atomic on PostgreSQL (it reads nothing, then overwrites a
   * row committed meanwhile), which linearizability reports. Standbys take
   * repeatable read, the strongest a hot standby allows.
   */
  isolation: 'serializable' | 'repeatable read' | 'read committed';
  /** Cancel a COMMIT still waiting after this many ms (pg_cancel_backend; live only; 0 = never). */
  commitCancelMs: number;
}

const ISOLATIONS = ['serializable', 'repeatable read', 'read committed'] as const;

const SYNC_LEVELS = ['off', 'local', 'remote_write', 'on', 'remote_apply'];

export function liveConfig(raw: Record<string, unknown>): LiveConfig {
  const num = (k: string, d: number) => {
    const v = raw[k];
    if (v === undefined) return d;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`live pg: config ${k} must be a non-negative number, got ${JSON.stringify(v)}`);
    return v;
  };
  const str = (k: string, d: string) => {
    const v = raw[k];
    if (v === undefined) return d;
    if (typeof v !== 'string') throw new Error(`live pg: config ${k} must be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const c: LiveConfig = {
    nodes: num('nodes', 3),
    synchronousCommit: str('synchronousCommit', 'on'),
    synchronousStandbyNames: str('synchronousStandbyNames', ''),
    failover: str('failover', 'auto') === 'none' ? 'none' : 'auto',
    failoverTimeoutMs: num('failoverTimeoutMs', 120),
    rywWaitMs: num('rywWaitMs', 200),
    applyDelayMs: num('applyDelayMs', 0),
    isolation: str('isolation', 'serializable') as LiveConfig['isolation'],
    commitCancelMs: num('commitCancelMs', 0),
  };
  if (!ISOLATIONS.includes(c.isolation)) throw new Error(`live pg: isolation must be one of ${ISOLATIONS.join(', ')}`);
  if (!Number.isInteger(c.nodes) || c.nodes < 2 || c.nodes > 4) throw new Error(`live pg: nodes must be 2 to 4 (a primary and 1–3 standbys), got ${c.nodes}`);
  if (!SYNC_LEVELS.includes(c.synchronousCommit)) throw new Error(`live pg: synchronousCommit must be one of ${SYNC_LEVELS.join(', ')}`);
  if (raw['replication'] !== undefined && raw['replication'] !== 'pg') throw new Error("live pg: only replication 'pg' runs on PostgreSQL");
  if (raw['shipping'] !== undefined && raw['shipping'] !== 'row') throw new Error('live pg: PostgreSQL streams physical WAL (shipping row)');
  return c;
}

export interface LiveRunOptions {
  log?: (line: string) => void;
  /** Longest the quiet phase waits for every standby to replay the primary's WAL. Default 20 s. */
  settleMs?: number;
  /** Lag sampling period. Default 100 ms. */
  lagEveryMs?: number;
}

export interface LagSample {
  t: number;
  standby: NodeId;
  /** Bytes of WAL the standby has not written / flushed / replayed. */
  write: number;
  flush: number;
  replay: number;
}

export interface LiveRun {
  history: History;
  /** Wall-clock milliseconds the scenario took, cluster start and teardown included. */
  ms: number;
  lag: LagSample[];
  /** What the live run could not play as the scenario says (marks, skew, latency). */
  notes: string[];
  /** Commits whose synchronous wait was cancelled (COMMIT answered with PostgreSQL's WARNING). */
  inDoubt: number;
  /** Clock skew: applied through libfaketime, or why not (undefined: the scenario has none). */
  skew?: { applied: boolean; nodes: Record<NodeId, string>; reason?: string };
}

/** How the scenario's clocks will be played: FAKETIME per node, or why not. */
export function skewPlan(scenario: Scenario): LiveRun['skew'] {
  const clocks = Object.entries(scenario.clocks ?? {}).filter(([, c]) => c.offsetMs !== 0 || c.driftPpm !== 0 || (c.jumps?.length ?? 0) > 0);
  if (clocks.length === 0) return undefined;
  const nodes = Object.fromEntries(clocks.map(([id, c]) => [id, faketimeSpec(c.offsetMs, c.driftPpm)]));
  const lib = findFaketime();
  if (!lib) return { applied: false, nodes, reason: 'clock skew not applied: libfaketime is not installed (Debian: apt-get install libfaketime)' };
  return { applied: true, nodes };
}

/** "0/3000060" → a number (exact below 2^53, i.e. 8 PiB of WAL). */
export function lsnNumber(lsn: string): number {
  const [hi, lo] = lsn.split('/');
  return parseInt(hi ?? '0', 16) * 2 ** 32 + parseInt(lo ?? '0', 16);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Play one scenario on a fresh cluster, which is torn down whatever happens. */
export async function runLive(scenario: Scenario, opts: LiveRunOptions = {}): Promise<LiveRun> {
  const cfg = liveConfig(scenario.config);
  const started = Date.now();
  const skew = skewPlan(scenario);
  const lib = skew?.applied ? findFaketime() : undefined;
  const cluster = await PgCluster.start({
    standbys: cfg.nodes - 1,
    synchronousCommit: cfg.synchronousCommit,
    synchronousStandbyNames: cfg.synchronousStandbyNames,
    applyDelayMs: cfg.applyDelayMs,
    ...(lib && skew ? { faketime: { lib, nodes: skew.nodes } } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  try {
    const play = new Player(cluster, scenario, cfg, opts);
    if (skew) {
      const applied = Object.entries(skew.nodes).map(([id, spec]) => `${id} FAKETIME='${spec}'`).join(', ');
      play.notes.push(skew.applied ? `clock skew applied through libfaketime (wall clocks; monotonic timers real): ${applied}` : skew.reason!);
      const jumps = Object.entries(scenario.clocks ?? {}).filter(([, c]) => (c.jumps?.length ?? 0) > 0).map(([id]) => id);
      if (skew.applied && jumps.length > 0) play.notes.push(`clock jumps on ${jumps.join(', ')} not played (libfaketime's offset is fixed once a server starts)`);
    }
    const history = await play.run();
    return { history, ms: Date.now() - started, lag: play.lag, notes: play.notes, inDoubt: play.inDoubt, ...(skew ? { skew } : {}) };
  } finally {
    await cluster.teardown();
  }
}

interface SessionState {
  spec: SessionSpec;
  clients: Map<NodeId, Client>;
  /** Backend pid of each client (to cancel a COMMIT waiting on synchronous replication). */
  pids: Map<NodeId, number>;
  /** The op whose COMMIT the server answered with "canceling wait for synchronous replication". */
  cancelled?: number;
  current?: number;
  lastLsn?: string;
  turn: number;
}

class Player {
  private readonly history: History = [];
  private t0 = 0;
  private nextOp = 0;
  readonly lag: LagSample[] = [];
  readonly notes: string[] = [];
  inDoubt = 0;
  private readonly rng: RandomStreams;
  /** Network faults in force: "from->to" → extra delay, and blocked pairs (counts: faults overlap). */
  private readonly delays = new Map<string, number>();
  private readonly blocks = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<unknown>>();
  private quiet = false;
  private readonly clientTimeoutMs: number;

  constructor(
    private readonly cluster: PgCluster,
    private readonly scenario: Scenario,
    private readonly cfg: LiveConfig,
    private readonly opts: LiveRunOptions,
  ) {
    // Real servers under load answer in milliseconds, not microseconds: at least 3 s before `info`.
    this.clientTimeoutMs = Math.max(scenario.limits?.clientTimeoutMs ?? 1000, 3000);
    this.rng = new RandomStreams(scenario.seed);
  }

  /** A link's latency sampler for the proxies: undefined when every sample is below 1 ms (loopback's own). */
  private latencyOf(link: string, client: boolean): (() => number) | undefined {
    const net = this.scenario.network;
    const dist = client ? net.clientLatency ?? { kind: 'constant' as const, ms: 0.2 } : net.links?.[link]?.latency ?? net.defaultLink.latency;
    if (dist.kind === 'constant' && dist.ms < 1) return undefined;
    const rng = this.rng.stream(`live:${link}`);
    return () => {
      const ms = sampleLatency(dist, rng);
      return ms < 1 ? 0 : ms;
    };
  }

  private now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  private push(e: HistoryEntry): void {
    this.history.push(e);
  }

  private get ids(): NodeId[] {
    return [...this.cluster.nodes.keys()];
  }

  async run(): Promise<History> {
    const s = this.scenario;
    this.push({ type: 'meta', t: 0, model: s.model, ...(s.bug ? { bug: s.bug } : {}), seed: s.seed, nodes: this.ids, scenario: s });
    if (s.bug) this.notes.push(`planted bug '${s.bug}' exists only in the model; the real server runs as it is`);
    const net = s.network;
    const links = [net.defaultLink, ...Object.values(net.links ?? {})];
    if (links.some((l) => (l.lossRate ?? 0) > 0 || (l.dupRate ?? 0) > 0)) {
      this.notes.push('datagram loss and duplication not played: PostgreSQL replicates over TCP streams, which the model never drops either');
    }
    for (const n of this.cluster.nodes.values()) {
      n.clientProxy.setLatency('up', this.latencyOf(`client->${n.id}`, true));
      n.clientProxy.setLatency('down', this.latencyOf(`${n.id}->client`, true));
    }
    // Connections are opened before the clock starts: a scenario's first milliseconds are its ops', not the handshakes'.
    const sessions: SessionState[] = s.sessions.map((spec) => ({ spec, clients: new Map(), pids: new Map(), turn: 0 }));
    for (const st of sessions) {
      const nodes = st.spec.ops.some((o) => o.req.txn.some((m) => m.f !== 'r')) || st.spec.policy === 'primary' ? [...this.cluster.nodes.values()] : [...this.cluster.nodes.values()].filter((n) => n.role === 'standby');
      for (const n of nodes) await (await this.client(st, n)).query('SELECT 1');
    }
    this.t0 = performance.now();
    this.applyNet(false);
    for (const id of this.ids) this.push({ type: 'node', t: 0, node: id, ev: 'start' });
    this.scheduleFaults(s.faults);
    const lagLoop = this.sampleLag();
    await Promise.all(sessions.map((st) => this.session(st)));
    await this.waitForFaults();
    await this.quietPhase();
    this.quiet = true;
    await lagLoop;
    await this.finalReads();
    return this.history;
  }

  // ───────────────────────────── faults ─────────────────────────────

  private faultEnd(f: Fault): number | undefined {
    if (f.kind === 'crash') return f.restartAfterMs === undefined ? undefined : f.atMs + f.restartAfterMs;
    if (f.kind === 'pause' || f.kind === 'clog') return f.atMs + f.durationMs;
    return f.durationMs === undefined ? undefined : f.atMs + f.durationMs;
  }

  private lastFaultMs = 0;

  private scheduleFaults(faults: Fault[]): void {
    for (const f of faults) {
      if (f.after) {
        this.notes.push(`fault '${formatFault(f)}' skipped: it is timed by the k-th occurrence of a model mark, which a real server does not emit`);
        continue;
      }
      const end = this.faultEnd(f);
      this.lastFaultMs = Math.max(this.lastFaultMs, f.atMs, end ?? 0);
      this.at(f.atMs, () => this.inject(f));
      if (end !== undefined) this.at(end, () => this.heal(f));
    }
  }

  private at(ms: number, act: () => Promise<void> | void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const p = Promise.resolve()
        .then(act)
        .catch((err: unknown) => this.notes.push(`fault action failed: ${(err as Error).message}`));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }, Math.max(0, ms - this.now()));
    this.timers.add(timer);
  }

  private async waitForFaults(): Promise<void> {
    while (this.timers.size > 0 && this.now() < this.lastFaultMs + 50) await sleep(10);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private description(f: Fault): FaultDescription {
    const nodes = f.kind === 'partition' ? [...f.from, ...f.to] : f.kind === 'clog' ? [f.from, f.to] : [f.node];
    return { kind: f.kind === 'crash' ? `crash:${f.mode}` : f.kind, nodes, text: formatFault(f) };
  }

  private healed = new Set<Fault>();

  /** A fault on a node the server has not (the model's monitor 'm': replicheck plays the monitor itself). */
  private foreign(f: Fault): boolean {
    const nodes = f.kind === 'partition' ? [...f.from, ...f.to] : f.kind === 'clog' ? [f.from, f.to] : [f.node];
    const missing = nodes.filter((n) => !this.cluster.nodes.has(n));
    if (missing.length === 0) return false;
    this.notes.push(`fault '${formatFault(f)}' names ${missing.join(', ')}, which the live cluster has not (replicheck plays the monitor); ${f.kind === 'partition' ? 'the rest of the cut applies' : 'skipped'}`);
    return f.kind !== 'partition';
  }

  private async inject(f: Fault): Promise<void> {
    if (this.quiet || this.foreign(f)) return;
    this.push({ type: 'fault', t: this.now(), phase: 'inject', fault: this.description(f) });
    switch (f.kind) {
      case 'crash': {
        const n = this.cluster.node(f.node);
        if (n.state === 'crashed') return;
        const wasPrimary = n.role === 'primary';
        // The kill happens now; waiting for every process to be gone comes after.
        this.push({ type: 'node', t: this.now(), node: f.node, ev: 'crash', mode: 'process' });
        await this.cluster.crash(f.node);
        if (wasPrimary && this.cfg.failover === 'auto') this.at(this.now() + this.cfg.failoverTimeoutMs, () => this.failover(f.node));
        return;
      }
      case 'pause':
        this.cluster.pause(f.node);
        this.push({ type: 'node', t: this.now(), node: f.node, ev: 'pause' });
        return;
      case 'partition':
        for (const a of f.from) {
          for (const b of f.to) {
            this.bump(this.blocks, `${a}->${b}`, 1);
            if (!f.oneWay) this.bump(this.blocks, `${b}->${a}`, 1);
          }
        }
        this.applyNet(true);
        return;
      case 'clog':
        this.bump(this.delays, `${f.from}->${f.to}`, f.extraMs);
        this.applyNet(false);
        return;
    }
  }

  private async heal(f: Fault): Promise<void> {
    if (this.healed.has(f) || this.quiet || (f.kind !== 'partition' && !this.history.some((e) => e.type === 'fault' && e.phase === 'inject' && e.fault.text === formatFault(f)))) return;
    this.healed.add(f);
    this.push({ type: 'fault', t: this.now(), phase: 'heal', fault: this.description(f) });
    switch (f.kind) {
      case 'crash':
        await this.restart(f.node);
        return;
      case 'pause':
        this.cluster.resume(f.node);
        this.push({ type: 'node', t: this.now(), node: f.node, ev: 'resume' });
        return;
      case 'partition':
        for (const a of f.from) {
          for (const b of f.to) {
            this.bump(this.blocks, `${a}->${b}`, -1);
            if (!f.oneWay) this.bump(this.blocks, `${b}->${a}`, -1);
          }
        }
        this.applyNet(false);
        return;
      case 'clog':
        this.bump(this.delays, `${f.from}->${f.to}`, -f.extraMs);
        this.applyNet(false);
        return;
    }
  }

  private bump(m: Map<string, number>, k: string, by: number): void {
    const v = (m.get(k) ?? 0) + by;
    if (v <= 0) m.delete(k);
    else m.set(k, v);
  }

  /**
   * Set every standby's replication proxy from the faults in force: `down`
   * carries WAL upstream → standby, `up` the standby's feedback. A new
   * partition breaks the streams crossing it (as the simulator's streams break).
   */
  private applyNet(cutCrossing: boolean): void {
    for (const n of this.cluster.nodes.values()) {
      const up = n.upstream;
      if (n.role !== 'standby' || up === undefined) {
        n.replProxy.heal();
        continue;
      }
      const down = `${up}->${n.id}`;
      const back = `${n.id}->${up}`;
      n.replProxy.setLatency('down', this.latencyOf(down, false));
      n.replProxy.setLatency('up', this.latencyOf(back, false));
      const blockedDown = this.blocks.has(down);
      const blockedUp = this.blocks.has(back);
      if (cutCrossing && (blockedDown || blockedUp)) n.replProxy.cut();
      n.replProxy.setRefusing(blockedDown && blockedUp);
      n.replProxy.setBlocked('down', blockedDown);
      n.replProxy.setBlocked('up', blockedUp);
      n.replProxy.setDelay('down', this.delays.get(down) ?? 0);
      n.replProxy.setDelay('up', this.delays.get(back) ?? 0);
    }
  }

  /** The monitor: promote the most advanced running standby if the primary is still down. */
  private async failover(dead: NodeId): Promise<void> {
    if (this.quiet || this.cluster.node(dead).state !== 'crashed' || this.cluster.primary.id !== dead) return;
    let best: { node: PgNode; lsn: number } | undefined;
    for (const n of this.cluster.nodes.values()) {
      if (n.role !== 'standby' || n.state !== 'running') continue;
      const rows = await this.cluster
        .sql<{ lsn: string | null }>(n, 'SELECT coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::text AS lsn')
        .catch(() => []);
      const lsn = rows[0]?.lsn ? lsnNumber(rows[0].lsn) : -1;
      if (!best || lsn > best.lsn) best = { node: n, lsn };
    }
    if (!best) {
      this.notes.push(`no running standby to promote after ${dead} crashed`);
      return;
    }
    await this.cluster.promote(best.node.id);
    const rows = await this.cluster
      .sql<{ tl: number; lsn: string }>(best.node, "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tl, pg_current_wal_lsn()::text AS lsn")
      .catch(() => []);
    this.push({ type: 'event', t: this.now(), node: best.node.id, name: 'promote', data: { timeline: Number(rows[0]?.tl ?? 0), lsn: rows[0] ? lsnNumber(rows[0].lsn) : 0 } });
    this.applyNet(false);
  }

  private async restart(id: NodeId): Promise<void> {
    const n = this.cluster.node(id);
    if (n.state !== 'crashed' && n.state !== 'stopped') return;
    await this.cluster.restart(id);
    this.push({ type: 'node', t: this.now(), node: id, ev: 'restart' });
    this.applyNet(false);
  }

  /** Quiet phase: heal every fault, resume and restart every node, wait until every standby replayed the primary's WAL. */
  private async quietPhase(): Promise<void> {
    this.push({ type: 'quiet', t: this.now() });
    for (const f of this.scenario.faults) if (!f.after && !this.healed.has(f)) await this.healQuiet(f);
    this.delays.clear();
    this.blocks.clear();
    this.applyNet(false);
    for (const n of this.cluster.nodes.values()) {
      if (n.state === 'paused') {
        this.cluster.resume(n.id);
        this.push({ type: 'node', t: this.now(), node: n.id, ev: 'resume' });
      }
    }
    // A crashed primary with no failover restarts as the primary; the others rejoin it.
    const prim = this.cluster.primary;
    if (prim.state === 'crashed') await this.restart(prim.id);
    for (const n of this.cluster.nodes.values()) if (n.state === 'crashed') await this.restart(n.id).catch((err: unknown) => this.notes.push(`restart of ${n.id} failed: ${(err as Error).message}`));
    await this.settle();
  }

  private async healQuiet(f: Fault): Promise<void> {
    if (this.healed.has(f)) return;
    this.healed.add(f);
    const ran = this.history.some((e) => e.type === 'fault' && e.phase === 'inject' && e.fault.text === formatFault(f));
    if (ran) this.push({ type: 'fault', t: this.now(), phase: 'heal', fault: this.description(f) });
  }

  private async settle(): Promise<void> {
    const until = Date.now() + (this.opts.settleMs ?? 20_000) + this.cfg.applyDelayMs;
    const prim = this.cluster.primary;
    for (;;) {
      const target = await this.cluster.sql<{ lsn: string }>(prim, 'SELECT pg_current_wal_lsn()::text AS lsn').catch(() => []);
      const want = target[0] ? lsnNumber(target[0].lsn) : Infinity;
      let behind = 0;
      for (const n of this.cluster.nodes.values()) {
        if (n === prim || n.state !== 'running') continue;
        const r = await this.cluster.sql<{ lsn: string | null }>(n, 'SELECT pg_last_wal_replay_lsn()::text AS lsn').catch(() => []);
        if (!r[0]?.lsn || lsnNumber(r[0].lsn) < want) behind++;
      }
      if (behind === 0) return;
      if (Date.now() > until) {
        this.notes.push(`${behind} standby(s) had not replayed the primary's WAL when the quiet phase ended`);
        return;
      }
      await sleep(20);
    }
  }

  // ───────────────────────────── lag ─────────────────────────────

  /** Samples pg_stat_replication on one kept connection (a new backend per sample costs more than the sample). */
  private async sampleLag(): Promise<void> {
    const every = this.opts.lagEveryMs ?? 100;
    let ctl: { node: NodeId; client: Client } | undefined;
    const { Client } = loadPg();
    while (!this.quiet) {
      const p = this.cluster.primary;
      try {
        if (p.state === 'running') {
          if (ctl && ctl.node !== p.id) {
            void ctl.client.end().catch(() => {});
            ctl = undefined;
          }
          if (!ctl) {
            const client = new Client({ host: '127.0.0.1', port: p.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
            client.on('error', () => {});
            ctl = { node: p.id, client };
            await client.connect();
          }
          const res = await ctl.client.query<{ name: string; w: string | null; f: string | null; r: string | null }>(
            `SELECT application_name AS name,
                    pg_wal_lsn_diff(pg_current_wal_lsn(), write_lsn)::text AS w,
                    pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::text AS f,
                    pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS r
               FROM pg_stat_replication`,
          );
          const t = this.now();
          for (const r of res.rows) this.lag.push({ t, standby: r.name, write: Number(r.w ?? 0), flush: Number(r.f ?? 0), replay: Number(r.r ?? 0) });
        }
      } catch {
        if (ctl) void ctl.client.end().catch(() => {});
        ctl = undefined;
      }
      await sleep(every);
    }
    if (ctl) await ctl.client.end().catch(() => {});
  }

  // ───────────────────────────── workload ─────────────────────────────

  private async session(s: SessionState): Promise<void> {
    for (const timed of s.spec.ops) {
      await sleep(timed.atMs - this.now());
      await this.request(s, timed.req);
    }
    for (const c of s.clients.values()) await c.end().catch(() => {});
  }

  /** Where a request goes: writes and 'primary' sessions to the primary, reads by the session's policy. */
  private route(s: SessionState, req: ClientRequest): PgNode {
    const prim = this.cluster.primary;
    if (req.txn.some((m) => m.f !== 'r') || s.spec.policy === 'primary') return prim;
    const standbys = [...this.cluster.nodes.values()].filter((n) => n.role === 'standby' && (n.state === 'running' || n.state === 'paused'));
    if (standbys.length === 0) return prim;
    if (s.spec.policy === 'any-standby') return standbys[s.turn++ % standbys.length]!;
    return standbys[fnv1a(s.spec.id) % standbys.length]!;
  }

  private async client(s: SessionState, n: PgNode): Promise<Client> {
    const have = s.clients.get(n.id);
    if (have) return have;
    const { Client } = loadPg();
    const c = new Client({ host: '127.0.0.1', port: n.clientProxy.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: this.clientTimeoutMs });
    c.on('error', () => {});
    // PostgreSQL's answer to a cancelled synchronous wait: COMMIT succeeds, with this WARNING.
    c.on('notice', (msg: { message?: string }) => {
      if (/canceling wait for synchronous replication/i.test(msg.message ?? '') && s.current !== undefined) s.cancelled = s.current;
    });
    s.clients.set(n.id, c);
    try {
      await c.connect();
      if (this.cfg.commitCancelMs > 0) {
        const r = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        s.pids.set(n.id, r.rows[0]!.pid);
      }
    } catch (err) {
      s.clients.delete(n.id);
      throw err;
    }
    return c;
  }

  private drop(s: SessionState, n: PgNode): void {
    const c = s.clients.get(n.id);
    s.clients.delete(n.id);
    if (!c) return;
    // Kill the socket: a hung COMMIT must not keep the connection (or the run) alive.
    (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    void c.end().catch(() => {});
  }

  private async request(s: SessionState, req: ClientRequest): Promise<void> {
    const n = this.route(s, req);
    const op = this.nextOp++;
    this.push({ type: 'invoke', t: this.now(), op, session: s.spec.id, node: n.id, req });
    const done = (e: { type: 'ok'; txn: MicroOp[]; commit?: { lsn: number } } | { type: 'fail'; error: string } | { type: 'info'; reason: string }) => {
      const base = { t: this.now(), op, session: s.spec.id, node: n.id };
      if (e.type === 'ok') this.push({ type: 'ok', ...base, txn: e.txn, ...(e.commit ? { commit: e.commit } : {}) });
      else if (e.type === 'fail') this.push({ type: 'fail', ...base, error: e.error });
      else this.push({ type: 'info', ...base, reason: e.reason });
    };
    if (n.state === 'crashed' || n.state === 'stopped') {
      done({ type: 'fail', error: `node ${n.id} is down (no node available)` });
      return;
    }
    const writes = req.end === 'commit' && req.txn.some((m) => m.f !== 'r');
    const progress = { commitSent: false };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.clientTimeoutMs)));
    try {
      const result = await Promise.race([this.transaction(s, n, req, op, progress), timeout]);
      if (result === 'timeout') {
        this.drop(s, n);
        if (writes && progress.commitSent) done({ type: 'info', reason: `no answer to COMMIT within ${this.clientTimeoutMs} ms` });
        else done({ type: 'fail', error: `no answer within ${this.clientTimeoutMs} ms (COMMIT not sent)` });
        return;
      }
      done(result);
    } catch (err) {
      this.drop(s, n);
      const e = err as Error & { code?: string };
      const msg = `${e.code ? `${e.code} ` : ''}${e.message}`;
      // After COMMIT was sent only a server's definite refusal (serialization, constraint) is a failure.
      if (writes && progress.commitSent && !(e.code && /^(40|23|25)/.test(e.code))) done({ type: 'info', reason: msg });
      else done({ type: 'fail', error: msg });
    } finally {
      clearTimeout(timer);
    }
  }

  private async transaction(
    s: SessionState,
    n: PgNode,
    req: ClientRequest,
    op: number,
    progress: { commitSent: boolean },
  ): Promise<{ type: 'ok'; txn: MicroOp[]; commit?: { lsn: number } } | { type: 'fail'; error: string }> {
    const c = await this.client(s, n);
    if (n.role === 'standby' && s.spec.policy === 'read-your-writes' && s.lastLsn) {
      const waited = await this.waitReplay(c, s.lastLsn);
      if (!waited) return { type: 'fail', error: `standby ${n.id} had not replayed ${s.lastLsn} within ${this.cfg.rywWaitMs} ms` };
    }
    const level = n.role === 'standby' && this.cfg.isolation === 'serializable' ? 'repeatable read' : this.cfg.isolation;
    await c.query(`BEGIN ISOLATION LEVEL ${level.toUpperCase()}`);
    const txn: MicroOp[] = [];
    for (const m of req.txn) txn.push(await this.micro(c, m, op));
    progress.commitSent = true;
    const writes = req.end === 'commit' && req.txn.some((m) => m.f !== 'r');
    s.current = op;
    const cancel = writes && this.cfg.commitCancelMs > 0 ? this.cancelLater(n, s.pids.get(n.id)) : undefined;
    try {
      await c.query(req.end === 'commit' ? 'COMMIT' : 'ROLLBACK');
    } finally {
      if (cancel) clearTimeout(cancel);
      delete s.current;
    }
    if (s.cancelled === op) {
      this.inDoubt++;
      this.push({ type: 'event', t: this.now(), node: n.id, name: 'commit-in-doubt', data: { op, warning: 'canceling wait for synchronous replication; committed locally, may not be replicated' } });
    }
    if (!writes) return { type: 'ok', txn };
    const r = await c.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const lsn = r.rows[0]!.lsn;
    s.lastLsn = lsn;
    return { type: 'ok', txn, commit: { lsn: lsnNumber(lsn) } };
  }

  /** pg_cancel_backend of a COMMIT still running after commitCancelMs (from the server's own port: control). */
  private cancelLater(n: PgNode, pid: number | undefined): NodeJS.Timeout | undefined {
    if (pid === undefined) return undefined;
    return setTimeout(() => {
      void this.cluster.sql(n, 'SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
    }, this.cfg.commitCancelMs);
  }

  private async waitReplay(c: Client, lsn: string): Promise<boolean> {
    const until = performance.now() + this.cfg.rywWaitMs;
    for (;;) {
      const r = await c.query<{ ok: boolean | null }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]);
      if (r.rows[0]?.ok) return true;
      if (performance.now() > until) return false;
      await sleep(2);
    }
  }

  /** One micro-op as SQL; values are jsonb so strings and numbers round-trip, `op` names the writer. */
  private async micro(c: Client, m: MicroOp, op: number): Promise<MicroOp> {
    switch (m.f) {
      case 'r': {
        const r = await c.query<{ v: Value; op: number | null }>('SELECT v, op FROM kv WHERE k = $1', [m.k]);
        const row = r.rows[0];
        return row ? { f: 'r', k: m.k, v: row.v, ...(row.op !== null ? { w: row.op } : {}) } : { f: 'r', k: m.k, v: null };
      }
      case 'w':
        await c.query(
          'INSERT INTO kv (k, v, op) VALUES ($1, $2::jsonb, $3) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, op = EXCLUDED.op',
          [m.k, JSON.stringify(m.v), op],
        );
        return m;
      case 'del':
        await c.query('DELETE FROM kv WHERE k = $1', [m.k]);
        return m;
      case 'upd': {
        const sym = m.expr.op === 'add' ? '+' : '*';
        // An absent or non-numeric value counts as 0, as in the model.
        const r = await c.query<{ v: Value }>(
          `INSERT INTO kv AS t (k, v, op) VALUES ($1, to_jsonb(0 ${sym} $2::numeric), $3)
           ON CONFLICT (k) DO UPDATE SET v = to_jsonb((CASE WHEN jsonb_typeof(t.v) = 'number' THEN (t.v)::numeric ELSE 0 END) ${sym} $2::numeric), op = EXCLUDED.op
           RETURNING v`,
          [m.k, m.expr.n, op],
        );
        return { ...m, v: r.rows[0]!.v };
      }
      case 'now':
      case 'rand': {
        const expr = m.f === 'now' ? 'round(extract(epoch FROM clock_timestamp()) * 1000)::bigint' : 'floor(random() * 1000000)::int';
        const r = await c.query<{ v: Value }>(
          `INSERT INTO kv (k, v, op) VALUES ($1, to_jsonb(${expr}), $2)
           ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, op = EXCLUDED.op RETURNING v`,
          [m.k, op],
        );
        return { ...m, v: r.rows[0]!.v };
      }
    }
  }

  // ───────────────────────────── final reads ─────────────────────────────

  private async finalReads(): Promise<void> {
    for (const n of this.cluster.nodes.values()) {
      const alive = n.state === 'running';
      let data: Record<string, Value> = {};
      let positions: Record<string, number> | undefined;
      let role: string = n.role;
      if (alive) {
        try {
          const rows = await this.cluster.sql<{ k: string; v: Value }>(n, 'SELECT k, v FROM kv ORDER BY k');
          data = Object.fromEntries(rows.filter((r) => r.v !== null).map((r) => [r.k, r.v]));
          const st = await this.cluster.sql<{ rec: boolean; lsn: string | null }>(
            n,
            'SELECT pg_is_in_recovery() AS rec, (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn',
          );
          role = st[0]?.rec ? 'standby' : 'primary';
          if (st[0]?.lsn) positions = { replay: lsnNumber(st[0].lsn) };
        } catch (err) {
          this.notes.push(`final read of ${n.id} failed: ${(err as Error).message}`);
        }
      }
      this.push({ type: 'final', t: this.now(), node: n.id, alive, view: { role, data, ...(positions ? { positions } : {}) } });
    }
  }
}
