/**
 * The state of a database node: what it holds in memory, all lost in a crash.
 * Recovery (node.ts) rebuilds it from the node's three files: 'wal' (records),
 * 'state' (role + timeline history) and 'snap' (visible data as of a commit
 * position). Types and the blank record only, so every module that acts on a
 * node depends on this one and none on another.
 *
 * Positions are LSNs (log.ts). "Index" means a position in the `log` array.
 */
import type { IncomingRequest, MicroOp, NodeContext, NodeId, NodeView, TimerId, Value } from '../../src/index.js';
import type { WalBug, WalConfig } from './config.js';
import { maxLsn, type Lineage, type NodeState, type Snapshot, type WalRec } from './log.js';

/**
 * Roles, as `view().role` shows them:
 * - 'primary': accepts writes (and, while its lease holds, reads).
 * - 'standby': streams WAL from the primary and serves read-only transactions.
 * - 'old-primary': a demoted or fenced primary, or a node waiting to (re)join a
 *   primary — serves nothing until it streams again (after rewinding).
 * - 'recovering': a restarted primary waiting for the monitor to confirm it
 *   still holds the primary role (failover 'auto' only).
 */
export type Role = 'primary' | 'standby' | 'old-primary' | 'recovering';

/** A commit on the primary waiting for its acknowledgement condition (synchronous standbys, or the local fsync). */
/** A received transaction a promoted MySQL replica's SQL thread still has to apply. */
export interface RelayedTxn {
  writes: [string, Value][];
  /** The client operation that ran it on the old source. */
  op: number | undefined;
  records: number;
}

export interface CommitWait {
  /** Its transaction id. */
  xid: string;
  /** Position of its commit record. */
  lsn: number;
  /** Timeline of its commit record. */
  tl: number;
  /** The client request to answer; undefined for a commit recovered from the log (its client already got `info`). */
  reqId: number | undefined;
  /** The client operation that ran it (also for recovered commits). */
  op: number | undefined;
  /** Values it wrote, shown when it becomes visible. */
  writes: Map<string, Value>;
  /** The transaction's micro-op results, the answer to its client. */
  results: MicroOp[];
  /** Keys whose row lock it holds until it becomes visible. */
  lockedKeys: string[];
  /** Already visible (MySQL AFTER_COMMIT shows before the wait ends). */
  visible: boolean;
}

/** The primary's WAL sender for one standby (one stream; a new hello starts a new one). */
export interface WalSender {
  /** Names this stream; reports carry it, so one from an earlier stream is ignored. */
  streamId: number;
  /** First position not yet sent. */
  nextLsn: number;
  /** Position the standby last reported written (to its OS). */
  write: number;
  /** Position the standby last reported flushed (fsynced). */
  flush: number;
  /** Position the standby last reported replayed (visible there). */
  replay: number;
  /** pg_stat_replication state: 'streaming' once caught up (true), 'catchup' before (false). */
  streaming: boolean;
}

/** A read-your-writes read on a standby, waiting until replay reaches `lsn`. */
export interface ReadWait {
  /** The read, answered once replay reaches `lsn`. */
  req: IncomingRequest;
  /** The session's last commit position. */
  lsn: number;
  /** Its rywWaitMs timeout. */
  timer: TimerId;
}

/** Positions sent in a standby status update (or marked as acknowledgements), per stream. */
export interface StreamPositions {
  /** The stream they were sent on. */
  streamId: number;
  /** Written position. */
  write: number;
  /** Flushed position (as reported: the planted ack-on-write-not-flush reports the written one). */
  flush: number;
  /** Replayed position (as reported). */
  replay: number;
}

/** Fixed for the life of a process. */
export interface DbProcess {
  /** This node's id (n1..nN). */
  id: NodeId;
  /** The model's configuration. */
  config: WalConfig;
  /** The planted bug this run enables, if any. */
  bug: WalBug | undefined;
  /** The simulator's context: the node's only door to clock, network, disk and randomness. */
  ctx: NodeContext;
  /** Random per process start; heartbeats carry it, so answers to an earlier incarnation are ignored. */
  incarnation: string;
  /** `${id}.${incarnation}`: the xids this process assigns are unique across nodes and restarts. */
  xidPrefix: string;
}

/** In-memory mirrors of the node's files, as its disk caches them. */
export interface DbFiles {
  /** The 'state' file's timeline history (the role in that file is written by persistState only). */
  lineage: Lineage;
  /** The 'wal' file: append-only, truncated by rewinds. */
  log: readonly WalRec[];
  /** The 'snap' file as last written (durable with the next fsync). */
  snapshot: Snapshot;
}

