/**
 * The CDC connector (Debezium-shaped). It owns a replication slot on the source:
 * a slot position (the consistent point where streaming begins) and a confirmed
 * position, persisted only at checkpoints (Kafka Connect's offset flush,
 * offset.flush.interval.ms) — after a crash it resends everything after the last
 * persisted position, so duplicates downstream are normal (at-least-once).
 *
 * Snapshot: DBLog-style chunks interleaved with streaming (Debezium incremental
 * snapshots). Per chunk: append a low watermark to the source log, select the
 * chunk's rows, append a high watermark. While streaming passes the window
 * between the watermarks, every key changed there is dropped from the chunk's
 * buffer (the streamed event is newer); at the high watermark the remaining rows
 * are emitted as 'r' events at the high watermark's position.
 *
 * Producer: events are partitioned by key hash, batched per partition, sent with
 * (producer id, partition, sequence); a batch is resent after requestTimeoutMs
 * until acknowledged. Whether that is safe depends on idempotence and
 * max.in.flight (see the Kafka producer docs on enable.idempotence).
 */
import type { NodeContext, NodeId, NodeProgram, NodeView, Value } from '../../src/analysis.js';
import { type CdcEvent, type Change, cmpPos, DATA_COLLECTION, fnv1a, IDX_ALL, isObj, type LogRecord, POLL, type Pos } from './common.js';

export interface ConnectorOptions {
  source: NodeId;
  /**
   * Every source node the primary may move to (a multi-host connection string): told of a
   * promotion by a newer timeline, the connector reconnects there at its position.
   */
  sources?: NodeId[];
  /** The broker, or with replication every broker: batches go to the one believed to lead. */
  broker: NodeId;
  brokers?: NodeId[];
  partitions: number;
  /** Partition count after `growAfter` events (differs only in the partition-count-change bug). */
  partitionsLater: number;
  growAfter: number;
  idempotent: boolean;
  maxInFlight: number;
  snapshot: boolean;
  /**
   * Without a snapshot (snapshot.mode=never) the slot must exist before the
   * application's first write, or writes racing the connector's start are
   * never captured: the slot is then created at this log position (the end of
   * the initial load), as one creates a PostgreSQL slot before opening for writes.
   */
  slotLsnNoSnapshot: number;
  chunkSize: number;
  pollMs: number;
  checkpointMs: number;
  requestTimeoutMs: number;
  batchMax: number;
  /** Debezium tombstones.on.delete: a null-value record follows each delete event. */
  tombstones?: boolean;
  /**
   * Debezium provide.transaction.metadata=true: data events carry a `transaction`
   * block and BEGIN/END records go to the metadata partition, numbered after the
   * data partitions (partitionsLater).
   */
  txnMetadata?: boolean;
  bug?: string;
}

interface Ckpt {
  slotLsn: number;
  confirmed: Pos;
  snapAfter: string | null;
  snapDone: boolean;
}

interface Chunk {
  id: string;
  /** Poll tick of the chunk's last request. */
  sentAt: number;
  afterKey: string | null;
  lowLsn?: number;
  rows?: { k: string; v: Value }[];
  windowOpen: boolean;
  windowKeys: Set<string>;
}

interface Batch {
  batchId: number;
  partition: number;
  seq: number;
  events: CdcEvent[];
  timer?: number;
  /** The broker the last attempt went to, and whether it answered at all. */
  to?: NodeId;
  answered?: boolean;
}

interface Unacked {
  id: string;
  pos: Pos;
  acked: boolean;
}

interface DoneChunk {
  high: number;
  lastIdx: number;
  endKey: string | null;
  last: boolean;
}

const CKPT = 'ckpt';
/** The source node followed after a failover, and its timeline. */
const SRC = 'source';
const STUCK_POLLS = 20;
const INC = 'incarnation';
/** Batch ids per incarnation: far more than one run produces. */
const BATCH_IDS_PER_INCARNATION = 1_000_000;

export function connectorProgram(o: ConnectorOptions): NodeProgram {
  return new Connector(o);
}

