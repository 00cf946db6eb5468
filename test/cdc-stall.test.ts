/**
 * A replicated-broker stall found by the property test of the txn-sink variant.
 * broker-1 leads with ISR {broker-1, broker-3}; broker-3 is partitioned away
 * for good and broker-1 pauses with appended batches whose fsync is pending.
 * The controller fences broker-1 (no live ISR member: the partition goes
 * offline), the fsync completes after broker-1 learnt it no longer leads, and
 * broker-1 is re-elected from the ISR once back. The Kafka model used to
 * advance a replica's durable log end only in the epoch of the append, so the
 * re-elected leader's HW stopped one record short of its own log: the
 * producer's resent batch was a duplicate waiting for that HW forever and the
 * run never quiesced. The records are durable whoever leads; Kafka's log end
 * offset belongs to the log, not to a leadership epoch.
 */
import { describe, expect, it } from 'vitest';
import { decodeToken, judgeScenario, parseScenario } from '../src/analysis.js';
import type { Scenario } from '../src/analysis.js';
import { cdcModel } from '../models/cdc/index.js';

/** The shrunk scenario the property test printed (seed 20, txn-sink knobs). */
const TOKEN =
  'rc1:lZJLb9swEIT_y5xpwZJcO-YhQO_tJVfDB1ZaOYT4UEgKsWHovxcr2bKMFGh72-Vjdr4hr7C-JgOJqq4gUHnX6BPkFVG79nvXmQskfl1WKSgXVZW0dxDj5hupOkKm0NMgEIlqyGLNVYzauwh5uELXkIg5BDpvdMViXdBWhQsEfDcdUulnhFwLBPrg0ensxvUGEgECLSTaHMNRgBwLVt5anTAMR15rVG_SpNTqad_4E8RNtxRogreMEXxLYVVAIPlHz-7onILi0_mLQN0HxaBjX24GMQt3KiR9y2BSz2f5w12vxHEacOA4HVXJhynaFLwxxM1i9MIVx7qyZO9l_DD3skoBxycnfaTZxWYj4HxNz1BLjrLgqBylTx9aDrmmMbcf2o2tUYkcv888wepz6gPPYOop30_Sp_cEueeUdEyL473TjQ9s3epx4jrbC1h1Hv1l3wY2f79ffLneqUDJM22lDE33NwLxXXUEWWS5QKW6MfF8zw8vYHyMbyrR-HXqvrvVvKNdG1n8kfnqdY7xv2lf8r_T5tlupt1l2yfafP9PuMUCdzfjFrsRd3j8jtXr41v9keWreJ5tF-LbWbxk8WEYfgM';

const base = parseScenario(decodeToken(TOKEN));

function judge(config: Record<string, unknown>) {
  const scenario: Scenario = { ...base, config };
  return judgeScenario(cdcModel, scenario);
}

const VARIANTS: [string, Record<string, unknown>][] = [
  ['txn-sink (the scenario as found)', base.config as Record<string, unknown>],
  ['default knobs', {}],
];

describe('a leader re-elected after its append outlived its epoch', () => {
  it('the token is the scenario described above', () => {
    expect(base.config).toEqual({ sinkApply: 'by-transaction', sinkReads: true });
    expect(base.faults.map((f) => f.kind)).toEqual(['clog', 'partition', 'pause']);
  });

  for (const [name, config] of VARIANTS) {
    it(`${name}: quiesces, and every claimed guarantee that had evidence held`, () => {
      const v = judge(config);
      expect(v.failure?.message).toBeUndefined();
      expect(v.violations).toEqual([]);
      const judged = v.outcomes.filter((o) => o.notJudged === undefined).map((o) => o.id);
      // The broker-side guarantees are judged, not excused: the snapshot rows went through the stall.
      expect(judged).toEqual(expect.arrayContaining(['completeness', 'snapshot-handover']));

      // The path this test is about ran: broker-1 lost the lead with a produce in its log and led again.
      const leads = v.run!.history.flatMap((e) => (e.type === 'event' && e.name === 'kafka.lead' && e.node === 'broker-1' ? [e.data as { epoch: number }] : []));
      expect(leads.map((d) => d.epoch)).toEqual([1, 2]);
      const offline = v.run!.history.some((e) => e.type === 'event' && e.name === 'kafka.partition' && (e.data as { leader: unknown }).leader === null);
      expect(offline).toBe(true);

      // At the end the leader's HW is its whole durable log, and every live follower has it.
      const finals = v.run!.history.flatMap((e) => (e.type === 'final' && e.view.role === 'broker' ? [{ node: e.node, pos: e.view.positions ?? {} }] : []));
      const leader = finals.find((f) => f.pos['leader'] === 1);
      expect(leader?.node).toBe('broker-1');
      for (let p = 0; leader!.pos[`leo${p}`] !== undefined; p++) expect(leader!.pos[`p${p}`]).toBe(leader!.pos[`leo${p}`]);
      expect(leader!.pos['leo1']).toBe(2);
    });
  }
});

