/**
 * Durability. An acknowledged commit must survive — but only within the fault
 * tolerance the commit level claims: PostgreSQL's synchronous_commit = on
 * survives a primary crash with failover to a synchronous standby, while
 * remote_write does not survive the standby's OS crash and async commit does
 * not survive failover at all. A claim therefore names the fault kinds it
 * tolerates; a run with other faults is outside the claim and is not judged.
 */
import type { History, HistoryEntry, Value } from '../history/types.js';
import {
  type Authority,
  type Operation,
  externalReads,
  faultOutside,
  findAuthority,
  findCommitted,
  finalWrites,
  fmtMs,
  fmtValue,
  isWriteOp,
  opEntries,
  operations,
  replayLogs,
  sessionPolicies,
  resolveVersion,
  writeKey,
  writesByValue,
} from '../history/ops.js';
import type { CheckOptions, Violation } from './types.js';

function lastPromote(history: History, auth: Authority): HistoryEntry | undefined {
  return history.filter((e) => e.type === 'event' && e.name === 'promote' && e.node === auth.node).pop();
}

/**
 * 'durability': every `ok` committed write transaction (with known final
 * values) is in the authority's final visible log — one entry holding all its
 * final key/values. A later overwrite does not matter: the log keeps the
 * transaction. `options.tolerates` lists tolerated fault kinds ('crash',
 * 'crash:process', 'crash:machine', 'partition', 'pause', 'clog'); with a
 * fault outside it, or no authority, nothing is reported.
 */
export function checkDurability(history: History, options: CheckOptions = {}): Violation[] {
  if (faultOutside(history, options.tolerates)) return [];
  const auth = findAuthority(history);
  if (!auth) return [];
  const promote = lastPromote(history, auth);
  const out: Violation[] = [];
  for (const op of operations(history)) {
    if (op.status !== 'ok' || !isWriteOp(op) || finalWrites(op).size === 0) continue;
    if (!findCommitted(auth, op)) out.push(lostAck(auth, op, promote));
  }
  return out;
}

function lostAck(auth: Authority, op: Operation, promote: HistoryEntry | undefined): Violation {
  const [k, v] = [...finalWrites(op)][0]!;
  const failover = promote ? ` after failover to ${auth.node} at ${fmtMs(promote.t)}` : '';
  return {
    guarantee: 'durability',
    sentence: `key ${k}: write of ${fmtValue(v)} by session ${op.session}, acknowledged by node ${op.node} at ` +
      `${fmtMs(op.completeT!)}${op.commit ? ` (lsn ${op.commit.lsn})` : ''}, is missing from authority ${auth.node}'s ` +
      `commit order${failover} — acknowledged write lost`,
    witness: [...opEntries(op), ...(promote ? [promote] : []), auth.final],
    data: { key: k, value: v, op: op.id, authority: auth.node },
  };
}

/**
 * 'lossless-failover': every non-null value some read observed is in the
 * authority's commit order — unless the transaction that produced it there
 * (the node's `txn.commit`/`apply` holding that key/value) is in the order
 * with another value: a re-executed `now()`/`rand()` diverged, which is
 * convergence's finding, not a loss. Values of aborted transactions are left
 * to 'no-aborted-read'. One violation per observed key/value, at its first
 * read. Honours `options.tolerates` like 'durability'.
 */
export function checkLosslessFailover(history: History, options: CheckOptions = {}): Violation[] {
  if (faultOutside(history, options.tolerates)) return [];
  const auth = findAuthority(history);
  if (!auth) return [];
  const ops = operations(history);
  const writes = writesByValue(ops);
  const producers = producedBy(history);
  const promote = lastPromote(history, auth);
  const seen = new Set<string>();
  const out: Violation[] = [];
  // The promise is about values read from a primary: a hot standby may show a
  // commit that was never acknowledged and that a failover then drops, as
  // PostgreSQL's does. A session of unknown policy counts.
  const policies = sessionPolicies(history);
  for (const op of ops) {
    const policy = policies.get(op.session);
    if (policy !== undefined && policy !== 'primary') continue;
    for (const r of externalReads(op)) {
      const id = writeKey(r.key, r.value);
      if (r.value === null || seen.has(id) || aborted(writes.get(r.value)?.op)) continue;
      seen.add(id);
      if (resolveVersion(auth, r.key, r.value)) continue;
      if ((producers.get(id) ?? []).some((xid) => auth.indexByXid.has(xid))) continue;
      out.push(lostObserved(auth, op, r.key, r.value, writes.get(r.value)?.op, promote));
    }
  }
  return out;
}

/** writeKey(k, v) → xids of every visible-log entry, on any node, that wrote it. */
function producedBy(history: History): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of replayLogs(history).values()) {
    for (const e of r.applications) {
      for (const [k, v] of Object.entries(e.writes)) out.set(writeKey(k, v), [...(out.get(writeKey(k, v)) ?? []), e.xid]);
    }
  }
  return out;
}

function aborted(op: Operation | undefined): boolean {
  return op !== undefined && (op.status === 'fail' || op.req.end === 'rollback');
}

function lostObserved(auth: Authority, reader: Operation, key: string, value: Value,
  writer: Operation | undefined, promote: HistoryEntry | undefined): Violation {
  const failover = promote ? ` after failover to ${auth.node} at ${fmtMs(promote.t)}` : '';
  return {
    guarantee: 'lossless-failover',
    sentence: `key ${key}: session ${reader.session} read ${fmtValue(value)} from node ${reader.node} at ` +
      `${fmtMs(reader.completeT!)}, but ${fmtValue(value)} is missing from authority ${auth.node}'s commit order` +
      `${failover} — observed write lost`,
    witness: [...(writer ? opEntries(writer) : []), ...opEntries(reader), ...(promote ? [promote] : [])],
    data: { key, value, readerOp: reader.id, writerOp: writer?.id ?? null, authority: auth.node },
  };
}
