/**
 * A standby cut back by a rewind while WAL it kept below the cut was written but not
 * yet flushed: here a restart's recovery fsync (10 ms) is still running when the new
 * primary's start arrives. That fsync's completion predates the cut and is ignored,
 * so on the old model nothing ever queued those records for replay: with no more WAL
 * coming, n3 replayed up to its snapshot (LSN 3) and stopped below the new primary's
 * start (LSN 12); the run never went quiet. Clean model, fault vocabulary of the search.
 */
import { describe, expect, it } from 'vitest';
import type { Fault } from '../src/sim/types.js';
import type { History } from '../src/history/types.js';
import { checkClaims } from '../src/verdict/judge.js';
import { walModel, walVariants } from '../models/wal/index.js';
import { at, events, finals, run, sim, w } from './wal-helpers.js';

const LAGGING = walVariants['async-lagging-replay']!;
const faults: Fault[] = [
  // n2 misses n1's last writes; n3 gets them, then its process dies mid-replay.
  { kind: 'clog', atMs: 30, from: 'n1', to: 'n2', extraMs: 100, durationMs: 200 },
  { kind: 'crash', atMs: 60, node: 'n3', mode: 'process', restartAfterMs: 340 },
  // n1 is cut off: the monitor promotes n2 while n3 is down; n3 restarts after that.
  { kind: 'partition', atMs: 70, from: ['n1'], to: ['n2', 'n3', 'm'], durationMs: 600 },
];
const history = (): History =>
  run(LAGGING, (n) =>
    sim(
      n,
      [1, 2, 3, 4].map((i) => ({ id: `s${i}`, ops: [at(0, w(`a${i}`, i)), at(1, w(`b${i}`, i))] })),
      faults,
      { disk: { fsyncLatency: { kind: 'constant', ms: 10 } } },
    ),
  );

describe('rewind of a standby whose kept WAL was not yet flushed', () => {
  it('the restarted standby flushes and replays what the cut kept, and the run goes quiet', () => {
    const h = history();
    const rw = events(h, 'rewind', 'n3');
    expect(rw).toHaveLength(1);
    const to = (rw[0]!.data as { toLsn: number }).toLsn;
    // The situation: n3 recovered a snapshot below the cut, then was cut back to n2's start.
    expect((events(h, 'recover', 'n3').at(-1)!.data as { lsn: number }).lsn).toBeLessThan(to);
    expect(events(h, 'promote', 'n2')).toHaveLength(1);
    const f = finals(h);
    expect(f['n3']!.positions).toMatchObject({ flush: to, replay: to, timeline: 2 });
    expect(f['n3']!.data).toEqual(f['n2']!.data);
    expect(checkClaims(h, walModel.claims(walModel.configure(LAGGING)))).toEqual([]);
  });
});
