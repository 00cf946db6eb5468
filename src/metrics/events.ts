/**
 * Typed access to the shared event vocabulary (see EVENT_NAMES in
 * history/types.ts). Event `data` is untyped model output, so every read is
 * checked: a field that is missing or has the wrong type reads as `undefined`
 * and the metric skips that event rather than inventing a number.
 */
import type { HistoryEntry, ModelEventEntry } from '../history/types.js';

/** A numeric field of an event's data, or undefined when absent / not a finite number. */
export function num(e: ModelEventEntry, field: string): number | undefined {
  const v = e.data?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A field that names a key or position: strings and numbers both print as a string. */
export function keyOf(e: ModelEventEntry, field: string): string | undefined {
  const v = e.data?.[field];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** `writes` of a txn.commit / apply event as key → value, or undefined when malformed. */
export function writesOf(e: ModelEventEntry): Record<string, unknown> | undefined {
  const w = e.data?.['writes'];
  return w !== null && typeof w === 'object' && !Array.isArray(w) ? (w as Record<string, unknown>) : undefined;
}

export function isEvent(e: HistoryEntry, name?: string): e is ModelEventEntry {
  return e.type === 'event' && (name === undefined || e.name === name);
}

/** Push `v` onto the array stored under `k`, creating it on first use. */
export function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}
