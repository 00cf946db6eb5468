/**
 * A small primary → standby model for the report tests: the primary fsyncs each
 * commit to its WAL before acknowledging it and ships it over a stream; the
 * standby writes, fsyncs and replays it, and reports its positions back on a
 * status interval (as a walreceiver's wal_receiver_status_interval does), which
 * is also how the primary learns what to re-send after a broken stream or a
 * restart. It emits the shared event vocabulary, so every report metric has
 * something to measure.
 *
 * Variants:
 * - `async`: claims only what asynchronous shipping gives (convergence,
 *   committed prefix, durability of acknowledged commits on the primary).
 * - `overclaim`: the same design claiming read-your-writes as well — a claim
 *   standby reads break as soon as a session reads right after its write, so
 *   the report must show it as a finding.
 */
import type {
  ClientRequest,
  ClusterView,
  MicroOp,
  Model,
  NodeContext,
  NodeProgram,
  SessionInfo,
  Value,
} from '../../src/analysis.js';
import type { ReportModelEntry } from '../../reports/run.js';

interface Rec {
  lsn: number;
  xid: string;
  writes: Record<string, Value>;
}

type Msg = { type: 'rec'; rec: Rec } | { type: 'status'; write: number; flush: number; replay: number };

interface ToyConfig {
  overclaim: boolean;
  statusIntervalMs: number;
}

const PRIMARY = 'n1';
const STANDBY = 'n2';
const WAL = 'wal';
const TIMELINE = 1;

/** Runs a transaction on a copy of `data`; undefined when an update meets a non-numeric value (SQL would raise). */
function applyTxn(data: Record<string, Value>, req: ClientRequest, now: number): { txn: MicroOp[]; writes: Record<string, Value> } | undefined {
  const scratch = { ...data };
  const writes: Record<string, Value> = {};
  let invalid = false;
  const txn = req.txn.map((m): MicroOp => {
    if (m.f === 'r') return { ...m, v: scratch[m.k] ?? null };
    let v: Value;
    if (m.f === 'del') v = null;
    else if (m.f === 'w') v = m.v;
    else if (m.f === 'upd') {
      const cur = scratch[m.k] ?? 0;
      if (typeof cur !== 'number') invalid = true;
      v = typeof cur !== 'number' ? null : m.expr.op === 'add' ? cur + m.expr.n : cur * m.expr.n;
    } else v = `${m.f}@${now.toFixed(3)}`;
    scratch[m.k] = v;
    writes[m.k] = v;
    return m.f === 'del' || m.f === 'w' ? m : { ...m, v };
  });
  return invalid ? undefined : { txn, writes };
}

function fold(data: Record<string, Value>, writes: Record<string, Value>): void {
  for (const [k, v] of Object.entries(writes)) {
    if (v === null) delete data[k];
    else data[k] = v;
  }
}

/** Crash recovery: replay every record that reached the disk; returns how many. */
function redo(ctx: NodeContext, data: Record<string, Value>, name: 'txn.commit' | 'apply'): number {
  const recs = ctx.disk.records<Rec>(WAL);
  if (recs.length > 0) ctx.emit('recover', { lsn: 0, timeline: TIMELINE });
  for (const r of recs) {
    fold(data, r.writes);
    ctx.emit(name, { xid: r.xid, lsn: r.lsn, timeline: TIMELINE, writes: r.writes });
  }
  return recs.length;
}

function primary(): NodeProgram {
  const data: Record<string, Value> = {};
  let flushed = 0;
  let end = 0;
  let standbyReplay = 0;
  let lastReportedWrite = -1;
  return {
    start(ctx) {
      // Crash recovery replays every record that reached the disk (or the OS cache, after a
      // process crash), acknowledged or not — as PostgreSQL's redo does.
      end = flushed = redo(ctx, data, 'txn.commit');
    },
    onMessage(ctx, from, raw) {
      const msg = raw as Msg;
      if (msg.type !== 'status') return;
      ctx.emit('standby.report', { from, write: msg.write, flush: msg.flush, replay: msg.replay });
      standbyReplay = msg.replay;
      // A standby whose write position did not move since its last status lost the stream
      // (or restarted): re-send what it lacks, as a walsender restarts from the requested LSN.
      const stalled = msg.write === lastReportedWrite;
      lastReportedWrite = msg.write;
      if (!stalled || msg.write >= flushed) return;
      for (const r of ctx.disk.records<Rec>(WAL).slice(msg.write, flushed)) ctx.send(from, { type: 'rec', rec: r });
    },
    onTimer() {},
    onRequest(ctx, { id, req }) {
      const done = applyTxn(data, req, ctx.now());
      if (!done) {
        ctx.reply(id, { type: 'fail', error: 'invalid input syntax for type numeric' });
        return;
      }
      const { txn, writes } = done;
      if (req.end === 'rollback' || Object.keys(writes).length === 0) {
        if (req.end === 'rollback') ctx.emit('txn.abort', { xid: `a${ctx.id}-${id}` });
        ctx.reply(id, { type: 'ok', txn });
        return;
      }
      end += 1;
      const rec: Rec = { lsn: end, xid: `x${end}`, writes };
      ctx.disk.append(WAL, rec);
      ctx.emit('wal.append', { lsn: rec.lsn, timeline: TIMELINE, xid: rec.xid, rec: 'commit' });
      ctx.disk.fsync(() => {
        flushed = Math.max(flushed, rec.lsn);
        ctx.emit('wal.flush', { lsn: rec.lsn, timeline: TIMELINE });
        fold(data, writes);
        ctx.emit('txn.commit', { xid: rec.xid, lsn: rec.lsn, timeline: TIMELINE, writes });
        ctx.send(STANDBY, { type: 'rec', rec });
        ctx.emit('wal.send', { to: STANDBY, lsn: rec.lsn });
        ctx.reply(id, { type: 'ok', txn, commit: { lsn: rec.lsn, timeline: TIMELINE } });
      });
    },
    view: () => ({ role: 'primary', data: { ...data }, positions: { flush: flushed, end, standbyReplay } }),
  };
}

