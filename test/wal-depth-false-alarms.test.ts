/**
 * False alarms the WAL-depth defaults raised at soak seed 31337 (4,000 runs),
 * replayed from their tokens; each asserts what made it an alarm.
 */
import { describe, expect, it } from 'vitest';
import { judgeScenario } from '../src/verdict/judge.js';
import { decodeToken } from '../src/scenario/compact.js';
import { parseScenario } from '../src/scenario/validate.js';
import { walModel } from '../models/wal/index.js';
import { events } from './wal-helpers.js';

/** sync-on-statement-timeout, run 916: a cancelled wait's commit (acknowledged) lost in a failover. */
const CANCELLED_THEN_FAILOVER = 'rc1:TY9PSwMxEMW_SnknlShdRcFcBUFQD7W30kPczWrYzcyazFpLyXeXSaV4m7-_994BkTs_wmLnRhi0TH34gD0g76n9TEw85weOMQgsmGD-L97EUfe-f3XRZ1g8Pq3e1otmcXZxrnfixEdPsg7R8ywvGfZ2WQyy9x3sUoucA1OG3RwQOljkBgYTj6Hdw2JKIbq0hwFPxyNXKUuD5L_UpPxQnfcaAAYDLAZlfFfYZYOyNfCk7PaYopStzno3j3KEDqHuJ5ckSKgZTzp94gi7ATXYGgjX-hoGdAODqMNuTk7f9OP-TtnkZcdpUIOdr0LPgWo7OvGk2U6qLVMWR6I0lbxqisHIOa-c-Gqhm6e_upTyCw';
/** statement-slow-replay, run 1934: the primary showed lsn 6 before lsn 3, then crashed before shipping 6. */
const PROCARRAY_THEN_CRASH = 'rc1:rVLJTgMxDP2Xdw6IDmLLDXEFhMoR9RAmHhp14oQ4pYyq_DtKhk0CbtxeYr_FlvfwwdIIjZ0ZodAHHtwT9B4ycb9OgcNWroL3LkNjDH3r-la7z4bt43RrPAk0anHtYnT8BA3JJpMnzlBIFEcz3cgdpSX1IVnoRVEQIgvdnVck4gIL9MMezlb6AgoxjK6foBGT8yZNUAhxbjL5RqCPqvZzjZxfuf0PdRwobKCxqRovTexggbJSIK7a_TxTKauiPuy6f7DrPuy6v-xWCoPZjnkW3bi5noysod49FicKHCxBg2t-P-OYQk8iqIl_51188bqfvJpcskn5csiUKuH4tKt5mPIupE0dylILd-24PUeTies-Ph3pNQYmzq5dgifDzfnwWMG7ho8Oz4vCGESWJlPbmN3Gd1yKgnXSxId6R9c_HPrAkk07Gi_QZ6WUNw';

const judge = (token: string) => judgeScenario(walModel, parseScenario(decodeToken(token)));

describe('WAL depth false alarms (soak seed 31337)', () => {
  it('a statement_timeout withdraws durability through failover: COMMIT succeeded on no standby', () => {
    const v = judge(CANCELLED_THEN_FAILOVER);
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
    expect(v.claims.map((c) => c.id)).not.toContain('durability');
    // The alarm's path: a cancelled wait acknowledged, then a failover.
    expect(events(v.run!.history, 'syncrep.cancel', 'n1').length).toBeGreaterThan(0);
  });

  it('a commit shown after a later-logged one the authority lacks is ProcArray order, not a divergent branch', () => {
    const v = judge(PROCARRAY_THEN_CRASH);
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
    expect(v.claims.map((c) => c.id)).toContain('committed-prefix');
    const commits = events(v.run!.history, 'txn.commit', 'n1').map((e) => (e.data as { lsn: number }).lsn);
    expect(commits.slice(0, 2)).toEqual([6, 3]);
  });
});
