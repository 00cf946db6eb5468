/**
 * False alarm of the clean cdc model, found by `soak --model cdc --profile
 * lossy-network --seed 952676` (variant no-snapshot, run 429): one write, no
 * fault, heavy-tailed latency. The controller fenced every ISR member (late
 * heartbeats) and took the partition offline after broker-1 had appended and
 * acknowledged the change; broker-3, deposed at an older epoch, still said it
 * led with an empty log, and the model called the run quiet on its positions.
 * The run ended with the change on the ISR and no sink holding it: completeness
 * and sink-convergence broke. Kafka keeps those records and re-elects an ISR
 * member once it is back (unclean election off), so an offline partition or a
 * leader deposed at an older epoch is not quiet (cdcQuiescent).
 */
import { describe, expect, it } from 'vitest';
import type { Model } from '../src/analysis.js';
import { decodeToken, judgeScenario, parseScenario } from '../src/analysis.js';
import { cdcModel } from '../models/cdc/index.js';

const TOKEN = 'rc1:bZDBbgIxDET_Zc4GsYUCyqFf0F64VhzSxFuizcZpHErRav-9ypZjfRrPWM-WJ4ziOcLAeQeCk9SHT5gJmmzWi1SY3kZlQi4cxfqT3BRmMxOU2cN0h-3z_rg7Hg7NUQ2SFOZ9QvAw0A6ELDG4OwxyCaMtdxAk_w3Z-qYwu31HKPzV9taftCQ9DG4gDDAYGuV7wa06zGcCp0Z3Mo6hYp7PzevtNdaGPRMS15uUoQE9L8FrSEsbbeXUrpkwhIWSbeEqIKizkds93boj6MVmfmhn8-I_7WZCFNWTrQyzIfhrfuiWhDRoI38UGbisnlYvD7X9f7WTpNWmCsLYvrru5la_';

describe('cdc: an offline partition or a deposed leader is not quiet', () => {
  const scenario = parseScenario(decodeToken(TOKEN));

  it('the soak\'s false alarm replays clean: the ISR member is re-elected and every sink gets the change', () => {
    expect(scenario.bug).toBeUndefined();
    expect(scenario.faults).toEqual([]);
    const v = judgeScenario(cdcModel as unknown as Model, scenario);
    expect(v.failure).toBeUndefined();
    expect(v.violations.map((x) => x.sentence)).toEqual([]);
    const h = v.run!.history;
    // The partition did go offline after the change was appended: the scenario still reaches the window.
    const quietAt = h.find((e) => e.type === 'quiet')!.t;
    const offline = h.find((e) => e.type === 'event' && e.name === 'kafka.partition' && e.t > quietAt && (e.data as { leader: unknown }).leader === null);
    expect(offline).toBeDefined();
    for (const sink of ['sink-mem', 'sink-sql', 'sink-ctr']) {
      const applied = h.filter((e) => e.type === 'event' && e.node === sink && e.name === 'cdc.apply' && (e.data as { key: string }).key === 'k1');
      expect(applied.length, sink).toBeGreaterThan(0);
      expect(applied[0]!.t, sink).toBeGreaterThan(offline!.t);
    }
  });
});
