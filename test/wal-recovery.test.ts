/**
 * A restarted primary whose recovered snapshot lags its WAL (the snapshot is durable
 * only with the next fsync, the commit record was fsynced before the ack) must not
 * serve from the older state: it refuses connections until crash recovery made every
 * commit in its WAL visible again, as PostgreSQL does ("the database system is starting up").
 */
import { describe, expect, it } from 'vitest';
import { at, completion, events, finals, judgeClean, pinned, r, run, sim, w, type Completion } from './wal-helpers.js';

/** The token was found before in-doubt commits became visible at recovery and before ProcArray visibility order: replay it under those settings. */


/**
 * Soak false alarm, async-no-failover (synchronous_commit local, failover none):
 * n1 acknowledges w(k3) at 14.6 ms, machine-crashes at 720 ms while paused, restarts at
 * 729 ms with its snapshot at lsn 0 and served a primary read of k3 → nil at 730 ms.
 */
const RESTART_READS_BEHIND_WAL =
  'rc1:fVNNj9sgEP0v70wisJ0Pc6t63VZVe6xyYG3c0BhwATcbRfz3akiT3bTRXtDAzHvz5gFnWN_rERJHNYKh824wPyDPiCfX7YN3fo4fvbUmQWL0Xal6k_uWlOufT5-V1RESYBiUGf1vHSDhvNPIDFHrHpJTEKPxLkJ-P8P0kIgCDJMfTXeCxBSMVeEEBj9dilT6FAs06F8kK724cj4U-iMYDpA41Mg7Bu2IsrvIzZld4Zv6MUF4F76js0HNY7pIOZiSn9QcNdhf6nbD4HyvSU4Fhn4OKhnvKFeLhjQ8xK1W61egeBfYBRX3N-Cm4vdAe4mt6vbGUYOgY1IhfRiSDkUizeF0OvpwIAd6XYZ6Mq5sR5W0I_dvDWdnBh8scZuiRyxbBqteSiyWbWYYfYxfVdKQfClakj9dt3ydM0M3-u4QidUJWv0wRF0mWIgt55wz9MEM6ctkIRdNIzIjB-8qRdW02_ptYbOuGH7O9u51CLGtGJ5PFK839VrkHZHV_5Ct7jo-JGqvNE3bNKvXByR4feuwEBXnW553NGVvYjFxoC_x9J-TnXcxKZfISrq7ZZVz_gM';

const STARTING_UP = /the database system is starting up/;

describe('wal crash recovery', () => {
  it('replays the soak token clean: the read during recovery is refused, not answered from lsn 0', () => {
    const v = judgeClean(pinned(RESTART_READS_BEHIND_WAL));
    expect(v.claims.map((c) => c.id)).toContain('linearizable-primary-reads');
    const h = v.run!.history;
    // The path that raised the alarm: recovery at lsn 0 though lsn 3 was acknowledged.
    expect(events(h, 'recover', 'n1').map((e) => (e.data as { lsn: number }).lsn)).toEqual([0, 0]);
    expect(completion(h, 0)).toMatchObject({ type: 'ok', commit: { lsn: 3 } });
    expect(completion(h, 1)).toMatchObject({ type: 'fail', error: expect.stringMatching(STARTING_UP) });
    expect(finals(h)['n1']).toMatchObject({ role: 'primary', data: { k3: -180000 } });
  });

  it('inDoubtCommits visible (the default): the restarted primary shows its WAL\'s commits at once and serves', () => {
    const reads = [45.2, 45.6, 46, 46.5, 47, 48, 50, 55].map((t, i) => ({ id: `r${i}`, ops: [at(t, r('k1'))] }));
    const h = run({ synchronousCommit: 'local', synchronousStandbyNames: '', failover: 'none' }, (nodes) =>
      sim(nodes, [{ id: 's1', ops: [at(0, w('k1', 7))] }, ...reads], [{ kind: 'crash', atMs: 40, node: 'n1', mode: 'machine', restartAfterMs: 5 }]),
    );
    const outcomes = h.filter((e): e is Extract<Completion, { type: 'ok' | 'fail' }> => (e.type === 'ok' || e.type === 'fail') && e.op > 0);
    expect(outcomes).toHaveLength(reads.length);
    for (const o of outcomes) expect(o).toMatchObject({ type: 'ok', txn: [{ k: 'k1', v: 7 }] });
  });

  it('inDoubtCommits hidden: a primary back from a machine crash answers no read from before its recovered WAL', () => {
    // fsync 1 ms: w(k1) is acknowledged at ~3 ms; nothing fsyncs the snapshot after it.
    const reads = [45.2, 45.6, 46, 46.5, 47, 48, 50, 55].map((t, i) => ({ id: `r${i}`, ops: [at(t, r('k1'))] }));
    const h = run({ synchronousCommit: 'local', synchronousStandbyNames: '', failover: 'none', inDoubtCommits: 'hidden' }, (nodes) =>
      sim(nodes, [{ id: 's1', ops: [at(0, w('k1', 7))] }, ...reads], [{ kind: 'crash', atMs: 40, node: 'n1', mode: 'machine', restartAfterMs: 5 }]),
    );
    const write = completion(h, 0)!;
    expect(write).toMatchObject({ type: 'ok' });
    const lsn = (write as Extract<Completion, { type: 'ok' }>).commit!.lsn;
    // The mechanism: the restart recovers its visible state from before the acknowledged commit.
    const recovers = events(h, 'recover', 'n1').map((e) => (e.data as { lsn: number }).lsn);
    expect(recovers.at(-1)).toBeLessThan(lsn);
    const outcomes = h.filter((e): e is Extract<Completion, { type: 'ok' | 'fail' }> => (e.type === 'ok' || e.type === 'fail') && e.op > 0);
    expect(outcomes).toHaveLength(reads.length);
    for (const o of outcomes) {
      if (o.type === 'ok') expect(o.txn[0]).toMatchObject({ k: 'k1', v: 7 });
      else expect(o.error).toMatch(STARTING_UP);
    }
    // Both outcomes occur: refused while recovering, then served with the commit visible again.
    expect(outcomes.some((o) => o.type === 'fail')).toBe(true);
    expect(outcomes.some((o) => o.type === 'ok')).toBe(true);
  });
});
