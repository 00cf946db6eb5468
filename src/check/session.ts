/**
 * Session guarantees (Terry et al., "Session Guarantees for Weakly Consistent
 * Replicated Data", 1994), decided against the authority's commit order. Reads
 * name the version they saw by their value: a unique written value names one; a
 * repeated computed value (upd, now, rand) or null may name several, and the
 * read is judged in the interpretation most favourable to the model (see
 * readCandidates in history/ops.ts). A session's writes are
 * placed by the authoritative transaction that holds them. Reads or writes that
 * cannot be placed (lost, aborted) are left to the durability and rollback
 * checkers. A PostgreSQL hot standby gives none of these across nodes unless
 * reads wait for the session's commit LSN (synchronous_commit = remote_apply or
 * a causal token).
 */
import type { History } from '../history/types.js';
import {
  type Authority,
  type FavouredRead,
  type ObservedRead,
  type Operation,
  type PlacedRead,
  type Version,
  ambiguityData,
  externalReads,
  favoured,
  findCommitted,
  finalWrites,
  fmtMs,
  fmtValue,
  isWriteOp,
  newestVersion,
  oldestVersion,
  opEntries,
  placeRead,
} from '../history/ops.js';
import { authorityOf, opsOf } from './views.js';
import type { CheckOptions, Violation } from './types.js';
import { type WriteIndex, couldLeave, explainedAfter, mayFollow, precedes, writeIndex } from './evidence.js';

/** A session write placed in the commit order. */
interface PlacedWrite { op: Operation; index: number; versions: Map<string, Version> }

/**
 * One guarantee's rule over one session's operations. A read that several
 * versions could explain (a repeated `upd`/`now`/`rand` value) is judged in the
 * interpretation most favourable to the model; a read that passed only thanks
 * to that choice is pushed to `saved`.
 */
type SessionRule = (auth: Authority, ops: Operation[], saved: FavouredRead[]) => Violation[];

function bySession(history: History): Map<string, Operation[]> {
  const out = new Map<string, Operation[]>();
  for (const op of opsOf(history)) {
    const list = out.get(op.session);
    if (list) list.push(op);
    else out.set(op.session, [op]);
  }
  return out;
}

function judgeSessions(history: History, rule: SessionRule): { violations: Violation[]; saved: FavouredRead[] } {
  const saved: FavouredRead[] = [];
  const auth = authorityOf(history);
  if (!auth) return { violations: [], saved };
  const violations = [...bySession(history).values()].flatMap((ops) => rule(auth, ops, saved));
  return { violations, saved };
}

