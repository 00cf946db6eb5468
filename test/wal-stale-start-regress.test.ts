/**
 * False alarm of the clean model, met by an untuned hunt (remote_write, FIRST 1): a
 * clog held n1 → n2 traffic back ~200 ms while n2 repeated its hello every 30 ms, so
 * answers to old hellos (start from lsn 0) arrived after n2 had written and synced
 * lsn 1–6. Each stale start cut n2's WAL back to 0 (a "rewind" on an unforked
 * history) and the cut was not yet synced when n2's machine crashed: recovery came
 * back with the synced WAL and snapshot (lsn 3 shown), but the history had reported
 * every commit gone at the cut, so showing lsn 6 broke the committed prefix. A
 * PostgreSQL standby never truncates WAL its primary's timeline contains; a start
 * answering an older hello now cuts nothing (the re-sent records are skipped).
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../src/scenario/types.js';
import { events, finals, judgeClean } from './wal-helpers.js';

const write = (k: string, v: string) => ({ txn: [{ f: 'w' as const, k, v }], end: 'commit' as const });

const scenario: Scenario = {
  model: 'wal',
  config: { synchronousCommit: 'remote_write', synchronousStandbyNames: 'FIRST 1 (*)' },
  seed: 0,
  sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 0, req: write('k1', 's1-1') }, { atMs: 32, req: write('k1', 's1-2') }] }],
  faults: [
    { kind: 'clog', atMs: 0, from: 'n1', to: 'n2', extraMs: 197, durationMs: 831 },
    { kind: 'crash', atMs: 0.2, node: 'n2', mode: 'machine', restartAfterMs: 71, after: { mark: 'flush-start', node: 'n2', nth: 4 } },
  ],
  network: {
    defaultLink: {
      latency: { kind: 'mixture', parts: [{ weight: 80, dist: { kind: 'uniform', minMs: 0.1, maxMs: 0.1 } }, { weight: 20, dist: { kind: 'pareto', scaleMs: 0.1, shape: 1.1, capMs: 50 } }] },
      lossRate: 0,
      dupRate: 0,
    },
  },
};

describe('wal standby and answers to older hellos', () => {
  it('a stale start cuts nothing, so a machine crash right after it loses no commit the history kept', () => {
    const v = judgeClean(scenario);
    const h = v.run!.history;
    // The path: n2 got both commits through the clogged link while stale starts kept arriving.
    expect(events(h, 'apply', 'n2').map((e) => e.data?.['lsn'])).toContain(6);
    // No rewind on the one timeline there is (the old model cut to 0 twice).
    expect(events(h, 'rewind', 'n2')).toEqual([]);
    for (const node of ['n1', 'n2', 'n3']) expect(finals(h)[node]!.data, node).toEqual({ k1: 's1-2' });
  });

  it('a machine crash at any of the fsyncs n2 starts on that path breaks nothing', () => {
    let crashedHolding6 = 0;
    for (let nth = 1; nth <= 4; nth++) {
      const crash = { ...scenario.faults[1]!, after: { mark: 'flush-start', node: 'n2', nth } };
      const v = judgeClean({ ...scenario, faults: [scenario.faults[0]!, crash] }, `${nth}: `);
      const h = v.run!.history;
      const t = h.find((e) => e.type === 'node' && e.node === 'n2' && e.ev === 'crash')?.t;
      if (t !== undefined && events(h, 'standby.write', 'n2').some((e) => e.t < t && e.data?.['lsn'] === 6)) crashedHolding6++;
    }
    expect(crashedHolding6).toBeGreaterThan(0);
  });
});
