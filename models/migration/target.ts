/**
 * The target setup of an online migration: a key/value store that first takes
 * bulk-copy rows and CDC changes from the mover, each carrying the source log
 * position (lsn) it reflects, and keeps per key the highest lsn applied — a copy
 * row read at lsn L and a streamed change at lsn X commute, because the newer
 * one wins whatever their arrival order (deletes stay as tombstones with their
 * lsn). At cut-over it is promoted: it serves clients from then on, continuing
 * the commit positions after the source's freeze position. With dual-write
 * cut-over it also takes the source's commits synchronously (`mirror`) until
 * it is promoted, and refuses them after.
 */
import type { IncomingRequest, NodeContext, NodeProgram, NodeView, Value } from '../../src/index.js';
import { isObj, type LogRecord } from '../cdc/common.js';
import { executeTxn } from '../cdc/source.js';

interface TRow {
  v: Value;
  lsn: number;
}

interface Image {
  rows: Record<string, TRow>;
  promoted: boolean;
  nextLsn: number;
  /** Live data at the moment of promotion (what verification compares). */
  atSwitch?: Record<string, Value>;
  /** Client commits since promotion, so a restart can emit those whose `txn.commit` was lost with memory. */
  commits: Commit[];
  /** Highest source lsn of the gap-free run of dual writes taken (dual-write cut-over only). */
  dualHigh?: number;
  /** Highest source lsn the CDC stream brought (the stream is gap-free from the slot). */
  streamHigh?: number;
  switchLsn?: number;
}

interface Commit {
  xid: string;
  lsn: number;
  writes: Record<string, Value>;
}

const EMITTED = 'emitted';

interface Item {
  k: string;
  v: Value;
  lsn: number;
}

type Job =
  | { kind: 'load'; id: string; items: Item[]; from: string; upTo?: number; copy?: boolean; force?: boolean }
  | { kind: 'mirror'; fromLsn: number; records: LogRecord[]; from: string }
  | { kind: 'promote'; base: number; from: string }
  | { kind: 'txn'; req: IncomingRequest };

const IMAGE = 'image';

export interface TargetOptions {
  /**
   * Planted bugs: 'backfill-overwrites-newer' writes copied rows like
   * REPLACE, not INSERT IGNORE (a chunk read before a live write overwrites
   * it); 'cutover-during-lag' serves reads before the switch.
   */
  bug?: string;
}