function standby(config: ToyConfig): NodeProgram {
  const data: Record<string, Value> = {};
  let written = 0;
  let replayed = 0;
  const status = (ctx: NodeContext): void => {
    ctx.send(PRIMARY, { type: 'status', write: written, flush: replayed, replay: replayed });
  };
  return {
    start(ctx) {
      written = replayed = redo(ctx, data, 'apply');
      status(ctx);
      ctx.setTimer(config.statusIntervalMs, 'status', undefined, { background: true });
    },
    onMessage(ctx, _from, raw) {
      const msg = raw as Msg;
      if (msg.type !== 'rec' || msg.rec.lsn !== written + 1) return; // duplicates and gaps wait for a re-send
      const rec = msg.rec;
      written = rec.lsn;
      ctx.disk.append(WAL, rec);
      ctx.emit('standby.write', { lsn: rec.lsn, timeline: TIMELINE });
      ctx.disk.fsync(() => {
        if (rec.lsn !== replayed + 1) return;
        ctx.emit('standby.flush', { lsn: rec.lsn, timeline: TIMELINE });
        fold(data, rec.writes);
        replayed = rec.lsn;
        ctx.emit('apply', { xid: rec.xid, lsn: rec.lsn, timeline: TIMELINE, writes: rec.writes });
        ctx.emit('standby.replay', { lsn: rec.lsn, timeline: TIMELINE });
      });
    },
    onTimer(ctx, tag) {
      if (tag !== 'status') return;
      status(ctx);
      ctx.setTimer(config.statusIntervalMs, 'status', undefined, { background: true });
    },
    onRequest(ctx, { id, req }) {
      if (req.txn.some((m) => m.f !== 'r')) {
        ctx.reply(id, { type: 'fail', error: 'cannot execute a write in a read-only transaction' });
        return;
      }
      ctx.reply(id, { type: 'ok', txn: req.txn.map((m) => ({ ...m, v: data[m.k] ?? null }) as MicroOp) });
    },
    onStreamBreak(ctx) {
      status(ctx);
    },
    view: () => ({ role: 'standby', data: { ...data }, positions: { write: written, replay: replayed } }),
  };
}

function route(req: ClientRequest, session: SessionInfo, cluster: ClusterView): string | undefined {
  const alive = (id: string): boolean => cluster.nodes.some((n) => n.id === id && n.alive);
  const write = req.txn.some((m) => m.f !== 'r');
  if (write || session.policy === 'primary' || !alive(STANDBY)) return alive(PRIMARY) ? PRIMARY : undefined;
  return STANDBY;
}

function quiescent(cluster: ClusterView): boolean {
  const p = cluster.nodes.find((n) => n.id === PRIMARY);
  const s = cluster.nodes.find((n) => n.id === STANDBY);
  if (!p?.alive || !s?.alive) return false;
  return (s.view.positions?.replay ?? 0) >= (p.view.positions?.flush ?? 0);
}

export const toyModel: Model<ToyConfig> = {
  name: 'toy',
  description: 'one primary shipping fsynced commits to one standby, asynchronously',
  knobs: [
    { name: 'overclaim', values: [false, true], default: false, description: 'also claim read-your-writes (false claim)' },
    { name: 'statusIntervalMs', values: [10, 50, 100], default: 50, description: 'standby status interval' },
  ],
  bugs: [],
  configure(raw) {
    for (const k of Object.keys(raw)) if (k !== 'overclaim' && k !== 'statusIntervalMs') throw new Error(`toy: unknown knob "${k}"`);
    const overclaim = raw.overclaim ?? false;
    const statusIntervalMs = raw.statusIntervalMs ?? 50;
    if (typeof overclaim !== 'boolean') throw new Error('toy: overclaim must be a boolean');
    if (typeof statusIntervalMs !== 'number' || !(statusIntervalMs > 0)) throw new Error('toy: statusIntervalMs must be > 0');
    return { overclaim, statusIntervalMs };
  },
  nodes: () => [PRIMARY, STANDBY],
  program: (node, config) => (node === PRIMARY ? primary() : standby(config)),
  route,
  claims(config) {
    const claims = [
      { id: 'convergence', under: 'any fault, after the quiet phase' },
      { id: 'committed-prefix', under: 'any fault' },
      { id: 'durability', under: 'any fault: the primary fsyncs before acknowledging' },
    ];
    return config.overclaim ? [...claims, { id: 'read-your-writes', under: 'any fault (a false claim)' }] : claims;
  },
  quiescent,
};

/** Registry entry as BUILTIN_MODELS holds it. */
export const toyEntry: ReportModelEntry = {
  model: toyModel as unknown as Model,
  variants: { async: {}, overclaim: { overclaim: true } },
  // Few keys and ops packed in 200 ms, so a session reads its own write from a lagging standby within a few runs.
  workload: { opsMax: 12, keys: 2, spanMs: 40 }, // ops close together: a read often follows its session's write before the standby has it
};
