/**
 * The state of a database node: what it holds in memory (all lost in a crash;
 * recovery rebuilds it from the node's files). Types only and the blank record,
 * so every module that acts on a node depends on this one and not on each other.
 */
import type { IncomingRequest, NodeContext, NodeId, NodeView, TimerId, Value } from '../../src/index.js';
import type { WalBug, WalConfig } from './config.js';
import { maxLsn, type Lineage, type NodeState, type Snapshot, type WalRec } from './log.js';

export type Role = 'primary' | 'standby' | 'old-primary' | 'recovering';

export interface Waiter {
  xid: string;
  lsn: number;
  tl: number;
  /** The client request to answer; -1 for a commit recovered from the log. */
  reqId: number;
  /** The client operation that ran it (also for recovered commits). */
  op: number | undefined;
  writes: Map<string, Value>;
  out: IncomingRequest['req']['txn'];
  keys: string[];
  visible: boolean;
}

export interface Sender {
  sid: number;
  next: number;
  write: number;
  flush: number;
  replay: number;
  /** pg_stat_replication state: 'streaming' once caught up (true), 'catchup' before (false). */
  streaming: boolean;
}

export interface ReadWait {
  req: IncomingRequest;
  lsn: number;
  timer: TimerId;
}

/** Everything a database node holds in memory (lost in a crash). */
export interface Db {
  id: NodeId;
  c: WalConfig;
  bug: WalBug | undefined;
  ctx: NodeContext;
  role: Role;
  lineage: Lineage;
  /** The 'wal' file as the disk caches it (append-only, truncated by rewinds). */
  log: readonly WalRec[];
  /** synchronous_commit=off: records waiting for the WAL writer. */
  buffer: WalRec[];
  nextLsn: number;
  writeLsn: number;
  flushLsn: number;
  replayLsn: number;
  data: Map<string, Value>;
  /** view().data as last built from `data` (unset whenever `data` changes): view() runs before every routed request. */
  viewData: Record<string, Value> | undefined;
  /** The last view() returned, handed out again while nothing it shows has changed. */
  lastView: NodeView | undefined;
  /** The client operation whose commit wrote each visible value, where known (reads name it, as xmin does). */
  writers: Map<string, number>;
  /** Visible log since the snapshot base, to rewind exactly. */
  visLog: { lsn: number; writes: Record<string, Value>; op?: number }[];
  snapBase: Snapshot;
  snap: Snapshot;
  unsnapped: { lsn: number; writes: Record<string, Value> }[];
  xidTag: string;
  xidSeq: number;
  // primary side
  working: Map<string, Value>;
  locked: Map<string, number>;
  queue: IncomingRequest[];
  waiters: Waiter[];
  /** Commits whose wait ended, not yet out of the ProcArray (invisible, unanswered). */
  leaving: Waiter[];
  senders: Map<NodeId, Sender>;
  sidSeq: number;
  asyncFallback: boolean;
  walWriterArmed: boolean;
  // failure detection
  hbSeq: number;
  /** Highest heartbeat sequence the monitor answered (ping-pong pacing). */
  hbAcked: number;
  /** Positions last reported to the primary, to stay silent when nothing moved. */
  lastReport: { sid: number; write: number; flush: number; replay: number };
  /** Highest positions reported on stream `sid`, to mark the acknowledgements an update carries. */
  acked: { sid: number; write: number; flush: number; replay: number };
  leaseGranted: number;
  // standby side
  following: NodeId | undefined;
  sid: number;
  started: boolean;
  frozen: boolean;
  /** Highest election epoch this node reported its position for (0 = none). */
  frozenEpoch: number;
  helloAge: number;
  pending: Map<string, Map<string, Value>>;
  undo: Map<string, Map<string, Value>>;
  replayQueue: number[];
  queuedUpTo: number;
  priorityEnd: number;
  replayTimer: TimerId | undefined;
  readWaits: ReadWait[];
  gen: number;
  /**
   * rewind 'manual': 'waiting' after refusing a stream that needs pg_rewind, until the
   * operator runs it ('approved'); 'none' otherwise.
   */
  rewindState: 'none' | 'waiting' | 'approved';
  /** Set at process start, cleared by the first resume(): only that one is crash recovery. */
  bootedAsPrimary: boolean;
  /** Planted bug apply-ignores-commit-order: a replayed commit not yet shown. */
  heldCommit: { rec: WalRec; writes: Map<string, Value> } | undefined;
  /**
   * Crash recovery has not finished: commits found in the WAL past the recovered
   * snapshot may have been acknowledged before the crash yet are not visible again,
   * so as primary the node refuses connections until they are (see primary.startingUp).
   */
  startingUp: boolean;
}

export function blank(
  ctx: NodeContext,
  id: NodeId,
  c: WalConfig,
  bug: WalBug | undefined,
  state: NodeState,
  log: readonly WalRec[],
  snap: Snapshot,
): Db {
  const end = maxLsn(log);
  return {
    id, c, bug, ctx,
    role: state.role,
    lineage: state.lineage,
    log,
    buffer: [],
    nextLsn: end + 1,
    writeLsn: end,
    flushLsn: 0,
    replayLsn: Math.min(snap.lsn, end),
    data: new Map(Object.entries(snap.data)),
    viewData: undefined,
    lastView: undefined,
    writers: new Map(),
    visLog: [],
    snapBase: snap,
    snap,
    unsnapped: [],
    xidTag: Math.floor(ctx.random() * 36 ** 4).toString(36),
    xidSeq: 0,
    working: new Map(),
    locked: new Map(),
    queue: [],
    waiters: [],
    leaving: [],
    senders: new Map(),
    sidSeq: 0,
    asyncFallback: false,
    walWriterArmed: false,
    hbSeq: 0,
    hbAcked: 0,
    lastReport: { sid: -1, write: -1, flush: -1, replay: -1 },
    acked: { sid: 0, write: 0, flush: 0, replay: 0 },
    leaseGranted: 0,
    following: undefined,
    sid: 0,
    started: false,
    frozen: false,
    frozenEpoch: 0,
    helloAge: 0,
    pending: new Map(),
    undo: new Map(),
    replayQueue: [],
    queuedUpTo: 0,
    priorityEnd: -1,
    replayTimer: undefined,
    readWaits: [],
    gen: 0,
    rewindState: 'none',
    bootedAsPrimary: true,
    heldCommit: undefined,
    startingUp: true,
  };
}
