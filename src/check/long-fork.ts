/**
 * 'no-long-fork': readers never see two transactions in opposite orders (Adya's
 * G-single over read-only transactions; Jepsen's "long fork"). If every read
 * saw a prefix of one commit order, of two readers one would see all the other
 * saw. A long fork is two reads A and B and two keys x, y where A saw a newer
 * version of x than B, and B a newer version of y than A: A saw T1 (x) but not
 * T2 (y), B saw T2 but not T1.
 *
 * Black-box: judged from client operations only. Versions of a key are ordered
 * by the acknowledged commit positions (lsn) of the writes that produced them;
 * a read is placed by its value, and only where that value names one version
 * (unique client-chosen values; server-computed ones only when no other write
 * of the key produced the same). A read of null is the initial version only
 * when nothing ever deleted the key. Values of writes without a commit position
 * (indeterminate, failed) cannot be placed and are left out.
 *
 * PostgreSQL does not promise this across primary and standby readers: on the
 * primary a commit becomes visible when its backend leaves the ProcArray, which
 * may differ from the WAL order standbys replay (Jepsen, Amazon RDS for
 * PostgreSQL 17.4, 2025).
 */
import { externalReads, finalWrites, fmtMs, fmtValue, opEntries, type Operation } from '../history/ops.js';
import type { History, Value } from '../history/types.js';
import type { CheckOptions, Violation } from './types.js';
import { faultOutsideOf, opsOf } from './views.js';

/** One placed version: its rank in the key's order (0 = initial) and the write that made it. */
interface Placed {
  rank: number;
  writer: Operation | undefined;
}

/** A read-only view of one transaction: the version it saw of each key it read. */
interface ReadView {
  op: Operation;
  seen: Map<string, Placed>;
}

export function checkNoLongFork(history: History, options: CheckOptions = {}): Violation[] {
  if (faultOutsideOf(history, options.tolerates)) return [];
  const ops = opsOf(history);
  const versions = versionOrder(ops);
  const views = readViews(ops, versions);
  const out: Violation[] = [];
  const reported = new Set<Operation>();
  for (let i = 0; i < views.length; i++) {
    const a = views[i]!;
    if (reported.has(a.op)) continue;
    for (let j = i + 1; j < views.length; j++) {
      const b = views[j]!;
      if (reported.has(b.op)) continue;
      const v = fork(a, b);
      if (v) {
        out.push(v);
        reported.add(a.op);
        reported.add(b.op);
        break;
      }
    }
  }
  return out;
}

/**
 * Per key: value → rank by the acknowledged commit position of its write. A value
 * two writes of the key produced, or a write without a commit position, is not placed.
 */
function versionOrder(ops: Operation[]): Map<string, Map<Value, Placed> & { deleted?: boolean }> {
  const writes = new Map<string, { value: Value; lsn: number; op: Operation }[]>();
  const ambiguous = new Map<string, Set<Value>>();
  const deleted = new Set<string>();
  const seenValue = new Map<string, Map<Value, number>>();
  for (const op of ops) {
    if (op.req.end !== 'commit' || op.status === 'fail') continue;
    for (const m of op.txn) if (m.f === 'del') deleted.add(m.k);
    for (const [k, v] of finalWrites(op)) {
      const counts = seenValue.get(k) ?? new Map<Value, number>();
      seenValue.set(k, counts);
      counts.set(v, (counts.get(v) ?? 0) + 1);
      if (op.status !== 'ok' || op.commit === undefined) {
        // Unplaceable: its value may not stand for any ranked version.
        if (!ambiguous.has(k)) ambiguous.set(k, new Set());
        ambiguous.get(k)!.add(v);
        continue;
      }
      const list = writes.get(k) ?? [];
      writes.set(k, list);
      list.push({ value: v, lsn: op.commit.lsn, op });
    }
  }
  const out = new Map<string, Map<Value, Placed> & { deleted?: boolean }>();
  for (const [k, list] of writes) {
    list.sort((x, y) => x.lsn - y.lsn);
    const m: Map<Value, Placed> & { deleted?: boolean } = new Map();
    const counts = seenValue.get(k)!;
    list.forEach((w, i) => {
      if (counts.get(w.value) === 1 && w.value !== null) m.set(w.value, { rank: i + 1, writer: w.op });
    });
    out.set(k, m);
  }
  for (const k of deleted) {
    const m: Map<Value, Placed> & { deleted?: boolean } = out.get(k) ?? new Map();
    m.deleted = true;
    out.set(k, m);
  }
  return out;
}

function readViews(ops: Operation[], versions: Map<string, Map<Value, Placed> & { deleted?: boolean }>): ReadView[] {
  const views: ReadView[] = [];
  for (const op of ops) {
    const seen = new Map<string, Placed>();
    for (const r of externalReads(op)) {
      if (seen.has(r.key)) continue;
      const order = versions.get(r.key);
      if (r.value === null) {
        if (!order?.deleted) seen.set(r.key, { rank: 0, writer: undefined });
        continue;
      }
      const p = order?.get(r.value);
      if (p) seen.set(r.key, p);
    }
    if (seen.size >= 2) views.push({ op, seen });
  }
  return views;
}

/** The long fork between two reads, if A is ahead on one key and behind on another. */
function fork(a: ReadView, b: ReadView): Violation | undefined {
  let ahead: string | undefined;
  let behind: string | undefined;
  for (const [k, pa] of a.seen) {
    const pb = b.seen.get(k);
    if (!pb) continue;
    if (pa.rank > pb.rank && ahead === undefined) ahead = k;
    if (pa.rank < pb.rank && behind === undefined) behind = k;
  }
  if (ahead === undefined || behind === undefined) return undefined;
  const t1 = a.seen.get(ahead)!.writer!;
  const t2 = b.seen.get(behind)!.writer!;
  if (t1 === t2) return undefined; // one transaction seen half: a fractured read, not a fork of two
  const x = ahead;
  const y = behind;
  const val = (v: ReadView, k: string) => {
    const m = v.op.txn.find((x) => x.f === 'r' && x.k === k);
    return fmtValue(m?.f === 'r' ? (m.v ?? null) : null);
  };
  const at = (op: Operation) => `node ${op.node} at ${fmtMs(op.completeT ?? op.invokeT)}`;
  return {
    guarantee: 'no-long-fork',
    sentence:
      `long fork: op ${a.op.id} (session ${a.op.session}, ${at(a.op)}) read ${x}=${val(a, x)}, written by op ${t1.id}, ` +
      `and ${y}=${val(a, y)}, older than op ${t2.id}'s write; op ${b.op.id} (session ${b.op.session}, ${at(b.op)}) read ` +
      `${y}=${val(b, y)}, written by op ${t2.id}, and ${x}=${val(b, x)}, older than op ${t1.id}'s — ` +
      `the two readers saw ops ${t1.id} and ${t2.id} in opposite orders`,
    witness: [...opEntries(t1), ...opEntries(t2), ...opEntries(a.op), ...opEntries(b.op)],
    data: { readers: [a.op.id, b.op.id], writers: [t1.id, t2.id], keys: [x, y], nodes: [a.op.node, b.op.node] },
  };
}
