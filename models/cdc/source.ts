/**
 * The source database: a key/value (wide-row, think Cassandra with commitlog CDC)
 * store with its own commit log on disk. Transactions run one at a time: execute
 * against the committed state, append one log record, fsync, then make the
 * changes visible, emit `txn.commit` and acknowledge (synchronous_commit = on).
 * The log is what CDC reads: `fetch` returns durable records after a position,
 * `wm` appends a DBLog watermark record, `select` reads a chunk of rows in key
 * order, `position` answers the durable log head (a replication slot's
 * consistent point). All of these queue behind transactions, so a select sees
 * exactly the state at the lsn it reports.
 *
 * Migration extras: `freeze` makes the source read-only; `dual` starts dual
 * writes — each later commit is mirrored to a target and acknowledged to the
 * client only once the target has it (a refusal retires the source); `select`
 * with `atLsn` reads the state as of a log position.
 *
 * Recovery: the log on disk is the state. A `recover` event names the surviving
 * log head; records whose `txn.commit` was not yet emitted (written, fsync still
 * pending, then a process crash kept them in the OS cache) are emitted at restart.
 *
 * Source failover (`replication`): a physical standby receives the durable log
 * asynchronously (PostgreSQL streaming replication), fsyncs it, applies it
 * (`apply` events) and reports its flushed position. It promotes itself after
 * `failoverTimeoutMs` without hearing from the primary (a failover manager's
 * decision): a new timeline, clients' writes go to it, and it tells the old
 * primary (which retires: what it committed but never shipped is lost) and the
 * connector. Logical slots live only on the primary: with failover slots the
 * standby keeps a synced copy (sync_replication_slots), and with
 * synchronized_standby_slots the primary decodes no change to the connector
 * before the standby has flushed it — so the promoted standby has every change
 * the connector saw.
 */
import type {
  ClientResult,
  IncomingRequest,
  MicroOp,
  NodeContext,
  NodeId,
  NodeProgram,
  NodeView,
  Value,
} from '../../src/analysis.js';
import { applyExpr, type Change, isObj, type LogRecord, POLL } from './common.js';

export interface SourceOptions {
  /** Rows loaded at first start, keys row0..row{n-1}, values "init:rowI" (what the snapshot must copy). */
  preloadRows: number;
  /** NodeView role; 'primary' makes this node the authority for generic checkers. */
  role: string;
  /**
   * Planted migration bug 'dual-write-partial-failure': a dual write is sent
   * once, after the local commit, and the client is answered at once — the
   * target's refusal or a lost mirror is ignored (models/migration/index.ts).
   */
  mirrorBestEffort?: boolean;
  /**
   * max_slot_wal_keep_size, in log records (-1: unlimited, PostgreSQL's
   * default): once the log head is more than this past the slot's
   * confirmed_flush_lsn, the slot is invalidated (wal_status 'lost') and
   * streaming from it refused.
   */
  maxSlotWalKeep?: number;
  /** Physical streaming replication of this log (a source with a standby); absent: a lone source. */
  replication?: SourceReplication;
}

/** A source primary/standby pair. `role` ('primary' or 'standby') is the role at first start. */
export interface SourceReplication {
  /** The other source node (the standby, or the primary it follows). */
  peer: NodeId;
  /** The connector, told of a promotion (as a multi-host connection string finds the new primary). */
  connector: NodeId;
  /** The standby promotes after this long without a message from the primary. */
  failoverTimeoutMs: number;
  /** Shipping, keepalive and failure-detection period. */
  pollMs: number;
  /** Slots created with FAILOVER and synced to the standby (sync_replication_slots = on). */
  failoverSlots: boolean;
  /** synchronized_standby_slots names the standby's slot: logical decoding waits for its flush. */
  synchronizedStandbySlots: boolean;
  /** A slot made at first start at this position (snapshot.mode=never: the slot exists before the first write). */
  initialSlotLsn?: number;
}

/**
 * The logical replication slot, kept on the source (persisted with it):
 * `confirmed` is confirmed_flush_lsn — decoding resumes after it, whatever
 * position the client asks for — and WAL after it is retained for the slot.
 */
interface Slot {
  confirmed: number;
  invalidated: boolean;
}

