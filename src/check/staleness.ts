/**
 * Bounded staleness, measured per read against the authority's commit order.
 * Version staleness K counts the versions of the key the read missed: commits
 * to that key, after the version read, that were already committed (anywhere,
 * by true time) when the read was invoked. Time staleness T is how long the
 * first of those missed versions had been committed at invocation (0 for a
 * fresh read). These are the two bounds Azure Cosmos DB's bounded staleness
 * offers (K versions or T time) and what PostgreSQL's replay lag shows per standby.
 */
import type { History, HistoryEntry, NodeId, SessionId, Value } from '../history/types.js';
import {
  type Authority,
  type ObservedRead,
  type Version,
  externalReads,
  fmtMs,
  fmtValue,
  isAmbiguous,
  newestVersion,
  opEntries,
  placeRead,
} from '../history/ops.js';
import { authorityOf, opsOf } from './views.js';
import type { CheckOptions, Violation } from './types.js';

/** One read's staleness. */
export interface StalenessSample {
  op: number;
  session: SessionId;
  node: NodeId;
  key: string;
  value: Value;
  invokeT: number;
  /** Versions of the key committed before invocation and newer than the one read. */
  versionsBehind: number;
  /** Invocation time − commit time of the first newer version missed (0 when fresh), ms. */
  staleMs: number;
  /** xid of the version read ('(initial)' for the absent start state). */
  xid: string;
  /**
   * Present when several versions hold the value read (a repeated computed
   * value): the sample is measured from the newest, the most favourable.
   */
  ambiguous?: true;
}

interface Measured { sample: StalenessSample; read: ObservedRead; firstNewer?: Version; latest?: Version }

/**
 * Staleness of every external read whose value is in the authority's order,
 * in history order. Reads of values that never committed there are skipped.
 */
export function measureStaleness(history: History, since: Since = 'commit'): StalenessSample[] {
  const auth = authorityOf(history);
  return auth ? measureAll(history, auth, since).map((m) => m.sample) : [];
}

type Since = 'commit' | 'ack';

/** When a version is due: committed anywhere, or acknowledged to its writer (never, if it was not). */
const dueAt = (v: Version, since: Since): number => (since === 'ack' ? v.ackT ?? Infinity : v.commitT);

function measureAll(history: History, auth: Authority, since: Since): Measured[] {
  return opsOf(history).flatMap((op) => externalReads(op).flatMap((read) => {
    const m = measure(auth, read, since);
    return m ? [m] : [];
  }));
}

function measure(auth: Authority, read: ObservedRead, since: Since): Measured | undefined {
  const op = read.op;
  const placed = placeRead(auth, read);
  if (!placed) return undefined;
  const version = newestVersion(placed);
  const all = auth.versions.get(read.key) ?? [];
  // The newest version due at invocation; every version after the one read up to it was missed.
  const due = all.filter((v) => dueAt(v, since) <= op.invokeT);
  const latest = due[due.length - 1];
  const missed = latest ? all.filter((v) => v.index > version.index && v.index <= latest.index) : [];
  const firstNewer = missed[0];
  const sample: StalenessSample = {
    op: op.id, session: op.session, node: op.node, key: read.key, value: read.value, invokeT: op.invokeT,
    versionsBehind: missed.length, staleMs: firstNewer ? Math.max(0, op.invokeT - dueAt(firstNewer, since)) : 0, xid: version.xid,
    ...(isAmbiguous(placed) ? { ambiguous: true as const } : {}),
  };
  return { sample, read, ...(firstNewer ? { firstNewer } : {}), ...(latest ? { latest } : {}) };
}

/**
 * 'bounded-staleness': reads with versionsBehind > kMax or staleMs > tMsMax.
 * Reports nothing when neither bound is given (the measurements stay available
 * through measureStaleness).
 */
export function checkBoundedStaleness(history: History, options: CheckOptions = {}): Violation[] {
  const { kMax, tMsMax } = options;
  if (kMax === undefined && tMsMax === undefined) return [];
  const auth = authorityOf(history);
  if (!auth) return [];
  return measureAll(history, auth, options.stalenessSince ?? 'commit')
    .filter((m) => (kMax !== undefined && m.sample.versionsBehind > kMax) || (tMsMax !== undefined && m.sample.staleMs > tMsMax))
    .map((m) => stale(m, kMax, tMsMax, options.stalenessSince ?? 'commit'));
}

function stale(m: Measured, kMax: number | undefined, tMsMax: number | undefined, since: Since): Violation {
  const s = m.sample;
  const bound = [kMax !== undefined ? `K ≤ ${kMax}` : '', tMsMax !== undefined ? `T ≤ ${fmtMs(tMsMax)}` : '']
    .filter(Boolean).join(', ');
  const witness: HistoryEntry[] = [...opEntries(m.read.op)];
  if (m.firstNewer?.commitEvent) witness.push(m.firstNewer.commitEvent);
  if (m.latest?.commitEvent && m.latest !== m.firstNewer) witness.push(m.latest.commitEvent);
  return {
    guarantee: 'bounded-staleness',
    sentence: `key ${s.key}: node ${s.node} served ${fmtValue(s.value)} to session ${s.session} at ${fmtMs(s.invokeT)}, ` +
      `${s.versionsBehind} version${s.versionsBehind === 1 ? '' : 's'} behind (latest ${fmtValue(m.latest?.value)}) and ` +
      `${fmtMs(s.staleMs)} stale (${fmtValue(m.firstNewer?.value)} ${since === 'ack' ? 'acknowledged' : 'committed'} at ` +
      `${fmtMs(m.firstNewer ? dueAt(m.firstNewer, since) : s.invokeT)}) ` +
      `— bounded staleness ${bound} exceeded`,
    witness,
    data: { ...s },
  };
}