class Connector implements NodeProgram {
  private ckpt: Ckpt | undefined;
  private ready = false;
  private pid = '';
  private fetchedLsn = 0;
  private headLsn = 0;
  /**
   * Poll ticks (monotonic timer firings). Outstanding requests are stamped with
   * the tick they were sent at, not the wall clock: a clock jumping back would
   * otherwise keep a lost request "fresh" for as long as the jump.
   */
  private ticks = 0;
  /** Tick a fetch was sent at, or undefined; a reply lost without a stream break is re-asked after STUCK_POLLS polls. */
  private fetching: number | undefined;
  private slotAsked: number | undefined;
  /** The slot was lost (invalidated on the source): failed loudly, or (bug) re-creating it at the head. */
  private failed = false;
  private recreating = false;
  /** The last checkpoint known durable: its position is what the slot may be told (flush feedback). */
  private durableCkpt: Ckpt | undefined;
  private resumeAfter: Pos = { lsn: 0, idx: IDX_ALL };
  private confirmed: Pos = { lsn: 0, idx: IDX_ALL };
  private chunk: Chunk | undefined;
  private chunkSeq = 0;
  private snapAfter: string | null = null;
  private snapDone = true;
  private doneChunks: DoneChunk[] = [];
  private readonly unacked: Unacked[] = [];
  private readonly byPos = new Map<string, Unacked>();
  private readonly pending = new Map<number, CdcEvent[]>();
  private readonly outbox: Batch[] = [];
  private readonly inflight = new Map<number, Batch>();
  private readonly nextSeq = new Map<number, number>();
  private nextBatch = 0;
  private produced = 0;
  private resets = 0;
  private readonly brokers: NodeId[];
  /** The broker believed to lead (learned from NotLeader answers; the next one after a silent timeout). */
  private leader: NodeId;
  /** The source node followed (the primary of `srcTimeline`). */
  private src: NodeId;
  private srcTimeline = 1;

  constructor(private readonly o: ConnectorOptions) {
    this.brokers = o.brokers && o.brokers.length > 0 ? o.brokers : [o.broker];
    this.leader = this.brokers[0]!;
    this.src = o.source;
  }

  start(ctx: NodeContext): void {
    const followed = ctx.disk.get<{ node: NodeId; timeline: number }>(SRC);
    if (followed) [this.src, this.srcTimeline] = [followed.node, followed.timeline];
    // A fresh producer id per incarnation, durable before use: a reused id with
    // reset sequences would make the broker drop new batches as duplicates.
    const inc = (ctx.disk.get<number>(INC) ?? 0) + 1;
    this.pid = `${ctx.id}-${inc}`;
    // Batch ids of one incarnation never match another's: an answer to the previous process's
    // request still in flight must not acknowledge this one's batch of the same number (Kafka
    // matches a response to its request by the connection's correlation id; a new process has
    // new connections, so old answers never reach it).
    this.nextBatch = inc * BATCH_IDS_PER_INCARNATION;
    ctx.disk.put(INC, inc);
    ctx.disk.fsync(() => this.begin(ctx));
    ctx.setTimer(this.o.pollMs, 'poll', undefined, { background: true });
    ctx.setTimer(this.o.checkpointMs, 'checkpoint', undefined, { background: true });
  }

  private begin(ctx: NodeContext): void {
    const ckpt = ctx.disk.get<Ckpt>(CKPT);
    if (ckpt) return this.resume(ctx, ckpt);
    if (this.o.snapshot && this.o.bug === 'snapshot-stream-gap') {
      this.snapDone = false;
      return this.startChunk(ctx, null);
    }
    if (!this.o.snapshot) return this.createSlot(ctx, this.o.slotLsnNoSnapshot, true);
    this.askPosition(ctx);
  }

  private askPosition(ctx: NodeContext): void {
    this.slotAsked = this.ticks;
    ctx.send(this.src, { type: 'position', slot: true }, POLL);
  }

