/**
 * Clean-model false alarm (soak of semisync-after-sync, 50 ms a record; seed 880213,
 * run 691): n1's commit waits for a replica's ack while the monitor is paused, its lease
 * lapses (demoted, the client gets `info`), it loses power and restarts as a standby,
 * replaying its own WAL slowly. The monitor comes back and names it primary again while
 * replay stood between the transaction's write and its commit record. Recovering the
 * in-doubt commits started from the replay position with no open transactions, so the
 * commit record found no transaction and was dropped: n1 never showed a commit both
 * replicas applied (convergence, committed-prefix).
 */
import { describe, expect, it } from 'vitest';
import { decodeToken } from '../src/scenario/compact.js';
import { parseScenario } from '../src/scenario/validate.js';
import { judgeClean } from './wal-helpers.js';

const TOKEN = 'rc1:fZLRixMxEMb_l-85V7rb1l7zIBTRJ0-OKojIISGb9YbdTNYk9VpK_neZtNQKh3lKMvP95ptJTvChcyM0XswIBRu4p5_QJ0Q3jWRNpsDQSM5TOrKFum6_GsqPgThDY_vhy_vdj8_fPr27SdjaIUE3qqLM8SE9urhzNsQOejUvkug66MVy2a4Xi00rFylR4AT9_QTqpG4DhSmMZI_QmCJ5E49QCNM5yeSHBL3eSJFfYjsfuAZ6aQkKAzQGgfyutLsW5UnBscBt8J4ySnmSu97sx3ymDlTjk9knB3UpsmgVOHQOGh4K3T7W4UioedMUdZXZaNLzVdYs11cdixF_YRj7TCz46FI2MW_77OJZcUv710S7uv-Pi3vpg11-CXGQYXSuNvWRuB5Hkx3LIP9aDZyy4Sy2hDDbFIUxpLQz2UHPpcB02UuEWJ70BG7v3vrXkXumPkTx5qnams_WCt4cqsXZqhRV5dy8rneHKbDjTPU_emfOvc3aG-CqyPoD';

describe('a standby named primary while replay is inside a transaction', () => {
  it('keeps the transaction and shows its commit once a replica acknowledges it', () => {
    const s = parseScenario(decodeToken(TOKEN));
    expect(s.bug).toBeUndefined();
    expect(s.config).toMatchObject({ replication: 'semisync', replayMsPerRecord: 50 });
    judgeClean(s);
  });
});
