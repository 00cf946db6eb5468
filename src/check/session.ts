/**
 * Session guarantees (Terry et al., "Session Guarantees for Weakly Consistent
 * Replicated Data", 1994), decided against the authority's commit order. Reads
 * name the version they saw by its unique written value; a session's writes are
 * placed by the authoritative transaction that holds them. Reads or writes that
 * cannot be placed (lost, aborted) are left to the durability and rollback
 * checkers. A PostgreSQL hot standby gives none of these across nodes unless
 * reads wait for the session's commit LSN (synchronous_commit = remote_apply or
 * a causal token).
 */
import type { History } from '../history/types.js';
import {
  type Authority,
  type ObservedRead,
  type Operation,
  type Version,
  externalReads,
  findAuthority,
  findCommitted,
  fmtMs,
  fmtValue,
  isWriteOp,
  opEntries,
  operations,
  resolveVersion,
} from '../history/ops.js';
import type { CheckOptions, Violation } from './types.js';

/** A read placed in the commit order. */
interface PlacedRead { read: ObservedRead; version: Version }
/** A session write placed in the commit order. */
interface PlacedWrite { op: Operation; index: number; versions: Map<string, Version> }

type SessionRule = (auth: Authority, ops: Operation[]) => Violation[];

function bySession(history: History): Map<string, Operation[]> {
  const out = new Map<string, Operation[]>();
  for (const op of operations(history)) {
    const list = out.get(op.session);
    if (list) list.push(op);
    else out.set(op.session, [op]);
  }
  return out;
}

function checkSessions(history: History, rule: SessionRule): Violation[] {
  const auth = findAuthority(history);
  if (!auth) return [];
  return [...bySession(history).values()].flatMap((ops) => rule(auth, ops));
}

function placeReads(auth: Authority, op: Operation): PlacedRead[] {
  return externalReads(op).flatMap((read) => {
    const version = resolveVersion(auth, read.key, read.value, op.completeT);
    return version ? [{ read, version }] : [];
  });
}

function placeWrite(auth: Authority, op: Operation): PlacedWrite | undefined {
  if (op.status !== 'ok' || !isWriteOp(op)) return undefined;
  const entry = findCommitted(auth, op);
  if (!entry) return undefined;
  const index = auth.indexByXid.get(entry.xid)!;
  const versions = new Map<string, Version>();
  for (const k of Object.keys(entry.writes)) {
    const v = auth.versions.get(k)?.find((x) => x.index === index);
    if (v) versions.set(k, v);
  }
  return { op, index, versions };
}

/** "v3 from n1 at 39.5 ms" — the value, the node that served it and when it was returned. */
function readWords(p: PlacedRead): string {
  const op = p.read.op;
  return `${fmtValue(p.read.value)} from node ${op.node} at ${fmtMs(op.completeT!)}`;
}

/** "n2 served v2 at 41.0 ms" */
function servedWords(p: PlacedRead): string {
  const op = p.read.op;
  return `node ${op.node} served ${fmtValue(p.read.value)} at ${fmtMs(op.completeT!)}`;
}

/**
 * 'read-your-writes': a read of key k sees a version at least as new as every
 * write to k the same session had acknowledged before the read was invoked.
 */
export function checkReadYourWrites(history: History, _options: CheckOptions = {}): Violation[] {
  return checkSessions(history, (auth, ops) => {
    const out: Violation[] = [];
    const own = new Map<string, { w: PlacedWrite; v: Version }>();
    for (const op of ops) {
      for (const p of placeReads(auth, op)) {
        const mine = own.get(p.read.key);
        if (mine && p.version.index < mine.v.index) out.push(ryw(p, mine.w, mine.v));
      }
      const w = placeWrite(auth, op);
      for (const [k, v] of w?.versions ?? []) if (!own.has(k) || own.get(k)!.v.index < v.index) own.set(k, { w: w!, v });
    }
    return out;
  });
}

function ryw(p: PlacedRead, w: PlacedWrite, v: Version): Violation {
  const op = p.read.op;
  return {
    guarantee: 'read-your-writes',
    sentence: `key ${p.read.key}: ${servedWords(p)} to session ${op.session}, which had written ` +
      `${fmtValue(v.value)} (acknowledged at ${fmtMs(w.op.completeT!)}) — read your writes`,
    witness: [...opEntries(w.op), ...opEntries(op)],
    data: { key: p.read.key, session: op.session, read: p.read.value, written: v.value, readOp: op.id, writeOp: w.op.id },
  };
}

