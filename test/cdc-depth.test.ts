/**
 * The CDC model where the real systems surprise people: a replicated broker
 * (acks=all, min.insync.replicas, ISR, clean or unclean election), the
 * replication slot kept on the source (max_slot_wal_keep_size invalidation),
 * Debezium tombstones and a compacted topic read by a late subscriber. Each
 * behaviour is shown on a hand-built run, the correct model passes it, and
 * the planted bug beside it is caught by the CDC checkers.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, History, ModelEventEntry, TimedRequest } from '../src/analysis.js';
import { decodeToken, judgeScenario, parseScenario, scenarioSize, simulate } from '../src/analysis.js';
import { BUILTIN_MODELS } from '../models/index.js';
import { checkCdc, type CdcGuaranteeId } from '../src/check/cdc.js';
import { notJudgeable } from '../src/check/guarantees.js';
import { cdcModel, CDC_KNOBS } from '../models/cdc/index.js';
import { at, del, simConfig, w } from '../models/cdc/testkit.js';

interface Run {
  history: History;
  claims: CdcGuaranteeId[];
  broke: string[];
}

function run(raw: Record<string, unknown>, ops: TimedRequest[], faults: Fault[] = [], bug?: string): Run {
  const config = cdcModel.configure(raw, bug);
  const sim = simConfig({ nodes: cdcModel.nodes(config), ops, faults });
  const { history } = simulate({ model: cdcModel, config, sim, ...(bug ? { bug } : {}) });
  const claims = cdcModel.claims(config, bug).map((c) => c.id) as CdcGuaranteeId[];
  return { history, claims, broke: checkCdc(history, claims).map((v) => v.guarantee) };
}

const events = (h: History, name: string): ModelEventEntry[] => h.filter((e): e is ModelEventEntry => e.type === 'event' && e.name === name);
const writes = (n: number, t0: number, step = 2): TimedRequest[] => Array.from({ length: n }, (_, i) => at(t0 + i * step, w(`k${i % 3}`, `v${i}`)));

describe('a replicated broker (the default: three replicas, acks=all, min.insync.replicas=2)', () => {
  it('has a controller and three brokers; claims name the broker settings', () => {
    const c = cdcModel.configure({});
    expect(cdcModel.nodes(c)).toEqual(expect.arrayContaining(['controller', 'broker-1', 'broker-2', 'broker-3']));
    expect(cdcModel.claims(c)[0]!.under).toMatch(/acks=all, min\.insync\.replicas=2, unclean election off/);
    // With unclean election or min.insync.replicas=1 acknowledged records can be lost: nothing is claimed.
    expect(cdcModel.claims(cdcModel.configure({ uncleanElection: true }))).toEqual([]);
    expect(cdcModel.claims(cdcModel.configure({ minInsync: 1 }))).toEqual([]);
    expect(CDC_KNOBS.map((k) => k.name)).toEqual(expect.arrayContaining(['replicas', 'minInsync', 'uncleanElection', 'maxSlotWalKeep', 'tombstones', 'compaction', 'deleteRetentionMs']));
  });

  it('the leader crashing while events flow loses nothing acknowledged; a follower is elected from the ISR', () => {
    const faults: Fault[] = [{ kind: 'crash', atMs: 22, node: 'broker-1', mode: 'machine', restartAfterMs: 60 }];
    const r = run({ preloadRows: 0 }, writes(10, 10), faults);
    const elected = events(r.history, 'kafka.partition').filter((e) => e.data?.['why'] === 'leader');
    expect(elected[0]?.data?.['leader']).toBe('broker-2');
    expect(elected[0]?.data?.['unclean']).toBe(false);
    expect(r.broke).toEqual([]);
  });


});

describe('the replication slot lives on the source', () => {
  const cut: Fault[] = [{ kind: 'partition', atMs: 5, from: ['source'], to: ['connector'], durationMs: 40 }];

  it('unlimited WAL retention (PostgreSQL default): a long cut-off connector catches up from its slot', () => {
    const r = run({ preloadRows: 0 }, writes(12, 10), cut);
    expect(events(r.history, 'slot.invalidated')).toEqual([]);
    expect(r.broke).toEqual([]);
  });

  it('max_slot_wal_keep_size: the slot is invalidated, the connector fails loudly, and the run is not judged', () => {
    const r = run({ preloadRows: 0, maxSlotWalKeep: 4 }, writes(12, 10), cut);
    expect(events(r.history, 'slot.invalidated')).toHaveLength(1);
    expect(events(r.history, 'cdc.failed')).toHaveLength(1);
    for (const id of r.claims) expect(notJudgeable(r.history, id)).toMatch(/failed loudly/);
  });

  it('slot-lost-silent-restart: a new slot at the head streams on over the gap', () => {
    const bad = run({ preloadRows: 0 }, writes(12, 10), cut, 'slot-lost-silent-restart');
    expect(events(bad.history, 'cdc.failed')).toEqual([]);
    expect(events(bad.history, 'slot.create').length).toBeGreaterThan(1);
    expect(bad.broke).toContain('completeness');
  });

  it('asking for the slot twice does not move it', () => {
    // The first answer is slow (a clogged link): the connector asks again.
    const faults: Fault[] = [{ kind: 'clog', atMs: 0, from: 'source', to: 'connector', extraMs: 150, durationMs: 5 }];
    const r = run({ preloadRows: 0 }, [at(60, w('a', 'v1'))], faults);
    expect(events(r.history, 'slot.create')).toHaveLength(1);
    expect(r.broke).toEqual([]);
  });
});

describe('deletes, tombstones and a compacted topic', () => {
  it('a delete is published as the d event and then a separate tombstone', () => {
    const r = run({ preloadRows: 0 }, [at(10, w('a', 'v1')), at(20, del('a'))]);
    const pubs = events(r.history, 'cdc.publish').filter((e) => e.data?.['key'] === 'a').map((e) => e.data?.['op']);
    expect(pubs).toEqual(['c', 'd', 'd']);
    expect(r.broke).toEqual([]);
  });

  it('compaction: a late subscriber reads the compacted log from offset 0 and converges; claims shrink to what compaction keeps', () => {
    const ops = [at(5, w('a', 'v1')), ...Array.from({ length: 10 }, (_, i) => at(6 + i, w(`f${i % 3}`, `x${i}`))), at(30, del('a'))];
    const r = run({ preloadRows: 0, compaction: true }, ops);
    expect(events(r.history, 'cdc.join').map((e) => e.node)).toEqual(['sink-late']);
    expect(events(r.history, 'kafka.clean').length).toBeGreaterThan(0);
    expect(r.claims).not.toContain('completeness');
    expect(r.claims).toContain('delete-propagation');
    expect(r.broke).toEqual([]);
    const late = r.history.find((e) => e.type === 'final' && e.node === 'sink-late');
    expect(late?.type === 'final' && late.view.data).toEqual({ f0: 'x9', f1: 'x7', f2: 'x8' });
  });

});

/**
 * The new planted bugs as the untuned search found and shrank them
 * (`replicheck run cdc --bug B --seed 1`, default budget): each token replays
 * the shrunk counterexample. The bug breaks a claimed guarantee, the correct
 * model passes the same scenario, and the counterexample stays small.
 */
