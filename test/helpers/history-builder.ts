/**
 * A tiny builder for hand-written histories. Entries are collected with their
 * true time and sorted stably by time on build(), so a test can add an
 * operation's invoke and completion in one call and interleave events freely.
 * Every method returns the entries it added, for witness assertions.
 */
import type {
  ClientRequest,
  CommitPos,
  FailEntry,
  FinalEntry,
  History,
  HistoryEntry,
  InfoEntry,
  InvokeEntry,
  MicroOp,
  ModelEventEntry,
  NodeId,
  OkEntry,
  QuietEntry,
  Value,
} from '../../src/history/types.js';

export interface BuiltOp {
  id: number;
  invoke: InvokeEntry;
  completion?: OkEntry | FailEntry | InfoEntry;
}

export interface OpOptions {
  status?: 'ok' | 'fail' | 'info' | 'open';
  end?: 'commit' | 'rollback';
  commit?: CommitPos;
}

/** Strip server-filled values from a completed txn to get the request's micro-ops. */
function requested(txn: MicroOp[]): MicroOp[] {
  return txn.map((m) => {
    if (m.f === 'w' || m.f === 'del') return m;
    if (m.f === 'upd') return { f: 'upd', k: m.k, expr: m.expr };
    return { f: m.f, k: m.k };
  });
}

export class HistoryBuilder {
  private entries: HistoryEntry[] = [];
  private nextOp = 1;

  constructor(private readonly nodes: NodeId[] = ['n1', 'n2']) {}

  private add<T extends HistoryEntry>(e: T): T {
    this.entries.push(e);
    return e;
  }

  /** A client operation: `txn` is the completed micro-ops (read and computed values filled in). */
  op(session: string, node: NodeId, t0: number, t1: number, txn: MicroOp[], o: OpOptions = {}): BuiltOp {
    const id = this.nextOp++;
    const req: ClientRequest = { txn: requested(txn), end: o.end ?? 'commit' };
    const invoke = this.add<InvokeEntry>({ type: 'invoke', t: t0, op: id, session, node, req });
    const status = o.status ?? 'ok';
    if (status === 'open') return { id, invoke };
    const base = { t: t1, op: id, session, node };
    const completion = status === 'ok'
      ? this.add<OkEntry>({ type: 'ok', ...base, txn, ...(o.commit ? { commit: o.commit } : {}) })
      : status === 'fail'
        ? this.add<FailEntry>({ type: 'fail', ...base, error: 'rejected' })
        : this.add<InfoEntry>({ type: 'info', ...base, reason: 'timeout' });
    return { id, invoke, completion };
  }

  write(session: string, node: NodeId, t0: number, t1: number, k: string, v: Value, o: OpOptions = {}): BuiltOp {
    return this.op(session, node, t0, t1, [{ f: 'w', k, v }], o);
  }

  read(session: string, node: NodeId, t0: number, t1: number, k: string, v: Value): BuiltOp {
    return this.op(session, node, t0, t1, [{ f: 'r', k, v }]);
  }

  event(node: NodeId, t: number, name: string, data?: Record<string, unknown>): ModelEventEntry {
    return this.add<ModelEventEntry>({ type: 'event', t, node, name, ...(data ? { data } : {}) });
  }

  /** `txn.commit` on a primary. */
  commit(node: NodeId, t: number, xid: number | string, lsn: number, writes: Record<string, Value>, timeline = 1): ModelEventEntry {
    return this.event(node, t, 'txn.commit', { xid, lsn, timeline, writes });
  }

  /** `apply` on a replica. */
  apply(node: NodeId, t: number, xid: number | string, lsn: number, writes: Record<string, Value>, timeline = 1): ModelEventEntry {
    return this.event(node, t, 'apply', { xid, lsn, timeline, writes });
  }

  /** Commit on `primary` at t and apply on each replica at its given time. */
  replicated(primary: NodeId, t: number, xid: number | string, lsn: number, writes: Record<string, Value>,
    replicas: Record<NodeId, number> = {}): ModelEventEntry {
    const c = this.commit(primary, t, xid, lsn, writes);
    for (const [node, at] of Object.entries(replicas)) this.apply(node, at, xid, lsn, writes);
    return c;
  }

  fault(t: number, kind: string, nodes: NodeId[], phase: 'inject' | 'heal' = 'inject'): HistoryEntry {
    return this.add({ type: 'fault', t, phase, fault: { kind, nodes, text: `${kind} ${nodes.join(',')}` } });
  }

  /** A crash fault (named as the simulator names it) plus the node's lifecycle entry. */
  crash(node: NodeId, t: number, mode: 'process' | 'machine' = 'process'): HistoryEntry {
    const f = this.fault(t, `crash:${mode}`, [node]);
    this.add({ type: 'node', t, node, ev: 'crash', mode });
    return f;
  }

  quiet(t: number): QuietEntry {
    return this.add<QuietEntry>({ type: 'quiet', t });
  }

  final(node: NodeId, t: number, role: string, data: Record<string, Value>, alive = true): FinalEntry {
    return this.add<FinalEntry>({ type: 'final', t, node, alive, view: { role, data } });
  }

  build(): History {
    const meta: HistoryEntry = { type: 'meta', t: 0, model: 'hand-written', seed: 0, nodes: this.nodes };
    const sorted = this.entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map((x) => x.e);
    return [meta, ...sorted];
  }
}
