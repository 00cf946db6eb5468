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
