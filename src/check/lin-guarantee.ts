/**
 * 'linearizable-primary-reads': the operations of sessions that read from the
 * primary, together with every write, must be linearizable per key (a register
 * per key). A failover that loses an acknowledged write shows up here as a read
 * that cannot be placed after the write it missed.
 */
import { historyToLinOps } from '../history/import.js';
import type { History, HistoryEntry, InvokeEntry, MetaEntry } from '../history/types.js';
import { checkLinearizable } from './linearizability.js';
import { registerModel } from './lin-models.js';
import type { CheckOptions, Violation } from './types.js';

/** Search budget per history: generous for ≤ 100-op runs, bounded so a check always ends. */
const MAX_STEPS = 2_000_000;

export function checkLinearizablePrimaryReads(history: History, _options: CheckOptions = {}): Violation[] {
  const primarySessions = sessionsWithPolicy(history, 'primary');
  const include = (e: InvokeEntry) => primarySessions.has(e.session) || e.req.txn.some((m) => m.f !== 'r');
  const { ops } = historyToLinOps(history, { include });
  if (ops.length === 0) return [];
  const result = checkLinearizable(ops, registerModel, { maxSteps: MAX_STEPS });
  if (result.verdict !== 'illegal') return [];
  const bad = result.partitions.find((p) => p.verdict === 'illegal')!;
  // Lin op ids are positions in `ops`; `source` names the history op ("op 7").
  const historyOp = (id: number) => Number(/op (\d+)/.exec(ops[id]?.source ?? '')?.[1] ?? NaN);
  const ids = new Set([bad.blocking!, ...(bad.unplaced ?? [])].map(historyOp));
  return [
    {
      guarantee: 'linearizable-primary-reads',
      sentence: result.explanation,
      witness: witnessOf(history, ids),
      data: { key: bad.label, blocking: bad.blocking, unplaced: bad.unplaced, longest: bad.longest },
    },
  ];
}

/** Session ids whose read policy is `policy`, from the scenario stored in the meta entry. */
function sessionsWithPolicy(history: History, policy: string): Set<string> {
  const meta = history.find((e): e is MetaEntry => e.type === 'meta');
  const scenario = meta?.scenario as { sessions?: { id: string; policy: string }[] } | undefined;
  return new Set((scenario?.sessions ?? []).filter((s) => s.policy === policy).map((s) => s.id));
}

function witnessOf(history: History, ops: Set<number>): HistoryEntry[] {
  return history.filter((e) => (e.type === 'invoke' || e.type === 'ok' || e.type === 'info') && ops.has(e.op));
}
