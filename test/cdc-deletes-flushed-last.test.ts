/**
 * Searched teeth of per-key-order at the sinks that claim it. Those sinks
 * deduplicate by source position, so no reordering upstream (partition-by-wrong-key,
 * retries-reorder) can take a key back there: the late older event is skipped.
 * The planted bug deletes-flushed-last is a defect in the sink's own writes:
 * kafka-connect-jdbc's BufferedRecords.flush() runs a batch's upserts, then its
 * deletes (confluentinc/kafka-connect-jdbc#1562), and a delete is by key alone,
 * so a delete followed by a write of its key in one fetched batch is applied
 * after the write — even by a sink whose upserts are conditioned on the position.
 * Token: `run cdc --bug deletes-flushed-last --seed 3` as a user types it
 * (found at run 3, no-snapshot variant, per-key-order named, shrunk to 3 ops, 0 faults;
 * seeds 1 and 2: runs 16 and 7, 3 ops 0 faults, per-key-order).
 */
import { describe, expect, it } from 'vitest';
import { decodeToken, judgeScenario, parseScenario, scenarioSize } from '../src/analysis.js';
import { judgeCleanOn, withoutBug } from './helpers/judge-clean.js';
import { cdcModel, CDC_BUGS, sinkClaims, CDC_DEFAULTS } from '../models/cdc/index.js';

const TOKEN = 'rc1:jZHNTsMwEITfZc5u1RSQkJ8BLr2iHoy9aaw4tsk6hCryu6M1P6cKcdudXX3eGW-YkqMADessFGyKvb9Ab-BoMg-pQPcmMCnkmUIy7pRWhj5UhdflAg1HgQrxrg8LD-R2wXCBAhM56LuDVMw-RYZ-2eAdNLiDQk7B2ys08uwnM1-hkPLXkinP8oTCTG9ySvmITe-hsUJhhMYojPcG23WoZwWKwrZpmnxBreqH0-3vb5LE9i_rL8Bx__jvU463SGfRerOEIv7OCpHKmuZRgI7a4MnH1gZTKEosG0bfKNnMVJIkak2gFsy-U-DBZBJznYI1WfQH-ZSQmE-mUMvPLfm7rrV-Ag';

describe('deletes-flushed-last: per-key-order broken at a claiming sink, found by search', () => {
  const scenario = parseScenario(decodeToken(TOKEN));

  it('the bug cites the flush order it reproduces', () => {
    expect(CDC_BUGS.find((b) => b.name === 'deletes-flushed-last')?.source).toMatch(/kafka-connect-jdbc#1562/);
  });

  it('the searched, shrunk run: a write, a delete and a write of one key; the deduplicating sinks go back to the delete', () => {
    expect(scenario.bug).toBe('deletes-flushed-last');
    const size = scenarioSize(scenario);
    expect(size.ops).toBeLessThanOrEqual(12);
    expect(size.faults).toBeLessThanOrEqual(3);
    const v = judgeScenario(cdcModel, scenario);
    expect(v.failure).toBeUndefined();
    // The first violation the search names is per-key-order, at sinks that claim it.
    expect(v.violations[0]?.guarantee).toBe('per-key-order');
    const order = v.violations.filter((x) => x.guarantee === 'per-key-order');
    const sinks = new Map(CDC_DEFAULTS.sinks.map((s) => [s.name, s]));
    for (const x of order) {
      const sink = sinks.get(String(x.data?.['sink']))!;
      expect(sinkClaims(cdcModel.configure(scenario.config), sink)).toContain('per-key-order');
      expect(x.sentence).toMatch(/key k1 went back from version \d+:0 \(s1-2, .*\) to older version \d+:0 \(nothing, /);
    }
    expect(order.map((x) => x.data?.['sink']).sort()).toEqual(['sink-ctr', 'sink-sql']);
    // Convergence says in words what the sink last applied to the key (it said "applied d nothing").
    const conv = v.violations.find((x) => x.guarantee === 'sink-convergence');
    expect(conv?.sentence).toMatch(/the sink last applied a delete from position \d+:0 at /);
  });

  it('the clean model on the same scenario holds every claim', () => {
    const v = judgeCleanOn(cdcModel, withoutBug(scenario));
    expect(v.outcomes.find((o) => o.id === 'per-key-order')?.notJudged).toBeUndefined();
  });
});