interface RoleState {
  role: 'primary' | 'standby' | 'retired';
  timeline: number;
  /** The log head when this node was promoted (0: it started as the primary). */
  promotedAt: number;
  /** Retired: the node that leads the newer timeline. */
  primary?: NodeId;
}

type Job =
  | { kind: 'txn'; req: IncomingRequest }
  | { kind: 'wm'; id: string; from: NodeId }
  | { kind: 'select'; id: string; afterKey: string | null; limit: number; from: NodeId; atLsn?: number }
  | { kind: 'position'; from: NodeId; slot: boolean }
  | { kind: 'freeze'; on: boolean; from: NodeId }
  | { kind: 'dual'; target: NodeId; from: NodeId }
  | { kind: 'preload' };

const LOG = 'log';
const EMITTED = 'emitted';
const FROZEN = 'frozen';
const MIRROR = 'mirror';
const SLOT = 'slot';
const ROLE = 'role';
/** Retry interval of an unacknowledged dual write (a foreground timer: a client waits on it). */
const MIRROR_RETRY_MS = 10;

/** Dual writes (migration cut-over): every commit after `from` is mirrored to `target` before it is acknowledged. */
interface Mirror {
  target: NodeId;
  from: number;
}
/** A transaction with more micro-ops than this is refused (keeps positions bounded). */
const MAX_TXN_OPS = 1000;
const FETCH_MAX = 256;