/**
 * The soak's txn-sink stall (seed 20261127, run 4729). sink-ctr queued the
 * transaction that wrote k1="s1-5" once its END (metadata partition, offset 7)
 * was in, and committed the metadata partition past that END while the
 * transaction was still queued; it crashed before applying it. Restarted from
 * the committed offsets, it fetched the transaction's event again but never
 * its END: the event waited forever and the run never quiesced. A queued or
 * in-flight transaction now holds back its END's offset as well.
 */
const SOAK_TOKEN =
  'rc1:rZTBkqIwEIbfpc_BAkQcc9ique9e5rKHKQ8xNGNKSDJJWLUs3n2rA7I6WqOH5RQ65Ov-u_9wgtZU2AAHWUlgII2u1QfwE3ild6_WNkfgsDkmwQnthQzKaGBx8w1F5YEH12HPwCNWwLNlucyLIl0WFPFeGe2Bv59AVcDBZ8DAmkZJglqnWuGOwMDY4SMRfnngKQOHn1RCOOgYr4HDHhjsgMOOGH8iLMmgXzNATWxp2lYF6Ht25sxXT4Py_wWafwvKyuxpUvE9KU3Lp1GLB6iyeBpV3kOtKVaLrgnDGHcq7lvhghr9Mk22dqYF_g7edE7iYDiNMhg3rIMzTYP0snFmhy7JRrcl_rM5L2VwsGYQTCRRpMWWIlXnBGWkZEW5IpFTMZ3HqZAsZaBNhWTtIc0crk9nRXF1-qsUmuRZyyMJ-d26v-obJRiNv8VxuFbXJa3y_KIk6YTf_hM0ny0mSVMuFi93vGpGovdAc_ZBuPBaB3TxIANBaxp-KxzNeyOC3CbC2kZhBfeoOmyBFz2NXWPYGzp2ggqjB34qHV8bEVDTRZ9KbtUhdI6mQP0cvLJH9bENwF9SBpXy4eLzTqvauJZUqGEmsxWDVhyGCc7yaOIzIL8FWOEwGOqvFA2Oav1WWBxZUliKLtKUTMygMd6_iYDRqVVnxzXtKL3z8a8YfZv8mLpxV-lt5nR2mbuYcufZqu8np8wfgW97MnXkZVb09PwF';

describe('a buffering sink crashed with a transaction queued after its END', () => {
  const scenario = parseScenario(decodeToken(SOAK_TOKEN));
  const v = judgeScenario(cdcModel, scenario);
  const events = v.run?.history.flatMap((e) => (e.type === 'event' ? [e] : [])) ?? [];
  const META = 3;

  it('the token is the scenario described above', () => {
    expect(scenario.config).toEqual({ sinkApply: 'by-transaction', sinkReads: true });
    expect(scenario.faults.some((f) => f.kind === 'crash' && 'node' in f && f.node === 'sink-ctr')).toBe(true);
  });

  it('quiesces, and every claimed guarantee that had evidence held', () => {
    expect(v.failure?.message).toBeUndefined();
    expect(v.violations).toEqual([]);
    // sink-ctr restarted, and applied the transaction with s1-5 after its restart.
    const starts = events.filter((e) => e.name === 'cdc.sink' && e.node === 'sink-ctr').map((e) => e.t);
    expect(starts).toHaveLength(2);
    const s15 = events.find((e) => e.name === 'cdc.apply' && e.node === 'sink-ctr' && (e.data as { value: unknown }).value === 's1-5');
    expect(s15?.t).toBeGreaterThan(starts[1]!);
  });

  it("sink-ctr never commits the metadata partition past the END of a transaction it has not applied", () => {
    // END records: the transaction's last metadata record per source position (idx above every event's).
    const ends = events.flatMap((e) => {
      const d = e.data as { op: string; partition: number; offset: number; lsn: number; idx: number };
      return e.name === 'cdc.publish' && d.op === 'm' && d.partition === META && d.idx > 0 ? [{ offset: d.offset, lsn: d.lsn }] : [];
    });
    expect(ends.length).toBeGreaterThanOrEqual(5);
    const appliedAt = (lsn: number): number =>
      Math.min(...events.filter((e) => e.name === 'cdc.apply' && e.node === 'sink-ctr' && (e.data as { lsn: number }).lsn === lsn).map((e) => e.t));
    const commits = events.filter((e) => e.name === 'offset.commit' && (e.data as { group: string; partition: number }).group === 'sink-ctr' && (e.data as { partition: number }).partition === META);
    expect(commits.length).toBeGreaterThan(0);
    for (const c of commits) {
      const upTo = (c.data as { offset: number }).offset;
      for (const end of ends) if (end.offset < upTo) expect(appliedAt(end.lsn), `END at offset ${end.offset} committed at ${c.t}`).toBeLessThanOrEqual(c.t);
    }
  });
});

