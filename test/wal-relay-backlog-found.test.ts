/**
 * promote-before-relay-applied as a search finds it: tokens from the bug's trigger
 * search (variant semisync-after-sync, profile crashes) judged only by
 * writes-follow-reads (found at run 944, shrunk to 5 ops 2 faults) and only by
 * monotonic-writes (run 11, 4 ops 2 faults). A pause of the primary past the failover
 * timeout promotes a replica whose SQL thread (50 ms a record) is behind; the
 * transactions left in its relay log become new commits after later writes of the same
 * sessions. The same scenarios without the bug hold every claim.
 */
import { describe, expect, it } from 'vitest';
import { decodeToken, scenarioSize } from '../src/scenario/compact.js';
import { parseScenario } from '../src/scenario/validate.js';
import { judgeScenario } from '../src/verdict/judge.js';
import { walModel } from '../models/wal/index.js';
import { judgeClean } from './wal-helpers.js';

const WFR_FOUND =
  'rc1:tZNRa9swFIX_y3mWQ-wkjqO3MrqndpRsMMYIQ7Wui7AteZK81AT99yFlTUtrtr307Uq697vnXEkn9EZSB46j6MBQG92oB_ATLA2dqoVXRoPDUa_cpGuwS_hVKH9nlPbguPr45Xr_4_O3Tx9eJFzVrQPPWUKJ6dbdkd1TbawE3ywDw_34AI7Bmt54yu6pMZYyS52YMjEMnSKZaCTB86La5VWxrMq445wy2oF_P0HJqC4Hw2A6VU_gsCRkNpnRZkerPDkwmOGcLfytA1-XUdPP6NI_6nTQxAmAoQVHG2m_EjbLEQ4MpGOX2vS98giBPYE2m0VR7mZh2lxwK8SKV5uz4ENMPDsq3sdR8Q9H2912lmTfmrnAi2d48Vd4nq9X_61zPT-gA0Mjxs6f3bcqnQ9idAT2dCsFgzaS4sCjNjna9IzToLZl1DNbV5Wr58L8VWGx3cXemvzR2DYakJSE3Cidlp3wpONtXeijVo2xPRh6dWYw9OIxRYtdYOiMc3vhCXwZmw1_4hAYpHKJ2sSPdPMGXRvtvNA-suNgF1UI4Tc';
const MW_FOUND =
  'rc1:jZJBaxsxEIX_yzvLZiU7tqtbKO0pKcEtlFJCUVazQeyupEraOsbovxfJbmKCaXIbzbx5842YA0anaYDETg1gaJ3tzCPkAYH8YFqVjLOQiDSauLct2HP4XZl054xNkLj-_O3T9tfXH18-ngmu2z5Cclat1P423lHYUuuChrxqMsPD9AgJH9zoEs0eqHOBZoEGtZ8p7wdDurqRhhTNcrnerPi6JGI0zkbInwcYXeA4GLwbTLuvfmZUYQ8G548ilW4jpLhaFpTfZbn0ZGulg4R1OzD0kOg5MjsmJ69fkgz05EPpcx4SSpeaheT5nzwoe6bP9wxkC1nrxtEkVN2JYi3m4iLH7nzgn7rW7A2vD838PTv9x4KLhr-bRlyyui-5Tk1DOn52b2rdqykS2GnMUnAG6zQVNgEGPYV6WqW42DQF6GIjb1brl07-qlOIRZluKe1c6MsKmirKjbH1OahEtlzFs33rbEzKJjCMEbKZLzLD4GLcqkSQTRngT3HODNrE6tSVi755y24zX-Wc_wI';

function broken(token: string): string[] {
  const s = parseScenario(decodeToken(token));
  expect(s.bug).toBe('promote-before-relay-applied');
  const size = scenarioSize(s);
  expect(size.ops).toBeLessThanOrEqual(12);
  expect(size.faults).toBeLessThanOrEqual(3);
  const v = judgeScenario(walModel, s);
  expect(v.failure, v.failure?.message).toBeUndefined();
  return [...new Set(v.violations.map((x) => x.guarantee))].sort();
}

describe('promote-before-relay-applied, as found by search', () => {
  it('the writes-follow-reads find breaks writes-follow-reads and monotonic-writes (and durability: the late backlog overwrites a later write)', () => {
    expect(broken(WFR_FOUND)).toEqual(['durability', 'monotonic-writes', 'writes-follow-reads']);
  });

  it('the monotonic-writes find breaks monotonic-writes', () => {
    expect(broken(MW_FOUND)).toEqual(['durability', 'monotonic-writes']);
  });

  it('the same scenarios without the bug hold every claim', () => {
    for (const t of [WFR_FOUND, MW_FOUND]) {
      const { bug: _planted, ...clean } = parseScenario(decodeToken(t));
      judgeClean(clean);
    }
  });
});