/**
 * 'monotonic-reads': once a session has read version v of key k, its later
 * reads of k see v or a newer version (reads within one transaction count as
 * simultaneous).
 */
export function checkMonotonicReads(history: History, _options: CheckOptions = {}): Violation[] {
  return checkSessions(history, (auth, ops) => {
    const out: Violation[] = [];
    const newest = new Map<string, PlacedRead>();
    for (const op of ops) {
      const placed = placeReads(auth, op);
      for (const p of placed) {
        const before = newest.get(p.read.key);
        if (before && p.version.index < before.version.index) out.push(mr(before, p));
      }
      for (const p of placed) {
        const before = newest.get(p.read.key);
        if (!before || before.version.index < p.version.index) newest.set(p.read.key, p);
      }
    }
    return out;
  });
}

function mr(before: PlacedRead, p: PlacedRead): Violation {
  const op = p.read.op;
  return {
    guarantee: 'monotonic-reads',
    sentence: `key ${p.read.key}: ${servedWords(p)} after session ${op.session} had read ` +
      `${readWords(before)} — monotonic reads`,
    witness: [...opEntries(before.read.op), ...opEntries(op)],
    data: { key: p.read.key, session: op.session, earlier: before.read.value, later: p.read.value },
  };
}

/**
 * 'monotonic-writes': a session's acknowledged write transactions appear in
 * the commit order in the order the session issued them.
 */
export function checkMonotonicWrites(history: History, _options: CheckOptions = {}): Violation[] {
  return checkSessions(history, (auth, ops) => {
    const out: Violation[] = [];
    let latest: PlacedWrite | undefined;
    for (const op of ops) {
      const w = placeWrite(auth, op);
      if (!w) continue;
      if (latest && w.index < latest.index) out.push(mw(auth, latest, w));
      if (!latest || latest.index < w.index) latest = w;
    }
    return out;
  });
}

function mw(auth: Authority, first: PlacedWrite, later: PlacedWrite): Violation {
  const [k1, v1] = [...first.versions][0]!;
  const [k2, v2] = [...later.versions][0]!;
  return {
    guarantee: 'monotonic-writes',
    sentence: `session ${later.op.session} wrote ${k1}=${fmtValue(v1.value)} (acknowledged at ${fmtMs(first.op.completeT!)}) ` +
      `before ${k2}=${fmtValue(v2.value)} (invoked at ${fmtMs(later.op.invokeT)}), but authority ${auth.node} committed ` +
      `xid ${v2.xid} before xid ${v1.xid} — monotonic writes`,
    witness: [...opEntries(first.op), ...opEntries(later.op)],
    data: { session: later.op.session, firstOp: first.op.id, laterOp: later.op.id },
  };
}

/**
 * 'writes-follow-reads': a write transaction is committed after every version
 * the session had read before it (its own external reads included), so a
 * reply never precedes the post it answers.
 */
export function checkWritesFollowReads(history: History, _options: CheckOptions = {}): Violation[] {
  return checkSessions(history, (auth, ops) => {
    const out: Violation[] = [];
    let newestRead: PlacedRead | undefined;
    for (const op of ops) {
      for (const p of placeReads(auth, op)) if (!newestRead || newestRead.version.index < p.version.index) newestRead = p;
      const w = placeWrite(auth, op);
      if (w && newestRead && w.index < newestRead.version.index) out.push(wfr(auth, newestRead, w));
    }
    return out;
  });
}

function wfr(auth: Authority, r: PlacedRead, w: PlacedWrite): Violation {
  const [k, v] = [...w.versions][0]!;
  return {
    guarantee: 'writes-follow-reads',
    sentence: `session ${w.op.session} read ${r.read.key}=${readWords(r)} (xid ${r.version.xid}) and then wrote ` +
      `${k}=${fmtValue(v.value)}, but authority ${auth.node} committed that write (xid ${v.xid}) before xid ` +
      `${r.version.xid} — writes follow reads`,
    witness: [...opEntries(r.read.op), ...opEntries(w.op)].filter((e, i, a) => a.indexOf(e) === i),
    data: { session: w.op.session, readOp: r.read.op.id, writeOp: w.op.id },
  };
}
