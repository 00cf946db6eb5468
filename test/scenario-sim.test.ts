/**
 * End to end through the simulator: generated scenarios run, their histories
 * survive JSONL export/import byte for byte with the simulator's own hash, and a
 * scenario sent through a replay token replays to the identical history.
 */
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { historyHash, readHistoryJsonl, writeHistoryJsonl } from '../src/history/jsonl.js';
import { scenarioArb, FAULT_PROFILE_NAMES } from '../src/scenario/arbitraries.js';
import { decodeToken, encodeToken } from '../src/scenario/compact.js';
import { parseScenario, toSimConfig } from '../src/scenario/validate.js';
import { simulate } from '../src/sim/run.js';
import { broadcastModel } from './helpers/sim-models.js';

const model = broadcastModel();
const NODES = model.nodes({});
const arb = fc.constantFrom(...FAULT_PROFILE_NAMES).chain((profile) => scenarioArb({ model: 'broadcast', nodes: NODES, profile, opsMax: 10 }));

describe('scenarios in the simulator', () => {
  test.prop([arb], { numRuns: 30 })('history JSONL round-trips byte for byte and hashes like the simulator', (s) => {
    const run = simulate({ model, config: {}, sim: toSimConfig(s, NODES) });
    const text = writeHistoryJsonl(run.history);
    expect(writeHistoryJsonl(readHistoryJsonl(text))).toBe(text);
    expect(historyHash(run.history)).toBe(run.hash);
  });

  test.prop([arb], { numRuns: 15 })('a scenario replayed from its token gives the identical history', (s) => {
    const first = simulate({ model, config: {}, sim: toSimConfig(s, NODES) });
    const payload = decodeToken(encodeToken({ v: 1, scenario: s })) as { scenario: unknown };
    const replayed = parseScenario(payload.scenario);
    const again = simulate({ model, config: {}, sim: toSimConfig(replayed, NODES) });
    expect(again.hash).toBe(first.hash);
  });
});