  /** Restart from the last checkpoint: stream again from the confirmed position. */
  private resume(ctx: NodeContext, ckpt: Ckpt): void {
    this.ckpt = ckpt;
    this.durableCkpt = ckpt;
    this.confirmed = ckpt.confirmed;
    this.resumeAfter = ckpt.confirmed;
    // Correct: re-read the record holding the confirmed position and skip events up
    // to its idx. The bug resumes at the next lsn, dropping the rest of that record.
    this.fetchedLsn = this.o.bug === 'resume-skips-position' ? ckpt.confirmed.lsn : Math.max(0, ckpt.confirmed.lsn - 1);
    this.snapAfter = ckpt.snapAfter;
    this.snapDone = ckpt.snapDone;
    this.ready = true;
    if (!this.snapDone) this.startChunk(ctx, this.snapAfter);
    this.fetch(ctx);
  }

  /** The slot is created at the source's durable head: streaming starts there. */
  private createSlot(ctx: NodeContext, lsn: number, snapDone: boolean): void {
    const ckpt: Ckpt = { slotLsn: lsn, confirmed: { lsn, idx: IDX_ALL }, snapAfter: null, snapDone };
    ctx.disk.put(CKPT, ckpt);
    ctx.disk.fsync(() => {
      ctx.emit('cdc.slot', { lsn });
      this.ckpt = ckpt;
      this.durableCkpt = ckpt;
      if (cmpPos(ckpt.confirmed, this.confirmed) > 0) this.confirmed = ckpt.confirmed;
      this.resumeAfter = ckpt.confirmed;
      this.fetchedLsn = lsn;
      this.ready = true;
      this.snapDone = snapDone;
      if (!snapDone) this.startChunk(ctx, null);
      this.fetch(ctx);
    });
  }

  onMessage(ctx: NodeContext, from: NodeId, msg: unknown): void {
    if (!isObj(msg)) return;
    if (msg.type === 'timeline') return this.onTimeline(ctx, from, msg);
    // Late answers from a source node no longer followed (the old primary) are not read.
    if (from !== this.src && (from === this.o.source || this.o.sources?.includes(from))) return;
    switch (msg.type) {
      case 'position':
        if ((this.ckpt && !this.recreating) || this.slotAsked === undefined) return;
        this.slotAsked = undefined;
        if (this.recreating) {
          this.recreating = false;
          // A chunk whose watermarks fell into the gap would wait forever: it starts again.
          if (this.chunk) this.startChunk(ctx, this.chunk.afterKey);
          return this.createSlot(ctx, Number(msg.lsn), this.snapDone);
        }
        return this.createSlot(ctx, Number(msg.lsn), !this.o.snapshot || this.o.bug === 'snapshot-stream-gap');
      case 'slot-lost':
        return this.onSlotLost(ctx, Number(msg.confirmed));
      case 'slot-missing':
        return this.onSlotMissing(ctx, Number(msg.timeline));
      case 'records':
        // Decoding from the slot starts after its confirmed_flush_lsn, past what was asked if the slot is ahead.
        if (typeof msg.from === 'number' && msg.from > this.fetchedLsn && this.fetching !== undefined) this.fetchedLsn = msg.from;
        return this.onRecords(ctx, msg.records as LogRecord[], Number(msg.head));
      case 'wm-ok':
        return this.onWatermarkOk(ctx, String(msg.id), Number(msg.lsn));
      case 'rows':
        return this.onRows(ctx, String(msg.id), msg.rows as { k: string; v: Value }[], Number(msg.lsn));
      case 'produce-ack':
        return this.onAck(ctx, Number(msg.batchId));
      case 'produce-err':
        return this.onProduceErr(ctx, msg);
      default:
        return;
    }
  }

