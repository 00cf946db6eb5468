/**
 * Checkers for online migration (models/migration): a source setup is copied
 * to a target while clients write; at cut-over the target is promoted and
 * serves every request after. Judged black-box first (issue 10), from what
 * clients saw (invocations, completions, values read) and what the source and
 * the target hold after the quiet phase (their `final` views):
 * - the target's final rows against the source's, on keys no client wrote on
 *   the target and no in-doubt write touched on the source;
 * - every acknowledged write against the target's final rows (evidence.ts's
 *   survival: present, or overwritten by a write that may follow it);
 * - every read the target served against the writes the source acknowledged
 *   before the read began (session.ts's explainsRead).
 * The model's events narrow what that leaves ambiguous (server-computed
 * values, an increment applied twice, the exact switch position F) and
 * explain; they are used only when they account for the final views of both
 * nodes (contract.ts's fold), never as the only evidence of a loss:
 * - the source's visible log (`txn.commit`, truncated by `recover`),
 * - the target's `migration.apply` / `migration.recover` events and its
 *   `txn.commit` events after promotion,
 * - the target's `migration.cutover` {freezeLsn F}: the switch, at which the
 *   target must hold exactly the source's state as of its last commit F.
 */
import type { FinalEntry, History, ModelEventEntry, NodeId, Value } from '../history/types.js';
import { fmtMs, fmtValue, foldLog, type LogEntry, type Operation, externalReads, opEntries } from '../history/ops.js';
import { foldMismatch, foldsOf } from './contract.js';
import { type WriteIndex, survival, uniqueWritesOf } from './evidence.js';
import { explainsRead } from './session.js';
import { coreOf, finalsOf, opsOf, replaysOf, writeIndexOf } from './views.js';
import type { CheckOptions, Violation } from './types.js';

interface MigrationRun {
  source: NodeId;
  target: NodeId;
  cutover: ModelEventEntry;
  freezeLsn: number;
  /** Source log entries with lsn ≤ F (what the target must have at the switch). */
  sourceLog: LogEntry[];
  /** Target state at the switch, with the source lsn each key reflects. */
  atSwitch: Map<string, { v: Value; lsn: number; e: ModelEventEntry }>;
  targetCommits: LogEntry[];
  /** The live target's and source's final views (what a final read of every key returns). */
  finalTarget?: FinalEntry;
  finalSource?: FinalEntry;
  /** Both nodes are alive at the end and their events fold to exactly their final data: the events may narrow. */
  trusted: boolean;
  /** The source's visible log as its events tell it (all lsns), when trusted. */
  sourceAll: LogEntry[];
  ops: Operation[];
  index: WriteIndex;
}

/** Parses a migration history; undefined when it never cut over (nothing to judge yet). */
export function parseMigrationRun(history: History): MigrationRun | undefined {
  const core = coreOf(history);
  const cutover = core.find((e): e is ModelEventEntry => e.type === 'event' && e.name === 'migration.cutover');
  if (!cutover) return undefined;
  const target = cutover.node;
  const freezeLsn = Number(cutover.data?.['freezeLsn']);
  const replays = replaysOf(history);
  const ops = opsOf(history);
  // The source is the node that served the clients before the switch (or, failing that, the one whose events logged commits).
  const source = ops.find((o) => o.node !== target && o.status === 'ok')?.node
    ?? [...replays.keys()].find((n) => n !== target && (replays.get(n)?.applications.length ?? 0) > 0);
  const sourceAll = source ? (replays.get(source)?.log ?? []) : [];
  const sourceLog = sourceAll.filter((x) => x.lsn <= freezeLsn);
  const atSwitch = new Map<string, { v: Value; lsn: number; e: ModelEventEntry }>();
  for (const e of core) {
    if (e === cutover) break;
    if (e.type !== 'event' || e.node !== target) continue;
    if (e.name === 'migration.recover') atSwitch.clear();
    else if (e.name !== 'migration.apply') continue;
    const writes = (e.data?.['writes'] ?? {}) as Record<string, Value>;
    const lsns = (e.data?.['lsns'] ?? {}) as Record<string, number>;
    for (const [k, v] of Object.entries(writes)) atSwitch.set(k, { v, lsn: Number(lsns[k]), e });
  }
  const finalOf = (n: NodeId | undefined) => finalsOf(history).find((e) => e.node === n && e.alive);
  const finalTarget = finalOf(target);
  const finalSource = finalOf(source);
  const folds = foldsOf(history);
  const accounts = (f: FinalEntry | undefined) => {
    const fold = f ? folds.get(f.node) : undefined;
    return fold !== undefined && foldMismatch(fold, f!.view.data) === undefined;
  };
  return {
    source: source ?? '(none)', target, cutover, freezeLsn, sourceLog, atSwitch,
    targetCommits: (replays.get(target)?.log ?? []).filter((x) => x.lsn > freezeLsn),
    ...(finalTarget ? { finalTarget } : {}), ...(finalSource ? { finalSource } : {}),
    trusted: accounts(finalTarget) && accounts(finalSource), sourceAll,
    ops, index: writeIndexOf(history),
  };
}

