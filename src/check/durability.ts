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
  type NodeReplay,
  type Operation,
  externalReads,
  findCommitted,
  finalWrites,
  fmtMs,
  fmtValue,
  isWriteOp,
  opEntries,
  sessionPolicies,
  resolveVersion,
  writeKey,
} from '../history/ops.js';
import { accountsFor, authorityOf, coreOf, faultOutsideOf, opsOf, replaysOf, writeIndexOf, writesOf } from './views.js';
import type { CheckOptions, Violation } from './types.js';
import { mentionedOps, mentionedWrites, survival, uniqueWritesOf } from './evidence.js';

function lastPromote(history: History, auth: Authority): HistoryEntry | undefined {
  return coreOf(history).filter((e) => e.type === 'event' && e.name === 'promote' && e.node === auth.node).pop();
}

/**
 * 'durability': every `ok` committed write transaction survives on the
 * authority. Judged black-box first: a write of a unique value is lost when
 * the authority's final state lacks it and no write that may follow it (one
 * not completed before it was invoked) explains the value there instead —
 * whatever the events say, and also when no event mentions the write. Where
 * the final state cannot tell (the key was overwritten since, or the values are
 * server-computed), the events narrow it: the transaction is lost when the
 * authority's visible log, whose events account for its final data, lacks the
 * entry holding all its final key/values although some node's events made it
 * visible. `options.tolerates` lists tolerated fault kinds ('crash',
 * 'crash:process', 'crash:machine', 'partition', 'pause', 'clog'); with a
 * fault outside it, or no authority, nothing is reported.
 */
export function checkDurability(history: History, options: CheckOptions = {}): Violation[] {
  if (faultOutsideOf(history, options.tolerates)) return [];
  const logs = replaysOf(history);
  const auth = authorityOf(history);
  if (!auth) return [];
  const ops = opsOf(history);
  const index = writeIndexOf(history);
  const trusted = accountsFor(history, auth.final);
  const mentioned = mentionedWrites(logs);
  const named = mentionedOps(logs);
  const promote = lastPromote(history, auth);
  const out: Violation[] = [];
  for (const op of ops) {
    if (op.status !== 'ok' || !isWriteOp(op) || finalWrites(op).size === 0) continue;
    const unique = uniqueWritesOf(index, op);
    const gone = unique.find((w) => survival(index, auth.final.view.data, w) === 'lost');
    if (gone) { out.push(lostAck(auth, op, promote, findCommitted(auth, op) ? 'final-state' : 'both', gone.key)); continue; }
    // The final state holds every unique value: nothing the events say makes them lost.
    if (unique.length > 0 && unique.length === finalWrites(op).size
      && unique.every((w) => auth.final.view.data[w.key] === w.value)) continue;
    if (!trusted || findCommitted(auth, op)) continue;
    if (named.has(op.id) || [...finalWrites(op)].every(([k, v]) => mentioned.has(writeKey(k, v)))) {
      out.push(lostAck(auth, op, promote, 'events'));
    }
  }
  return out;
}

/**
 * What proves a loss: the authority's final state ('final-state': its events
 * still list the write), final state and events agreeing ('both'), or the
 * events alone where the final state is ambiguous ('events').
 */
type LossEvidence = 'final-state' | 'both' | 'events';

function lostAck(auth: Authority, op: Operation, promote: HistoryEntry | undefined, evidence: LossEvidence, key?: string): Violation {
  const writes = finalWrites(op);
  const k = key ?? [...writes.keys()][0]!;
  const v = writes.get(k) ?? null;
  const failover = promote ? ` after failover to ${auth.node} at ${fmtMs(promote.t)}` : '';
  const held = auth.final.view.data[k] ?? null;
  // The sentence of a loss both sides show keeps the event wording; `data.evidence` says which side proved it.
  const why = evidence === 'events'
    ? `commit order${failover}, as its events show (its final ${fmtValue(held)} for key ${k} alone cannot tell)`
    : evidence === 'both'
      ? `commit order${failover}`
      : `final state${failover}: it holds ${fmtValue(held)} for key ${k}, which no later write produced, although its events list the write`;
  return {
    guarantee: 'durability',
    sentence: `key ${k}: write of ${fmtValue(v)} by session ${op.session}, acknowledged by node ${op.node} at ` +
      `${fmtMs(op.completeT!)}${op.commit ? ` (lsn ${op.commit.lsn})` : ''}, is missing from authority ${auth.node}'s ` +
      `${why} — acknowledged write lost`,
    witness: [...opEntries(op), ...(promote ? [promote] : []), auth.final],
    data: { key: k, value: v, op: op.id, authority: auth.node, evidence },
  };
}

