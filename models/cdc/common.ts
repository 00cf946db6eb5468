/**
 * Shared vocabulary of the CDC model: log records, change events, positions.
 *
 * A *source position* is (lsn, idx): `lsn` numbers a record of the source's commit
 * log (one per committed transaction or watermark), `idx` numbers the row changes
 * inside it. Several events at one lsn are normal: a transaction that writes two
 * keys, or a primary-key change, which the source logs as a delete of the old key
 * plus a create of the new key at the same lsn (Debezium emits exactly that pair
 * for a PK update). Snapshot rows are placed at the lsn of the chunk's high
 * watermark, idx 0..n-1 in key order.
 */
import type { CdcPosData, UpdateExpr, Value } from '../../src/analysis.js';

export interface Pos {
  lsn: number;
  idx: number;
}

/** idx larger than any real one: (lsn, IDX_ALL) means "everything at lsn". */
export const IDX_ALL = 1_000_000;

export function cmpPos(a: Pos, b: Pos): number {
  return a.lsn !== b.lsn ? a.lsn - b.lsn : a.idx - b.idx;
}

export function fmtPos(p: Pos): string {
  return `${p.lsn}:${p.idx}`;
}

/** One row change inside a source log record. `expr` is set for `x = x + n` style updates. */
export interface Change {
  k: string;
  before: Value;
  after: Value;
  expr?: UpdateExpr;
}

/** A record of the source's commit log; `wm` records are DBLog watermarks (no row changes). */
export interface LogRecord {
  lsn: number;
  kind: 'txn' | 'wm';
  xid?: string;
  wm?: string;
  changes: Change[];
}

/**
 * A change event as the connector publishes it (Debezium envelope, reduced):
 * op 'c' create, 'u' update, 'd' delete (its `after` is null: the tombstone),
 * 'r' snapshot read.
 */
export interface CdcEvent {
  pos: Pos;
  key: string;
  /** 'm': a record of the transaction metadata topic (see `txnMeta`); its key is the transaction id. */
  op: 'c' | 'u' | 'd' | 'r' | 'm';
  before: Value;
  after: Value;
  expr?: UpdateExpr;
  /**
   * Debezium's tombstone: after a delete's `d` event, a second record with the
   * same key and a null value (tombstones.on.delete=true), at the same position.
   * Log compaction treats it as the key's delete marker; sinks apply it as a delete.
   */
  tombstone?: true;
  /** Debezium's `transaction` block on a data event (provide.transaction.metadata=true). */
  transaction?: TxnBlock;
  /** A BEGIN or END record of the transaction metadata topic (op 'm'). */
  txnMeta?: TxnMeta;
}

/**
 * Debezium transaction metadata (provide.transaction.metadata=true): every data
 * event of a transaction carries `transaction` {id, total_order,
 * data_collection_order}; a separate topic `<prefix>.transaction` gets a BEGIN
 * and an END record per transaction, END with `event_count` and per-table
 * counts. The topic is written like any other (retried, possibly duplicated);
 * it is a single partition here, after the data partitions.
 */
export interface TxnBlock {
  id: string;
  /** 1-based position of the event among all events of its transaction. */
  total_order: number;
  /** 1-based position among the transaction's events of the same table. */
  data_collection_order: number;
}

export interface TxnMeta {
  status: 'BEGIN' | 'END';
  id: string;
  /** END only: how many data events the transaction emitted. */
  event_count?: number;
  data_collections?: { data_collection: string; event_count: number }[];
}

/** The one table the source replicates (Debezium's data_collection name). */
export const DATA_COLLECTION = 'public.kv';

/** FNV-1a 32-bit: stable key hashing for partitioning (Kafka uses murmur2; any stable hash shows the same properties). */
export { fnv1a } from '../../src/analysis.js';

/** Event data shared by cdc.publish / cdc.deliver / cdc.apply: position twice (string and numbers). */
export function posData(e: CdcEvent): CdcPosData {
  return { pos: fmtPos(e.pos), lsn: e.pos.lsn, idx: e.pos.idx, key: e.key, op: e.op, value: e.after };
}

/** Applies `x = x + n` / `x = x * n`; a non-numeric or absent x counts as 0. */
export function applyExpr(cur: Value, expr: UpdateExpr): number {
  const x = typeof cur === 'number' ? cur : 0;
  return expr.op === 'add' ? x + expr.n : x * expr.n;
}

export function isObj(m: unknown): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null;
}

/**
 * Polls, offset commits and their answers are background traffic: they run
 * forever, so they must not keep the quiet phase alive (the model's
 * `quiescent` says when every sink has caught up).
 */
export const POLL = { background: true } as const;