export function targetProgram(o: TargetOptions = {}): NodeProgram {
  let rows = new Map<string, TRow>();
  let promoted = false;
  let nextLsn = 0;
  let atSwitch: Record<string, Value> | undefined;
  let commits: Commit[] = [];
  let dualHigh: number | undefined;
  let streamHigh = 0;
  /** The switch position F (set at promotion). */
  let switchLsn = 0;
  const queue: Job[] = [];
  let busy = false;

  function persist(ctx: NodeContext, done: () => void): void {
    busy = true;
    ctx.disk.put(IMAGE, {
      rows: Object.fromEntries(rows), promoted, nextLsn, commits, ...(atSwitch ? { atSwitch } : {}), ...(dualHigh !== undefined ? { dualHigh } : {}), streamHigh, switchLsn,
    } satisfies Image);
    ctx.disk.fsync(() => {
      busy = false;
      done();
      pump(ctx);
    });
  }

  function pump(ctx: NodeContext): void {
    while (!busy && queue.length > 0) {
      const job = queue.shift()!;
      if (job.kind === 'load') load(ctx, job, job.from);
      else if (job.kind === 'mirror') mirrorWrite(ctx, job.fromLsn, job.records, job.from);
      else if (job.kind === 'promote') promote(ctx, job.base, job.from);
      else txn(ctx, job.req);
    }
  }

  /**
   * Dual writes from the source: records after `fromLsn`. Taken only while not
   * promoted and only when they continue the run already taken (a later batch
   * after a lost one is answered with how far the run reaches, and the source
   * resends from there). After promotion they are refused: the target alone
   * takes writes now.
   */
  function mirrorWrite(ctx: NodeContext, fromLsn: number, records: LogRecord[], from: string): void {
    if (promoted) return void ctx.send(from, { type: 'mirror-refused' });
    if (dualHigh !== undefined && fromLsn > dualHigh) return void ctx.send(from, { type: 'mirror-ack', upTo: dualHigh });
    const items = records.flatMap((r) => [...new Map(r.changes.map((c) => [c.k, c.after])).entries()].map(([k, v]) => ({ k, v, lsn: r.lsn })));
    const upTo = Math.max(dualHigh ?? fromLsn, records[records.length - 1]?.lsn ?? fromLsn);
    const { writes, lsns } = applyItems(items);
    dualHigh = upTo;
    persist(ctx, () => {
      if (Object.keys(writes).length > 0) ctx.emit('migration.apply', { writes, lsns, dual: true });
      ctx.send(from, { type: 'mirror-ack', upTo });
      ctx.mark('dual-write-ack');
    });
  }

  /**
   * Keeps per key the item with the highest lsn (a copied row loses to a newer
   * live change, as gh-ost's and pt-online-schema-change's INSERT IGNORE row
   * copy does); `overwrite` writes every item as it is. Returns what changed.
   */
  function applyItems(items: Item[], overwrite = false): { writes: Record<string, Value>; lsns: Record<string, number> } {
    const writes: Record<string, Value> = {};
    const lsns: Record<string, number> = {};
    for (const it of items) {
      const cur = rows.get(it.k);
      if (!overwrite && cur && cur.lsn >= it.lsn) continue;
      rows.set(it.k, { v: it.v, lsn: it.lsn });
      writes[it.k] = it.v;
      lsns[it.k] = it.lsn;
    }
    return { writes, lsns };
  }

  /** A copy chunk or a stream batch; a batch's `upTo` is recorded with its rows (one write, like a checkpoint table). */
  function load(ctx: NodeContext, { id, items, upTo, copy, force }: { id: string; items: Item[]; upTo?: number; copy?: boolean; force?: boolean }, from: string): void {
    // A resync (force) writes the source's rows as they are; so does a REPLACE row copy (the bug).
    const { writes, lsns } = applyItems(items, force === true || (copy === true && o.bug === 'backfill-overwrites-newer'));
    if (upTo !== undefined) streamHigh = Math.max(streamHigh, upTo);
    persist(ctx, () => {
      if (Object.keys(writes).length > 0) ctx.emit('migration.apply', { writes, lsns });
      ctx.send(from, { type: 'loaded', id });
    });
  }

  /**
   * The switch. Its position F is how far the target's own gap-free run of
   * source changes reaches: the freeze position `base` (or with dual writes the
   * position D they began at), the end of the dual writes taken, or the end of
   * the stream batches taken — everything up to F is here, nothing after it.
   * The target, not the mover, knows what it holds: with dual writes the mover
   * streams past D until it learns D (its `dual-ok` may be lost and re-asked),
   * and a stream batch may be applied while its ack is lost. As Oracle
   * GoldenGate's Replicat does: "Replicat maintains its recovery checkpoints in
   * the checkpoint table, which is stored in the target database. Checkpoints
   * are written to the checkpoint table within the Replicat transaction."
   */
  function promote(ctx: NodeContext, base: number, from: string): void {
    if (promoted) return void ctx.send(from, { type: 'promoted', data: atSwitch ?? null, freezeLsn: switchLsn });
    promoted = true;
    switchLsn = Math.max(base, dualHigh ?? base, streamHigh);
    nextLsn = switchLsn;
    // The state at the switch, before any client write: what verification compares with the source.
    atSwitch = liveData(rows);
    persist(ctx, () => {
      ctx.emit('migration.cutover', { freezeLsn: switchLsn });
      ctx.send(from, { type: 'promoted', data: atSwitch ?? null, freezeLsn: switchLsn });
      ctx.mark('promoted');
    });
  }

  function txn(ctx: NodeContext, { id, req }: IncomingRequest): void {
    if (!promoted) {
      // Bug 'cutover-during-lag': reads are served while the target still replays the backlog.
      const readOnly = req.txn.every((m) => m.f === 'r');
      if (o.bug === 'cutover-during-lag' && readOnly) return ctx.reply(id, { type: 'ok', txn: executeTxn(ctx, req.txn, (k) => rows.get(k)?.v ?? null).out });
      return ctx.reply(id, { type: 'fail', error: 'target does not serve clients before cut-over' });
    }
    const { out, changes } = executeTxn(ctx, req.txn, (k) => rows.get(k)?.v ?? null);
    if (req.end === 'rollback' || changes.length === 0) return ctx.reply(id, { type: 'ok', txn: out });
    const lsn = ++nextLsn;
    const writes: Record<string, Value> = {};
    for (const c of changes) {
      rows.set(c.k, { v: c.after, lsn });
      writes[c.k] = c.after;
    }
    commits = [...commits, { xid: `op${id}`, lsn, writes }];
    persist(ctx, () => {
      ctx.emit('txn.commit', { xid: `op${id}`, lsn, timeline: 1, writes });
      ctx.disk.put(EMITTED, lsn);
      ctx.reply(id, { type: 'ok', txn: out, commit: { lsn, timeline: 1 } });
      ctx.mark('commit-acked');
    });
  }

  /**
   * A restart: the image on disk is the state. `migration.recover` names every
   * row with its lsn (what survived, including rows whose `migration.apply` was
   * lost with memory); client commits not yet announced are announced now.
   */
  function recover(ctx: NodeContext, img: Image): void {
    rows = new Map(Object.entries(img.rows));
    promoted = img.promoted;
    nextLsn = img.nextLsn;
    atSwitch = img.atSwitch;
    commits = img.commits ?? [];
    if (img.dualHigh !== undefined) dualHigh = img.dualHigh;
    streamHigh = img.streamHigh ?? 0;
    switchLsn = img.switchLsn ?? 0;
    const writes: Record<string, Value> = {};
    const lsns: Record<string, number> = {};
    for (const [k, r] of rows) {
      writes[k] = r.v;
      lsns[k] = r.lsn;
    }
    ctx.emit('migration.recover', { writes, lsns, promoted });
    const emitted = ctx.disk.get<number>(EMITTED) ?? 0;
    for (const c of commits) if (c.lsn > emitted) ctx.emit('txn.commit', { xid: c.xid, lsn: c.lsn, timeline: 1, writes: c.writes });
    ctx.disk.put(EMITTED, nextLsn);
  }

  return {
    start(ctx) {
      const img = ctx.disk.get<Image>(IMAGE);
      if (img) recover(ctx, img);
    },
    onMessage(ctx, from, msg) {
      if (!isObj(msg)) return;
      if (msg.type === 'load') {
        queue.push({
          kind: 'load', id: String(msg.id), items: msg.items as Item[], from, ...(typeof msg.upTo === 'number' ? { upTo: msg.upTo } : {}),
          ...(msg.copy === true ? { copy: true } : {}), ...(msg.force === true ? { force: true } : {}),
        });
      } else if (msg.type === 'dump') return void ctx.send(from, { type: 'dump', id: msg.id, data: liveData(rows) });
      else if (msg.type === 'mirror') queue.push({ kind: 'mirror', fromLsn: Number(msg.from), records: msg.records as LogRecord[], from });
      else if (msg.type === 'promote') queue.push({ kind: 'promote', base: Number(msg.base), from });
      pump(ctx);
    },
    onTimer() {},
    onRequest(ctx, request) {
      queue.push({ kind: 'txn', req: request });
      pump(ctx);
    },
    view(): NodeView {
      return { role: promoted ? 'primary' : 'target', data: liveData(rows), positions: { promoted: promoted ? 1 : 0, lsn: nextLsn } };
    },
  };
}

function liveData(rows: Map<string, TRow>): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const k of [...rows.keys()].sort()) {
    const v = rows.get(k)!.v;
    if (v !== null) out[k] = v;
  }
  return out;
}
