/**
 * The model's word is checked in every run (src/check/contract.ts): a node's
 * events must fold to its final view().data, and every read it served must
 * come from its visible state. Meta-tests with teeth: models that lie are
 * caught (exit 2 with a replay token), the planted bug a silenced model hides
 * is still caught, and no honest model — built-in, example or fixture — trips it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bugRunOptions } from '../models/index.js';
import { tinyAsyncModel } from '../models/examples/tiny-async.js';
import { walModel } from '../models/wal/index.js';
import { checkModel } from '../properties/harness.js';
import { checkModelContract, foldVisible } from '../src/check/contract.js';
import { judgeScenario } from '../src/verdict/judge.js';
import { checkReplayIdempotent } from '../src/check/rollback.js';
import { cli } from './helpers/cli.js';
import type { Model } from '../src/analysis.js';
import { simulate } from '../src/sim/run.js';
import tinyAsyncLiar from './fixtures/tiny-async-liar.js';
import userModel from './fixtures/user-model.js';
import { HistoryBuilder } from './helpers/history-builder.js';
import { contractBreaches } from './helpers/contract-sweep.js';
import { withoutEvents } from './helpers/suppress-events.js';
import { at, sim, w } from './wal-helpers.js';

const LIAR = './test/fixtures/tiny-async-liar.ts';

describe('fold check: events against the final view', () => {
  it('names node, key, both values and the event that last set the key', () => {
    const b = new HistoryBuilder();
    b.replicated('n1', 1, 'x1', 1, { k: 'a' }, { n2: 2 });
    const last = b.apply('n2', 3, 'x2', 2, { k: 'b' });
    b.final('n1', 9, 'primary', { k: 'a' });
    b.final('n2', 9, 'standby', { k: 'a' });
    const [breach, ...more] = checkModelContract(b.build());
    expect(more).toEqual([]);
    expect(breach).toMatchObject({ kind: 'fold', node: 'n2', key: 'k', expected: 'b', found: 'a', event: last });
    expect(breach!.sentence).toBe('node n2, key k: its events fold to b (last set by apply (xid x2, lsn 2) at 3.0 ms), but its view().data at the end (9.0 ms) holds a');
  });

  it('says when no event wrote a key the node holds', () => {
    const b = new HistoryBuilder();
    b.event('n2', 1, 'recover', { lsn: 0, timeline: 1 });
    b.final('n2', 9, 'standby', { k: 'ghost' });
    expect(checkModelContract(b.build())[0]!.sentence).toMatch(/key k: its events fold to nothing \(no event on n2 wrote k\), but .* holds ghost/);
  });

  it('cuts the visible log at recover and rewind, and lets migration rows stand', () => {
    const b = new HistoryBuilder(['new']);
    b.event('new', 1, 'migration.apply', { writes: { row0: 'copied' }, lsns: { row0: 3 } });
    b.commit('new', 2, 'op1', 7, { k: 1 });
    b.commit('new', 3, 'op2', 8, { k: 2 });
    b.event('new', 4, 'recover', { lsn: 7, timeline: 1 });
    b.final('new', 9, 'primary', { row0: 'copied', k: 1 });
    expect(checkModelContract(b.build())).toEqual([]);
    const restarted = new HistoryBuilder(['new']);
    restarted.event('new', 1, 'migration.apply', { writes: { row0: 'copied', row1: 'gone' }, lsns: {} });
    restarted.event('new', 5, 'migration.recover', { writes: { row0: 'copied' }, lsns: {}, promoted: false });
    restarted.final('new', 9, 'target', { row0: 'copied' });
    expect(checkModelContract(restarted.build())).toEqual([]);
    expect(foldVisible(restarted.build()).get('new')!.state).toEqual({ row0: 'copied' });
  });

  it('exempts nodes without visible-log events (CDC sinks, brokers, silent user models) and dead nodes', () => {
    const b = new HistoryBuilder(['sink', 'broker', 'n1']);
    b.event('sink', 1, 'cdc.apply', { pos: '1:0', key: 'k', value: 'v', sink: 'sink', effect: 'applied' });
    b.final('sink', 9, 'sink', { 'acct:k': 'v' });
    b.final('broker', 9, 'broker', {});
    b.commit('n1', 1, 'x1', 1, { k: 'v' });
    b.final('n1', 9, 'down', {}, false);
    expect(checkModelContract(b.build())).toEqual([]);
  });

  it('replay-idempotent reports a from-the-start mismatch with the same fold', () => {
    const b = new HistoryBuilder();
    const set = b.replicated('n1', 1, 'x1', 1, { k: 'a' });
    const fin = b.final('n1', 9, 'primary', { k: 'z' });
    const [v] = checkReplayIdempotent(b.build());
    expect(v).toMatchObject({ guarantee: 'replay-idempotent', witness: [set, fin], data: { node: 'n1', key: 'k', held: 'z', replayed: 'a', fromLsn: null } });
    expect(v!.sentence).toMatch(/key k: node n1 ends holding z, but re-applying its visible log from the start gives a/);
  });
});

describe('read check: reads come from the visible state', () => {
  it('accepts a read served from the state at arrival although the key changed before the reply', () => {
    // op 0 reads x and writes y; its reply waits for the fsync, and op 1's x = 2 becomes visible meanwhile.
    const mixed = { txn: [{ f: 'r' as const, k: 'x' }, { f: 'w' as const, k: 'y', v: 1 }], end: 'commit' as const };
    const run = simulate({
      model: tinyAsyncModel, config: {},
      sim: sim(['n1', 'n2'], [{ id: 'a', ops: [at(1, mixed)] }, { id: 'b', ops: [at(1.1, w('x', 2))] }]),
    });
    const h = run.history;
    const ok = h.find((e) => e.type === 'ok' && e.op === 0);
    const xCommit = h.find((e) => e.type === 'event' && e.name === 'txn.commit' && (e.data?.['writes'] as Record<string, unknown>)['x'] === 2);
    expect(ok?.type === 'ok' && ok.txn[0]).toMatchObject({ f: 'r', k: 'x', v: null });
    // x = 2 was visible on n1 before op 0 was answered: the reply-time view alone would disagree.
    expect(xCommit!.t).toBeLessThan(ok!.t - 0.2);
    expect(run.readMismatches).toEqual([]);
  });

  it('catches a replica that serves a key from a stale cache', () => {
    const r = checkModel(tinyAsyncLiar as Model, { bug: 'cached-reads', numRuns: 1000, failureFile: false });
    expect(r.found).toBe(true);
    expect(r.guarantee).toBe('run-failure:contract');
    expect(r.verdict!.failure!.message).toMatch(/node n2, key k1: op \d+ \(session s\d+\) read \S+ at [\d.]+ ms, but its view\(\)\.data held \S+.*; (last set by apply|no event on n2 wrote k1)/);
  });
});

describe('a model that lies in its events is a contract error', () => {
  it('tiny-async that acknowledges and announces writes to k1 but never stores them', () => {
    const r = checkModel(tinyAsyncLiar as Model, { bug: 'drop-k1', numRuns: 1000, failureFile: false });
    expect(r.found).toBe(true);
    expect(r.guarantee).toBe('run-failure:contract');
    expect(r.sentence).toMatch(/model contract broken — node n[12], key k1: its events fold to \S+ \(last set by (txn\.commit|apply) \(xid x\d+, lsn \d+\) at [\d.]+ ms\), but its view\(\)\.data at the end \([\d.]+ ms\) holds nothing/);
    // The honest model passes the very scenario that exposed the lie.
    const { bug: _lie, ...scenario } = r.verdict!.scenario;
    expect(judgeScenario(tinyAsyncModel as Model, { ...scenario, model: 'tiny-async' }).failure).toBeUndefined();
  });
});

describe('replicheck run / replay exit 2 on a contract error, with the replay token', () => {

  afterEach(() => {
    process.exitCode = undefined;
  });

  it('run prints the failure and its token; replay reproduces it', async () => {
    const run = await cli('run', LIAR, '--bug', 'drop-k1', '--runs', '200', '--no-failure-file', '--json');
    expect(run.code).toBe(2);
    const j = JSON.parse(run.out) as { guarantee: string; token: string; replay: string; sentence: string };
    expect(j.guarantee).toBe('run-failure:contract');
    expect(j.replay).toBe(`npx replicheck replay ${j.token}`);
    const replay = await cli('replay', j.token);
    expect(replay.code).toBe(2);
    expect(replay.out).toContain('the run failed (contract)');
    expect(replay.out).toContain(j.sentence);
    expect(replay.out).toContain(`npx replicheck replay ${j.token}`);
    const text = await cli('run', LIAR, '--bug', 'drop-k1', '--runs', '200', '--no-failure-file');
    expect(text.code).toBe(2);
    expect(text.out).toMatch(/model contract broken[\s\S]*replay exactly:\n {2}npx replicheck replay rc1:/);
  });
});

describe('a planted bug stays caught when the model is silent about it', () => {
  it('wal expose-in-progress-txn with its apply events suppressed fails within its trigger budget', () => {
    const opts = bugRunOptions('wal', 'expose-in-progress-txn');
    const r = checkModel(withoutEvents(walModel, 'apply') as unknown as Model, { ...opts, failureFile: false });
    expect(r.found, `not caught in ${r.runs} runs`).toBe(true);
    expect(r.runsUntilFound).toBeLessThanOrEqual(opts.numRuns);
  });

  it('the wrapper really drops the named events and nothing else', () => {
    const config = walModel.configure({});
    const cfg = sim(walModel.nodes(config), [{ id: 'a', ops: [at(1, w('x', 1))] }]);
    const loud = simulate({ model: walModel, config, sim: cfg }).history;
    const quiet = simulate({ model: withoutEvents(walModel, 'apply'), config, sim: cfg }).history;
    const names = (h: typeof loud) => h.filter((e) => e.type === 'event').map((e) => (e.type === 'event' ? e.name : ''));
    expect(names(loud)).toContain('apply');
    expect(names(quiet)).toEqual(names(loud).filter((n) => n !== 'apply'));
  });
});

describe('honest models never break the contract', () => {
  // The built-in variants are swept in model-contract.slow.test.ts (and judged, contract
  // included, by properties.test.ts in every run of the default suite).
  const RUNS = 200;
  const targets: { label: string; model: Model }[] = [
    { label: 'tiny-async (example)', model: tinyAsyncModel as Model },
    { label: 'user-async (fixture)', model: userModel },
  ];
  for (const t of targets) {
    it(`${t.label}: ${RUNS} runs with every kind of fault`, () => {
      expect(contractBreaches(t.model, { profile: 'everything' }, RUNS, t.label)).toEqual([]);
    });
  }
});
