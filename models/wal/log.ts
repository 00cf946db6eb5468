/**
 * WAL records, timelines and the messages nodes exchange.
 *
 * LSNs number records 1, 2, 3 … and keep growing across timelines, as
 * PostgreSQL's WAL positions do. A *lineage* is a node's timeline history (the
 * `.history` file of PostgreSQL): entry {tl, start} says records with
 * lsn > start belong to timeline tl, until the next entry. Two nodes' logs agree
 * up to the divergence point of their lineages; pg_rewind cuts the rest.
 */
import type { NodeId, Value } from '../../src/index.js';
import type { Stmt } from './statements.js';

export interface WalRec {
  lsn: number;
  tl: number;
  xid: string;
  rec: 'begin' | 'write' | 'commit' | 'abort';
  /** The node that generated the record (its own row images are authoritative for it). */
  src: NodeId;
  k?: string;
  /** Row image: the value the source computed. */
  v?: Value;
  /** The statement, for statement-based shipping. */
  stmt?: Stmt;
  /** Commit/abort records: the client operation (history `op`) that ran the transaction. */
  op?: number;
  /** Commit records written under remote_apply ask the standby to reply once replayed. */
  feedback?: boolean;
}

export interface LineageEntry {
  tl: number;
  start: number;
}
export type Lineage = LineageEntry[];

export const INITIAL_LINEAGE: Lineage = [{ tl: 1, start: 0 }];

/** The timeline a record at `lsn` belongs to under this lineage. */
export function tlAt(lin: Lineage, lsn: number): number {
  let tl = lin[0]!.tl;
  for (const e of lin) {
    if (e.start < lsn) tl = e.tl;
    else break;
  }
  return tl;
}

/** Largest X such that both lineages agree on every lsn ≤ X (Infinity: no divergence). */
export function divergence(a: Lineage, b: Lineage): number {
  const points = [...new Set([...a, ...b].map((e) => e.start))].sort((x, y) => x - y);
  for (const s of points) if (tlAt(a, s + 1) !== tlAt(b, s + 1)) return s;
  return Infinity;
}

export function currentTl(lin: Lineage): number {
  return lin[lin.length - 1]!.tl;
}

/** Index of the first record with lsn > `lsn` (logs are lsn-ordered except under planted bugs). */
export function indexAfter(log: readonly WalRec[], lsn: number): number {
  const guess = lsn; // contiguous logs: record i holds lsn i+1
  if (log[guess - 1]?.lsn === lsn && (log[guess] === undefined || log[guess]!.lsn > lsn)) return guess;
  let i = log.length;
  while (i > 0 && log[i - 1]!.lsn > lsn) i--;
  return i;
}

/** Highest lsn in a log (logs are lsn-ordered except under planted bugs). */
export function maxLsn(log: readonly WalRec[]): number {
  let m = 0;
  for (const r of log) if (r.lsn > m) m = r.lsn;
  return m;
}

/** What is persisted beside the WAL: role, timeline history. */
export interface NodeState {
  role: 'primary' | 'standby';
  lineage: Lineage;
}

/** Visible data as of a commit position, persisted at every visibility change. */
export interface Snapshot {
  lsn: number;
  data: Record<string, Value>;
}

// ───────────────────────────── messages ─────────────────────────────

export type Msg =
  /** standby → primary: start streaming me; my log ends at `end` under `lineage`. */
  | { type: 'hello'; lineage: Lineage; end: number }
  /**
   * primary → standby: I stream from lsn from+1; cut your log to `from` first (pg_rewind).
   * `asked`: the `end` of the hello this answers (a standby may have written more since).
   */
  | { type: 'start'; from: number; lineage: Lineage; sid: number; asked: number }
  | { type: 'wal'; recs: WalRec[] }
  /** standby → primary feedback (PostgreSQL standby status update). */
  | { type: 'report'; sid: number; write: number; flush: number; replay: number }
  /** primary → standby: I have no sender for you (the connection was reset); say hello again. */
  | { type: 'resync' }
  /** primary → standby: reply now (PostgreSQL keepalive with replyRequested). */
  | { type: 'keepalive' }
  /** node → monitor heartbeat. */
  /** `boot` tells this process's heartbeats from a previous incarnation's. */
  | { type: 'hb'; seq: number; boot: string; role: string; end: number; tl: number }
  /**
   * monitor → node: who is primary on which timeline; lease granted to `primary`
   * unless electing. `epoch` is the monitor's election epoch when it answered.
   */
  | { type: 'hb-ack'; seq: number; boot: string; primary: NodeId; tl: number; epoch: number; electing: boolean }
  | { type: 'freeze'; epoch: number }
  | { type: 'position'; epoch: number; end: number; tl: number }
  | { type: 'promote'; epoch: number; tl: number }
  | { type: 'fence' };

/** Narrow an incoming message; anything else is a model bug. */
export function asMsg(m: unknown): Msg {
  if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') {
    throw new Error(`wal: malformed message ${JSON.stringify(m)}`);
  }
  return m as Msg;
}
