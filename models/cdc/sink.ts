/**
 * Subscribers: each sink node is its own consumer group reading every partition.
 * A sink applies each fetched batch in one store transaction through a consumer
 * function, makes it durable, emits `cdc.apply` per event, and commits offsets
 * to the broker afterwards on a timer (Kafka Connect sink tasks commit offsets
 * periodically) — or, with commit = 'before-processing', as soon as a batch is
 * received (the auto-commit-then-process pattern, at-most-once).
 *
 * Stores: 'memory' (a map persisted to the node's disk after every batch) and
 * 'sqlite' (a real SQLite database through better-sqlite3, opened in memory and
 * persisted as its serialized image after every batch, restored from it after a
 * restart). Rows keep their source position; exactly-once variants use it:
 * 'dedup' skips an event whose position is not newer than the row's, 'txn-offset'
 * additionally stores the consumed offsets inside the same SQLite transaction and
 * resumes from them, not from the broker.
 *
 * Transformations are applied when the sink is read: for SQLite by SQL (generated
 * columns and one view query per transform), for the map by `cdcTransformState`.
 */
import type Database from 'better-sqlite3';
import { requireOptional } from '../../src/analysis.js';
import type { NodeContext, NodeId, NodeProgram, NodeView, Value } from '../../src/analysis.js';
import { cdcTransformState, type CdcTransform } from '../../src/analysis.js';
import { applyExpr, type CdcEvent, cmpPos, isObj, POLL, type Pos, posData } from './common.js';

/**
 * The part of a better-sqlite3 connection a consumer function uses, declared
 * here so the package's types do not depend on the optional package's types.
 * At run time it is the real connection (cast to better-sqlite3's Database for more).
 */
export interface SqliteConnection {
  exec(sql: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): unknown; get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
}

/** What a consumer function sees: the sink's rows inside the batch's open transaction. */
export interface SinkTxn {
  /** This sink's node id. */
  readonly sink: string;
  /** The value stored for `key` (null when absent or deleted). */
  get(key: string): Value;
  /** Stores `value` for `key` (null deletes); the row remembers the current event's position. */
  put(key: string, value: Value): void;
  /** The sink's SQLite connection inside the open transaction (SQLite sinks only). */
  readonly db?: SqliteConnection;
}

/**
 * A consumer function: applies one change event to the sink. It runs under
 * redelivery (the same event again after a crash or a lost offset commit),
 * duplication (a producer retry without idempotence) and, across keys,
 * reordering (partitions are consumed independently). It must not keep state
 * outside `tx`: the sink's memory is lost in a crash.
 */
export type CdcConsumer = (event: CdcEvent, tx: SinkTxn) => void;

/** Writes the after-image: idempotent, converges under redelivery of in-order events. */
export const upsertConsumer: CdcConsumer = (e, tx) => tx.put(e.key, e.after);

/**
 * Re-executes `x = x + n` on the sink's own value (statement-style, as a sink that
 * maintains counters does); other events write the after-image. When the sink
 * has no value but the source had one before the change, the base has not
 * arrived (a DBLog window dropped the snapshot row in favour of this very
 * event), so it takes the after-image. Not idempotent: a redelivered increment
 * is applied twice unless the sink deduplicates.
 */
export const incrementConsumer: CdcConsumer = (e, tx) => {
  const cur = tx.get(e.key);
  if (e.expr && e.op !== 'r' && (cur !== null || e.before === null)) tx.put(e.key, applyExpr(cur, e.expr));
  else tx.put(e.key, e.after);
};

