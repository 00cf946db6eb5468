/**
 * Derived views of one history, computed once and shared by every checker that
 * judges it (and by the model-contract check). A judged run goes through a
 * dozen checkers; each used to pair the operations, replay every node's log
 * and find the authority again — over a history that is mostly message trace.
 *
 * Views derive from the history without its message trace (coreOf): `net`
 * entries are three in four entries of a traced run, and no checker reads them.
 *
 * The cache is keyed by the history array and remembers its length: a history
 * is complete when it is judged, and one that grows afterwards (a test that
 * appends entries) is derived again. Views are shared, so callers must not
 * mutate what they get. A derivation that throws (a malformed history) caches
 * nothing and throws again on the next call, as the underlying helper does.
 */
import {
  type Authority,
  type NodeReplay,
  type Operation,
  type WriteRecord,
  abortedXids,
  dataNodes,
  findAuthority,
  injectedFaultKinds,
  operations,
  replayLogs,
  writesByValue,
} from '../history/ops.js';
import type { FinalEntry, History, HistoryEntry, ModelEventEntry, NodeId, QuietEntry, Value } from '../history/types.js';
import { eventsAccountFor, writeIndex, type WriteIndex } from './evidence.js';

const cache = new WeakMap<History, { length: number; views: Map<string, unknown> }>();

/** The view `name` of `history`, derived by `derive` on first use and kept. */
export function shared<T>(history: History, name: string, derive: () => T): T {
  let hit = cache.get(history);
  if (!hit || hit.length !== history.length) cache.set(history, (hit = { length: history.length, views: new Map() }));
  if (hit.views.has(name)) return hit.views.get(name) as T;
  const view = derive();
  hit.views.set(name, view);
  return view;
}

/** The history without `net` entries: the same entry objects, in order. */
export function coreOf(history: History): History {
  return shared(history, 'core', () => history.filter((e) => e.type !== 'net'));
}

/** operations(history), shared. */
export function opsOf(history: History): Operation[] {
  return shared(history, 'ops', () => operations(coreOf(history)));
}

/** replayLogs(history) without a visitor, shared. */
export function replaysOf(history: History): Map<NodeId, NodeReplay> {
  return shared(history, 'replays', () => replayLogs(coreOf(history)));
}

/** findAuthority(history), shared. */
export function authorityOf(history: History): Authority | undefined {
  return shared(history, 'authority', () => findAuthority(coreOf(history), replaysOf(history)));
}

/** injectedFaultKinds(history), shared. */
export function faultsOf(history: History): { kinds: string[]; entry: HistoryEntry }[] {
  return shared(history, 'faults', () => injectedFaultKinds(coreOf(history)));
}

/** faultOutside (src/history/ops.ts) over the shared fault list. */
export function faultOutsideOf(history: History, tolerates: readonly string[] | undefined): HistoryEntry | undefined {
  if (tolerates === undefined) return undefined;
  return faultsOf(history).find((f) => !f.kinds.some((k) => tolerates.includes(k)))?.entry;
}

/** The `final` entries, shared. */
export function finalsOf(history: History): FinalEntry[] {
  return shared(history, 'finals', () => coreOf(history).filter((e): e is FinalEntry => e.type === 'final'));
}

/** The `quiet` entry, shared. */
export function quietOf(history: History): QuietEntry | undefined {
  return shared(history, 'quiet', () => coreOf(history).find((e): e is QuietEntry => e.type === 'quiet'));
}

/** abortedXids(history), shared. */
export function abortsOf(history: History): Map<string, ModelEventEntry> {
  return shared(history, 'aborts', () => abortedXids(coreOf(history)));
}

/** dataNodes(history, explicit): `explicit` as given, else the derived set, shared. */
export function dataNodesOf(history: History, explicit?: readonly NodeId[]): Set<NodeId> {
  return explicit ? dataNodes(history, explicit) : shared(history, 'dataNodes', () => dataNodes(coreOf(history)));
}

/** writesByValue(opsOf(history)), shared. */
export function writesOf(history: History): Map<Value, WriteRecord> {
  return shared(history, 'writes', () => writesByValue(opsOf(history)));
}

/** writeIndex(opsOf(history)), shared. */
export function writeIndexOf(history: History): WriteIndex {
  return shared(history, 'writeIndex', () => writeIndex(opsOf(history)));
}

/** eventsAccountFor (./evidence.ts) of the node a `final` entry belongs to, shared. */
export function accountsFor(history: History, final: FinalEntry): boolean {
  const known = shared(history, 'accounts', () => new Map<FinalEntry, boolean>());
  let yes = known.get(final);
  if (yes === undefined) known.set(final, (yes = eventsAccountFor(replaysOf(history).get(final.node), final)));
  return yes;
}