function liveAtSwitch(run: MigrationRun): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [k, r] of run.atSwitch) if (r.v !== null) out[k] = r.v;
  return out;
}

function diffKeys(a: Record<string, Value>, b: Record<string, Value>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => (a[k] ?? null) !== (b[k] ?? null)).sort();
}

function lastSourceWrite(run: MigrationRun, key: string): LogEntry | undefined {
  return [...run.sourceLog].reverse().find((x) => key in x.writes);
}

/** Keys some operation the target served wrote (any status: it may have taken effect there). */
function writtenOnTarget(run: MigrationRun): Set<string> {
  const out = new Set<string>();
  for (const op of run.ops) {
    if (op.node !== run.target || op.req.end !== 'commit') continue;
    for (const m of op.txn) if (m.f !== 'r') out.add(m.k);
  }
  return out;
}

/** Keys an in-doubt (fail/info) write touched on the source: whether it belongs to the state at F the final views cannot tell. */
function inDoubtOnSource(run: MigrationRun): Set<string> {
  const out = new Set<string>();
  for (const op of run.ops) {
    if (op.node !== run.source || op.status === 'ok' || op.req.end !== 'commit') continue;
    for (const m of op.txn) if (m.f !== 'r') out.add(m.k);
  }
  return out;
}

/** The source's last acknowledged write of `key` (for the witness). */
function lastAckOnSource(run: MigrationRun, key: string): Operation | undefined {
  return [...run.ops].reverse().find((op) => op.node === run.source && op.status === 'ok' && op.req.end === 'commit' && op.txn.some((m) => m.f !== 'r' && m.k === key));
}

/**
 * 'migration-target-equals-source': at the switch the target holds exactly the
 * source's state as of the freeze position F — nothing missing, nothing extra,
 * no increment applied twice. Black-box: after the quiet phase the source
 * (frozen or retired since the switch) and the target must hold the same value
 * for every key no client wrote on the target and no in-doubt write touched on
 * the source; where the source's events account for its data, a key the source
 * last wrote after F is left to no-loss. Where the events of both nodes
 * account for their final data, they narrow it: the target's rows at the
 * switch against the source's log up to F (an increment applied twice, a
 * difference a later write on the target hid).
 */
export function checkTargetEqualsSource(history: History, _options: CheckOptions = {}): Violation[] {
  const run = parseMigrationRun(history);
  if (!run) return [];
  const seen = seenDiff(run);
  if (seen) return [seen];
  if (!run.trusted) return [];
  const want = foldLog(run.sourceLog);
  const have = liveAtSwitch(run);
  const keys = diffKeys(have, want);
  if (keys.length === 0) return [];
  const k = keys[0]!;
  const src = lastSourceWrite(run, k);
  return [{
    guarantee: 'migration-target-equals-source',
    sentence: `at cut-over (${fmtMs(run.cutover.t)}) target ${run.target} holds ${k} = ${fmtValue(have[k])} but source ${run.source} ` +
      `held ${fmtValue(want[k])} as of its freeze position lsn ${run.freezeLsn}` + (src ? ` (written at lsn ${src.lsn}, ${fmtMs(src.t)})` : '') +
      (keys.length > 1 ? ` — and ${keys.length - 1} more key(s) differ` : '') + ' — the target was switched in before it matched the source, as its events show',
    witness: [...(src ? [src.event] : []), ...(run.atSwitch.get(k) ? [run.atSwitch.get(k)!.e] : []), run.cutover],
    data: { keys, freezeLsn: run.freezeLsn, evidence: 'events' },
  }];
}

