/**
 * Searched teeth of sink-transaction-atomicity. The untuned hunt for
 * txn-flush-on-end names completeness (seeds 1–3: a one-write transaction whose
 * END overtook its event, lost), and on those runs the atomicity checker had
 * nothing to judge: searched workloads read sparsely (a read-only transaction
 * of two keys in 3 of 200 txn-sink runs), so a half transaction the sink keeps
 * for good met no read of both keys. A live sink's rows after the quiet phase
 * now count as one more read of every key. Token: a search of the txn-sink
 * variant with the bug judging only sink-transaction-atomicity (seed 3, found at
 * run 168 of 800, shrunk to 2 ops, 0 faults; seeds 1 and 2: runs 74 and 252, 5 ops).
 */
import { describe, expect, it } from 'vitest';
import { decodeToken, judgeScenario, parseScenario, scenarioSize } from '../src/analysis.js';
import { judgeCleanOn, withoutBug } from './helpers/judge-clean.js';
import { cdcModel } from '../models/cdc/index.js';

const TOKEN = 'rc1:fZAxT8MwEIX_y5udqklapN7GDktX1MG1nWLFsY3t0FaR_zu6AGIBNt-98_fe3YIpaONAUFpBQAU_2AtoQbZ-fIzR3UE435uSpM9SFRs8xCoejdQZVNJsqsB5voBQbr4Z3Jxfm-Ab4zWPGqNBu0PfP_T9oeVGzjb4DHpZYDUIuYVADM4qNovJTjLdIRDi55Aszxm06wSSeeNs5eZXYQDhCoERhJEh7yutaVFPAuxPUGGabEGt4hu03_8P6n9AHfjbXzb9bzYn7g1ydoXDnwS8KdeQRrbTZhWerF9LJ4vxvPOC0a6UKJMpga-mpDMctt3wyV5lNKBu0wkoGdcltlXAhZyPshjQVkDP8etda_0A';

describe('sink-transaction-atomicity has searched teeth (txn-flush-on-end)', () => {
  const scenario = parseScenario(decodeToken(TOKEN));

  it('the searched, shrunk run is small and the buggy sink keeps half a transaction after the quiet phase', () => {
    expect(scenario.bug).toBe('txn-flush-on-end');
    expect(scenario.config).toMatchObject({ sinkApply: 'by-transaction', sinkReads: true });
    const size = scenarioSize(scenario);
    expect(size.ops).toBeLessThanOrEqual(12);
    expect(size.faults).toBeLessThanOrEqual(3);
    const v = judgeScenario(cdcModel, scenario);
    const atom = v.violations.filter((x) => x.guarantee === 'sink-transaction-atomicity');
    expect(atom.length).toBeGreaterThanOrEqual(1);
    expect(atom[0]!.data).toMatchObject({ evidence: 'final', reads: ['final'] });
    expect(atom[0]!.sentence).toMatch(/its rows after the quiet phase .* half a source transaction visible at the sink/);
  });

  it('the clean model on the same scenario holds every claim, atomicity judged', () => {
    const v = judgeCleanOn(cdcModel, withoutBug(scenario));
    expect(v.outcomes.find((o) => o.id === 'sink-transaction-atomicity')?.notJudged).toBeUndefined();
  });
});