  onTimer(ctx: NodeContext, tag: string, payload: unknown): void {
    if (tag === 'poll') {
      ctx.setTimer(this.o.pollMs, 'poll', undefined, { background: true });
      this.ticks++;
      this.unstick(ctx);
      this.fetch(ctx);
    } else if (tag === 'checkpoint') {
      ctx.setTimer(this.o.checkpointMs, 'checkpoint', undefined, { background: true });
      this.checkpoint(ctx);
    } else if (tag === 'retry') {
      const b = this.inflight.get(Number(payload));
      if (!b) return;
      // Silence from the broker believed to lead: try the next one (it redirects if it does not lead).
      if (!b.answered && b.to === this.leader && this.brokers.length > 1) this.leader = this.brokers[(this.brokers.indexOf(this.leader) + 1) % this.brokers.length]!;
      this.sendBatch(ctx, b);
      ctx.mark('batch-retry');
    }
  }

  /** Re-asks what a reply lost without a stream break (e.g. a restarted peer) would leave waiting forever. */
  private unstick(ctx: NodeContext): void {
    const stuck = (t: number | undefined): boolean => t !== undefined && this.ticks - t > STUCK_POLLS;
    if (stuck(this.fetching)) this.fetching = undefined;
    if (stuck(this.slotAsked)) this.askPosition(ctx);
    if (this.chunk && stuck(this.chunk.sentAt)) this.startChunk(ctx, this.chunk.afterKey);
  }

  onRequest(ctx: NodeContext, { id }: { id: number }): void {
    ctx.reply(id, { type: 'fail', error: 'the connector serves no client requests' });
  }

  /**
   * Requests to the source are lost: the next poll re-asks them. Not at once —
   * across a partition the new request breaks its stream again, and resending
   * on every break doubles the traffic each time.
   */
  onStreamBreak(_ctx: NodeContext, peer: NodeId): void {
    if (peer !== this.src) return; // broker: unacked batches are resent by their retry timers
    this.fetching = undefined;
    if (this.slotAsked !== undefined) this.slotAsked = -Infinity;
    if (this.chunk) this.chunk.sentAt = -Infinity;
  }

  /**
   * The source invalidated the slot (max_slot_wal_keep_size): the changes after
   * its confirmed position are gone from the WAL — an unknown gap. Debezium's
   * task fails ("can no longer get changes from replication slot"); a new
   * snapshot is the only way back, so the connector stops and says so.
   * Bug: a new slot is created at the head and streaming goes on over the gap.
   */
  private onSlotLost(ctx: NodeContext, confirmed: number): void {
    this.fetching = undefined;
    if (this.failed || this.recreating) return;
    if (this.o.bug === 'slot-lost-silent-restart') {
      this.recreating = true;
      return this.askPosition(ctx);
    }
    this.failed = true;
    this.ready = false;
    ctx.emit('cdc.failed', { reason: 'replication slot invalidated (max_slot_wal_keep_size): changes after its confirmed position are lost', confirmed });
  }

  /**
   * A source failover: a newer timeline's primary. Reconnect there and stream on
   * after the last record read (its slot, if synced, starts no later); a chunk
   * whose watermarks may be lost starts again. Durable, so a restart follows it.
   */
  private onTimeline(ctx: NodeContext, from: NodeId, msg: Record<string, unknown>): void {
    const timeline = Number(msg.timeline);
    const primary = typeof msg.primary === 'string' ? msg.primary : from;
    if (!(timeline > this.srcTimeline) || !this.o.sources?.includes(primary) || this.failed) return;
    [this.src, this.srcTimeline] = [primary, timeline];
    ctx.disk.put(SRC, { node: primary, timeline });
    ctx.emit('cdc.reconnect', { source: primary, timeline, afterLsn: this.fetchedLsn });
    this.fetching = undefined;
    if (this.slotAsked !== undefined) this.askPosition(ctx);
    if (this.chunk) this.startChunk(ctx, this.chunk.afterKey);
    this.fetch(ctx);
  }

  /**
   * The promoted source has no slot: logical slots exist only on the primary unless
   * failover slots were synced to the standby. Where the stream was is unknown to the
   * new primary — an unknown gap. The connector fails and says so (a slot created now
   * would start at the new head and silently skip everything in between).
   */
  private onSlotMissing(ctx: NodeContext, timeline: number): void {
    this.fetching = undefined;
    if (this.failed || this.recreating) return;
    this.failed = true;
    this.ready = false;
    ctx.emit('cdc.failed', { reason: `replication slot missing on the promoted source (timeline ${timeline}): no failover slot was synced to the standby, changes after the connector's position may be lost`, confirmed: this.confirmed.lsn });
  }