export interface SinkOptions {
  broker: NodeId;
  /** With a replicated broker: every broker (fetches go to the one believed to lead). Default [broker]. */
  brokers?: NodeId[];
  /** The group coordinator (offsets); default `broker`. */
  coordinator?: NodeId;
  partitions: number;
  store: 'memory' | 'sqlite';
  transform: CdcTransform;
  consumer: CdcConsumer;
  /** Name of the consumer, recorded in the `cdc.sink` event. */
  consumerName: string;
  exactlyOnce: 'none' | 'dedup' | 'txn-offset';
  commit: 'after-processing' | 'before-processing';
  pollMs: number;
  commitIntervalMs: number;
  /** Processing time per batch before it is written (a foreground timer), in ms of the node's clock. */
  applyMs: number;
  /** Guarantee ids this sink claims, recorded in its `cdc.sink` event (checkers judge per sink). */
  claims: string[];
  /** A subscriber that joins late: it starts consuming (from offset 0) this long after its first start. */
  joinAfterMs?: number;
  /** Most records per fetch (max.poll.records); default the broker's. */
  fetchMax?: number;
  /**
   * Buffer by transaction (Debezium transaction metadata): the index of the
   * metadata partition (the last one). Undefined: every fetched batch is applied as it comes.
   */
  metaPartition?: number;
  /** Bug txn-flush-on-end: a transaction is applied once its END is in, with whatever of its events are here. */
  flushOnEnd?: boolean;
  /**
   * Bug deletes-flushed-last: a batch is written as the JDBC sink's BufferedRecords.flush() does, every
   * upsert first, then every delete, and a delete is by key alone (no source-position condition).
   */
  deletesLast?: boolean;
}

const STUCK_POLLS = 20;

/** A delete event or its tombstone: a null value for the key. */
const isDelete = (e: CdcEvent): boolean => e.op === 'd' || e.tombstone === true;

/** The batch in the order the bug writes it: its upserts, then its deletes (each group in batch order). */
function deletesAfterUpserts(b: Batch): Batch {
  const idx = b.events.map((_, i) => i);
  const order = [...idx.filter((i) => !isDelete(b.events[i]!)), ...idx.filter((i) => isDelete(b.events[i]!))];
  return {
    ...b, events: order.map((i) => b.events[i]!), offsets: order.map((i) => b.offsets[i]!),
    ...(b.partitions ? { partitions: order.map((i) => b.partitions![i]!) } : {}),
  };
}

interface Row {
  v: Value;
  lsn: number;
  idx: number;
}

/**
 * A batch as the store remembers it (same transaction as its rows), so that a
 * restart can announce batches that became visible in the store but whose
 * `cdc.apply` events were never emitted (a process crash keeps the OS cache).
 */
interface BatchRecord {
  seq: number;
  partition: number;
  /** Each event's partition, when the batch is a buffered transaction gathered from several. */
  partitions?: number[];
  offset: number;
  /** Offset after the batch (records removed by compaction leave gaps); absent in older journals: offset + events. */
  end?: number;
  offsets?: number[];
  events: CdcEvent[];
  effects: Effect[];
}

type Effect = 'applied' | 'skipped';

/** Batches kept in the store's journal; older ones are announced long before. */
const JOURNAL_MAX = 8;
const ANNOUNCED = 'announced';

/** The storage behind a sink; `begin`…`commit` bracket one batch. */
interface Store {
  get(key: string): Row | undefined;
  set(key: string, row: Row): void;
  offsets(): number[] | undefined;
  setOffsets(offsets: number[]): void;
  journal(): BatchRecord[];
  record(b: BatchRecord): void;
  /** The transaction's applied orders (0: its END was consumed), or undefined when none is. */
  txnOrders(id: string): number[] | undefined;
  addTxnOrders(id: string, orders: number[]): void;
  begin(): void;
  commit(): void;
  rollback(): void;
  persist(ctx: NodeContext): void;
  cells(): Record<string, Value>;
  db?: Database.Database;
}

interface Batch {
  partition: number;
  offset: number;
  end: number;
  events: CdcEvent[];
  /** Each event's offset (gaps where compaction removed records). */
  offsets: number[];
  /** Buffered by transaction: each event's partition, and the transaction's id and the orders it applies (0 = its END). */
  partitions?: number[];
  txn?: { id: string; orders: number[] };
  /** Buffered by transaction: the offset of the transaction's END on the metadata partition. */
  endOffset?: number;
}

