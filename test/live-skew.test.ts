/**
 * Clock skew on real PostgreSQL through libfaketime: the primary runs a minute
 * ahead, and a `now()` it computes shows it. Without the library, skew is left
 * out and the run says so. The live part needs PostgreSQL and libfaketime
 * (skipped with the reason printed; CI installs both and requires them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runLive, skewPlan } from '../src/live/run.js';
import { faketimeSpec, findFaketime } from '../src/live/env.js';
import type { Scenario } from '../src/scenario/types.js';
import { liveSkip } from './live-helpers.js';

const skip = liveSkip();
const lib = findFaketime();
if (!lib) console.log('live skew test skipped: libfaketime not installed (Debian: apt-get install libfaketime)');

const scenario = (offsetMs: number): Scenario => ({
  model: 'wal',
  config: { nodes: 2, synchronousCommit: 'local', synchronousStandbyNames: '', failover: 'none' },
  seed: 1,
  sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 0, req: { txn: [{ f: 'now', k: 'k1' }], end: 'commit' } }] }],
  faults: [],
  network: { defaultLink: { latency: { kind: 'constant', ms: 0.2 }, lossRate: 0, dupRate: 0 } },
  clocks: { n1: { offsetMs, driftPpm: 0 } },
});

const saved = process.env.REPLICHECK_FAKETIME_LIB;
afterEach(() => {
  if (saved === undefined) delete process.env.REPLICHECK_FAKETIME_LIB;
  else process.env.REPLICHECK_FAKETIME_LIB = saved;
});

describe('clock skew', () => {
  it('FAKETIME spells offset and drift', () => {
    expect(faketimeSpec(60_000, 0)).toBe('+60.000000');
    expect(faketimeSpec(-250, 100)).toBe('-0.250000 x1.000100000');
  });

  it('without libfaketime the plan says skew is left out, and why', () => {
    process.env.REPLICHECK_FAKETIME_LIB = '';
    const p = skewPlan(scenario(60_000));
    expect(p?.applied).toBe(false);
    expect(p?.reason).toMatch(/libfaketime is not installed/);
    expect(skewPlan({ ...scenario(0) })).toBeUndefined();
  });

  it.skipIf(skip || (!lib && process.env.REPLICHECK_REQUIRE_PG !== '1'))('the primary a minute ahead computes now() a minute ahead', async () => {
    const before = Date.now();
    const run = await runLive(scenario(60_000));
    const after = Date.now();
    expect(run.skew?.applied).toBe(true);
    expect(run.notes.some((n) => /clock skew applied through libfaketime/.test(n))).toBe(true);
    const ok = run.history.find((e) => e.type === 'ok');
    const m = ok && ok.type === 'ok' ? ok.txn[0] : undefined;
    const v = m && m.f === 'now' ? m.v : undefined;
    expect(typeof v).toBe('number');
    expect(v as number).toBeGreaterThanOrEqual(before + 59_000);
    expect(v as number).toBeLessThanOrEqual(after + 61_000);
  }, 300_000);
});
