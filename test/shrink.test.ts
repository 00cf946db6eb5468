/**
 * The deletion pass after fast-check's shrink (src/scenario/shrink.ts): unit
 * tests against judges written here, and the harness's pass on real finds of
 * the untuned hunt that fast-check alone left over 12 ops.
 */
import { describe, expect, it } from 'vitest';
import { deletionPass, pinTimes, type Probe } from '../src/scenario/shrink.js';
import { decodeToken, scenarioSize } from '../src/scenario/compact.js';
import { parseScenario } from '../src/scenario/validate.js';
import type { Scenario } from '../src/scenario/types.js';
import type { Fault, TimedRequest } from '../src/sim/types.js';
import { deleteUnneeded } from '../properties/harness.js';
import { failed, judgeScenario } from '../src/verdict/judge.js';
import { loadModel } from '../src/cli/load-model.js';
import { huntUntuned } from '../bench/explore.bench.js';

const write = (atMs: number, v: string, k = 'k1'): TimedRequest => ({ atMs, req: { txn: [{ f: 'w', k, v }], end: 'commit' } });
const read = (atMs: number, k = 'k1'): TimedRequest => ({ atMs, req: { txn: [{ f: 'r', k }], end: 'commit' } });
const crash = (node: string, atMs: number): Fault => ({ kind: 'crash', node, atMs, mode: 'process' });

function scenario(sessions: TimedRequest[][], faults: Fault[] = []): Scenario {
  return {
    model: 'toy',
    config: {},
    seed: 1,
    sessions: sessions.map((ops, i) => ({ id: `s${i + 1}`, policy: 'primary', ops })),
    faults,
    network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } },
  };
}

const written = (s: Scenario): string[] => s.sessions.flatMap((x) => x.ops.flatMap((o) => o.req.txn.flatMap((m) => (m.f === 'w' ? [String(m.v)] : []))));

/** A toy simulator: a session issues each op at its time or 1 ms after the op before, whichever is later. */
function issued(s: Scenario): number[][] {
  return s.sessions.map((x) => {
    let free = 0;
    return x.ops.map((o) => {
      const t = Math.max(free, o.atMs);
      free = t + 1;
      return t;
    });
  });
}

describe('deletion pass', () => {
  it('removes every op, session and fault the failure does not need', () => {
    const start = scenario(
      [[read(0), write(1, 's1-1'), write(2, 's1-2'), read(3), write(4, 's1-3')], [write(0, 's2-1'), read(5)]],
      [crash('n1', 10), crash('n2', 20), crash('n3', 30)],
    );
    // Fails while s1-2 is written and n2 crashes.
    const judge = (s: Scenario): Probe => ({ fails: written(s).includes('s1-2') && s.faults.some((f) => f.kind === 'crash' && f.node === 'n2') });
    const r = deletionPass(start, judge, 200, { pin: false });
    expect(scenarioSize(r.scenario)).toEqual({ ops: 1, faults: 1 });
    expect(written(r.scenario)).toEqual(['s1-2']);
    expect(r.scenario.faults).toEqual([crash('n2', 20)]);
    expect(judge(r.scenario).fails).toBe(true);
  });

  it('drops micro-ops of a transaction the failure does not need', () => {
    const txn: TimedRequest = { atMs: 0, req: { txn: [{ f: 'r', k: 'k2' }, { f: 'w', k: 'k1', v: 's1-1' }, { f: 'w', k: 'k3', v: 's1-2' }], end: 'commit' } };
    const judge = (s: Scenario): Probe => ({ fails: written(s).includes('s1-1') });
    const r = deletionPass(scenario([[read(0), txn]]), judge, 100, { pin: false });
    expect(r.scenario.sessions[0]!.ops.map((o) => o.req.txn)).toEqual([[{ f: 'w', k: 'k1', v: 's1-1' }]]);
  });

  it('pins ops to when they were issued, so removing one does not move the others', () => {
    // Ten ops all at 0 ms: the toy issues them at 0, 1, … 9 ms. It fails while
    // s1-6 is issued at 5 ms or later — a failure that needs the moment, not the ops before.
    const start = scenario([Array.from({ length: 10 }, (_, i) => write(0, `s1-${i + 1}`))]);
    const judge = (s: Scenario): Probe => {
      const at = issued(s);
      const i = s.sessions[0]?.ops.findIndex((o) => o.req.txn.some((m) => m.f === 'w' && m.v === 's1-6')) ?? -1;
      return { fails: i >= 0 && at[0]![i]! >= 5, issuedAt: at };
    };
    const pinned = deletionPass(start, judge, 200);
    expect(written(pinned.scenario)).toEqual(['s1-6']);
    expect(pinned.scenario.sessions[0]!.ops[0]!.atMs).toBe(5);
    // Without pinning only the ops after s1-6 can go: each removal before it moves it earlier.
    const unpinned = deletionPass(start, judge, 200, { pin: false });
    expect(written(unpinned.scenario)).toEqual(['s1-1', 's1-2', 's1-3', 's1-4', 's1-5', 's1-6']);
  });

  it('pinTimes never moves an op earlier than its own time', () => {
    const s = scenario([[write(3, 's1-1'), write(0, 's1-2')]]);
    expect(pinTimes(s, [[3, 4]]).sessions[0]!.ops.map((o) => o.atMs)).toEqual([3, 4]);
    expect(pinTimes(s, [[1, undefined]]).sessions[0]!.ops.map((o) => o.atMs)).toEqual([3, 0]);
  });

  it('judges at most its budget of candidates and keeps only failing ones', () => {
    let judged = 0;
    const start = scenario([Array.from({ length: 40 }, (_, i) => write(i, `s1-${i + 1}`))]);
    // Needs every even write: most candidates fail to fail.
    const judge = (s: Scenario): Probe => {
      judged++;
      const w = written(s);
      return { fails: Array.from({ length: 20 }, (_, i) => `s1-${2 * i + 2}`).every((v) => w.includes(v)) };
    };
    const r = deletionPass(start, judge, 45, { pin: false });
    expect(judged).toBe(45);
    expect(r.tries).toBe(45);
    expect(judge(r.scenario).fails).toBe(true);
    expect(scenarioSize(r.scenario).ops).toBeLessThan(40);
  });
});

