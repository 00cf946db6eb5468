/**
 * Checkers for online migration (models/migration): a source setup is copied
 * to a target while clients write; at cut-over the target is promoted and
 * serves every request after. Read from the history alone:
 * - the source's visible log (`txn.commit`, truncated by `recover`),
 * - the target's `migration.apply` events (rows it took from the bulk copy and
 *   the CDC stream, with the source lsn each reflects), `migration.recover`
 *   (after a restart: every row that survived, replacing what came before) and
 *   its `txn.commit` events after promotion,
 * - the target's `migration.cutover` {freezeLsn F}: the switch, at which the
 *   target must hold exactly the source's state as of its last commit F.
 */
import type { History, ModelEventEntry, NodeId, Value } from '../history/types.js';
import { fmtMs, fmtValue, foldLog, type LogEntry, type Operation, operations, replayLogs } from '../history/ops.js';
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
  finalTarget?: Record<string, Value>;
  ops: Operation[];
}

/** Parses a migration history; undefined when it never cut over (nothing to judge yet). */
export function parseMigrationRun(history: History): MigrationRun | undefined {
  const cutover = history.find((e): e is ModelEventEntry => e.type === 'event' && e.name === 'migration.cutover');
  if (!cutover) return undefined;
  const target = cutover.node;
  const freezeLsn = Number(cutover.data?.['freezeLsn']);
  const replays = replayLogs(history);
  const source = [...replays.keys()].find((n) => n !== target && (replays.get(n)?.applications.length ?? 0) > 0);
  const sourceLog = source ? (replays.get(source)?.log ?? []).filter((x) => x.lsn <= freezeLsn) : [];
  const atSwitch = new Map<string, { v: Value; lsn: number; e: ModelEventEntry }>();
  for (const e of history) {
    if (e === cutover) break;
    if (e.type !== 'event' || e.node !== target) continue;
    if (e.name === 'migration.recover') atSwitch.clear();
    else if (e.name !== 'migration.apply') continue;
    const writes = (e.data?.['writes'] ?? {}) as Record<string, Value>;
    const lsns = (e.data?.['lsns'] ?? {}) as Record<string, number>;
    for (const [k, v] of Object.entries(writes)) atSwitch.set(k, { v, lsn: Number(lsns[k]), e });
  }
  const final = history.find((e) => e.type === 'final' && e.node === target);
  return {
    source: source ?? '(none)', target, cutover, freezeLsn, sourceLog, atSwitch,
    targetCommits: (replays.get(target)?.log ?? []).filter((x) => x.lsn > freezeLsn),
    ...(final?.type === 'final' && final.alive ? { finalTarget: final.view.data } : {}),
    ops: operations(history),
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

/**
 * 'migration-target-equals-source': at the switch the target holds exactly the
 * source's state as of the freeze position F — nothing missing, nothing extra,
 * no increment applied twice.
 */
export function checkTargetEqualsSource(history: History, _options: CheckOptions = {}): Violation[] {
  const run = parseMigrationRun(history);
  if (!run) return [];
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
      (keys.length > 1 ? ` — and ${keys.length - 1} more key(s) differ` : '') + ' — the target was switched in before it matched the source',
    witness: [...(src ? [src.event] : []), ...(run.atSwitch.get(k) ? [run.atSwitch.get(k)!.e] : []), run.cutover],
    data: { keys, freezeLsn: run.freezeLsn },
  }];
}

/**
 * 'migration-no-loss': every write the source acknowledged is in the target at
 * the switch (the target's row reflects that commit or a later one), and after
 * the quiet phase the target equals the source's state at F followed by the
 * target's own commits — no acknowledged write lost or applied twice.
 */
export function checkMigrationNoLoss(history: History, _options: CheckOptions = {}): Violation[] {
  const run = parseMigrationRun(history);
  if (!run) return [];
  const lost = lostAck(run);
  if (lost) return [lost];
  if (!run.finalTarget) return [];
  const want = foldLog(run.targetCommits, foldLog(run.sourceLog));
  const keys = diffKeys(run.finalTarget, want);
  if (keys.length === 0) return [];
  const k = keys[0]!;
  return [{
    guarantee: 'migration-no-loss',
    sentence: `after the quiet phase target ${run.target} holds ${k} = ${fmtValue(run.finalTarget[k])} but the source's state at cut-over ` +
      `plus the target's own commits give ${fmtValue(want[k])} — a write was lost or applied twice`,
    witness: [run.cutover, ...history.filter((e) => e.type === 'final' && e.node === run.target)],
    data: { keys },
  }];
}

/**
 * An acknowledged source write is lost when the target's row for one of its keys
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
    data: { op: op.id, key, lsn: op.commit?.lsn },
  };
}

/**
 * 'migration-read-after-cutover': a read served by the target returns a
 * version at least as new as the last write to its key the source
 * acknowledged before the read began (versions ordered by the source log up to
 * F, then the target's commits). Reads the target served before its switch
 * are judged too: a client that was sent there early sees what it holds then.
 * A read that follows its own transaction's write to the key sees that write
 * and is not judged (it may be rolled back and so in no log).
 */
export function checkReadAfterCutover(history: History, _options: CheckOptions = {}): Violation[] {
  const run = parseMigrationRun(history);
  if (!run) return [];
  const versions = versionIndex(run);
  const out: Violation[] = [];
  for (const op of run.ops) {
    if (op.status !== 'ok' || op.node !== run.target) continue;
    // A read after the transaction's own write to the key sees that write (an internal read), not the cut-over.
    const written = new Set<string>();
    for (const m of op.txn) {
      if (m.f !== 'r') written.add(m.k);
      if (m.f !== 'r' || m.v === undefined || written.has(m.k)) continue;
      const need = lastAckBefore(run, m.k, op.invokeT);
      if (!need) continue;
      const seen = (versions.get(m.k) ?? [{ lsn: 0, v: null }]).filter((x) => x.v === m.v).map((x) => x.lsn);
      const newest = seen.length > 0 ? Math.max(...seen) : -1;
      if (newest >= need.lsn) continue;
      out.push({
        guarantee: 'migration-read-after-cutover',
        sentence: `read of ${m.k} on target ${run.target} at ${fmtMs(op.invokeT)} (${op.invokeT < run.cutover.t ? 'before' : 'after'} cut-over at ${fmtMs(run.cutover.t)}) returned ` +
          `${fmtValue(m.v)}, missing operation ${need.op.id}'s write at lsn ${need.lsn} acknowledged by the source at ${fmtMs(need.op.completeT ?? 0)}, before the read began — ` +
          'the target served a read without a write the source had acknowledged',
        witness: [need.op.invoke, ...(need.op.completion ? [need.op.completion] : []), run.cutover, op.invoke, ...(op.completion ? [op.completion] : [])],
        data: { key: m.k, read: m.v, op: op.id, missing: need.op.id },
      });
      break;
    }
  }
  return out;
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
