/**
 * One node of the leaderless store: a replica of the keys the ring gives it, a
 * coordinator for the requests clients send it, a holder of hints, and a
 * partner in anti-entropy repair. See config.ts for the semantics followed.
 */
import type { IncomingRequest, NodeContext, NodeId, NodeProgram, NodeView, Value } from '../../src/index.js';
import { compareLww, fnv1a } from '../../src/index.js';
import { needed, type LeaderlessBug, type LeaderlessConfig } from './config.js';

/** A stored version: value (null = tombstone), write timestamp (µs), local time it was stored (for gc_grace). */
export interface Cell {
  v: Value;
  ts: number;
  at: number;
}

/** Timestamps count µs from a wall-clock epoch so the true start of a run reads 10:00:00. */
export const EPOCH_MS = 10 * 3600 * 1000;

export const nodeIds = (c: LeaderlessConfig): NodeId[] => Array.from({ length: c.nodes }, (_, i) => `n${i + 1}`);

/** The ring from a key's token: its RF replicas first, then the nodes a sloppy quorum falls back to. */
export function preferenceList(key: string, c: LeaderlessConfig): NodeId[] {
  const ids = nodeIds(c);
  const start = fnv1a(key) % ids.length;
  return ids.map((_, i) => ids[(start + i) % ids.length]!);
}

export const replicasOf = (key: string, c: LeaderlessConfig): NodeId[] => preferenceList(key, c).slice(0, c.rf);

/**
 * Reconcile order: newer timestamp, then a tombstone over a live cell, then the
 * larger value (Cassandra Cells.reconcile). > 0 when `a` wins. The checkers judge
 * by the same order (src/check/lww.ts).
 */
export const compareCells: (a: Pick<Cell, 'v' | 'ts'>, b: Pick<Cell, 'v' | 'ts'>) => number = compareLww;

type Msg =
  | { type: 'mut'; id: string; k: string; cell: Cell; overwrite?: boolean }
  | { type: 'mut-ack'; id: string }
  | { type: 'hint-store'; id: string; k: string; cell: Cell; target: NodeId }
  | { type: 'hint-ack'; id: string }
  | { type: 'read'; id: string; k: string }
  | { type: 'read-resp'; id: string; cell: Cell | null }
  | { type: 'ae'; round: number; cells: [string, Cell][] }
  | { type: 'ae-resp'; round: number; cells: [string, Cell][]; changed: boolean };

interface WriteH {
  id: string;
  reqId: number;
  k: string;
  cell: Cell;
  replicas: NodeId[];
  acked: Set<NodeId>;
  /** Replicas whose write a fallback node took as a hint (sloppy quorum). */
  handed: Set<NodeId>;
  /** Fallback nodes already asked to hold a hint for this write. */
  via: Set<NodeId>;
  replied: boolean;
  txn: IncomingRequest['req']['txn'];
  timers: number[];
}

interface ReadH {
  id: string;
  reqId: number;
  k: string;
  responses: { from: NodeId; cell: Cell | null }[];
  resolving: boolean;
  repairs: Set<NodeId>;
  timer: number;
}

interface Hint {
  id: string;
  target: NodeId;
  k: string;
  cell: Cell;
  sentAt: number;
}

export type DiskRec = { k: string; cell: Cell; overwrite?: boolean } | { k: string; purge: true };

/**
 * The hints file (Cassandra's hints_directory): a hint added, or one delivered.
 * A fallback node's hint counts towards W, so it is fsynced before the
 * hint-ack (Dynamo keeps hinted replicas in its local store); a coordinator's
 * own hints are flushed on its next tick, as Cassandra flushes hint buffers
 * every hints_flush_period: a machine crash before that loses them.
 */
type HintRec = { add: Omit<Hint, 'sentAt'> } | { done: string };

