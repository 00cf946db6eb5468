/**
 * 'linearizable-primary-reads': the operations of sessions that read from the
 * primary, together with every write, must be linearizable per key (a register
 * per key). A failover that loses an acknowledged write shows up here as a read
 * that cannot be placed after the write it missed.
 */
import { historyToLinOps, type RegisterOp } from '../history/import.js';
import { sessionPolicies } from '../history/ops.js';
import type { History, HistoryEntry, InvokeEntry } from '../history/types.js';
import { checkLinearizable, type LinResult } from './linearizability.js';
import { registerModel } from './lin-models.js';
import type { CheckOptions, Violation } from './types.js';
import { coreOf } from './views.js';

/** Search budget per history: generous for ≤ 100-op runs, bounded so a check always ends. */
const MAX_STEPS = 2_000_000;

/**
 * The linearizability search over primary reads and all writes (a register per
 * key), or undefined when there is nothing to check. Reports draw its result
 * as a partial-linearization timeline.
 */
export function primaryReadsLinearizability(history: History): { result: LinResult; ops: RegisterOp[] } | undefined {
  const policies = sessionPolicies(history);
  const include = (e: InvokeEntry) => policies.get(e.session) === 'primary' || e.req.txn.some((m) => m.f !== 'r');
  // Over the history without its message trace (./views.ts); an error still names the entry's line in the whole history.
  const core = coreOf(history);
  const { ops } = historyToLinOps(withKnownEffects(core), { include, lineOf: (i) => history.indexOf(core[i]!) + 1 });
  if (ops.length === 0) return undefined;
  return { result: checkLinearizable(ops, registerModel, { maxSteps: MAX_STEPS }), ops };
}

export function checkLinearizablePrimaryReads(history: History, _options: CheckOptions = {}): Violation[] {
  const checked = primaryReadsLinearizability(history);
  if (!checked || checked.result.verdict !== 'illegal') return [];
  const { result, ops } = checked;
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

/**
 * An indeterminate operation that computed its value on the server (x+1, NOW(),
 * RAND()) writes a value the client never saw; when the model's commit event
 * names the operation (`op`), the value is known. Fill it into the invocation so
 * the checker can place later reads of it (the operation stays pending).
 */
function withKnownEffects(history: History): History {
  const written = new Map<number, Record<string, unknown>>();
  for (const e of history) {
    if (e.type !== 'event' || (e.name !== 'txn.commit' && e.name !== 'apply')) continue;
    const op = e.data?.['op'];
    const writes = e.data?.['writes'];
    if (typeof op === 'number' && typeof writes === 'object' && writes !== null && !written.has(op)) {
      written.set(op, writes as Record<string, unknown>);
    }
  }
  const settled = new Set(history.flatMap((e) => (e.type === 'ok' || e.type === 'fail' ? [e.op] : [])));
  return history.map((e) => {
    if (e.type !== 'invoke' || settled.has(e.op) || !written.has(e.op)) return e;
    const writes = written.get(e.op)!;
    const lastWrite = new Map<string, number>();
    e.req.txn.forEach((m, i) => m.f !== 'r' && lastWrite.set(m.k, i));
    const txn = e.req.txn.map((m, i) => {
      const v = writes[m.k];
      const known = typeof v === 'number' || typeof v === 'string';
      if (lastWrite.get(m.k) !== i || !known || (m.f !== 'upd' && m.f !== 'now' && m.f !== 'rand')) return m;
      return { ...m, v };
    });
    return { ...e, req: { ...e.req, txn } };
  });
}

function witnessOf(history: History, ops: Set<number>): HistoryEntry[] {
  return history.filter((e) => (e.type === 'invoke' || e.type === 'ok' || e.type === 'info') && ops.has(e.op));
}