  // ─────────── streaming ───────────

  private fetch(ctx: NodeContext): void {
    if (!this.ready || this.fetching !== undefined) return;
    this.fetching = this.ticks;
    ctx.send(this.src, { type: 'fetch', afterLsn: this.fetchedLsn, slot: true }, POLL);
  }

  private onRecords(ctx: NodeContext, records: LogRecord[], head: number): void {
    this.fetching = undefined;
    this.headLsn = Math.max(this.headLsn, head);
    for (const r of records) {
      if (r.lsn !== this.fetchedLsn + 1) continue; // a stale reply from before a restart of the stream
      this.processRecord(ctx, r);
      this.fetchedLsn = r.lsn;
    }
    this.flushBatches(ctx);
    if (this.fetchedLsn < head) this.fetch(ctx);
  }

  private processRecord(ctx: NodeContext, r: LogRecord): void {
    if (r.kind === 'wm') return this.onWatermarkRecord(ctx, r);
    // Bug: delete events (the tombstones) filtered out, as with Debezium's
    // ExtractNewRecordState delete.handling.mode=drop in front of a sink.
    const dropped = (c: Change): boolean => c.after === null && this.o.bug === 'tombstone-dropped';
    // Debezium's PostgreSQL transaction id is "txId:LSN"; event_count counts the events the transaction emits.
    const txnId = `${r.xid ?? 'tx'}:${r.lsn}`;
    const count = r.changes.filter((c) => !dropped(c)).length;
    let order = 0;
    const meta = (status: 'BEGIN' | 'END', idx: number): void => {
      const pos = { lsn: r.lsn, idx };
      if (!this.o.txnMetadata || count === 0 || cmpPos(pos, this.resumeAfter) <= 0) return;
      const txnMeta = status === 'END'
        ? { status, id: txnId, event_count: count, data_collections: [{ data_collection: DATA_COLLECTION, event_count: count }] }
        : { status, id: txnId };
      this.enqueue(ctx, { pos, key: txnId, op: 'm', before: null, after: null, txnMeta }, this.o.partitionsLater);
    };
    meta('BEGIN', -1);
    r.changes.forEach((c, idx) => {
      if (this.chunk?.windowOpen) this.chunk.windowKeys.add(c.k);
      if (dropped(c)) return;
      order++;
      const ev = changeEvent(r.lsn, idx, c);
      if (cmpPos(ev.pos, this.resumeAfter) <= 0) return;
      const txn = this.o.txnMetadata ? { transaction: { id: txnId, total_order: order, data_collection_order: order } } : {};
      this.enqueue(ctx, { ...ev, ...txn });
      // A tombstone has a null value: no envelope, so no transaction block.
      if (ev.op === 'd' && this.o.tombstones) this.enqueue(ctx, { ...ev, tombstone: true });
    });
    // After the last event (idx below IDX_ALL, which means "all of lsn" to the slot): a restart resends an END not yet confirmed.
    meta('END', IDX_ALL - 1);
  }

  // ─────────── snapshot (DBLog watermarks) ───────────

  private startChunk(ctx: NodeContext, afterKey: string | null): void {
    const id = `${this.pid}.c${++this.chunkSeq}`;
    this.chunk = { id, sentAt: this.ticks, afterKey, windowOpen: false, windowKeys: new Set() };
    if (this.o.bug === 'snapshot-stream-gap') ctx.send(this.src, { type: 'select', id, afterKey, limit: this.o.chunkSize });
    else ctx.send(this.src, { type: 'wm', id: `${id}:low` });
  }

  private onWatermarkOk(ctx: NodeContext, wmId: string, lsn: number): void {
    const c = this.chunk;
    if (!c || wmId !== `${c.id}:low`) return;
    c.lowLsn = lsn;
    c.sentAt = this.ticks;
    ctx.send(this.src, { type: 'select', id: c.id, afterKey: c.afterKey, limit: this.o.chunkSize });
    ctx.mark('watermark-low');
  }

