/**
 * no-fencing as the untuned search finds it (`run wal --bug no-fencing --seed 1`, run 729,
 * shrunk): a partition cuts the primary n1 off from every other node until the quiet
 * phase (drawn as a partition aimed at one of n1's marks that isolates it; the
 * shrinker moved it to 0 ms). The monitor promotes a standby, s1's write lands there,
 * and s2, routed to the old primary, which never stepped down, reads k1 as it was. A
 * verdict from client reads alone: no run limit, no model event needed.
 */
import { describe, expect, it } from 'vitest';
import { decodeToken, judgeScenario, parseScenario } from '../src/analysis.js';
import type { Scenario } from '../src/analysis.js';
import { walModel } from '../models/wal/index.js';

const TOKEN =
  'rc1:jZDBSgMxEIbf5T9PpVttxdyK6ElFqiBSFonZbAmbnaxJai0l7y5Ja_XQg7dJZvJ9_2SH3jXaQmAjLQjKcWtWEDt4PVijZDSOIRB0b8KWFehYvkgTH53hCIH57fPN4u3p9eH6z8BcdQGiSoT39QoC7EatZmV4VYZ0A1FNx5PL6exqnC9CMI4DxHIH02RnBcLgrFFbCAze9NJvQXDDfkjG-8yfXBC8_siZ4xeXTpv3AaGDQJcpnwU3qpBqguZMV67vTURKdaIf4eRfwulpof8VnrTUhFaubdyzOlP6g_TRlD-mA35MaL3rIZbgCjUhulLnbHwOQo_CYh03znc5RaML-M5wOVoZNecVjhblOETJMb_OirNZIlgXwkJGXZTNejjUKaVv';

const found = parseScenario(decodeToken(TOKEN));
const { bug: _bug, ...clean } = found as Scenario & { bug?: string };

describe('no-fencing, found untuned through a partition isolating the primary', () => {
  it('the token is the scenario described above', () => {
    expect(found.bug).toBe('no-fencing');
    expect(found.faults).toEqual([expect.objectContaining({ kind: 'partition', from: ['n1'], to: ['n2', 'n3', 'm'] })]);
    expect(found.sessions.map((s) => s.policy)).toEqual(['primary', 'primary']);
  });

  it('with the bug the old primary serves a stale read: linearizable-primary-reads breaks', () => {
    const v = judgeScenario(walModel, found);
    expect(v.failure).toBeUndefined();
    expect(v.violations.map((x) => x.guarantee)).toContain('linearizable-primary-reads');
  });

  it('with fencing the old primary stops serving before the promotion: every claim holds', () => {
    const v = judgeScenario(walModel, clean as Scenario);
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
    // Judged, not skipped: the partition is a fault the claim tolerates.
    expect(v.outcomes.find((o) => o.id === 'linearizable-primary-reads')).toEqual({ id: 'linearizable-primary-reads', violations: 0 });
  });
});