export function createNode(self: NodeId, c: LeaderlessConfig, bug: LeaderlessBug | undefined): NodeProgram {
  const cells = new Map<string, Cell>();
  const known = new Set<string>();
  const hints = new Map<string, Hint>();
  const writes = new Map<string, WriteH>();
  const reads = new Map<string, ReadH>();
  const lastHeard = new Map<NodeId, number>();
  /** Peers whose connection broke and that have not been heard from since (the failure detector's view). */
  const down = new Set<NodeId>();
  let seq = 0;
  let hintsUnflushed = false;
  let lsn = 0;
  let lastTs = 0;
  let activity = 0;
  let activityAtTick = -1;
  let changes = 0;
  let synced = false;
  let round: { n: number; pending: Set<NodeId>; dirty: boolean; changesAtStart: number; startedTick: number } | undefined;
  let rounds = 0;
  let ticks = 0;
  // Elapsed time on the monotonic clock (timers ignore wall-clock jumps), in tick steps.
  const mono = () => ticks * c.repairIdleMs;
  const owns = (k: string) => replicasOf(k, c).includes(self);
  const W = needed(c.writeLevel, c.rf);
  const R = needed(c.readLevel, c.rf);
  const sloppy = c.quorum === 'sloppy' || bug === 'sloppy-reported-as-strict';

  /** Which cell wins; the tie bug keeps whichever is already stored. */
  const newer = (incoming: Cell, cur: Cell | undefined) => {
    if (!cur) return true;
    if (bug === 'tie-break-inconsistent' && incoming.ts === cur.ts) return false;
    return compareCells(incoming, cur) > 0;
  };

  const visible = (cell: Cell | undefined): Value => (cell && cell.v !== null ? cell.v : null);

  /** Merge a version into memory (after it is on disk); emits the visible change. */
  function merge(ctx: NodeContext | undefined, k: string, cell: Cell, overwrite = false): boolean {
    const cur = cells.get(k);
    if (!overwrite && !newer(cell, cur)) return false;
    known.add(k);
    cells.set(k, cell);
    changes++;
    synced = false;
    if (ctx && visible(cur) !== visible(cell)) {
      lsn++;
      ctx.emit('apply', { xid: `w${cell.ts}`, lsn, writes: { [k]: visible(cell) } });
    }
    if (ctx && bug === 'tombstone-purged-early' && cell.v === null) purge(ctx, k);
    return true;
  }

  function purge(ctx: NodeContext, k: string): void {
    cells.delete(k);
    ctx.disk.append('data', { k, purge: true } satisfies DiskRec);
  }

  /** The write path of a replica: commit log, fsync (batch mode), then memtable. */
  function store(ctx: NodeContext, k: string, cell: Cell, done?: () => void, overwrite = false): void {
    const stored: Cell = { ...cell, at: mono() };
    const rec: DiskRec = overwrite ? { k, cell: stored, overwrite } : { k, cell: stored };
    ctx.disk.append('data', rec);
    ctx.disk.fsync(() => {
      merge(ctx, k, stored, overwrite);
      ctx.mark('replica-applied');
      done?.();
    });
  }

  function stamp(ctx: NodeContext): number {
    const now = ctx.now() + EPOCH_MS;
    if (c.timestampResolution === 'ms') return Math.floor(now) * 1000;
    const ts = Math.max(Math.floor(now * 1000), lastTs + 1);
    lastTs = ts;
    return ts;
  }

  /**
   * Request ids carry a tag drawn at each start: seq restarts from 0 after a crash,
   * and a late acknowledgement for a write of the previous incarnation must not
   * count towards a new write that reuses its number.
   */
  let incarnation = '';
  const newId = () => `${self}.${incarnation}.${++seq}`;

  // ─────────── coordinator: writes ───────────

  function startWrite(ctx: NodeContext, r: IncomingRequest, k: string, v: Value): void {
    const cell: Cell = { v, ts: stamp(ctx), at: 0 };
    const h: WriteH = {
      id: newId(), reqId: r.id, k, cell, replicas: replicasOf(k, c), acked: new Set(), handed: new Set(), via: new Set(),
      replied: false, txn: r.req.txn, timers: [],
    };
    writes.set(h.id, h);
    for (const to of h.replicas) {
      if (to === self) store(ctx, k, cell, () => writeAck(ctx, h.id, self));
      else ctx.send(to, { type: 'mut', id: h.id, k, cell } satisfies Msg);
    }
    ctx.mark('write-sent');
    h.timers.push(ctx.setTimer(c.timeoutMs, 'w-timeout', h.id));
    if (sloppy && c.nodes > c.rf) {
      // Dynamo: replicas the failure detector holds down are skipped for the next healthy nodes at once.
      if (h.replicas.some((n) => down.has(n))) handOff(ctx, h, (n) => down.has(n));
      h.timers.push(ctx.setTimer(c.timeoutMs / 4, 'w-sloppy', h.id));
    }
  }

  function ackCount(acked: Set<NodeId>): number {
    return acked.size + (bug === 'coordinator-counted-twice' && acked.has(self) ? 1 : 0);
  }

  function writeAck(ctx: NodeContext, id: string, from: NodeId): void {
    const h = writes.get(id);
    if (!h) return;
    h.acked.add(from);
    if (!h.replied && ackCount(h.acked) >= W) {
      h.replied = true;
      ctx.reply(h.reqId, { type: 'ok', txn: h.txn, commit: { lsn: h.cell.ts } });
      ctx.mark('write-acked');
    }
    if (h.replicas.every((n) => h.acked.has(n) || h.handed.has(n))) closeWrite(ctx, h);
  }

  function closeWrite(ctx: NodeContext, h: WriteH): void {
    for (const t of h.timers) ctx.cancelTimer(t);
    writes.delete(h.id);
  }

  /** Sloppy quorum: hand the write of each silent replica to the next healthy node past the replicas. */
  function goSloppy(ctx: NodeContext, h: WriteH): void {
    if (h.replied || ackCount(h.acked) >= W) return;
    handOff(ctx, h, () => true);
  }

  function handOff(ctx: NodeContext, h: WriteH, which: (n: NodeId) => boolean): void {
    const fallbacks = preferenceList(h.k, c).slice(c.rf).filter((n) => n !== self && !down.has(n) && !h.via.has(n));
    let i = 0;
    for (const target of h.replicas) {
      if (h.acked.has(target) || h.handed.has(target) || !which(target)) continue;
      const via = fallbacks[i++];
      if (!via) break;
      h.handed.add(target);
      h.via.add(via);
      ctx.send(via, { type: 'hint-store', id: h.id, k: h.k, cell: h.cell, target } satisfies Msg);
    }
  }

  function writeTimeout(ctx: NodeContext, h: WriteH): void {
    if (!h.replied) {
      h.replied = true;
      // A write timeout is not a rollback: the replicas that got it keep it.
      ctx.reply(h.reqId, { type: 'info', reason: `write timeout: ${h.acked.size} of ${W} replica acknowledgements` });
    }
    if (c.hintedHandoff) {
      for (const target of h.replicas) {
        if (h.acked.has(target) || h.handed.has(target) || target === self) continue;
        if (mono() - (lastHeard.get(target) ?? -Infinity) > c.hintWindowMs) continue;
        addHint(ctx, target, h.k, h.cell);
      }
    }
    writes.delete(h.id);
  }

  /** Hint ids name their content, so an acknowledgement from before a restart still names the right hint. */
  function addHint(ctx: NodeContext, target: NodeId, k: string, cell: Cell): void {
    const id = `h:${target}:${k}:${cell.ts}:${String(cell.v)}`;
    if (hints.has(id)) return;
    hints.set(id, { id, target, k, cell, sentAt: -Infinity });
    ctx.disk.append('hints', { add: { id, target, k, cell } } satisfies HintRec);
    hintsUnflushed = true;
    ctx.mark('hint-stored');
  }

  function hintDelivered(ctx: NodeContext, id: string): boolean {
    if (!hints.delete(id)) return false;
    ctx.disk.append('hints', { done: id } satisfies HintRec);
    return true;
  }

  function replayHints(ctx: NodeContext): void {
    for (const h of hints.values()) {
      if (mono() - h.sentAt < c.timeoutMs) continue;
      h.sentAt = mono();
      const cell = bug === 'hint-new-timestamp' ? { ...h.cell, ts: stamp(ctx) } : h.cell;
      ctx.send(h.target, { type: 'mut', id: h.id, k: h.k, cell } satisfies Msg);
      ctx.mark('hint-replayed');
    }
  }

  // ─────────── coordinator: reads ───────────

  function startRead(ctx: NodeContext, r: IncomingRequest, k: string): void {
    const h: ReadH = { id: newId(), reqId: r.id, k, responses: [], resolving: false, repairs: new Set(), timer: 0 };
    reads.set(h.id, h);
    h.timer = ctx.setTimer(c.timeoutMs, 'r-timeout', h.id);
    for (const to of replicasOf(k, c)) if (to !== self) ctx.send(to, { type: 'read', id: h.id, k } satisfies Msg);
    if (c.rf > 1) ctx.mark('read-sent');
    readResp(ctx, h, self, cells.get(k) ?? null);
  }

  function readResp(ctx: NodeContext, h: ReadH, from: NodeId, cell: Cell | null): void {
    if (h.resolving) return;
    h.responses.push({ from, cell });
    const count = h.responses.length + (bug === 'coordinator-counted-twice' && h.responses.some((x) => x.from === self) ? 1 : 0);
    if (count < R) return;
    h.resolving = true;
    let best: Cell | null = null;
    for (const x of h.responses) if (x.cell && (!best || compareCells(x.cell, best) > 0)) best = x.cell;
    let repairWith = best;
    let overwrite = false;
    if (bug === 'read-repair-older-value' && h.responses[0]!.cell) {
      repairWith = h.responses[0]!.cell; // the data replica's version, not the merged newest
      overwrite = true;
    }
    if (repairWith) {
      const cell = repairWith;
      const stale = h.responses.filter((x) => !x.cell || (overwrite ? x.cell.ts !== cell.ts || x.cell.v !== cell.v : compareCells(x.cell, cell) < 0));
      for (const x of stale) {
        h.repairs.add(x.from);
        if (x.from === self) store(ctx, h.k, cell, () => repairAck(ctx, h.id, self), overwrite);
        else ctx.send(x.from, { type: 'mut', id: h.id, k: h.k, cell, ...(overwrite ? { overwrite } : {}) } satisfies Msg);
      }
      if (stale.length > 0) ctx.mark('read-repair');
    }
    if (h.repairs.size === 0) finishRead(ctx, h);
  }

  function repairAck(ctx: NodeContext, id: string, from: NodeId): void {
    const h = reads.get(id);
    if (!h || !h.repairs.delete(from)) return;
    if (h.repairs.size === 0) finishRead(ctx, h);
  }

  /** Blocking read repair has brought this replica up to the merged version (or newer): answer from it. */
  function finishRead(ctx: NodeContext, h: ReadH): void {
    ctx.cancelTimer(h.timer);
    reads.delete(h.id);
    ctx.reply(h.reqId, { type: 'ok', txn: [{ f: 'r', k: h.k, v: visible(cells.get(h.k)) }] });
  }

  // ─────────── anti-entropy ───────────

  function tick(ctx: NodeContext): void {
    ticks++;
    if (hintsUnflushed) {
      hintsUnflushed = false;
      ctx.disk.fsync();
    }
    replayHints(ctx);
    const idle = activity === activityAtTick;
    activityAtTick = activity;
    if (round && ticks - round.startedTick > 3 + Math.ceil((3 * c.timeoutMs) / c.repairIdleMs)) round = undefined; // a peer never answered
    if (!idle || round) return;
    // Ring members only: a CDC pipeline's nodes share the cluster but hold no replicas.
    const peers = nodeIds(c).filter((n) => n !== self);
    round = { n: ++rounds, pending: new Set(peers), dirty: false, changesAtStart: changes, startedTick: ticks };
    for (const p of peers) {
      const mine = [...cells].filter(([k]) => replicasOf(k, c).includes(p));
      ctx.send(p, { type: 'ae', round: round.n, cells: mine } satisfies Msg, { background: true });
    }
    ctx.mark('repair-round');
    if (peers.length === 0) endRound();
  }

  function endRound(): void {
    if (!round) return;
    synced = !round.dirty && changes === round.changesAtStart;
    round = undefined;
  }

  function compact(ctx: NodeContext): void {
    for (const [k, cell] of [...cells]) {
      if (cell.v === null && mono() - cell.at >= c.gcGraceMs) purge(ctx, k);
    }
  }

  // ─────────── the program ───────────

  return {
    start(ctx) {
      incarnation = Math.floor(ctx.random() * 2 ** 32).toString(36);
      for (const rec of ctx.disk.records<DiskRec>('data')) {
        if ('purge' in rec) cells.delete(rec.k);
        else merge(undefined, rec.k, rec.cell, rec.overwrite === true);
      }
      for (const k of cells.keys()) known.add(k);
      for (const rec of ctx.disk.records<HintRec>('hints')) {
        if ('add' in rec) hints.set(rec.add.id, { ...rec.add, sentAt: -Infinity });
        else hints.delete(rec.done);
      }
      // What survived on disk is the whole visible state now.
      ctx.emit('recover', { lsn: 0 });
      const data = Object.fromEntries([...cells].filter(([, cl]) => cl.v !== null).map(([k, cl]) => [k, cl.v]));
      if (Object.keys(data).length > 0) ctx.emit('apply', { xid: 'recovered', lsn: ++lsn, writes: data });
      for (const n of ctx.nodes) lastHeard.set(n, mono());
      ctx.setTimer(c.repairIdleMs, 'tick', undefined, { background: true });
      ctx.setTimer(Math.max(10, c.gcGraceMs / 2), 'compact', undefined, { background: true });
    },

    onRequest(ctx, r) {
      activity++;
      const op = r.req.txn[0];
      if (r.req.txn.length !== 1 || r.req.end !== 'commit' || !op || (op.f !== 'r' && op.f !== 'w' && op.f !== 'del')) {
        return ctx.reply(r.id, { type: 'fail', error: 'leaderless: one read, write or delete per request' });
      }
      known.add(op.k);
      if (!owns(op.k)) return ctx.reply(r.id, { type: 'fail', error: `leaderless: ${self} is not a replica of ${op.k}` });
      if (op.f === 'r') return startRead(ctx, r, op.k);
      startWrite(ctx, r, op.k, op.f === 'w' ? op.v : null);
    },

    onMessage(ctx, from, raw) {
      const m = raw as Msg;
      lastHeard.set(from, mono());
      down.delete(from);
      if (m.type !== 'ae' && m.type !== 'ae-resp') activity++;
      switch (m.type) {
        case 'mut':
          return store(ctx, m.k, m.cell, () => ctx.send(from, { type: 'mut-ack', id: m.id } satisfies Msg), m.overwrite === true);
        case 'mut-ack':
          if (hintDelivered(ctx, m.id)) return;
          if (writes.has(m.id)) return writeAck(ctx, m.id, from);
          return repairAck(ctx, m.id, from);
        case 'hint-store':
          addHint(ctx, m.target, m.k, m.cell);
          hintsUnflushed = false;
          return ctx.disk.fsync(() => ctx.send(from, { type: 'hint-ack', id: m.id } satisfies Msg));
        case 'hint-ack':
          return writeAck(ctx, m.id, from);
        case 'read':
          return ctx.send(from, { type: 'read-resp', id: m.id, cell: cells.get(m.k) ?? null } satisfies Msg);
        case 'read-resp': {
          const h = reads.get(m.id);
          return h ? readResp(ctx, h, from, m.cell) : undefined;
        }
        case 'ae': {
          let changed = false;
          const theirs = new Map(m.cells);
          for (const [k, cell] of m.cells) {
            if (!owns(k) || !newer(cell, cells.get(k))) continue;
            changed = true;
            store(ctx, k, cell);
          }
          // Send back what the peer lacks or holds older, for keys both replicate.
          const back = [...cells].filter(([k, cell]) => replicasOf(k, c).includes(from) && newer(cell, theirs.get(k)));
          return ctx.send(from, { type: 'ae-resp', round: m.round, cells: back, changed } satisfies Msg, { background: true });
        }
        case 'ae-resp': {
          if (!round || round.n !== m.round) return;
          for (const [k, cell] of m.cells) if (owns(k) && newer(cell, cells.get(k))) store(ctx, k, cell);
          if (m.changed || m.cells.length > 0) round.dirty = true;
          round.pending.delete(from);
          if (round.pending.size === 0) endRound();
          return;
        }
      }
    },

    onTimer(ctx, tag, payload) {
      if (tag === 'tick') {
        tick(ctx);
        ctx.setTimer(c.repairIdleMs, 'tick', undefined, { background: true });
      } else if (tag === 'compact') {
        compact(ctx);
        ctx.setTimer(Math.max(10, c.gcGraceMs / 2), 'compact', undefined, { background: true });
      } else if (tag === 'w-timeout' || tag === 'w-sloppy') {
        const h = writes.get(payload as string);
        if (!h) return;
        if (tag === 'w-sloppy') goSloppy(ctx, h);
        else writeTimeout(ctx, h);
      } else if (tag === 'r-timeout') {
        const h = reads.get(payload as string);
        if (!h) return;
        reads.delete(h.id);
        ctx.reply(h.reqId, { type: 'fail', error: `read timeout: ${h.responses.length} of ${R} replica responses` });
      }
    },

    onStreamBreak(ctx, peer) {
      synced = false;
      down.add(peer);
      // Dynamo: once a replica is held down, its writes in flight go to the next healthy node.
      if (sloppy && c.nodes > c.rf) for (const h of writes.values()) if (!h.replied && h.replicas.includes(peer)) handOff(ctx, h, (n) => n === peer);
    },

    view(): NodeView {
      const data: Record<string, Value> = {};
      // writeAcks: the acknowledgements a write needs (the clients' write consistency level), for lww-strict-quorum.
      const positions: Record<string, number> = { synced: synced ? 1 : 0, hints: hints.size, writeAcks: W };
      for (const [k, cell] of cells) if (cell.v !== null) data[k] = cell.v;
      for (const k of known) if (owns(k)) positions[`owns:${k}`] = 1;
      return { role: 'replica', data, positions };
    },
  };
}