/** A record held by the transaction buffer. */
interface Held {
  offset: number;
  ev: CdcEvent;
}

export function sinkProgram(o: SinkOptions): NodeProgram {
  let store: Store;
  let offsetsKnown = false;
  let next: number[] = [];
  let durable: number[] = [];
  let committed: number[] = [];
  /**
   * partition → poll tick its fetch was sent at; a fetch unanswered for
   * STUCK_POLLS polls is resent. Ticks, not the wall clock: a clock jumping
   * back must not keep a lost fetch "fresh".
   */
  const outstanding = new Map<number, number>();
  let ticks = 0;
  const queue: Batch[] = [];
  /** The transaction buffer (metaPartition set): fetched records per partition not yet applied, and the orders gathered per transaction. */
  const buffered = o.metaPartition !== undefined;
  let held: Held[][] = [];
  const gathered = new Map<string, Set<number>>();
  let inFlight: Batch | undefined;
  let busy = false;
  let batchSeq = 0;
  let announced = 0;
  const group = (ctx: NodeContext): string => ctx.id;
  const brokers = o.brokers && o.brokers.length > 0 ? o.brokers : [o.broker];
  const coordinator = o.coordinator ?? o.broker;
  /** The broker believed to lead: named by a NotLeader answer, or the next one after a fetch went unanswered. */
  let leader = brokers[0]!;

  function setOffsets(offs: number[]): void {
    next = [...offs];
    durable = [...offs];
    committed = [...offs];
    offsetsKnown = true;
  }

  function poll(ctx: NodeContext): void {
    if (!offsetsKnown) return void ctx.send(coordinator, { type: 'offsets', group: group(ctx) }, POLL);
    for (let p = 0; p < o.partitions; p++) {
      const sent = outstanding.get(p);
      if (sent !== undefined && ticks - sent <= STUCK_POLLS) continue;
      if (sent !== undefined && brokers.length > 1) leader = brokers[(brokers.indexOf(leader) + 1) % brokers.length]!;
      outstanding.set(p, ticks);
      ctx.send(leader, { type: 'fetch', group: group(ctx), partition: p, offset: next[p], ...(o.fetchMax ? { max: o.fetchMax } : {}) }, POLL);
    }
  }

  /** `raw` holds null where log compaction removed a record: its offset is consumed, nothing delivered. */
  function onFetched(ctx: NodeContext, p: number, offset: number, raw: (CdcEvent | null)[]): void {
    outstanding.delete(p);
    if (offset !== next[p] || raw.length === 0) return;
    const end = offset + raw.length;
    next[p] = end;
    const events: CdcEvent[] = [];
    const offsets: number[] = [];
    raw.forEach((e, i) => {
      if (!e) return;
      events.push(e);
      offsets.push(offset + i);
      if (e.op !== 'm') ctx.emit('cdc.deliver', { ...posData(e), partition: p, offset: offset + i, group: group(ctx) });
    });
    if (o.commit === 'before-processing') commitOffset(ctx, p, end);
    if (buffered) {
      events.forEach((ev, i) => (held[p] ??= []).push({ offset: offsets[i]!, ev }));
      gather(ctx);
    } else queue.push({ partition: p, offset, end, events, offsets });
    ctx.mark('batch-received');
    pump(ctx);
    poll(ctx);
  }

  /** The orders of a transaction already applied or queued for applying (0: its END), or undefined. */
  function appliedOrders(id: string): Set<number> | undefined {
    let got = gathered.get(id);
    if (!got) {
      const stored = store.txnOrders(id);
      if (!stored) return undefined;
      got = new Set(stored);
      gathered.set(id, got);
    }
    return got;
  }

  function unit(ctx: NodeContext, recs: { p: number; h: Held }[], txn?: { id: string; orders: number[]; endOffset: number }): void {
    const first = recs[0];
    queue.push({
      partition: first?.p ?? o.metaPartition!, offset: first?.h.offset ?? 0, end: (first?.h.offset ?? 0) + 1,
      events: recs.map((r) => r.h.ev), offsets: recs.map((r) => r.h.offset), partitions: recs.map((r) => r.p),
      ...(txn ? { txn: { id: txn.id, orders: txn.orders }, endOffset: txn.endOffset } : {}),
    });
    if (txn) {
      const got = appliedOrders(txn.id) ?? new Set<number>();
      for (const n of txn.orders) got.add(n);
      gathered.set(txn.id, got);
    }
  }

  /**
   * The transaction buffer: a transaction is applied, in one store transaction,
   * once its END (read in order from the metadata partition) and all of its
   * END's event_count events (from any partition) are here. Records before a
   * waiting one on the same partition wait too (per-partition order); a
   * snapshot row (no transaction block) goes alone, a tombstone is dropped
   * (the delete event before it deleted the row inside its transaction), an
   * event of a transaction already applied is a redelivery and is dropped.
   */
  function gather(ctx: NodeContext): void {
    const meta = o.metaPartition!;
    for (let progress = true; progress;) {
      progress = false;
      for (let p = 0; p < o.partitions; p++) {
        const q = (held[p] ??= []);
        while (q.length > 0) {
          const h = q[0]!;
          const e = h.ev;
          const t = e.transaction;
          if (e.op === 'm') {
            if (e.txnMeta?.status === 'END' && !appliedOrders(e.txnMeta.id)) break;
          } else if (!e.tombstone && !t) {
            unit(ctx, [{ p, h }]);
          } else if (t && !appliedOrders(t.id)) {
            break; // its transaction is still gathering
          }
          q.shift();
          progress = true;
        }
      }
      const end = held[meta]?.[0]?.ev.txnMeta;
      if (!end || end.status !== 'END') continue;
      const mine = new Map<number, { p: number; h: Held }>();
      held.forEach((q, p) => {
        for (const h of q) if (h.ev.transaction?.id === end.id && !mine.has(h.ev.transaction.total_order)) mine.set(h.ev.transaction.total_order, { p, h });
      });
      // Bug: the events are counted on END's own partition (the metadata one, which holds none), so END alone completes it.
      if (!o.flushOnEnd && mine.size < (end.event_count ?? 0)) continue;
      held = held.map((q) => q.filter((h) => h.ev.transaction?.id !== end.id));
      const endOffset = held[meta]!.shift()!.offset;
      const recs = [...mine.entries()].sort(([a], [b]) => a - b).map(([, r]) => r);
      unit(ctx, recs, { id: end.id, orders: [0, ...mine.keys()], endOffset });
      ctx.mark('txn-complete');
      progress = true;
    }
    // Records dropped (BEGIN, tombstones, redeliveries) count as done once nothing before them waits.
    advance(ctx, false);
    pump(ctx);
  }

  /**
   * Offsets only up to the first record not yet durably applied, on every
   * partition (the metadata one included); `stored` when the store holds them now (txn-offset).
   */
  function advance(ctx: NodeContext, stored: boolean): void {
    if (!offsetsKnown) return;
    for (let p = 0; p < o.partitions; p++) {
      const n = committable(p);
      if (n <= (durable[p] ?? 0)) continue;
      durable[p] = n;
      if (stored) ctx.emit('offset.commit', { group: group(ctx), partition: p, offset: n, store: 'sink' });
    }
  }

  /**
   * The offset a partition may be committed to: its first record not yet
   * durably applied. A transaction queued or being written holds back its END
   * on the metadata partition too: committed past it, a crash would lose the
   * END for good and the transaction's redelivered events would wait forever.
   * Kafka Connect's SinkTask.preCommit: a task that buffers records returns
   * only the offsets of records it has durably written
   * (https://kafka.apache.org/37/javadoc/org/apache/kafka/connect/sink/SinkTask.html).
   */
  function committable(p: number): number {
    let n = next[p] ?? 0;
    for (const h of held[p] ?? []) n = Math.min(n, h.offset);
    for (const b of [...queue, ...(inFlight ? [inFlight] : [])]) {
      b.partitions?.forEach((q, i) => q === p && (n = Math.min(n, b.offsets[i]!)));
      if (p === o.metaPartition && b.endOffset !== undefined) n = Math.min(n, b.endOffset);
    }
    return n;
  }

  function commitOffset(ctx: NodeContext, p: number, offset: number): void {
    committed[p] = offset;
    ctx.send(coordinator, { type: 'commit', group: group(ctx), partition: p, offset }, POLL);
    ctx.mark('offset-commit');
  }

  /** Takes the next batch; it is applied after `applyMs` of processing (the sink's own work per batch). */
  function pump(ctx: NodeContext): void {
    if (busy || queue.length === 0) return;
    busy = true;
    if (o.applyMs > 0) ctx.setTimer(o.applyMs, 'apply');
    else applyNext(ctx);
  }

  function applyNext(ctx: NodeContext): void {
    const b = queue.shift()!;
    const rec = applyBatch(ctx, b);
    store.persist(ctx);
    inFlight = b;
    ctx.disk.fsync(() => {
      inFlight = undefined;
      announce(ctx, rec, false);
      ctx.mark('batch-applied');
      busy = false;
      pump(ctx);
    });
  }

  /** Emits `cdc.apply` per event of a durable batch; `recovered` when found in the store after a restart. */
  function announce(ctx: NodeContext, rec: BatchRecord, recovered: boolean): void {
    rec.events.forEach((e, i) => ctx.emit('cdc.apply', {
      ...posData(e), sink: ctx.id, effect: rec.effects[i], partition: rec.partitions?.[i] ?? rec.partition, offset: rec.offsets?.[i] ?? rec.offset + i,
      ...(recovered ? { recovered: true } : {}),
    }));
    if (buffered) advance(ctx, o.exactlyOnce === 'txn-offset');
    else {
      const end = rec.end ?? rec.offset + rec.events.length;
      if (durable.length > 0) durable[rec.partition] = Math.max(durable[rec.partition] ?? 0, end);
      if (o.exactlyOnce === 'txn-offset') ctx.emit('offset.commit', { group: group(ctx), partition: rec.partition, offset: end, store: 'sink' });
    }
    announced = Math.max(announced, rec.seq);
    ctx.disk.put(ANNOUNCED, announced);
  }

  /**
   * After a restart: batches in the store past the announced marker became
   * visible but were never announced. A machine crash can leave the marker one
   * fsync behind, so an announcement may repeat; it says `recovered`.
   */
  function announceRecovered(ctx: NodeContext): void {
    announced = ctx.disk.get<number>(ANNOUNCED) ?? 0;
    const missed = store.journal().filter((b) => b.seq > announced);
    batchSeq = Math.max(announced, ...store.journal().map((b) => b.seq));
    if (missed.length === 0) return;
    ctx.disk.fsync(() => missed.forEach((b) => announce(ctx, b, true)));
  }

  /** One store transaction for the whole batch (rows, journal, own offsets). */
  function applyBatch(ctx: NodeContext, batch: Batch): BatchRecord {
    const b = o.deletesLast ? deletesAfterUpserts(batch) : batch;
    store.begin();
    try {
      const effects = b.events.map((e) => applyEvent(ctx, e));
      const rec: BatchRecord = {
        seq: ++batchSeq, partition: b.partition, offset: b.offset, end: b.end, offsets: b.offsets, events: b.events, effects,
        ...(b.partitions ? { partitions: b.partitions } : {}),
      };
      store.record(rec);
      if (b.txn) store.addTxnOrders(b.txn.id, b.txn.orders);
      if (o.exactlyOnce === 'txn-offset' && buffered) {
        // b is off the queue: what stays unapplied bounds each partition's stored offset.
        store.setOffsets(Array.from({ length: o.partitions }, (_, p) => Math.max(committable(p), store.offsets()?.[p] ?? 0)));
      } else if (o.exactlyOnce === 'txn-offset') {
        const offs = [...(store.offsets() ?? durable)];
        offs[b.partition] = b.end;
        store.setOffsets(offs);
      }
      store.commit();
      return rec;
    } catch (err) {
      store.rollback();
      throw err;
    }
  }

  function applyEvent(ctx: NodeContext, e: CdcEvent): Effect {
    const row = store.get(e.key);
    // The transaction buffer dedups its transactions' events by (id, total_order); a redelivered snapshot row, by position.
    // (Bug deletes-flushed-last: a delete is DELETE … WHERE key = ?, whatever position the row holds.)
    const byPos = (o.exactlyOnce !== 'none' || (buffered && !e.transaction)) && !(o.deletesLast && isDelete(e));
    if (byPos && row && cmpPos(e.pos, row) <= 0) return 'skipped';
    // A DELETE by key of a row that is not there affects nothing (the tombstone after a delete event).
    if (o.deletesLast && isDelete(e) && (row === undefined || row.v === null)) return 'skipped';
    const tx: SinkTxn = {
      sink: ctx.id,
      get: (k) => store.get(k)?.v ?? null,
      put: (k, v) => store.set(k, { v, lsn: e.pos.lsn, idx: e.pos.idx }),
      ...(store.db ? { db: store.db } : {}),
    };
    o.consumer(e, tx);
    return 'applied';
  }

  function join(ctx: NodeContext): void {
    ctx.setTimer(o.pollMs, 'poll', undefined, { background: true });
    ctx.setTimer(o.commitIntervalMs, 'commit', undefined, { background: true });
    poll(ctx);
  }

  return {
    start(ctx) {
      store = o.store === 'sqlite' ? sqliteStore(ctx, o.transform) : memoryStore(ctx, o.transform);
      ctx.emit('cdc.sink', { sink: ctx.id, store: o.store, transform: o.transform, consumer: o.consumerName, exactlyOnce: o.exactlyOnce, claims: o.claims });
      announceRecovered(ctx);
      if (o.exactlyOnce === 'txn-offset') {
        const own = store.offsets() ?? [];
        setOffsets(Array.from({ length: o.partitions }, (_, p) => own[p] ?? 0));
      }
      // A late subscriber joins once, durably; until then it neither polls nor commits.
      if (o.joinAfterMs && !ctx.disk.get<boolean>('joined')) return void ctx.setTimer(o.joinAfterMs, 'join');
      join(ctx);
    },
    onMessage(ctx, _from, msg) {
      if (!isObj(msg)) return;
      if (msg.type === 'offsets' && !offsetsKnown) {
        setOffsets(msg.offsets as number[]);
        poll(ctx);
      } else if (msg.type === 'fetched') {
        if (msg.notLeader === true) {
          outstanding.delete(Number(msg.partition));
          if (typeof msg.leader === 'string' && brokers.includes(msg.leader)) leader = msg.leader;
          return;
        }
        onFetched(ctx, Number(msg.partition), Number(msg.offset), msg.events as (CdcEvent | null)[]);
      }
    },
    onTimer(ctx, tag) {
      if (tag === 'apply') return applyNext(ctx);
      if (tag === 'join') {
        ctx.disk.put('joined', true);
        ctx.emit('cdc.join', { sink: ctx.id });
        return ctx.disk.fsync(() => join(ctx));
      }
      ctx.setTimer(tag === 'poll' ? o.pollMs : o.commitIntervalMs, tag, undefined, { background: true });
      if (tag === 'poll') {
        ticks++;
        return poll(ctx);
      }
      if (o.commit !== 'after-processing' || o.exactlyOnce === 'txn-offset' || !offsetsKnown) return;
      for (let p = 0; p < o.partitions; p++) if ((durable[p] ?? 0) > (committed[p] ?? 0)) commitOffset(ctx, p, durable[p]!);
    },
    /** A read-only transaction reads the sink's cells as its store shows them now (the application reading the sink database). */
    onRequest(ctx, { id, req }) {
      if (!store || req.end !== 'commit' || req.txn.some((m) => m.f !== 'r')) return ctx.reply(id, { type: 'fail', error: 'a sink serves read-only transactions only' });
      const cells = store.cells();
      ctx.reply(id, { type: 'ok', txn: req.txn.map((m) => ({ ...m, v: cells[m.k] ?? null })) });
    },
    onStreamBreak() {
      outstanding.clear();
    },
    view(): NodeView {
      const positions: Record<string, number> = { ready: offsetsKnown ? 1 : 0, queued: queue.length + (busy ? 1 : 0) };
      durable.forEach((n, p) => (positions[`p${p}`] = n));
      if (buffered) {
        // Records held for a transaction that is still gathering, and how far each partition was fetched:
        // fetched to the end with records still held, the sink waits for records that will never come.
        positions['waiting'] = held.reduce((n, q) => n + q.length, 0);
        next.forEach((n, p) => (positions[`fetched${p}`] = n));
      }
      return { role: 'sink', data: store ? store.cells() : {}, positions };
    },
  };
}