  private onRows(ctx: NodeContext, id: string, rows: { k: string; v: Value }[], lsn: number): void {
    const c = this.chunk;
    if (!c || c.id !== id) return;
    c.rows = rows;
    c.sentAt = this.ticks;
    ctx.mark('chunk-read');
    if (this.o.bug === 'snapshot-stream-gap') return this.blockingChunk(ctx, c, rows, lsn);
    ctx.send(this.src, { type: 'wm', id: `${id}:high` });
  }

  private onWatermarkRecord(ctx: NodeContext, r: LogRecord): void {
    const c = this.chunk;
    if (!c || !r.wm) return;
    if (r.wm === `${c.id}:low`) c.windowOpen = true;
    else if (r.wm === `${c.id}:high`) this.finishChunk(ctx, c, r.lsn);
  }

  private finishChunk(ctx: NodeContext, c: Chunk, high: number): void {
    const rows = c.rows ?? [];
    // Correct: a key changed inside the window has a newer streamed event; its
    // buffered row is stale and must go. The bug keeps it (DBLog paper, §3.2).
    const keep = this.o.bug === 'snapshot-stale-row' ? rows : rows.filter((r) => !c.windowKeys.has(r.k));
    keep.forEach((row, idx) => this.enqueue(ctx, { pos: { lsn: high, idx }, key: row.k, op: 'r', before: null, after: row.v }));
    this.endChunk(ctx, c, rows, c.lowLsn ?? high, high, keep.length);
  }

  /** The bug's blocking snapshot: rows are emitted as read, streaming starts only afterwards. */
  private blockingChunk(ctx: NodeContext, c: Chunk, rows: { k: string; v: Value }[], lsn: number): void {
    rows.forEach((row, idx) => this.enqueue(ctx, { pos: { lsn, idx }, key: row.k, op: 'r', before: null, after: row.v }));
    this.flushBatches(ctx);
    this.endChunk(ctx, c, rows, lsn, lsn, rows.length);
    // Bug: the stream starts at the source head *after* the snapshot, not at the
    // point where the snapshot began; changes in between are never streamed.
    if (this.snapDone) this.askPosition(ctx);
  }

  private endChunk(ctx: NodeContext, c: Chunk, rows: { k: string; v: Value }[], low: number, high: number, emitted: number): void {
    const last = rows.length < this.o.chunkSize;
    const endKey = rows.length > 0 ? rows[rows.length - 1]!.k : c.afterKey;
    ctx.emit('snapshot.chunk', { from: c.afterKey, to: endKey, low, high, rows: emitted });
    ctx.mark('chunk-done');
    this.doneChunks.push({ high, lastIdx: emitted - 1, endKey, last });
    this.chunk = undefined;
    if (last) this.snapDone = true;
    else this.startChunk(ctx, endKey);
  }

  // ─────────── producer ───────────

  /** `partition` given: the transaction metadata topic's partition (not hashed, not counted for the refresh). */
  private enqueue(ctx: NodeContext, ev: CdcEvent, partition?: number): void {
    // Bug: keyed by the log position instead of the row key, so one key's events
    // spread over partitions (Kafka orders only within a partition).
    const hashKey = this.o.bug === 'partition-by-wrong-key' ? `${ev.pos.lsn}` : ev.key;
    // The producer refreshes the topic's metadata (partition count) once, after growAfter events.
    if (partition === undefined && ++this.produced === this.o.growAfter + 1) ctx.mark('partitions-refreshed');
    const count = this.produced > this.o.growAfter ? this.o.partitionsLater : this.o.partitions;
    const p = partition ?? fnv1a(hashKey) % count;
    const list = this.pending.get(p) ?? [];
    list.push(ev);
    this.pending.set(p, list);
    // Bug: the position counts as confirmed once handed to the producer, before
    // the broker acknowledged it durably.
    const entry: Unacked = { id: eventId(ev), pos: ev.pos, acked: this.o.bug === 'offset-before-durable' };
    this.unacked.push(entry);
    this.byPos.set(entry.id, entry);
  }

