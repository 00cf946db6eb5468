/**
 * CDC from the leaderless store into SQLite: the pipeline receives each change
 * once per replica and out of order, converges in SQLite under crashes and
 * clock skew, the sink checker has teeth, and each planted pipeline bug is
 * found by the untuned `run leaderless-cdc --bug B` at seeds 1, 2, 3 and
 * shrinks small while the correct model passes the same scenario.
 */
import { describe, expect, it } from 'vitest';
import { huntUntuned, UNTUNED_SEEDS } from '../bench/explore.bench.js';
import { BUILTIN_MODELS, variantRunOptions } from '../models/index.js';
import { BROKER, leaderlessCdcModel, SINK, tieRank } from '../models/leaderless/cdc.js';
import { checkModel } from '../properties/harness.js';
import { checkLwwSinkConvergence, compareLww } from '../src/check/lww.js';
import { judgeScenario, runScenario, type History, type Scenario } from '../src/analysis.js';

const entry = BUILTIN_MODELS['leaderless-cdc']!;

const w = (k: string, v: string) => ({ txn: [{ f: 'w' as const, k, v }], end: 'commit' as const });
const del = (k: string) => ({ txn: [{ f: 'del' as const, k }], end: 'commit' as const });

/** Three sessions writing and deleting two keys, with a replica, the broker and the sink crashing and n1's clock 3 minutes ahead. */
function scenario(config: Record<string, unknown> = {}, bug?: string): Scenario {
  return {
    model: 'leaderless-cdc', config, ...(bug ? { bug } : {}), seed: 11,
    sessions: [
      { id: 's1', policy: 'primary', ops: [{ atMs: 1, req: w('k1', 'a1') }, { atMs: 12, req: w('k2', 'a2') }, { atMs: 40, req: del('k1') }] },
      { id: 's2', policy: 'primary', ops: [{ atMs: 3, req: w('k1', 'b1') }, { atMs: 15, req: w('k2', 'b2') }, { atMs: 45, req: w('k2', 'b3') }] },
      { id: 's3', policy: 'primary', ops: [{ atMs: 5, req: w('k2', 'c1') }, { atMs: 30, req: del('k2') }, { atMs: 50, req: w('k1', 'c2') }] },
    ],
    faults: [
      { kind: 'crash', atMs: 8, node: 'n2', mode: 'machine', restartAfterMs: 20 },
      { kind: 'crash', atMs: 14, node: BROKER, mode: 'machine', restartAfterMs: 10 },
      { kind: 'crash', atMs: 33, node: SINK, mode: 'machine', restartAfterMs: 15 },
    ],
    network: { defaultLink: { latency: { kind: 'uniform', minMs: 0.2, maxMs: 4 }, lossRate: 0, dupRate: 0 } },
    clocks: { n1: { offsetMs: 180_000, driftPpm: 0 } },
  };
}

const finalOf = (h: History, node: string) => h.find((e) => e.type === 'final' && e.node === node) as Extract<History[number], { type: 'final' }>;