// ─────────── stores ───────────

interface MemoryImage {
  rows: Record<string, Row>;
  offsets?: number[];
  journal: BatchRecord[];
  /** Transaction id → applied orders (transaction buffer). */
  txns?: Record<string, number[]>;
}

function memoryStore(ctx: NodeContext, transform: CdcTransform): Store {
  const image = ctx.disk.get<MemoryImage>('rows');
  let rows = new Map<string, Row>(Object.entries(image?.rows ?? {}));
  let offsets = image?.offsets;
  let journal = image?.journal ?? [];
  let txns = image?.txns ?? {};
  let saved = { rows, offsets, journal, txns };
  return {
    get: (k) => rows.get(k),
    txnOrders: (id) => txns[id],
    addTxnOrders: (id, orders) => void (txns = { ...txns, [id]: [...new Set([...(txns[id] ?? []), ...orders])] }),
    set: (k, row) => void rows.set(k, row),
    offsets: () => offsets,
    setOffsets: (offs) => (offsets = offs),
    journal: () => journal,
    record: (b) => (journal = [...journal, b].slice(-JOURNAL_MAX)),
    begin: () => {
      saved = { rows, offsets, journal, txns };
      rows = new Map(rows);
    },
    commit: () => undefined,
    rollback: () => ({ rows, offsets, journal, txns } = saved),
    persist: (c) => c.disk.put('rows', { rows: Object.fromEntries(rows), journal, ...(offsets ? { offsets } : {}), ...(Object.keys(txns).length > 0 ? { txns } : {}) } satisfies MemoryImage),
    cells: () => {
      const live: Record<string, Value> = {};
      for (const [k, r] of rows) if (r.v !== null) live[k] = r.v;
      return cdcTransformState(transform, live);
    },
  };
}