/**
 * 'lossless-failover': every non-null value some read from a primary observed
 * survives on the authority. Black-box first: a read of a unique value whose
 * write the authority's final state lacks, with no write that may follow it
 * explaining what the authority holds, is lost — whatever the events say. Where
 * the final state cannot tell (overwritten since, or a server-computed value),
 * events that account for the authority's data narrow it: the value is
 * lost when some node's events made it visible but the authority's commit
 * order never held it — unless the transaction that produced it there is in
 * the order with another value (a re-executed `now()`/`rand()` diverged, which
 * is convergence's finding). A read that names its write (`w`) of a repeated
 * value is judged as that write: lost when the model's events made that
 * operation's transaction visible somewhere but the authority's order, whose
 * events account for its data, lacks it — even if another write left the same
 * value there. Values of aborted transactions are left to 'no-aborted-read'.
 * One violation per observed key/value (and named write), at its first read.
 * Honours `options.tolerates` like 'durability'.
 */
export function checkLosslessFailover(history: History, options: CheckOptions = {}): Violation[] {
  if (faultOutsideOf(history, options.tolerates)) return [];
  const logs = replaysOf(history);
  const auth = authorityOf(history);
  if (!auth) return [];
  const ops = opsOf(history);
  const writes = writesOf(history);
  const index = writeIndexOf(history);
  const trusted = accountsFor(history, auth.final);
  const producers = producedBy(logs);
  const byId = new Map(ops.map((o) => [o.id, o]));
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
      const unique = index.byValue.get(r.value);
      // A repeated (computed) value that names its write is judged as that write.
      const named = r.writer !== undefined && !(unique && unique.key === r.key) ? byId.get(r.writer) : undefined;
      const id = writeKey(r.key, r.value) + (named ? `@${named.id}` : '');
      if (r.value === null || seen.has(id) || aborted(named ?? writes.get(r.value)?.op)) continue;
      seen.add(id);
      if (named) {
        const state = namedSurvival(logs, auth, r.key, named.id);
        if (state === 'present') continue;
        if (state === 'lost') {
          if (trusted) out.push(lostObserved(auth, op, r.key, r.value, named, promote, 'events'));
          continue;
        }
      }
      const state = unique && unique.key === r.key ? survival(index, auth.final.view.data, unique) : undefined;
      if (state === 'present') continue;
      if (state === 'lost') {
        out.push(lostObserved(auth, op, r.key, r.value, unique!.op, promote, resolveVersion(auth, r.key, r.value) ? 'final-state' : 'both'));
        continue;
      }
      if (!trusted || resolveVersion(auth, r.key, r.value)) continue;
      const xids = producers.get(id) ?? [];
      if (xids.length === 0 || xids.some((xid) => auth.indexByXid.has(xid))) continue;
      out.push(lostObserved(auth, op, r.key, r.value, writes.get(r.value)?.op, promote, 'events'));
    }
  }
  return out;
}

/**
 * Whether the write of `key` by client operation `writer` survives on the
 * authority, by the operation its events name: 'present' when the authority's
 * order holds a transaction of that operation; 'lost' when some node's events
 * made one visible (the model admits it committed somewhere) and none of those
 * transactions is in the authority's order; 'unknown' when no event names it.
 */
function namedSurvival(logs: Map<string, NodeReplay>, auth: Authority, key: string, writer: number): 'present' | 'lost' | 'unknown' {
  if (auth.byOp.has(writer) || (auth.versions.get(key) ?? []).some((v) => v.writer === writer)) return 'present';
  let named = false;
  for (const r of logs.values()) {
    for (const e of r.applications) {
      if (e.event.data?.['op'] !== writer || !Object.prototype.hasOwnProperty.call(e.writes, key)) continue;
      if (auth.indexByXid.has(e.xid)) return 'present';
      named = true;
    }
  }
  return named ? 'lost' : 'unknown';
}

/** writeKey(k, v) → xids of every visible-log entry, on any node, that wrote it. */
function producedBy(logs: Map<string, NodeReplay>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of logs.values()) {
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
  writer: Operation | undefined, promote: HistoryEntry | undefined, evidence: LossEvidence): Violation {
  const failover = promote ? ` after failover to ${auth.node} at ${fmtMs(promote.t)}` : '';
  const held = auth.final.view.data[key] ?? null;
  const why = evidence === 'final-state'
    ? `missing from authority ${auth.node}'s final state${failover} (it holds ${fmtValue(held)}, which no later write produced, although its events list the write)`
    : `missing from authority ${auth.node}'s commit order${failover}`;
  return {
    guarantee: 'lossless-failover',
    sentence: `key ${key}: session ${reader.session} read ${fmtValue(value)} from node ${reader.node} at ` +
      `${fmtMs(reader.completeT!)}, but ${fmtValue(value)} is ${why} — observed write lost`,
    witness: [...(writer ? opEntries(writer) : []), ...opEntries(reader), ...(promote ? [promote] : [])],
    data: { key, value, readerOp: reader.id, writerOp: writer?.id ?? null, authority: auth.node, evidence },
  };
}