/** Volatile state of either role: WAL positions and the data readers see. */
export interface DbShared {
  /** What the node does now (the role in the 'state' file may differ while recovering or rejoining). */
  role: Role;
  /** Primary: the position its next appended record gets. */
  nextLsn: number;
  /** End of the WAL written to the OS (standby: received). */
  writeLsn: number;
  /** End of the WAL known fsynced. */
  flushLsn: number;
  /** Highest position replayed into the visible data, or (primary) made visible. */
  replayLsn: number;
  /** Bumped by each rewind: an fsync callback from before it must not advance positions the rewind cut. */
  rewindCount: number;
  /** Last xid number this process assigned. */
  xidSeq: number;
  /** The data this node shows readers (null: deleted). */
  visibleData: Map<string, Value>;
  /** The client operation whose commit wrote each visible value, where known (reads name it, as xmin does). */
  writerOps: Map<string, number>;
  /** Visible data as of the last restart or rewind: `visibleLog` applies on top of it. */
  rewindBase: Snapshot;
  /** Visible commits since `rewindBase`, so a rewind can cut them exactly. */
  visibleLog: { lsn: number; writes: Record<string, Value>; op?: number }[];
  /**
   * Visible commits not yet in `snapshot`, in LSN order: folded once their WAL is written
   * and every commit the log holds below them is visible too (the primary shows commits
   * out of WAL order; `snapshot` must be exactly the commits up to its position).
   */
  snapshotBacklog: { lsn: number; writes: Record<string, Value> }[];
  /** Commit positions above the replay cursor that are visible already (shown out of WAL order): replay passes over them. */
  shownAhead: Set<number>;
  /** view().data as last built from `visibleData` (unset whenever it changes): view() runs before every routed request. */
  viewDataCache: Record<string, Value> | undefined;
  /** The last view() returned, handed out again while nothing it shows has changed. */
  viewCache: NodeView | undefined;
}

/** Used while primary. */
export interface DbPrimary {
  /** What a new transaction reads: the visible data plus the writes of commits still waiting. */
  latestValues: Map<string, Value>;
  /** Per key, how many waiting commits hold its row lock. */
  rowLocks: Map<string, number>;
  /** Writing transactions waiting for row locks, in arrival order. */
  lockQueue: IncomingRequest[];
  /** Commits waiting for their acknowledgement condition, in LSN order. */
  commitWaits: CommitWait[];
  /** Commits whose wait ended, not yet out of the ProcArray (invisible, unanswered). */
  leavingProcArray: CommitWait[];
  /** One WAL sender per connected standby. */
  walSenders: Map<NodeId, WalSender>;
  /** Last stream id handed out. */
  lastStreamId: number;
  /** MySQL semi-sync timed out and switched to asynchronous until a replica catches up. */
  asyncFallbackOn: boolean;
  /** synchronous_commit=off: records waiting for the WAL writer. */
  walBuffer: WalRec[];
  /** The WAL writer's timer is set. */
  walWriterArmed: boolean;
  /** The process started with role primary on disk and has not resumed yet: only that first resume() is crash recovery. */
  restartedAsPrimary: boolean;
  /**
   * Crash recovery has not finished: commits found in the WAL past the recovered
   * snapshot may have been acknowledged before the crash yet are not visible again,
   * so as primary the node refuses connections until they are (see primary.startingUp).
   */
  crashRecoveryUnfinished: boolean;
}

/** Heartbeats to the monitor, its lease and its elections (failover 'auto'). */
export interface DbMonitorLink {
  /** Last heartbeat sequence number sent. */
  heartbeatSeq: number;
  /** Highest heartbeat sequence the monitor answered (ping-pong pacing). */
  heartbeatAnswered: number;
  /** Highest heartbeat whose answer named this node primary: the lease runs leaseMs from that heartbeat's send. */
  leaseHeartbeat: number;
  /** Highest heartbeat whose lease window (leaseMs from its send) has closed: a later answer to it grants nothing. */
  leaseLapsed: number;
  /** Frozen by an election: takes no WAL from the old primary until the monitor names one. */
  frozen: boolean;
  /** Highest election epoch this node reported its position for (0 = none). */
  frozenEpoch: number;
}