/**
 * One table holds the replicated rows; generated columns derive the split and
 * derived columns in SQL, and `VIEW_SQL` reads the transformed cells back — the
 * checker judges the sink by what these queries return, not by a JS mirror.
 * Deleted rows stay as val NULL so their source position still deduplicates.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS rows (
  id TEXT PRIMARY KEY,
  val,
  src_lsn INTEGER NOT NULL,
  src_idx INTEGER NOT NULL,
  num  GENERATED ALWAYS AS (CASE WHEN typeof(val) IN ('integer','real') THEN val END),
  str  GENERATED ALWAYS AS (CASE WHEN typeof(val) = 'text' THEN val END),
  size GENERATED ALWAYS AS (CASE typeof(val) WHEN 'text' THEN length(val) WHEN 'null' THEN NULL ELSE abs(val) END)
);
CREATE TABLE IF NOT EXISTS consumer_offsets (partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batch_journal (seq INTEGER PRIMARY KEY, batch TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applied_txn_events (txn_id TEXT NOT NULL, total_order INTEGER NOT NULL, PRIMARY KEY (txn_id, total_order));
`;

const VIEW_SQL: Record<CdcTransform, string> = {
  identity: `SELECT id AS cell, val FROM rows WHERE val IS NOT NULL`,
  rename: `SELECT 'acct:' || id AS cell, val FROM rows WHERE val IS NOT NULL`,
  split: `SELECT id || '.num' AS cell, num AS val FROM rows WHERE num IS NOT NULL
          UNION ALL SELECT id || '.str', str FROM rows WHERE str IS NOT NULL`,
  derive: `SELECT id AS cell, val FROM rows WHERE val IS NOT NULL
           UNION ALL SELECT id || '.size', size FROM rows WHERE val IS NOT NULL`,
  filter: `SELECT id AS cell, val FROM rows WHERE typeof(val) IN ('integer','real')`,
};

function sqliteStore(ctx: NodeContext, transform: CdcTransform): Store {
  const image = ctx.disk.get<Buffer>('db');
  // Loaded on first use: only the 'sqlite' store needs the native package.
  const Sqlite = requireOptional<typeof Database>('better-sqlite3', "The CDC model's SQLite sink (store 'sqlite')");
  const db = image ? new Sqlite(image) : new Sqlite(':memory:');
  db.exec(SCHEMA);
  const getRow = db.prepare<[string], { val: Value; src_lsn: number; src_idx: number }>('SELECT val, src_lsn, src_idx FROM rows WHERE id = ?');
  const upsert = db.prepare(`INSERT INTO rows (id, val, src_lsn, src_idx) VALUES (?, ?, ?, ?)
    ON CONFLICT(id) DO UPDATE SET val = excluded.val, src_lsn = excluded.src_lsn, src_idx = excluded.src_idx`);
  const readOffsets = db.prepare<[], { partition: number; next_offset: number }>('SELECT partition, next_offset FROM consumer_offsets ORDER BY partition');
  const writeOffset = db.prepare('INSERT OR REPLACE INTO consumer_offsets (partition, next_offset) VALUES (?, ?)');
  const view = db.prepare<[], { cell: string; val: Value }>(VIEW_SQL[transform]);
  const readJournal = db.prepare<[], { batch: string }>('SELECT batch FROM batch_journal ORDER BY seq');
  const writeJournal = db.prepare('INSERT INTO batch_journal (seq, batch) VALUES (?, ?)');
  const trimJournal = db.prepare('DELETE FROM batch_journal WHERE seq <= ?');
  const readTxn = db.prepare<[string], { total_order: number }>('SELECT total_order FROM applied_txn_events WHERE txn_id = ? ORDER BY total_order');
  const writeTxn = db.prepare('INSERT OR IGNORE INTO applied_txn_events (txn_id, total_order) VALUES (?, ?)');
  return {
    db,
    txnOrders: (id) => {
      const rs = readTxn.all(id);
      return rs.length > 0 ? rs.map((r) => r.total_order) : undefined;
    },
    addTxnOrders: (id, orders) => orders.forEach((n) => writeTxn.run(id, n)),
    get: (k) => {
      const r = getRow.get(k);
      return r ? { v: r.val, lsn: r.src_lsn, idx: r.src_idx } : undefined;
    },
    set: (k, row) => void upsert.run(k, row.v, row.lsn, row.idx),
    offsets: () => {
      const rs = readOffsets.all();
      if (rs.length === 0) return undefined;
      const out: number[] = [];
      for (const r of rs) out[r.partition] = r.next_offset;
      return Array.from(out, (x) => x ?? 0);
    },
    setOffsets: (offs) => offs.forEach((n, p) => writeOffset.run(p, n)),
    journal: () => readJournal.all().map((r) => JSON.parse(r.batch) as BatchRecord),
    record: (b) => {
      writeJournal.run(b.seq, JSON.stringify(b));
      trimJournal.run(b.seq - JOURNAL_MAX);
    },
    begin: () => db.exec('BEGIN'),
    commit: () => db.exec('COMMIT'),
    rollback: () => db.exec('ROLLBACK'),
    persist: (c) => c.disk.put('db', db.serialize()),
    cells: () => Object.fromEntries(view.all().map((r) => [r.cell, r.val])),
  };
}