// `replicheck run cdc --bug partition-count-change --seed 2` before the pass: fast-check's shrink
// (500 runs) left 16 ops and a fault; the failure needs about six writes, around the producer's switch.
const PARTITION_COUNT_CHANGE_16_OPS =
  'rc1:5VTBjtMwFPyXOTtVm7Zs4wMSd_bCFe3BOC-tldjO2i-0qyr_jl5CAUGpKu2eICdn7Jk3b2S_M3ysqYOGrS0UbAyN20OfYaPvjWUXAzSngUaFL8MeGr1J7AQvbBwCF_Zgwp6gkIlq6HK53JVltVyvBMnZxZChP5_hamjkFRT62Dn7IlLJeZNeoBD7-ZDhxwy9VEj0LC74FCa8gUaCQguNdoXxSYGCCNrovWOMo_onycefZIWvU4DFW-mU_3eM6zfS2dzUKe_W2UJYv7eq_k54d7Pw5jUpru5v_-Gmx93Vpm5VLl_ju7zfd3VN6Emwxgwdz-OodfN-MvkAdSlSKYRYk-i40BaWxZ2fkT5FSzlDfGQ2iT80TGnqTLQD8TGmVgzWNBX66ML02xmmIFPxR1XvTjwkmawycmdDR3L7A0NXO4XaZf7l-BBcE5MXKy5MBRc7BW9Osn5YVFNMF375B703iTjKGLemo-kJLEqFfDA9idZWwZpe8HW1kaQUupjzJ8M0vZZ66L-vZceFNov4JaDivY2BU-w6Ste7tTFkNoHFv1zfxXaU7xs';

describe('the harness pass on planted bugs', () => {
  it('cuts a 16-op find to at most 12 ops and 3 faults, failing the same way and replaying from its token', async () => {
    const start = parseScenario(decodeToken(PARTITION_COUNT_CHANGE_16_OPS));
    expect(scenarioSize(start)).toEqual({ ops: 16, faults: 1 });
    const { model } = await loadModel('cdc');
    const r = deleteUnneeded(model, start);
    const size = scenarioSize(r.scenario);
    expect(size.ops).toBeLessThanOrEqual(12);
    expect(size.faults).toBeLessThanOrEqual(3);
    const v = judgeScenario(model, r.scenario);
    expect(failed(v)).toBe(true);
    expect(v.violations[0]?.guarantee).toBe('sink-convergence');
    // Its token replays it exactly: the same history.
    const again = judgeScenario(model, parseScenario(decodeToken(v.token)));
    expect(again.run?.hash).toBe(v.run?.hash);
    expect(again.violations[0]?.guarantee).toBe('sink-convergence');
  });

  it('spends nothing on a scenario that does not fail', async () => {
    const { bug: _bug, ...clean } = parseScenario(decodeToken(PARTITION_COUNT_CHANGE_16_OPS));
    const { model } = await loadModel('cdc');
    expect(failed(judgeScenario(model, clean))).toBe(false);
    const r = deleteUnneeded(model, clean);
    expect(r.tries).toBe(0);
    expect(r.scenario).toBe(clean);
  });

  it('an untuned hunt (`run migration --bug dual-write-partial-failure --seed 2`) prints a find of at most 12 ops and 3 faults', async () => {
    // Before the pass this find was printed with 14 ops.
    const [h] = await huntUntuned({ bugs: [{ model: 'migration', bug: 'dual-write-partial-failure' }], seeds: [2], workers: 2 });
    expect(h?.found).toBe(true);
    expect(h!.ops!).toBeLessThanOrEqual(12);
    expect(h!.faults!).toBeLessThanOrEqual(3);
  }, 600_000);
});
