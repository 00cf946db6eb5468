/**
 * Fault windows of a run, for shading charts and for reading lag figures in
 * context: each injected fault paired with its heal (by the simulator's fault
 * description). A fault still open when the history ends lasts until the
 * `quiet` entry (where every fault heals) or, without one, the last entry.
 */
import type { FaultEntry, History, NodeId } from '../history/types.js';

export interface FaultWindowSpan {
  startMs: number;
  endMs: number;
  kind: string;
  nodes: NodeId[];
  /** The simulator's one-liner, e.g. "partition n1 <-/-> n3 for 10ms". */
  label: string;
}

export function faultWindows(history: History): FaultWindowSpan[] {
  const open = new Map<string, FaultEntry[]>();
  const out: FaultWindowSpan[] = [];
  const close = (f: FaultEntry, endMs: number): void => {
    out.push({ startMs: f.t, endMs, kind: f.fault.kind, nodes: f.fault.nodes, label: f.fault.text });
  };
  for (const e of history) {
    if (e.type !== 'fault') continue;
    const key = `${e.fault.kind}\u0000${e.fault.text}`;
    const waiting = open.get(key) ?? [];
    if (e.phase === 'inject') open.set(key, [...waiting, e]);
    else if (waiting.length > 0) {
      close(waiting[0] as FaultEntry, e.t);
      open.set(key, waiting.slice(1));
    }
  }
  const endMs = history.find((e) => e.type === 'quiet')?.t ?? history[history.length - 1]?.t ?? 0;
  for (const waiting of open.values()) for (const f of waiting) close(f, Math.max(f.t, endMs));
  return out.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}