/** The final views of source and target differ on a key only the move could have set on the target. */
function seenDiff(run: MigrationRun): Violation | undefined {
  if (!run.finalTarget || !run.finalSource) return undefined;
  const skip = new Set([...writtenOnTarget(run), ...inDoubtOnSource(run)]);
  // The source's events, where they account for its data, name keys it last wrote after F: not the switch's matter.
  if (run.trusted) for (const x of run.sourceAll) if (x.lsn > run.freezeLsn) for (const k of Object.keys(x.writes)) skip.add(k);
  const src = run.finalSource.view.data;
  const dst = run.finalTarget.view.data;
  const keys = diffKeys(src, dst).filter((k) => !skip.has(k));
  if (keys.length === 0) return undefined;
  const k = keys[0]!;
  const w = lastAckOnSource(run, k);
  return {
    guarantee: 'migration-target-equals-source',
    sentence: `after the quiet phase target ${run.target} holds ${k} = ${fmtValue(dst[k])} but source ${run.source}, which took no write ` +
      `since the switch at ${fmtMs(run.cutover.t)}, holds ${fmtValue(src[k])}` + (w ? ` (last written by operation ${w.id}, acknowledged at ${fmtMs(w.completeT!)})` : '') +
      `, and no client wrote ${k} on the target` + (keys.length > 1 ? ` — and ${keys.length - 1} more key(s) differ` : '') +
      ' — the target was switched in before it matched the source',
    witness: [...(w ? opEntries(w) : []), run.cutover, run.finalSource, run.finalTarget],
    data: { keys, freezeLsn: run.freezeLsn, evidence: 'final-state' },
  };
}

/**
 * 'migration-no-loss': every write a client saw acknowledged (by the source
 * before the switch or by the target after it) is in the target after the
 * quiet phase, unless a write that may follow it left another value there —
 * judged from the target's final view, whatever the events say. Where the
 * events of both nodes account for their final data they narrow what the final
 * view cannot tell (server-computed values, an increment applied twice): an
 * acknowledged source commit missing at the switch, or a final target state
 * other than the source's state at F followed by the target's own commits.
 */
export function checkMigrationNoLoss(history: History, _options: CheckOptions = {}): Violation[] {
  const run = parseMigrationRun(history);
  if (!run) return [];
  const seen = lostSeen(run);
  if (seen) return [seen];
  if (!run.trusted) return [];
  const lost = lostAck(run);
  if (lost) return [lost];
  const want = foldLog(run.targetCommits, foldLog(run.sourceLog));
  const final = run.finalTarget!.view.data;
  const keys = diffKeys(final, want);
  if (keys.length === 0) return [];
  const k = keys[0]!;
  return [{
    guarantee: 'migration-no-loss',
    sentence: `after the quiet phase target ${run.target} holds ${k} = ${fmtValue(final[k])} but the source's state at cut-over ` +
      `plus the target's own commits give ${fmtValue(want[k])}, as their events show — a write was lost or applied twice`,
    witness: [run.cutover, run.finalTarget!],
    data: { keys, evidence: 'events' },
  }];
}

