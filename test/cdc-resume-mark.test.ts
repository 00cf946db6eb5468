/**
 * The connector's `checkpoint-mid-record` mark: a durable checkpoint whose position
 * lies inside a multi-change log record while later events of that record are not
 * yet acknowledged. A restart from there must resume inside the record; a crash
 * aimed at this moment is what finds resume-skips-position (debezium#7531). Without
 * the mark (the old model) the aimed crash never fires and the run holds.
 */
import { describe, expect, it } from 'vitest';
import { judgeScenario } from '../src/analysis.js';
import type { Fault, Scenario, TimedRequest } from '../src/analysis.js';
import { cdcModel, cdcVariants } from '../models/cdc/index.js';
import { LAN } from '../models/cdc/testkit.js';

/** One bulk transaction of 8 writes over 4 keys, then reads that keep the workload running for 100 ms. */
const OPS: TimedRequest[] = [
  { atMs: 1, req: { txn: ['k1', 'k2', 'k3', 'k4', 'k1', 'k2', 'k3', 'k4'].map((k, i) => ({ f: 'w' as const, k, v: `v${i}` })), end: 'commit' } },
  ...Array.from({ length: 10 }, (_, i): TimedRequest => ({ atMs: 10 + 10 * i, req: { txn: [{ f: 'r', k: 'k1' }], end: 'commit' } })),
];

const CRASH: Fault = { kind: 'crash', atMs: 0.2, node: 'connector', mode: 'process', restartAfterMs: 5, after: { mark: 'checkpoint-mid-record', node: 'connector', nth: 1 } };

function judge(bug: string | undefined) {
  const sc: Scenario = {
    model: 'cdc', config: { ...cdcVariants['ordered-producer'], snapshot: false, preloadRows: 0 }, ...(bug ? { bug } : {}), seed: 7,
    sessions: [{ id: 's1', policy: 'primary', ops: OPS }], faults: [CRASH], network: LAN,
  };
  return judgeScenario(cdcModel, sc);
}

describe('a connector crash just after a checkpoint inside a multi-change record', () => {
  it('the mark is a declared protocol moment', () => {
    expect(cdcModel.marks?.map((m) => (typeof m === 'string' ? m : m.name))).toContain('checkpoint-mid-record');
  });

  it('resume-skips-position loses the rest of the record (completeness breaks)', () => {
    const v = judge('resume-skips-position');
    // The aimed crash fired: the mark was reached while the record was being produced.
    expect(v.run!.history.some((e) => e.type === 'fault')).toBe(true);
    // The first checkpoint lies inside the bulk transaction's record (lsn 1: no snapshot, nothing preloaded).
    const first = v.run!.history.flatMap((e) => (e.type === 'event' && e.name === 'checkpoint' ? [e.data as { lsn: number; idx: number }] : []))[0];
    expect(first?.lsn).toBe(1);
    expect(first?.idx).toBeLessThan(7);
    expect(v.violations.map((x) => x.guarantee)).toContain('completeness');
  });

  it('the correct connector resumes inside the record: every claim holds', () => {
    const v = judge(undefined);
    expect(v.run!.history.some((e) => e.type === 'fault')).toBe(true);
    expect(v.failure?.message).toBeUndefined();
    expect(v.violations).toEqual([]);
  });
});
