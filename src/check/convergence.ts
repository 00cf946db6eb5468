/**
 * Eventual consistency: once the quiet phase has healed every fault and the
 * system has gone quiet, every live node shows exactly the authority's state
 * (as a caught-up PostgreSQL standby shows the primary's data, or a CDC sink
 * the source table).
 */
import type { FinalEntry, History } from '../history/types.js';
import { diffStates, fmtMs, fmtValue } from '../history/ops.js';
import { authorityOf, dataNodesOf, quietOf } from './views.js';
import type { CheckOptions, Violation } from './types.js';

/**
 * 'convergence': each live data node's final `view.data` equals the
 * authority's (`options.dataNodes`, default: see dataNodes) — a replica that
 * holds nothing while the authority holds data has not converged. One
 * violation per diverging node, naming the first differing key. Without an
 * authority (no live 'primary' at the end), two live data nodes or any data,
 * the guarantee table reports the run as not judged, and this returns [].
 */
export function checkConvergence(history: History, options: CheckOptions = {}): Violation[] {
  const auth = authorityOf(history);
  if (!auth) return [];
  const quiet = quietOf(history);
  const judged = dataNodesOf(history, options.dataNodes);
  const out: Violation[] = [];
  for (const f of history) {
    if (f.type !== 'final' || !f.alive || f.node === auth.node || !judged.has(f.node)) continue;
    const keys = diffStates(f.view.data, auth.final.view.data);
    if (keys.length > 0) out.push(divergence(f, auth.final, keys, quiet?.t));
  }
  return out;
}

function divergence(f: FinalEntry, a: FinalEntry, keys: string[], quietT: number | undefined): Violation {
  const k = keys[0]!;
  const more = keys.length > 1 ? ` (and ${keys.length - 1} more key${keys.length > 2 ? 's' : ''})` : '';
  const when = quietT === undefined ? `at the end (${fmtMs(f.t)})` : `after the quiet phase (began ${fmtMs(quietT)})`;
  return {
    guarantee: 'convergence',
    sentence: `key ${k}: ${when} node ${f.node} holds ${fmtValue(f.view.data[k])} but authority ${a.node} holds ` +
      `${fmtValue(a.view.data[k])}${more} — replicas did not converge`,
    witness: [f, a],
    data: { node: f.node, authority: a.node, keys },
  };
}