export function sourceProgram(opts: SourceOptions): NodeProgram {
  const state = new Map<string, Value>();
  const queue: Job[] = [];
  let records: readonly LogRecord[] = [];
  let durableLsn = 0;
  let busy = false;
  let frozen = false;
  let mirror: Mirror | undefined;
  /** Highest lsn the mirror target acknowledged (memory; after a restart everything since `mirror.from` is resent). */
  let mirrorAcked = 0;
  /** The commit waiting for its dual write, with the client reply to send once it is mirrored. */
  let mirrorWait: { lsn: number; ok: () => void; refused: () => void } | undefined;
  let slot: Slot | undefined;
  const repl = opts.replication;
  /** Role, timeline and the log head at promotion (records up to it came from the old primary); durable. */
  let role: RoleState = { role: repl && opts.role === 'standby' ? 'standby' : 'primary', timeline: 1, promotedAt: 0 };
  /** Primary: the standby's flushed position (memory: after a restart nothing counts as flushed until it says so). */
  let standbyFlushed = 0;
  /** Poll ticks, and the tick the standby last heard from its primary. */
  let ticks = 0;
  let heard = 0;
  /** A promoted primary keeps telling the old primary and the connector until each has answered. */
  const untold = new Set<NodeId>();
  let promoting = false;

  function recoverFromDisk(ctx: NodeContext): void {
    frozen = ctx.disk.get<boolean>(FROZEN) ?? false;
    role = ctx.disk.get<RoleState>(ROLE) ?? role;
    slot = ctx.disk.get<Slot>(SLOT);
    mirror = ctx.disk.get<Mirror>(MIRROR);
    mirrorAcked = mirror?.from ?? 0;
    records = ctx.disk.records<LogRecord>(LOG);
    for (const r of records) for (const c of r.changes) setState(c.k, c.after);
    durableLsn = records.length;
    if (records.length === 0) {
      if (role.role === 'standby') return;
      if (repl?.initialSlotLsn !== undefined && !slot) ctx.disk.put(SLOT, (slot = { confirmed: repl.initialSlotLsn, invalidated: false }));
      if (opts.preloadRows > 0) queue.push({ kind: 'preload' });
      return;
    }
    ctx.emit('recover', { lsn: durableLsn, timeline: role.timeline });
    const emitted = ctx.disk.get<number>(EMITTED) ?? 0;
    for (const r of records) if (r.lsn > emitted && r.kind === 'txn') emitCommit(ctx, r);
    ctx.disk.put(EMITTED, durableLsn);
  }

  function setState(k: string, v: Value): void {
    if (v === null) state.delete(k);
    else state.set(k, v);
  }

  /** A record this node committed (`txn.commit`), or received from the primary it followed (`apply`, timeline 1). */
  function emitCommit(ctx: NodeContext, r: LogRecord): void {
    const writes: Record<string, Value> = {};
    for (const c of r.changes) writes[c.k] = c.after;
    const received = role.role === 'standby' || r.lsn <= role.promotedAt;
    // txn records carry an xid
    if (received) ctx.emit('apply', { xid: r.xid!, lsn: r.lsn, timeline: 1, writes });
    else ctx.emit('txn.commit', { xid: r.xid!, lsn: r.lsn, timeline: role.timeline, writes });
  }

  function pump(ctx: NodeContext): void {
    while (!busy && queue.length > 0) run(ctx, queue.shift()!);
  }

  function run(ctx: NodeContext, job: Job): void {
    switch (job.kind) {
      case 'txn':
        return runTxn(ctx, job.req);
      case 'preload':
        return append(ctx, { kind: 'txn', xid: 'preload', changes: preloadChanges(opts.preloadRows) }, () => undefined);
      case 'wm':
        return append(ctx, { kind: 'wm', wm: job.id, changes: [] }, (lsn) =>
          ctx.send(job.from, { type: 'wm-ok', id: job.id, lsn }));
      case 'select':
        return void ctx.send(job.from, { type: 'rows', id: job.id, rows: select(job.afterKey, job.limit, job.atLsn), lsn: job.atLsn ?? durableLsn });
      case 'position':
        if (!job.slot) return void ctx.send(job.from, { type: 'position', lsn: durableLsn }, POLL);
        // An existing slot is reused (Debezium does; asking twice must not move it). Otherwise
        // pg_create_logical_replication_slot: its consistent point is the durable head; a lost
        // slot of the same name is dropped and created anew.
        if (slot && !slot.invalidated) return void ctx.send(job.from, { type: 'position', lsn: slot.confirmed }, POLL);
        slot = { confirmed: durableLsn, invalidated: false };
        ctx.disk.put(SLOT, slot);
        busy = true;
        return ctx.disk.fsync(() => {
          busy = false;
          ctx.emit('slot.create', { lsn: durableLsn });
          ctx.send(job.from, { type: 'position', lsn: durableLsn }, POLL);
          pump(ctx);
        });
      case 'dual':
        return startMirror(ctx, job.target, job.from);
      case 'freeze':
        // Queued behind every transaction already received, so `lsn` is the last commit before the freeze.
        // Durable: a source restarting mid cut-over must stay read-only.
        frozen = job.on;
        ctx.disk.put(FROZEN, frozen);
        busy = true;
        return ctx.disk.fsync(() => {
          busy = false;
          ctx.send(job.from, { type: 'frozen', on: frozen, lsn: durableLsn });
          if (frozen) ctx.mark('writes-frozen');
          pump(ctx);
        });
    }
  }

  /** Rows after `afterKey` in key order, of the current state or, with `atLsn`, of the state as of that log position. */
  function select(afterKey: string | null, limit: number, atLsn?: number): { k: string; v: Value }[] {
    const src = atLsn === undefined ? state : stateAt(atLsn);
    const keys = [...src.keys()].filter((k) => afterKey === null || k > afterKey).sort();
    return keys.slice(0, limit).map((k) => ({ k, v: src.get(k)! }));
  }

  function stateAt(lsn: number): Map<string, Value> {
    const out = new Map<string, Value>();
    for (const r of records) {
      if (r.lsn > lsn) break;
      for (const c of r.changes) if (c.after === null) out.delete(c.k);
      else out.set(c.k, c.after);
    }
    return out;
  }

  /**
   * Dual writes begin at the durable head D (answered as 'dual-ok'); durable so
   * that a restarted source keeps mirroring. Asking again answers the same D.
   */
  function startMirror(ctx: NodeContext, target: NodeId, from: NodeId): void {
    if (mirror) return void ctx.send(from, { type: 'dual-ok', lsn: mirror.from });
    mirror = { target, from: durableLsn };
    mirrorAcked = durableLsn;
    ctx.disk.put(MIRROR, mirror);
    busy = true;
    ctx.disk.fsync(() => {
      busy = false;
      ctx.send(from, { type: 'dual-ok', lsn: mirror!.from });
      ctx.mark('dual-writes-on');
      pump(ctx);
    });
  }

  /** Sends every durable record the target has not acknowledged (a gap-free suffix, so a resend after a restart heals). */
  function sendMirror(ctx: NodeContext): void {
    if (!mirror || !mirrorWait) return;
    ctx.send(mirror.target, { type: 'mirror', from: mirrorAcked, records: records.slice(mirrorAcked, durableLsn) });
    ctx.setTimer(MIRROR_RETRY_MS, 'mirror-retry', mirrorWait.lsn);
  }

  function onMirrorReply(ctx: NodeContext, msg: Record<string, unknown>): void {
    const w = mirrorWait;
    if (msg.type === 'mirror-ack') mirrorAcked = Math.max(mirrorAcked, Number(msg.upTo));
    if (!w) return;
    if (msg.type === 'mirror-refused') {
      // The target was promoted first: this commit is on the retired source only. Refuse
      // everything from now on (durably); the client learns nothing certain.
      frozen = true;
      ctx.disk.put(FROZEN, true);
    } else if (mirrorAcked < w.lsn) return;
    mirrorWait = undefined;
    if (msg.type === 'mirror-refused') w.refused();
    else w.ok();
    busy = false;
    pump(ctx);
  }

  /** Appends one record, fsyncs, then applies it and calls `done(lsn)`. */
  function append(ctx: NodeContext, rec: Omit<LogRecord, 'lsn'>, done: (lsn: number) => void): void {
    const full: LogRecord = { ...rec, lsn: records.length + 1 };
    busy = true;
    ctx.disk.append(LOG, full);
    records = ctx.disk.records<LogRecord>(LOG);
    ctx.disk.fsync(() => {
      for (const c of full.changes) setState(c.k, c.after);
      durableLsn = full.lsn;
      ctx.disk.put(EMITTED, full.lsn);
      retainForSlot(ctx);
      if (full.kind === 'txn') emitCommit(ctx, full);
      busy = false;
      done(full.lsn);
      ship(ctx);
      pump(ctx);
    });
  }

  /** WAL past max_slot_wal_keep_size is not kept for a lagging slot: the slot is invalidated (durably). */
  function retainForSlot(ctx: NodeContext): void {
    const keep = opts.maxSlotWalKeep ?? -1;
    if (!slot || slot.invalidated || keep < 0 || durableLsn - slot.confirmed <= keep) return;
    slot = { ...slot, invalidated: true };
    ctx.disk.put(SLOT, slot);
    ctx.emit('slot.invalidated', { confirmed: slot.confirmed, lsn: durableLsn, keep });
  }

  function runTxn(ctx: NodeContext, incoming: IncomingRequest): void {
    const { req, id } = incoming;
    if (req.txn.length > MAX_TXN_OPS) return ctx.reply(id, { type: 'fail', error: `transaction has more than ${MAX_TXN_OPS} micro-ops` });
    const { out, changes } = executeTxn(ctx, req.txn, (k) => state.get(k) ?? null);
    const xid = `op${id}`;
    if (req.end === 'rollback' || changes.length === 0) {
      if (req.end === 'rollback') ctx.emit('txn.abort', { xid });
      return ctx.reply(id, { type: 'ok', txn: out });
    }
    if (frozen) return ctx.reply(id, { type: 'fail', error: 'read-only: migration cut-over in progress' });
    append(ctx, { kind: 'txn', xid, changes }, (lsn) => {
      const res: ClientResult = { type: 'ok', txn: out, commit: { lsn, timeline: role.timeline } };
      const ack = (): void => {
        ctx.reply(id, res);
        ctx.mark('commit-acked');
      };
      if (!mirror) return ack();
      if (opts.mirrorBestEffort) {
        // Bug: the second write is fire-and-forget; whatever the target answers, the client hears ok.
        ctx.send(mirror.target, { type: 'mirror', from: lsn - 1, records: records.slice(lsn - 1, lsn) });
        return ack();
      }
      // Dual writes: acknowledged only once the target has it too; the queue waits.
      busy = true;
      mirrorWait = {
        lsn,
        ok: ack,
        refused: () => ctx.reply(id, { type: 'info', reason: 'committed on the retired source after the cut-over; not on the target' }),
      };
      sendMirror(ctx);
    });
  }

  function onMessage(ctx: NodeContext, from: NodeId, msg: unknown): void {
    if (!isObj(msg)) return;
    if (repl && from === repl.peer && onPeer(ctx, msg)) return;
    if (from === repl?.connector) untold.delete(from);
    if (role.role !== 'primary') {
      // Not the primary: the connector learns where the primary went; everything else waits for it.
      if (role.role === 'retired' && role.primary !== undefined) ctx.send(from, tellTimeline(), POLL);
      return;
    }
    if (msg.type === 'fetch') {
      if (msg.slot === true && slot?.invalidated) return void ctx.send(from, { type: 'slot-lost', confirmed: slot.confirmed }, POLL);
      // Logical slots live on the primary only: a promoted standby without a synced slot has none.
      if (msg.slot === true && !slot && role.timeline > 1) return void ctx.send(from, { type: 'slot-missing', timeline: role.timeline }, POLL);
      // Decoding from a slot starts after its confirmed_flush_lsn even when the client asks for less.
      const asked = Math.max(0, Math.floor(Number(msg.afterLsn)) || 0);
      const after = msg.slot === true && slot ? Math.max(asked, slot.confirmed) : asked;
      const head = decodable();
      const batch = records.slice(after, Math.min(head, after + FETCH_MAX));
      ctx.send(from, { type: 'records', records: batch, head, from: after }, POLL);
      return;
    }
    if (msg.type === 'mirror-ack' || msg.type === 'mirror-refused') return onMirrorReply(ctx, msg);
    if (msg.type === 'slot-confirm') {
      // The client's flush feedback moves confirmed_flush_lsn forward (never back); saved with the slot.
      const lsn = Number(msg.lsn);
      if (!slot || slot.invalidated || !(lsn > slot.confirmed)) return;
      slot = { ...slot, confirmed: Math.min(lsn, durableLsn) };
      ctx.disk.put(SLOT, slot);
      ctx.mark('slot-confirmed');
      return;
    }
    if (msg.type === 'dual') queue.push({ kind: 'dual', target: String(msg.target), from });
    else if (msg.type === 'wm') queue.push({ kind: 'wm', id: String(msg.id), from });
    else if (msg.type === 'select') {
      const atLsn = typeof msg.atLsn === 'number' ? msg.atLsn : undefined;
      queue.push({ kind: 'select', id: String(msg.id), afterKey: (msg.afterKey as string | null) ?? null, limit: Number(msg.limit), from, ...(atLsn !== undefined ? { atLsn } : {}) });
    } else if (msg.type === 'position') queue.push({ kind: 'position', from, slot: msg.slot === true });
    else if (msg.type === 'freeze') queue.push({ kind: 'freeze', on: msg.on === true, from });
    pump(ctx);
  }

  // ─────────── physical standby and failover ───────────

  /**
   * How far logical decoding may read: the durable head, or with failover slots and
   * synchronized_standby_slots (while a standby follows) only what the standby flushed —
   * "logical WAL sender processes will send decoded changes to plugins only after the
   * specified replication slots confirm receiving WAL" (PostgreSQL 17 docs).
   */
  function decodable(): number {
    const wait = repl?.failoverSlots === true && repl.synchronizedStandbySlots && role.timeline === 1;
    return wait ? Math.min(durableLsn, standbyFlushed) : durableLsn;
  }

  /** Ships the durable log the standby has not flushed, with the slot's state when failover slots are synced. */
  function ship(ctx: NodeContext): void {
    if (!repl || role.role !== 'primary' || role.timeline > 1) return;
    const sync = repl.failoverSlots && slot ? { confirmed: slot.confirmed, invalidated: slot.invalidated } : undefined;
    ctx.send(repl.peer, { type: 'wal', timeline: role.timeline, records: records.slice(standbyFlushed, Math.min(durableLsn, standbyFlushed + FETCH_MAX)), ...(sync ? { slot: sync } : {}) }, POLL);
  }

  function tellTimeline(): Record<string, unknown> {
    return { type: 'timeline', timeline: role.timeline, primary: role.role === 'primary' ? undefined : role.primary };
  }

  function onReplTick(ctx: NodeContext): void {
    ctx.setTimer(repl!.pollMs, 'repl', undefined, { background: true });
    ticks++;
    if (role.role === 'primary') {
      ship(ctx);
      for (const n of [...untold].sort()) ctx.send(n, tellTimeline(), POLL);
    } else if (role.role === 'standby' && !promoting && (ticks - heard) * repl!.pollMs >= repl!.failoverTimeoutMs) promote(ctx);
  }

  /** Messages between the two source nodes; false for anything else (the connector's requests). */
  function onPeer(ctx: NodeContext, msg: Record<string, unknown>): boolean {
    switch (msg.type) {
      case 'wal':
        if (role.role === 'standby' && !promoting) receive(ctx, msg);
        else if (role.role === 'primary' && Number(msg.timeline) < role.timeline) ctx.send(repl!.peer, tellTimeline(), POLL);
        return true;
      case 'wal-ack':
        if (role.role === 'primary') standbyFlushed = Math.max(standbyFlushed, Math.min(durableLsn, Number(msg.flushed) || 0));
        return true;
      case 'timeline':
        if (Number(msg.timeline) > role.timeline && role.role !== 'retired') retire(ctx, Number(msg.timeline), repl!.peer);
        if (role.role === 'retired') ctx.send(repl!.peer, { type: 'retired', timeline: role.timeline }, POLL);
        return true;
      case 'retired':
        untold.delete(repl!.peer);
        return true;
      default:
        return false;
    }
  }

  /** Standby: append the records that continue the log, fsync, apply, sync the slot, report the flushed position. */
  function receive(ctx: NodeContext, msg: Record<string, unknown>): void {
    heard = ticks;
    const batch = Array.isArray(msg.records) ? (msg.records as LogRecord[]) : [];
    for (const r of batch) {
      if (r.lsn !== records.length + 1) continue;
      ctx.disk.append(LOG, r);
      records = ctx.disk.records<LogRecord>(LOG);
    }
    const upTo = records.length;
    const remote = isObj(msg.slot) ? (msg.slot as unknown as Slot) : undefined;
    const ack = (): void => void ctx.send(repl!.peer, { type: 'wal-ack', flushed: durableLsn }, POLL);
    // A keepalive with nothing new: answer at once (no fsync, so an idle pair lets the run go quiet).
    if (upTo === durableLsn && !slotSyncs(remote, upTo)) return ack();
    ctx.disk.fsync(() => {
      if (role.role !== 'standby') return;
      for (const r of records.slice(durableLsn, upTo)) {
        for (const c of r.changes) setState(c.k, c.after);
        if (r.kind === 'txn') emitCommit(ctx, r);
      }
      if (upTo > durableLsn) {
        durableLsn = upTo;
        ctx.disk.put(EMITTED, upTo);
        ctx.mark('standby-flushed');
      }
      if (remote && slotSyncs(remote, durableLsn)) {
        slot = { confirmed: remote.confirmed, invalidated: remote.invalidated === true };
        ctx.disk.put(SLOT, slot);
        ctx.disk.fsync();
        ctx.mark('slot-synced');
      }
      ack();
    });
  }

  /**
   * Whether the primary's slot state moves the synced copy: the slotsync worker skips a
   * remote slot ahead of what this standby has flushed (PostgreSQL 17, "skipping slot
   * synchronization as the received slot sync LSN … is ahead of the standby position").
   */
  function slotSyncs(remote: Slot | undefined, flushed: number): boolean {
    if (!repl!.failoverSlots || !remote || remote.confirmed > flushed) return false;
    return !slot || remote.confirmed > slot.confirmed || (remote.invalidated === true) !== slot.invalidated;
  }

  /**
   * The failover: a new timeline from everything the standby received (the fsync
   * makes it durable); the old primary and the connector are told. Shipping stops
   * meanwhile: the standby has decided.
   */
  function promote(ctx: NodeContext): void {
    const next: RoleState = { role: 'primary', timeline: role.timeline + 1, promotedAt: records.length };
    promoting = true;
    ctx.disk.put(ROLE, next);
    busy = true;
    ctx.disk.fsync(() => {
      for (const r of records.slice(durableLsn, next.promotedAt)) {
        for (const c of r.changes) setState(c.k, c.after);
        if (r.kind === 'txn') emitCommit(ctx, r);
      }
      durableLsn = next.promotedAt;
      ctx.disk.put(EMITTED, durableLsn);
      role = next;
      promoting = false;
      busy = false;
      ctx.emit('promote', { lsn: durableLsn, timeline: next.timeline });
      ctx.mark('source-promoted');
      untold.add(repl!.peer);
      untold.add(repl!.connector);
      for (const n of [...untold].sort()) ctx.send(n, tellTimeline(), POLL);
      pump(ctx);
    });
  }

  /** The old primary learns of a newer timeline: it stops serving (durably); queued transactions fail. */
  function retire(ctx: NodeContext, timeline: number, primary: NodeId): void {
    role = { role: 'retired', timeline, promotedAt: role.promotedAt, primary };
    ctx.disk.put(ROLE, role);
    ctx.disk.fsync();
    ctx.emit('source.retired', { timeline, primary });
    for (const job of queue.splice(0)) {
      if (job.kind === 'txn') ctx.reply(job.req.id, { type: 'fail', error: `not the primary: retired after the failover to timeline ${timeline}` });
    }
  }

  return {
    start(ctx) {
      recoverFromDisk(ctx);
      if (repl) {
        heard = 0;
        ctx.setTimer(repl.pollMs, 'repl', undefined, { background: true });
        if (role.role === 'primary' && role.timeline > 1) {
          untold.add(repl.peer);
          untold.add(repl.connector);
        }
      }
      if (mirror && durableLsn > mirror.from) {
        // Dual writes were on: commits recovered from the log may never have reached the
        // target (the crash came before its ack). Mirror them before taking new work, as
        // a write waiting for its dual write would have; otherwise the target's switch
        // position stops short of commits the source holds.
        busy = true;
        mirrorWait = { lsn: durableLsn, ok: () => {}, refused: () => {} };
        sendMirror(ctx);
      }
      pump(ctx);
    },
    onMessage,
    onTimer(ctx, tag, payload) {
      if (tag === 'mirror-retry' && mirrorWait?.lsn === payload) sendMirror(ctx);
      if (tag === 'repl') onReplTick(ctx);
    },
    onRequest(ctx, request) {
      if (role.role !== 'primary') {
        return ctx.reply(request.id, { type: 'fail', error: role.role === 'retired' ? `not the primary: retired after the failover to timeline ${role.timeline}` : 'not the primary: a standby' });
      }
      queue.push({ kind: 'txn', req: request });
      pump(ctx);
    },
    view(): NodeView {
      return {
        role: role.role === 'primary' ? (opts.role === 'standby' ? 'primary' : opts.role) : role.role,
        data: Object.fromEntries([...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        positions: {
          lsn: records.length, durable: durableLsn, frozen: frozen ? 1 : 0,
          ...(slot ? { slotConfirmed: slot.confirmed, slotLost: slot.invalidated ? 1 : 0 } : {}),
          ...(repl ? { timeline: role.timeline, standbyFlushed } : {}),
        },
      };
    },
  };
}

function preloadChanges(n: number): Change[] {
  return Array.from({ length: n }, (_, i) => ({ k: `row${i}`, before: null, after: `init:row${i}` }));
}

/**
 * Runs a transaction's micro-ops against committed state read through `get`:
 * reads see the transaction's own earlier writes; `upd` computes x = x ∘ n;
 * `now`/`rand` take the node's clock and random stream; a delete of an absent
 * key changes nothing. Returns the completed micro-ops and the row changes.
 */
export function executeTxn(ctx: NodeContext, txn: MicroOp[], get: (k: string) => Value): { out: MicroOp[]; changes: Change[] } {
  const local = new Map<string, Value>();
  const cur = (k: string): Value => (local.has(k) ? local.get(k)! : get(k));
  const changes: Change[] = [];
  const put = (k: string, after: Value, extra?: Partial<Change>): void => {
    changes.push({ k, before: cur(k), after, ...extra });
    local.set(k, after);
  };
  const out = txn.map((m): MicroOp => {
    switch (m.f) {
      case 'r':
        return { ...m, v: cur(m.k) };
      case 'w':
        put(m.k, m.v);
        return m;
      case 'del':
        if (cur(m.k) !== null) put(m.k, null);
        return m;
      case 'upd': {
        const v = applyExpr(cur(m.k), m.expr);
        put(m.k, v, { expr: m.expr });
        return { ...m, v };
      }
      case 'now':
      case 'rand': {
        const v = m.f === 'now' ? ctx.now() : ctx.random();
        put(m.k, v);
        return { ...m, v };
      }
    }
  });
  return { out, changes };
}