/** The first acknowledged unique write the target's final view lacks with nothing after it to explain what is there. */
function lostSeen(run: MigrationRun): Violation | undefined {
  if (!run.finalTarget) return undefined;
  const data = run.finalTarget.view.data;
  const lost: { op: Operation; key: string; value: Value }[] = [];
  for (const op of run.ops) {
    if (op.status !== 'ok' || op.req.end !== 'commit') continue;
    for (const w of uniqueWritesOf(run.index, op)) if (survival(run.index, data, w) === 'lost') lost.push({ op, key: w.key, value: w.value });
  }
  const first = lost[0];
  if (!first) return undefined;
  const { op, key, value } = first;
  const when = op.node === run.source ? `source ${run.source}` : `${op.node === run.target ? 'target ' : ''}${op.node}`;
  return {
    guarantee: 'migration-no-loss',
    sentence: `key ${key}: write of ${fmtValue(value)} by operation ${op.id} (session ${op.session}) was acknowledged by ${when} at ` +
      `${fmtMs(op.completeT!)}${op.commit ? ` (commit lsn ${op.commit.lsn})` : ''}, but after the quiet phase target ${run.target} holds ` +
      `${fmtValue(data[key] ?? null)}, which no write that may follow it produced — an acknowledged write was lost in the move` +
      ` (cut-over at ${fmtMs(run.cutover.t)})`,
    witness: [...opEntries(op), run.cutover, run.finalTarget],
    data: { op: op.id, key, lsn: op.commit?.lsn ?? null, keys: [...new Set(lost.map((l) => l.key))].sort(), evidence: 'final-state' },
  };
}

/**
 * Events narrowing (both nodes' events account for their final data): an
 * acknowledged source write is lost when the target's row for one of its keys
 * differs from the source's state at F and reflects an older commit (a key
 * absent on both sides — deleted before the copy — is fine).
 */
function lostAck(run: MigrationRun): Violation | undefined {
  const byLsn = new Map(run.sourceLog.map((x) => [x.lsn, x]));
  const want = foldLog(run.sourceLog);
  for (const op of run.ops) {
    if (op.status !== 'ok' || op.node !== run.source || !op.commit || op.completion === undefined) continue;
    const entry = byLsn.get(op.commit.lsn);
    if (!entry) {
      if (op.commit.lsn <= run.freezeLsn) continue; // lost on the source itself (not a migration matter)
      return lostOp(run, op, op.txn[0]?.k ?? '?', 'it committed after the freeze position');
    }
    for (const k of Object.keys(entry.writes)) {
      const row = run.atSwitch.get(k);
      if ((row?.v ?? null) === (want[k] ?? null)) continue;
      if (!row || row.lsn < entry.lsn) return lostOp(run, op, k, `the target's ${k} reflects ${row ? `lsn ${row.lsn}` : 'nothing'}`);
    }
  }
  return undefined;
}

function lostOp(run: MigrationRun, op: Operation, key: string, why: string): Violation {
  return {
    guarantee: 'migration-no-loss',
    sentence: `operation ${op.id} (session ${op.session}) was acknowledged by source ${run.source} at ${fmtMs(op.completeT ?? op.invokeT)} ` +
      `with commit lsn ${op.commit?.lsn}, but at cut-over (${fmtMs(run.cutover.t)}, freeze lsn ${run.freezeLsn}) ${why} — an acknowledged write was lost in the move`,
    witness: [op.invoke, ...(op.completion ? [op.completion] : []), run.cutover],
    data: { op: op.id, key, lsn: op.commit?.lsn, evidence: 'events' },
  };
}

/**
 * 'migration-read-after-cutover': a read served by the target returns a
 * version at least as new as every write to its key the source acknowledged
 * before the read began. Reads the target served before its switch are judged
 * too: a client that was sent there early sees what it holds then. Black-box:
 * the value read must be the acknowledged write's or one a write that may
 * follow it left (session.ts's explainsRead: by the write the read names, else
 * by value). Where the events of both nodes account for their final data, they
 * narrow what a value cannot tell (versions ordered by the source log up to F,
 * then the target's commits). A read that follows its own transaction's write
 * to the key sees that write and is not judged (it may be rolled back and so
 * in no log).
 */