function placeReads(auth: Authority, op: Operation): PlacedRead[] {
  return externalReads(op).flatMap((read) => {
    const p = placeRead(auth, read);
    return p ? [p] : [];
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
 * Judged in the authority's commit order, and black-box from what the
 * clients saw alone (readYourWritesSeen) where the order cannot place a read.
 */
export function checkReadYourWrites(history: History, _options: CheckOptions = {}): Violation[] {
  const { violations } = judgeSessions(history, readYourWrites);
  if (!authorityOf(history)) return violations;
  const flagged = new Set(violations.map((v) => `${v.data?.['readOp']}:${v.data?.['key']}`));
  const seen = readYourWritesSeen(opsOf(history)).filter((v) => !flagged.has(`${v.data?.['readOp']}:${v.data?.['key']}`));
  return [...violations, ...seen];
}

/**
 * Read-your-writes from the clients' side alone, without any model event:
 * after a session's acknowledged write W of key k, its later reads of k return
 * what W left or what a write that may follow W (one not completed before W
 * was invoked) left there — by the write a read names (`w`) when it names one
 * that wrote k, else by value (a unique written value, a delete's absence, or
 * any value for a server-computed write, which a replica may re-execute
 * differently). The most favourable reading: any status of the later write counts.
 */
function readYourWritesSeen(ops: Operation[]): Violation[] {
  const index = writeIndex(ops);
  const out: Violation[] = [];
  const bySess = new Map<string, Operation[]>();
  for (const op of ops) bySess.set(op.session, [...(bySess.get(op.session) ?? []), op]);
  for (const list of bySess.values()) {
    const own = new Map<string, Operation>(); // key → the session's last acknowledged write of it
    for (const op of list) {
      for (const r of externalReads(op)) {
        const w = own.get(r.key);
        if (!w || !precedes(w, op) || explainsRead(index, w, r)) continue;
        out.push(rywSeen(r, w));
      }
      if (op.status === 'ok' && op.req.end === 'commit') for (const m of op.txn) if (m.f !== 'r') own.set(m.k, op);
    }
  }
  return out;
}

/**
 * Whether read `r` may have seen `w`'s write or one that may follow it (by the
 * write `r` names, else by value): the test a read newer than `w` passes.
 */
export function explainsRead(index: WriteIndex, w: Operation, r: ObservedRead): boolean {
  const named = r.writer === undefined ? undefined : (index.writersByKey.get(r.key) ?? []).find((o) => o.id === r.writer);
  if (named && couldLeave(named, r.key, r.value)) return named === w || mayFollow(named, w);
  return couldLeave(w, r.key, r.value) || explainedAfter(index, r.key, r.value, w) !== undefined;
}

function rywSeen(r: ObservedRead, w: Operation): Violation {
  const op = r.op;
  const written = finalWrites(w).get(r.key);
  return {
    guarantee: 'read-your-writes',
    sentence: `key ${r.key}: node ${op.node} served ${fmtValue(r.value)} at ${fmtMs(op.completeT!)} to session ${op.session}, ` +
      `which had written ${fmtValue(written)} (acknowledged at ${fmtMs(w.completeT!)}), and no write that may follow ` +
      `that one left ${fmtValue(r.value)}${r.writer !== undefined ? ` (the read names op ${r.writer})` : ''} — read your writes`,
    witness: [...opEntries(w), ...opEntries(op)],
    data: { key: r.key, session: op.session, read: r.value, written: written ?? null, readOp: op.id, writeOp: w.id, evidence: 'clients' },
  };
}

const readYourWrites: SessionRule = (auth, ops, saved) => {
  const out: Violation[] = [];
  const own = new Map<string, { w: PlacedWrite; v: Version }>();
  for (const op of ops) {
    for (const p of placeReads(auth, op)) {
      const mine = own.get(p.read.key);
      if (!mine) continue;
      // Most favourable: the newest version the value could name.
      if (newestVersion(p).index < mine.v.index) out.push(ryw(p, mine.w, mine.v));
      else if (oldestVersion(p).index < mine.v.index) saved.push(favoured('read-your-writes', p, newestVersion(p)));
    }
    const w = placeWrite(auth, op);
    for (const [k, v] of w?.versions ?? []) if (!own.has(k) || own.get(k)!.v.index < v.index) own.set(k, { w: w!, v });
  }
  return out;
};

function ryw(p: PlacedRead, w: PlacedWrite, v: Version): Violation {
  const op = p.read.op;
  return {
    guarantee: 'read-your-writes',
    sentence: `key ${p.read.key}: ${servedWords(p)} to session ${op.session}, which had written ` +
      `${fmtValue(v.value)} (acknowledged at ${fmtMs(w.op.completeT!)}) — read your writes`,
    witness: [...opEntries(w.op), ...opEntries(op)],
    data: { key: p.read.key, session: op.session, read: p.read.value, written: v.value, readOp: op.id, writeOp: w.op.id, ...ambiguityData(p) },
  };
}

/**
 * 'monotonic-reads': once a session has read version v of key k, its later
 * reads of k see v or a newer version (reads within one transaction count as
 * simultaneous).
 */
export function checkMonotonicReads(history: History, _options: CheckOptions = {}): Violation[] {
  return judgeSessions(history, monotonicReads).violations;
}

/** A read placed at the one version the verdict chose for it. */
interface ChosenRead { p: PlacedRead; version: Version }

const monotonicReads: SessionRule = (auth, ops, saved) => {
  const out: Violation[] = [];
  const floor = new Map<string, ChosenRead>();
  for (const op of ops) {
    const chosen: ChosenRead[] = [];
    for (const p of placeReads(auth, op)) {
      const before = floor.get(p.read.key);
      // Most favourable: the oldest version not older than the session's floor,
      // which leaves the most room to the session's later reads.
      const ok = before ? p.versions.find((v) => v.index >= before.version.index) : oldestVersion(p);
      if (!ok) { out.push(mr(before!, p)); continue; }
      if (before && oldestVersion(p).index < before.version.index) saved.push(favoured('monotonic-reads', p, ok));
      chosen.push({ p, version: ok });
    }
    // Reads within one transaction are simultaneous: the floor moves after all of them.
    for (const c of chosen) {
      const before = floor.get(c.p.read.key);
      if (!before || before.version.index < c.version.index) floor.set(c.p.read.key, c);
    }
  }
  return out;
};

function mr(before: ChosenRead, p: PlacedRead): Violation {
  const op = p.read.op;
  return {
    guarantee: 'monotonic-reads',
    sentence: `key ${p.read.key}: ${servedWords(p)} after session ${op.session} had read ` +
      `${readWords(before.p)} — monotonic reads`,
    witness: [...opEntries(before.p.read.op), ...opEntries(op)],
    data: { key: p.read.key, session: op.session, earlier: before.p.read.value, later: p.read.value, ...ambiguityData(p) },
  };
}

/**
 * 'monotonic-writes': a session's acknowledged write transactions appear in
 * the commit order in the order the session issued them.
 */
export function checkMonotonicWrites(history: History, _options: CheckOptions = {}): Violation[] {
  return judgeSessions(history, (auth, ops) => {
    const out: Violation[] = [];
    let latest: PlacedWrite | undefined;
    for (const op of ops) {
      const w = placeWrite(auth, op);
      if (!w) continue;
      if (latest && w.index < latest.index) out.push(mw(auth, latest, w));
      if (!latest || latest.index < w.index) latest = w;
    }
    return out;
  }).violations;
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
  return judgeSessions(history, writesFollowReads).violations;
}

const writesFollowReads: SessionRule = (auth, ops, saved) => {
  const out: Violation[] = [];
  // Most favourable: each read names the oldest version its value could.
  let newestRead: ChosenRead | undefined;
  const reads: PlacedRead[] = [];
  const savedReads = new Set<PlacedRead>();
  for (const op of ops) {
    for (const p of placeReads(auth, op)) {
      reads.push(p);
      if (!newestRead || newestRead.version.index < oldestVersion(p).index) newestRead = { p, version: oldestVersion(p) };
    }
    const w = placeWrite(auth, op);
    if (!w) continue;
    if (newestRead && w.index < newestRead.version.index) out.push(wfr(auth, newestRead, w));
    else {
      for (const p of reads) if (!savedReads.has(p) && w.index < newestVersion(p).index) {
        savedReads.add(p);
        saved.push(favoured('writes-follow-reads', p, oldestVersion(p)));
      }
    }
  }
  return out;
};

function wfr(auth: Authority, r: ChosenRead, w: PlacedWrite): Violation {
  const [k, v] = [...w.versions][0]!;
  return {
    guarantee: 'writes-follow-reads',
    sentence: `session ${w.op.session} read ${r.p.read.key}=${readWords(r.p)} (xid ${r.version.xid}) and then wrote ` +
      `${k}=${fmtValue(v.value)}, but authority ${auth.node} committed that write (xid ${v.xid}) before xid ` +
      `${r.version.xid} — writes follow reads`,
    witness: [...opEntries(r.p.read.op), ...opEntries(w.op)].filter((e, i, a) => a.indexOf(e) === i),
    data: { session: w.op.session, readOp: r.p.read.op.id, writeOp: w.op.id, ...ambiguityData(r.p) },
  };
}

const RULES: Record<string, SessionRule> = {
  'read-your-writes': readYourWrites,
  'monotonic-reads': monotonicReads,
  'writes-follow-reads': writesFollowReads,
};

/**
 * Reads that passed `guarantee` only because an ambiguous value was given the
 * interpretation most favourable to the model (empty for a guarantee without
 * reads). The verdict holds; these say where it rests on that choice.
 */
export function favouredSessionReads(history: History, guarantee: string): FavouredRead[] {
  const rule = RULES[guarantee];
  return rule ? judgeSessions(history, rule).saved : [];
}