describe('leaderless CDC into SQLite', () => {
  it('is listed with knobs, claims and sourced bugs', () => {
    expect(entry.model).toBe(leaderlessCdcModel);
    expect(leaderlessCdcModel.bugs.map((b) => b.name)).toEqual(['dedup-by-position', 'apply-in-arrival-order', 'delete-without-timestamp']);
    for (const b of leaderlessCdcModel.bugs) expect(b.source).toMatch(/https:\/\//);
    const claims = leaderlessCdcModel.claims(leaderlessCdcModel.configure({})).map((c) => c.id);
    expect(claims).toContain('lww-sink-convergence');
    expect(claims).toContain('lww-convergence');
    expect(() => leaderlessCdcModel.configure({ gcGraceMs: 50 })).toThrow(/fixed/);
    expect(() => leaderlessCdcModel.configure({ transform: 'nope' })).toThrow(/transform/);
  });

  it('ranks equal timestamps as the store does: tombstone first, then the larger value', () => {
    const pairs: [string | null, string | null][] = [['s1-2', 's1-10'], ['s2-1', 's10-1'], [null, 's9-9'], ['a', 'ab']];
    for (const [a, b] of pairs) expect(Math.sign(tieRank(a) - tieRank(b))).toBe(Math.sign(compareLww({ v: a, ts: 1 }, { v: b, ts: 1 })));
  });

  it('is deterministic', () => {
    expect(runScenario(leaderlessCdcModel, scenario()).hash).toBe(runScenario(leaderlessCdcModel, scenario()).hash);
  });

  it('receives each change from several replicas and out of timestamp order, yet the SQLite sink converges under crashes and skew', () => {
    const v = judgeScenario(leaderlessCdcModel, scenario());
    expect(v.failure).toBeUndefined();
    expect(v.violations.map((x) => x.sentence)).toEqual([]);
    expect(v.outcomes.find((o) => o.id === 'lww-sink-convergence')).toEqual({ id: 'lww-sink-convergence', violations: 0 });
    const h = runScenario(leaderlessCdcModel, scenario()).history;
    const published = h.filter((e) => e.type === 'event' && e.name === 'cdc.publish').map((e) => (e as unknown as { data: { key: string; lsn: number } }).data);
    const copies = new Map<string, number>();
    for (const p of published) copies.set(`${p.key}@${p.lsn}`, (copies.get(`${p.key}@${p.lsn}`) ?? 0) + 1);
    expect(Math.max(...copies.values())).toBeGreaterThanOrEqual(3);
    // Some key's events reach the broker with a newer timestamp before an older one.
    const outOfOrder = published.some((p, i) => published.slice(i + 1).some((q) => q.key === p.key && q.lsn < p.lsn));
    expect(outOfOrder).toBe(true);
    // The sink is not empty: k2 ends with b3 (derive adds its size).
    expect(finalOf(h, SINK).view.data).toMatchObject({ 'k2': 'b3', 'k2.size': 2 });
  });

  it('the sink checker flags a table that differs from the replicas, and keys the replicas disagree on are left to lww-convergence', () => {
    const h = runScenario(leaderlessCdcModel, scenario()).history;
    const mutate = (node: string, data: Record<string, unknown>) =>
      h.map((e) => (e.type === 'final' && e.node === node ? { ...e, view: { ...e.view, data: { ...e.view.data, ...data } } } : e)) as History;
    const vs = checkLwwSinkConvergence(mutate(SINK, { k2: 'b2' }));
    expect(vs).toHaveLength(1);
    expect(vs[0]!.sentence).toMatch(/sink sink-rds \(derive\): .* its table reads k2 = "?b2"?, but the replicas' last-write-wins state gives "?b3"?/);
    expect(checkLwwSinkConvergence(mutate(SINK, { zz: 'x' }))[0]!.sentence).toMatch(/zz = "?x"?, but .* gives nothing/);
    expect(checkLwwSinkConvergence(mutate('n1', { k2: 'b2' }))).toEqual([]);
  });

  it('with RF 1 the sink is still judged against the single replica, and a planted pipeline bug fails it', () => {
    const rf1 = (bug?: string): Scenario => ({
      model: 'leaderless-cdc', config: { nodes: 3, rf: 1 }, ...(bug ? { bug } : {}), seed: 5,
      sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 1, req: w('k1', 'a1') }, { atMs: 10, req: del('k1') }, { atMs: 20, req: w('k2', 'a2') }] }],
      faults: [],
      network: { defaultLink: { latency: { kind: 'uniform', minMs: 0.2, maxMs: 2 }, lossRate: 0, dupRate: 0 } },
    });
    const ok = judgeScenario(leaderlessCdcModel, rf1());
    expect(ok.violations.map((x) => x.sentence)).toEqual([]);
    expect(ok.outcomes.find((o) => o.id === 'lww-sink-convergence')).toEqual({ id: 'lww-sink-convergence', violations: 0 });
    // Convergence needs two replicas of a key: not judged here, for its own reason.
    expect(ok.outcomes.find((o) => o.id === 'lww-convergence')).toMatchObject({ notJudged: expect.stringMatching(/two live replicas/) });
    const bad = judgeScenario(leaderlessCdcModel, rf1('delete-without-timestamp'));
    const v = bad.violations.filter((x) => x.guarantee === 'lww-sink-convergence');
    // The row and its derived column: the delete ranked oldest was skipped.
    expect(v.map((x) => x.data?.['cell'])).toEqual(['k1', 'k1.size']);
    expect(v[0]!.sentence).toMatch(/its table reads k1 = "?a1"?, but the replicas' last-write-wins state gives nothing/);
  });

  for (const variant of Object.keys(entry.variants)) {
    it(`variant ${variant} raises no alarm`, () => {
      const res = checkModel(entry.model, { ...variantRunOptions('leaderless-cdc', variant), numRuns: 40, failureFile: false });
      expect(res.found, res.verdict?.violations[0]?.sentence ?? res.verdict?.failure?.message).toBe(false);
    });
  }

  for (const bug of leaderlessCdcModel.bugs.map((b) => b.name)) {
    it(`${bug}: untuned run --bug finds it at seeds ${UNTUNED_SEEDS.join(', ')}, shrunk to ≤ 12 ops and ≤ 3 faults`, async () => {
      const hunts = await huntUntuned({ bugs: [{ model: 'leaderless-cdc', bug }], workers: 1 });
      expect(hunts).toHaveLength(UNTUNED_SEEDS.length);
      for (const h of hunts) {
        expect(h.found, `missed at seed ${h.seed}`).toBe(true);
        expect(h.guarantee).toBe('lww-sink-convergence');
        expect(h.ops).toBeLessThanOrEqual(12);
        expect(h.faults).toBeLessThanOrEqual(3);
      }
    }, 300_000);

    it(`${bug}: caught in the crash-and-skew scenario the correct pipeline passes`, () => {
      expect(judgeScenario(leaderlessCdcModel, scenario({}, bug)).violations.map((v) => v.guarantee)).toContain('lww-sink-convergence');
    });
  }
});