  private flushBatches(ctx: NodeContext): void {
    for (const [partition, events] of [...this.pending.entries()].sort(([a], [b]) => a - b)) {
      for (let i = 0; i < events.length; i += this.o.batchMax) {
        const seq = this.nextSeq.get(partition) ?? 0;
        this.nextSeq.set(partition, seq + 1);
        this.outbox.push({ batchId: ++this.nextBatch, partition, seq, events: events.slice(i, i + this.o.batchMax) });
      }
    }
    this.pending.clear();
    this.sendMore(ctx);
    this.advanceConfirmed(ctx);
  }

  private sendMore(ctx: NodeContext): void {
    while (this.inflight.size < this.o.maxInFlight && this.outbox.length > 0) {
      const b = this.outbox.shift()!;
      this.inflight.set(b.batchId, b);
      this.sendBatch(ctx, b);
      ctx.mark('batch-sent');
    }
  }

  /** A refused batch is resent by its retry timer; a NotLeader answer naming the leader resends it there at once. */
  private onProduceErr(ctx: NodeContext, msg: Record<string, unknown>): void {
    const b = this.inflight.get(Number(msg.batchId));
    if (!b) return;
    b.answered = true;
    if (msg.reason === 'out-of-order-sequence' && this.o.idempotent && ![...this.inflight.values()].some((e) => e.partition === b.partition && e.seq < b.seq)) {
      return this.resetProducer(ctx, b);
    }
    const hint = typeof msg.leader === 'string' && this.brokers.includes(msg.leader) ? msg.leader : undefined;
    if (msg.reason !== 'not-leader' || hint === undefined || hint === b.to) return;
    this.leader = hint;
    if (b.timer !== undefined) ctx.cancelTimer(b.timer);
    this.sendBatch(ctx, b);
  }

  /**
   * Every earlier batch of the partition was acknowledged, yet the leader wants
   * an earlier sequence: it lost acknowledged batches (a leader without them was
   * elected). Kafka's producer then bumps its epoch and restarts its sequences
   * (KIP-360) instead of retrying forever; what was lost stays lost.
   */
  private resetProducer(ctx: NodeContext, b: Batch): void {
    this.pid = `${this.pid.split('#')[0]}#${++this.resets}`;
    const all = [...this.inflight.values(), ...this.outbox].sort((x, y) => x.partition - y.partition || x.seq - y.seq);
    this.nextSeq.clear();
    for (const x of all) {
      const seq = this.nextSeq.get(x.partition) ?? 0;
      x.seq = seq;
      this.nextSeq.set(x.partition, seq + 1);
    }
    ctx.emit('producer.reset', { pid: this.pid, partition: b.partition });
    if (b.timer !== undefined) ctx.cancelTimer(b.timer);
    this.sendBatch(ctx, b);
  }

  private sendBatch(ctx: NodeContext, b: Batch): void {
    b.to = this.leader;
    b.answered = false;
    ctx.send(this.leader, {
      type: 'produce', batchId: b.batchId, pid: this.pid, partition: b.partition, seq: b.seq,
      idempotent: this.o.idempotent, events: b.events,
    });
    b.timer = ctx.setTimer(this.o.requestTimeoutMs, 'retry', b.batchId);
  }

  private onAck(ctx: NodeContext, batchId: number): void {
    const b = this.inflight.get(batchId);
    if (!b) return;
    // With idempotence the broker appends a partition's batches strictly in sequence, so an
    // acknowledged batch implies every earlier one of that partition is in the log (Kafka's
    // producer reasons from its last acknowledged sequence): a lost acknowledgement for one of
    // them must not leave it retrying against a window of 5 that has moved past it.
    if (this.o.idempotent) {
      for (const e of [...this.inflight.values()]) if (e !== b && e.partition === b.partition && e.seq < b.seq) this.onAck(ctx, e.batchId);
    }
    if (b.timer !== undefined) ctx.cancelTimer(b.timer);
    this.inflight.delete(batchId);
    ctx.mark('batch-acked');
    for (const ev of b.events) {
      const e = this.byPos.get(eventId(ev));
      if (e) e.acked = true;
    }
    this.advanceConfirmed(ctx);
    this.sendMore(ctx);
  }