export function checkReadAfterCutover(history: History, _options: CheckOptions = {}): Violation[] {
  const run = parseMigrationRun(history);
  if (!run) return [];
  const acked = run.ops.filter((op) => op.node === run.source && op.status === 'ok' && op.req.end === 'commit');
  const out: Violation[] = [];
  const flagged = new Set<number>();
  for (const op of run.ops) {
    if (op.node !== run.target) continue;
    for (const r of externalReads(op)) {
      // The newest acknowledged source write of the key, completed before the read began, that the value cannot be.
      const missed = acked.filter((w) => w.completeT! < op.invokeT && w.txn.some((m) => m.f !== 'r' && m.k === r.key) && !explainsRead(run.index, w, r))
        .sort((a, b) => b.completeT! - a.completeT!)[0];
      if (!missed) continue;
      out.push(staleRead(run, op, r.key, r.value, missed, missed.commit?.lsn, 'clients'));
      flagged.add(op.id);
      break;
    }
  }
  if (!run.trusted) return out;
  const versions = versionIndex(run);
  for (const op of run.ops) {
    if (op.status !== 'ok' || op.node !== run.target || flagged.has(op.id)) continue;
    // A read after the transaction's own write to the key sees that write (an internal read), not the cut-over.
    for (const { key, value } of externalReads(op)) {
      const need = lastAckBefore(run, key, op.invokeT);
      if (!need) continue;
      const seen = (versions.get(key) ?? [{ lsn: 0, v: null }]).filter((x) => x.v === value).map((x) => x.lsn);
      const newest = seen.length > 0 ? Math.max(...seen) : -1;
      if (newest >= need.lsn) continue;
      out.push(staleRead(run, op, key, value, need.op, need.lsn, 'events'));
      break;
    }
  }
  return out;
}

function staleRead(run: MigrationRun, op: Operation, key: string, value: Value, missing: Operation, lsn: number | undefined, evidence: 'clients' | 'events'): Violation {
  return {
    guarantee: 'migration-read-after-cutover',
    sentence: `read of ${key} on target ${run.target} at ${fmtMs(op.invokeT)} (${op.invokeT < run.cutover.t ? 'before' : 'after'} cut-over at ${fmtMs(run.cutover.t)}) returned ` +
      `${fmtValue(value)}, missing operation ${missing.id}'s write${lsn !== undefined ? ` at lsn ${lsn}` : ''} acknowledged by the source at ${fmtMs(missing.completeT ?? 0)}, before the read began` +
      (evidence === 'events' ? ' (the value alone cannot tell; the events order it)' : '') +
      ' — the target served a read without a write the source had acknowledged',
    witness: [...opEntries(missing), run.cutover, ...opEntries(op)],
    data: { key, read: value, op: op.id, missing: missing.id, evidence },
  };
}

function versionIndex(run: MigrationRun): Map<string, { lsn: number; v: Value }[]> {
  const out = new Map<string, { lsn: number; v: Value }[]>();
  for (const x of [...run.sourceLog, ...run.targetCommits]) {
    for (const [k, v] of Object.entries(x.writes)) out.set(k, [...(out.get(k) ?? [{ lsn: 0, v: null }]), { lsn: x.lsn, v }]);
  }
  return out;
}

function lastAckBefore(run: MigrationRun, key: string, t: number): { lsn: number; op: Operation } | undefined {
  let best: { lsn: number; op: Operation } | undefined;
  for (const op of run.ops) {
    if (op.status !== 'ok' || op.node !== run.source || !op.commit || (op.completeT ?? Infinity) > t) continue;
    const entry = run.sourceLog.find((x) => x.lsn === op.commit!.lsn);
    if (!entry || !(key in entry.writes)) continue;
    if (!best || entry.lsn > best.lsn) best = { lsn: entry.lsn, op };
  }
  return best;
}

export const MIGRATION_CHECKERS = {
  'migration-target-equals-source': checkTargetEqualsSource,
  'migration-no-loss': checkMigrationNoLoss,
  'migration-read-after-cutover': checkReadAfterCutover,
} as const satisfies Record<string, (h: History, o?: CheckOptions) => Violation[]>;

export type MigrationGuaranteeId = keyof typeof MIGRATION_CHECKERS;

export function checkMigration(history: History, ids: readonly MigrationGuaranteeId[] = Object.keys(MIGRATION_CHECKERS) as MigrationGuaranteeId[]): Violation[] {
  return ids.flatMap((id) => MIGRATION_CHECKERS[id](history));
}
