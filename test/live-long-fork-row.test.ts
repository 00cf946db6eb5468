/**
 * The synchronous_commit table's long-fork row without a server: the probe's
 * results injected, the model's side real. The model does not claim
 * no-long-fork at procArrayDelayMs 0.2 and its dense runs reach one; a server
 * that showed one agrees, a server that showed none in N reads disagrees, said
 * as "not seen", never "impossible"; a model that claims it disagrees with a
 * server that showed one.
 */
import { describe, expect, it } from 'vitest';
import {
  longForkJson, longForkModel, longForkRow, longForkScenario, longForkVerdict, syncTableMarkdown,
  type LongForkModelSide, type LongForkProbe, type LongForkProbeResult,
} from '../src/live/sync-table.js';
import { BUILTIN_MODELS } from '../models/index.js';
import { judgeScenario } from '../src/verdict/judge.js';

const probeResult = (forks: number): LongForkProbeResult => ({
  forks, distinct: 900, writes: 4000, reads: { primary: 1200, standby: 1300 }, ms: 3000,
  ...(forks > 0 ? { example: { sentence: "a primary read saw writer 0's key 5 but not writer 1's key 5; … — long fork" } } : {}),
});
const notClaimed: LongForkModelSide = { claims: false, runs: 4, runsWithFork: 3, forks: 40 };
const claimed: LongForkModelSide = { claims: true, runs: 4, runsWithFork: 0, forks: 0 };

describe('long-fork row: agree and disagree', () => {
  it('model possible, server saw one: agree', () => {
    const c = longForkVerdict('on', notClaimed, probeResult(3));
    expect(c).toMatchObject({ modelPossible: true, liveSeen: true, disagree: false });
    expect(c.sentence).toBeUndefined();
  });

  it('model possible, server saw none: disagree, worded as not seen in N reads, not impossible', () => {
    const c = longForkVerdict('remote_apply', notClaimed, probeResult(0));
    expect(c.disagree).toBe(true);
    expect(c.sentence).toBe(
      'the model does not claim no-long-fork at synchronous_commit=remote_apply and 3 of its 4 dense runs showed a long fork; ' +
        'PostgreSQL showed none in 2500 reads (1200 primary, 1300 standby, 900 distinct) over 3 s — not seen is weaker than impossible: ' +
        'a longer probe may see it, or the model allows more than the server does',
    );
    const md = syncTableMarkdown([], [c]);
    expect(md).toContain('| remote_apply | no-long-fork | possible: no-long-fork not claimed; a long fork in 3 of 4 dense model runs | not seen in 2500 reads (900 distinct) in 3.0 s | **no** |');
    expect(md).toContain('long fork, remote_apply: the model does not claim');
    // The server's column says how much was looked at, never that it cannot happen.
    const row = md.split('\n').find((l) => l.includes('| remote_apply |'))!;
    expect(row.split(' | ')[4]).not.toMatch(/impossible|never|held/);
  });

  it('model claims no-long-fork, server saw one: disagree, a model bug or a finding', () => {
    const c = longForkVerdict('async', claimed, probeResult(2));
    expect(c.disagree).toBe(true);
    expect(c.sentence).toMatch(/^the model claims no-long-fork at synchronous_commit=async, yet PostgreSQL showed 2 long fork\(s\) in 2500 reads over 3 s: a primary read .* a model bug or a finding$/);
  });

  it('model claims it and the server saw none: agree; a model claiming it whose own run forks: flagged', () => {
    expect(longForkVerdict('on', claimed, probeResult(0)).disagree).toBe(false);
    const self = longForkVerdict('on', { ...claimed, runsWithFork: 1, forks: 1, sentence: 'long fork: …' }, probeResult(0));
    expect(self.disagree).toBe(true);
    expect(self.sentence).toMatch(/claims no-long-fork .* yet 1 of its own 4 dense runs showed one/);
  });

  it('a live.json row: the common fields a report renders, the counts added', () => {
    const row = longForkJson(longForkVerdict('remote_apply', notClaimed, probeResult(0)));
    expect(row).toMatchObject({ case: 'long-fork', level: 'remote_apply', guarantee: 'no-long-fork', broke: 0, runs: 1, agree: false, token: null });
    expect(row['sentence']).toMatch(/not seen is weaker than impossible/);
    expect(row['longFork']).toMatchObject({ modelPossible: true, liveSeen: false, forks: 0, reads: { primary: 1200, standby: 1300 } });
  });
});

describe('long-fork row: the model side at every level, probe injected', () => {
  it('procArrayDelayMs 0.2: not claimed at any level, reached by the dense runs; the probe gets each level\'s configuration', async () => {
    const asked: Parameters<LongForkProbe>[0][] = [];
    const probe: LongForkProbe = async (o) => (asked.push(o), probeResult(o.synchronousCommit === 'remote_apply' ? 0 : 5));
    const cells = await longForkRow(2000, { probe });
    expect(asked).toEqual([
      { ms: 2000, synchronousCommit: 'local', synchronousStandbyNames: '' },
      { ms: 2000, synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' },
      { ms: 2000, synchronousCommit: 'remote_apply', synchronousStandbyNames: 'FIRST 1 (*)' },
    ]);
    for (const c of cells) {
      expect(c.model.claims, c.level).toBe(false);
      expect(c.model.runsWithFork, c.level).toBeGreaterThan(0);
      expect(c.model.sentence, c.level).toMatch(/long fork: .* node n1 .* node n2|long fork: .* node n2 .* node n1/);
    }
    expect(cells.map((c) => [c.level, c.disagree])).toEqual([['async', false], ['on', false], ['remote_apply', true]]);
  }, 300_000);

  it('procArrayDelayMs 0 (commits visible in WAL order): claimed, and the same dense runs show no fork', () => {
    const entry = BUILTIN_MODELS['wal']!;
    for (const level of ['async', 'on'] as const) {
      const s = longForkScenario(level);
      const strict = { ...s, config: { ...s.config, procArrayDelayMs: 0 } };
      expect(entry.model.claims(entry.model.configure(strict.config)).map((c) => c.id), level).toContain('no-long-fork');
      for (const seed of [1, 2]) {
        const v = judgeScenario(entry.model, { ...strict, seed }, { guarantees: ['no-long-fork'], traceMessages: false });
        expect(v.failure, level).toBeUndefined();
        expect(v.outcomes.find((o) => o.id === 'no-long-fork')?.notJudged, level).toBeFalsy();
        expect(v.violations, level).toEqual([]);
      }
    }
    // The row's own model side at 0.2, for contrast on one level.
    expect(longForkModel('on', 1).claims).toBe(false);
  }, 300_000);
});