  /** Kafka Connect commits the source offset of the last record such that every earlier one is acknowledged. */
  private advanceConfirmed(ctx: NodeContext): void {
    const before = this.confirmed;
    while (this.unacked.length > 0 && this.unacked[0]!.acked) {
      const e = this.unacked.shift()!;
      this.byPos.delete(e.id);
      if (cmpPos(e.pos, this.confirmed) > 0) this.confirmed = e.pos;
    }
    if (this.confirmed !== before) ctx.mark('confirmed');
  }

  private checkpoint(ctx: NodeContext): void {
    const prev = this.ckpt;
    if (!prev) return;
    this.confirmSlot(ctx);
    let { snapAfter, snapDone } = prev;
    while (this.doneChunks.length > 0 && cmpPos({ lsn: this.doneChunks[0]!.high, idx: this.doneChunks[0]!.lastIdx }, this.confirmed) <= 0) {
      const d = this.doneChunks.shift()!;
      snapAfter = d.endKey;
      snapDone = snapDone || d.last;
    }
    if (cmpPos(this.confirmed, prev.confirmed) === 0 && snapAfter === prev.snapAfter && snapDone === prev.snapDone) return;
    const ckpt: Ckpt = { slotLsn: prev.slotLsn, confirmed: this.confirmed, snapAfter, snapDone };
    this.ckpt = ckpt;
    ctx.disk.put(CKPT, ckpt);
    ctx.disk.fsync(() => {
      ctx.emit('checkpoint', { lsn: ckpt.confirmed.lsn, idx: ckpt.confirmed.idx, slot: ckpt.slotLsn });
      ctx.mark('checkpoint');
      // A position inside a log record whose later events are not all acknowledged: a restart must resume
      // inside that record (Debezium keeps lsn plus an event serial for this; MySQL's offsets keep `event` and `row`).
      if (this.unacked.some((e) => e.pos.lsn === ckpt.confirmed.lsn && cmpPos(e.pos, ckpt.confirmed) > 0)) ctx.mark('checkpoint-mid-record');
      if (this.ckpt === ckpt) this.durableCkpt = ckpt;
      this.confirmSlot(ctx);
    });
  }

  /**
   * Flush feedback to the slot: only what a durable checkpoint holds, and only
   * whole log records (the slot counts transactions; a record partly produced
   * is confirmed up to the one before it).
   */
  private confirmSlot(ctx: NodeContext): void {
    const c = this.durableCkpt;
    if (!c || this.failed || this.recreating) return;
    const lsn = c.confirmed.idx === IDX_ALL ? c.confirmed.lsn : c.confirmed.lsn - 1;
    if (lsn > 0) ctx.send(this.src, { type: 'slot-confirm', lsn }, POLL);
  }

  view(): NodeView {
    return {
      role: 'connector',
      data: {},
      positions: {
        fetched: this.fetchedLsn,
        head: this.headLsn,
        confirmed: this.confirmed.lsn,
        unacked: this.unacked.filter((e) => !e.acked).length + this.outbox.length + this.inflight.size,
        snapshotDone: this.snapDone && !this.chunk ? 1 : 0,
        ready: this.ready ? 1 : 0,
        failed: this.failed ? 1 : 0,
      },
    };
  }
}

function changeEvent(lsn: number, idx: number, c: Change): CdcEvent {
  const op = c.after === null ? 'd' : c.before === null ? 'c' : 'u';
  return { pos: { lsn, idx }, key: c.k, op, before: c.before, after: c.after, ...(c.expr ? { expr: c.expr } : {}) };
}

function eventId(ev: CdcEvent): string {
  return `${ev.pos.lsn}:${ev.pos.idx}:${ev.key}${ev.tombstone ? ':t' : ''}`;
}