/**
 * A false alarm from the soak (seed 7373, compacted, run 2461). The connector
 * restarted while an acknowledgement for its previous incarnation's batch 3
 * was in flight; the new incarnation numbered its batches from 1 again, so the
 * stale answer acknowledged the new batch 3 (the change k1 := s1-7), which the
 * broker had in fact refused (not enough replicas). The connector confirmed
 * past it and the change was never published: snapshot-handover reported a gap
 * the real producer cannot make (Kafka matches answers to requests per
 * connection; a new process never sees the old one's answers).
 */
const STALE_ACK_TOKEN =
  'rc1:rZPNbtwgFIXf5a5xZP5sw6JS961UdVvNwsG4IbZhAkzTKPK7VzAz8XgyGnnRHYbr75x7ObzD5Do9ggTVKUCgnO3Nb5DvoNy0b1U0zoKM_qBnBEHrDiSmmJSCs5qlnRCMswHkr3cwHUgIGBDs3WjUG0jYezO1_g0QuP2xqI3fA8gSgdcvSSb-tXm_BwmvgGAACUNi_MmwAsO8Q6BtYis3TSbCPKMzh9DNIPK_QPQ-qNoMYndBdLsjfhfEt4Oq-6BmM6i-Bdqlvb49jPEYhcEcz30bngAtybCu0yDh0btB-4IAyhkFCVOrnozVkGyE2Pr4tY_aZ2sVST5vElP_J6Ry1moVnd_CxMmu1fHV-SH13Ons_Zux-XNso7Yp5IussyG2NiZ4usAHOiMYXQg_26hzZ91hf1qnE2OHcHxpJ1fFl1PPdJMAfqjmeZ4RqNGpIyq4g1c6rVzfB537rxF03vTxx34CWeRn-3yYVs-xSWF7fEvLgmOOm-XSccnJ-ayuSlLNuxldDHIlVWDORUkuBRljx_ro3Tjq6x8qIgS7rKf4sz0syrMFIUrBFneCNR_GKW04zu5OU8RrLcxTgBelur6hxARfJtGwurkEkisgq2izMk9S79dMQdgZ2QiOy0si_TS_BnN8icR1SlEwdigmPV2VN1dXS86l4WVcl_IVU9wYck3rD5ukJjTbzDAV_edJsmqtzfC5fMwJX7fFeFXR1Q-E3crhctEF5pSVycU8_wM';

describe('an acknowledgement meant for the connector before its restart', () => {
  const scenario = parseScenario(decodeToken(STALE_ACK_TOKEN));
  const v = judgeScenario(cdcModel, scenario);
  const history = v.run?.history ?? [];

  it('the token is the scenario described above', () => {
    expect(scenario.config).toEqual({ compaction: true });
    expect(scenario.faults.some((f) => f.kind === 'crash' && 'node' in f && f.node === 'connector')).toBe(true);
  });

  it('the change the broker refused is sent again and published: every claimed guarantee with evidence held', () => {
    expect(v.failure?.message).toBeUndefined();
    expect(v.violations).toEqual([]);
    const published = history.filter((e) => e.type === 'event' && e.name === 'cdc.publish' && (e.data as { lsn: number; op: string }).lsn === 11);
    expect(published.length).toBeGreaterThan(0);
    // Published after the connector's restart, by the new incarnation (its first produce of it was refused).
    const restart = history.find((e) => e.type === 'node' && e.node === 'connector' && e.ev === 'restart');
    expect(restart).toBeDefined();
    expect(Math.min(...published.map((e) => e.t))).toBeGreaterThan(restart!.t);
  });
});
