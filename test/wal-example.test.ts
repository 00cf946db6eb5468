/**
 * The README's "Write your own model" example runs under `simulate` like a
 * built-in model and its events rebuild its nodes' views.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/analysis.js';
import { tinyAsyncModel } from '../models/examples/tiny-async.js';
import { at, finals, foldVisible, r, readValue, sim, w } from './wal-helpers.js';

describe('tiny-async example model', () => {
  const run = (faults = [] as Parameters<typeof sim>[2]) =>
    simulate({
      model: tinyAsyncModel,
      config: {},
      sim: sim(['n1', 'n2'], [{ id: 'a', ops: [at(1, w('x', 1)), at(2, w('y', 2))] }, { id: 'b', policy: 'any-standby', ops: [at(1, r('x')), at(30, r('x'))] }], faults),
    }).history;

  it('replicates asynchronously: a replica read right after the write is stale, later it is not', () => {
    const h = run();
    expect(readValue(h, 1)).toBe(null);
    expect(readValue(h, 3)).toBe(1);
    const f = finals(h);
    expect(f.n2!.data).toEqual({ x: 1, y: 2 });
    expect(foldVisible(h)).toEqual({ n1: f.n1!.data, n2: f.n2!.data });
  });

  it('loses what was in flight when the replica crashes (no catch-up in the tiny model)', () => {
    const h = run([{ kind: 'crash', atMs: 3, node: 'n2', mode: 'machine', restartAfterMs: 1 }]);
    expect(finals(h).n1!.data).toEqual({ x: 1, y: 2 });
    expect(finals(h).n2!.data).not.toEqual(finals(h).n1!.data); // no convergence claimed, none delivered
    expect(foldVisible(h).n2 ?? {}).toEqual(finals(h).n2!.data);
  });
});
