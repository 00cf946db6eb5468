/**
 * Teeth of a claim no planted bug's search breaks: per-key-order. The cdc sinks
 * that claim it deduplicate by source position, so a reordering bug alone
 * (partition-by-wrong-key) breaks sink-convergence at the sink that does not
 * claim it and never per-key-order (measured: 300 trigger runs judging only
 * per-key-order found nothing). Judged for every sink, the same model run shows
 * the checker fails from the model's own events; the clean model passes it.
 * Token: `run cdc --bug partition-by-wrong-key` trigger search, shrunk (3 ops, 1 fault).
 */
import { describe, expect, it } from 'vitest';
import { decodeToken, judgeScenario, parseScenario } from '../src/analysis.js';
import { checkPerKeyOrder } from '../src/check/cdc.js';
import { cdcModel } from '../models/cdc/index.js';
import type { Model } from '../src/analysis.js';

const TOKEN = 'rc1:jVLLjqMwEPyXPpsI2xiMv2FWWu11lAMBE3kBm7GdzUSR_31lMrwms6u5temmqqu67jCYRvYgoG5qQFAb3aoziHtAcLqcQcBYWa-8Mjo53ZKrNfqcdPIGCJyUDQgeC-eU0Q7E6x1UAwIcBgSj6VV9iwhWDZWNv5jxMVT5Hw5EisDKNxB38O96-t6CgCsg6EBAFzH-TGAJhnBEIHXErs0wKA8hoBmHHPJvI5H_I7Hy20j0K6Rj_NZWl94_hHZq6i8eAlq1t9YMIF7hZE0nbUKipUp3ySAHOCLwJjadudhaPg6jZe2NfdTemr6X8fHxO15LOiO5t34ua29hWk5LfzW2iwobOW36ovT07CsvdTzYsrZ8H42W2qsq4gyy0nF1Gu0e1FSnBxwQ9Ma5X5WXk6zmMn7UISCoe1N3LmKuAsQdTNs6ORvRWNX6n-MAAqc87OTtRpM8JZxs55MsLRH8vgy7XBFeIjjdppIWKVvvW66dBGcMpzgcw8bCf2-WPdPgHM9gGJc5yVceRpcWJfmOhOxJcEEKVuw0YZ6FzS33FtCswHQ_ntMvLCj5KpSUOVl3w6SgS4_lnD_WW6K358OMYZrvCNkzHS3JApkRkpYbOsrSuVcwzujKFuP5mY1jsmcjvAybDH-azzklOzso41-sh4vN2cMxBrNRbkp96266fnmKfm2085X2MfdRxYGEEP4C';

const model = cdcModel as unknown as Model;

describe('per-key-order has teeth on a model run, though no claiming sink can regress from one reordering bug', () => {
  const scenario = parseScenario(decodeToken(TOKEN));

  it('with partition-by-wrong-key: the non-claiming sink goes back; judged for every sink, per-key-order says so', () => {
    expect(scenario.bug).toBe('partition-by-wrong-key');
    const v = judgeScenario(model, scenario);
    expect(v.violations.map((x) => x.guarantee)).toContain('sink-convergence');
    const history = v.run!.history;
    // Only what the sinks claim: the deduplicating sinks kept k1 moving forward.
    expect(checkPerKeyOrder(history)).toEqual([]);
    const all = checkPerKeyOrder(history, { judgeAll: true });
    expect(all).toHaveLength(1);
    expect(all[0]!.data).toMatchObject({ sink: 'sink-mem', key: 'k1', from: '10:0', to: '3:0', evidence: 'events' });
    expect(all[0]!.sentence).toMatch(/sink sink-mem: key k1 went back from version 10:0 .* to older version 3:0 .* out of source order/);
  });

  it('the clean model on the same scenario: every claim holds and no sink goes back', () => {
    const { bug: _planted, ...clean } = scenario;
    const v = judgeScenario(model, clean);
    expect(v.violations.map((x) => x.sentence)).toEqual([]);
    expect(v.failure).toBeUndefined();
    expect(checkPerKeyOrder(v.run!.history, { judgeAll: true })).toEqual([]);
  });
});