const SHRUNK: Record<string, { guarantee: string; token: string }> = {
  'slot-lost-silent-restart': { guarantee: 'completeness', token: 'rc1:rdOxbsMgEAbgd_lnHNk4ThyGPkG7dK0yEHxJkTG4QJpGlt-9wo3apbLcKkxwcN_dcAzoXEMGAqpRYFDOHvUJYhgZDucTBIJxMTMuxCxoQzZmnkKUPoIhEDUQRcXr3Sbf8l2KhKCdDRAvA3ST0gsw9M5odYVA73Un_RUMrv96JONTgOAMnt4gBsQPO8WPELiAoYVAm4z3CcsKjHsGsslWrut0xDiyecf_OH9P_q0JfienvJOznnWqxU4169SLnc2ss1vsbGedYr0Yqueh6h9js0-xozybmAZ5z2ApXpxvk9LQdPGo7XQ0MpJN8z-g1ZPSS0_RpS-kpKHUQ76qGMKr7AmiWHEGJftpCDgfGYwL4VlGgsgZmnN_26cbbduQ5IN3LfmszB6Us5ZUdH557fq7Nk_7W-0yr8e0PgE' },
  'acks-leader-only': { guarantee: 'sink-convergence', token: 'rc1:LY_BbsQgDET_Zc5kFSpF2-Ub2kuvVQ4uOFsUAiyQblcR_17B9maPPc_jA1sw7KCgjYaADn6xV6gDkVKxxQafoWQV-NqvUCC95sExGU5D8O4BgcxsoOT58jpdzuPL2JScn8bPA9ZAIUsIxOCsfkAhJrtRat4Qn0tU3jPUKJD41o6XX9_1BQp3CKxQWBvjp8MGiToLsG9sHbbNFtQ6N22h3ZUGnQU8l3tIawMa7oM363vrqLBvWQ6stlMiJS6hvaPJcU9zmgTyN0WGkicpoCk2fRqrgAs5f1DhHtrs8b-utf4B' },
  'tombstone-retention-zero': { guarantee: 'delete-propagation', token: 'rc1:bY_BUsMwDET_Zc9Op4GGKT7wBXDhyvTgOkrHk1gKtkNbMvl3RqFwqk6rlfRGOyNKSwMsfOth4IW7cIKd4SWOzpcgDFvSRIvBcTrBokg85iJMVaJCrBvVNyWBQSZqYZ_3T02za7ba5xyEM-zHjNDCItcwGGUI_gqLMYXo0hUGMv4uufKWYR8NEn3qF-XCq9_B4gyDHha9Mr5WWFVjORgQK9tLjKFgWcwfZ3-Xo3n_SXfOD-p1bhqK_nQwYCpnSb1yWloHr4HXdnCFWKPM6MONwrk4LjCIGfZhMRgk53dXCHZr0E7jTeskcJ_1-Jikp1Q9VC83Vd-nTxw6SVHhgTXhdlMbRHdR3Wx2i9YP' },
  'unclean-leader-election': { guarantee: 'sink-convergence', token: 'rc1:LY9BbsQgDEXv8tekarqacoBKldpNt1UWLjgZFGIYIJ0ZRdy9gs7u-9t6ej6wBcseGsYaKJggs1ugDzjLWwyFpUDP5DMrbHR7lzfvlnOBHqvCz75AYxfjmWTwTJbTwJ5NcUGgkJkt9MuppZxdkAz93dDQyCMUYvDO3KERk9so3aEQ4v8Rlc8M_ayQ-NJ8yk16P0PjCoUVGmtj_HbYMKJOCiyNbcK2uYJap9bNtPvSoJOCcLmGtDag5b74cNJHT4WluRxYXadESlxCe8OQ52YzPo0K-UyRH9lQbP3rqSr4kPMXFe7Sdo-PXGv9Aw' },
};

describe('the new CDC bugs: the untuned search\'s shrunk counterexamples', () => {
  for (const bug of Object.keys(SHRUNK)) {
    it(`${bug}: caught, small, and the correct model passes the same scenario`, () => {
      const model = BUILTIN_MODELS['cdc']!.model;
      const scenario = parseScenario(decodeToken(SHRUNK[bug]!.token));
      expect(scenario.bug).toBe(bug);
      const bad = judgeScenario(model, scenario);
      expect(bad.failure).toBeUndefined();
      expect(bad.violations.map((v) => v.guarantee)).toContain(SHRUNK[bug]!.guarantee);
      const size = scenarioSize(scenario);
      expect(size.ops).toBeLessThanOrEqual(12);
      expect(size.faults).toBeLessThanOrEqual(3);
      const { bug: _planted, ...clean } = scenario;
      const ok = judgeScenario(model, clean);
      expect(ok.failure).toBeUndefined();
      expect(ok.violations.map((v) => v.sentence)).toEqual([]);
    });
  }
});