/** Used while standby (or rejoining as one): the WAL receiver and the replay process. */
export interface DbStandby {
  /** The primary this node streams from or says hello to. */
  following: NodeId | undefined;
  /** The stream the primary started for this node (its `start` message). */
  streamId: number;
  /** A stream runs: the primary answered the last hello. */
  streamStarted: boolean;
  /** Status ticks since the last hello; a hello unanswered for three is sent again. */
  ticksSinceHello: number;
  /** Positions last reported to the primary, to stay silent when nothing moved. */
  lastReport: StreamPositions;
  /** Highest positions reported on the current stream, to mark the acknowledgements an update carries. */
  ackMarked: StreamPositions;
  /** Replay: the writes of each transaction begun and not yet committed or aborted. */
  openTxns: Map<string, Map<string, Value>>;
  /** Planted bug expose-in-progress-txn: per transaction, the values its exposed writes replaced. */
  exposedUndo: Map<string, Map<string, Value>>;
  /** Log indexes waiting for replay, in replay order. */
  replayQueue: number[];
  /** Log indexes below this are queued or replayed. */
  queuedUpToIndex: number;
  /**
   * Planted bug out-of-order-apply-after-reconnect: how many entries at the head of
   * `replayQueue` jumped ahead of the backlog (new ones go in behind them); -1 = none jump.
   */
  jumpedAhead: number;
  /** Timer of the next replay step (replayMsPerRecord > 0). */
  replayTimer: TimerId | undefined;
  /**
   * Planted bug promote-before-relay-applied: transactions the node had received but
   * not applied when it was promoted, applied afterwards as its own new commits.
   */
  relayBacklog: RelayedTxn[];
  /** Timer of the relay log's next transaction. */
  relayTimer: TimerId | undefined;
  /** Read-your-writes reads waiting for replay. */
  rywWaits: ReadWait[];
  /**
   * rewind 'manual': 'waiting' after refusing a stream that needs pg_rewind, until the
   * operator runs it ('approved'); 'none' otherwise.
   */
  rewindState: 'none' | 'waiting' | 'approved';
  /** Planted bug apply-ignores-commit-order: a replayed commit not yet shown. */
  heldCommit: { rec: WalRec; writes: Map<string, Value> } | undefined;
}

/** Everything a database node holds in memory. */
export interface Db extends DbProcess, DbFiles, DbShared, DbPrimary, DbMonitorLink, DbStandby {}

/** A node's state right after reading its files, before recovery decides its role. */
export function blank(
  ctx: NodeContext,
  id: NodeId,
  config: WalConfig,
  bug: WalBug | undefined,
  state: NodeState,
  log: readonly WalRec[],
  snapshot: Snapshot,
): Db {
  const end = maxLsn(log);
  const incarnation = Math.floor(ctx.random() * 36 ** 4).toString(36);
  return {
    id, config, bug, ctx, incarnation,
    xidPrefix: `${id}.${incarnation}`,
    lineage: state.lineage,
    log,
    snapshot,
    role: state.role,
    nextLsn: end + 1,
    writeLsn: end,
    flushLsn: 0,
    replayLsn: Math.min(snapshot.lsn, end),
    rewindCount: 0,
    xidSeq: 0,
    visibleData: new Map(Object.entries(snapshot.data)),
    writerOps: new Map(),
    rewindBase: snapshot,
    visibleLog: [],
    snapshotBacklog: [],
    shownAhead: new Set(),
    viewDataCache: undefined,
    viewCache: undefined,
    latestValues: new Map(),
    rowLocks: new Map(),
    lockQueue: [],
    commitWaits: [],
    leavingProcArray: [],
    walSenders: new Map(),
    lastStreamId: 0,
    asyncFallbackOn: false,
    walBuffer: [],
    walWriterArmed: false,
    restartedAsPrimary: state.role === 'primary',
    crashRecoveryUnfinished: true,
    heartbeatSeq: 0,
    heartbeatAnswered: 0,
    leaseHeartbeat: 0,
    leaseLapsed: 0,
    frozen: false,
    frozenEpoch: 0,
    following: undefined,
    streamId: 0,
    streamStarted: false,
    ticksSinceHello: 0,
    lastReport: { streamId: -1, write: -1, flush: -1, replay: -1 },
    ackMarked: { streamId: 0, write: 0, flush: 0, replay: 0 },
    openTxns: new Map(),
    exposedUndo: new Map(),
    replayQueue: [],
    queuedUpToIndex: 0,
    jumpedAhead: -1,
    replayTimer: undefined,
    relayBacklog: [],
    relayTimer: undefined,
    rywWaits: [],
    rewindState: 'none',
    heldCommit: undefined,
  };
}
