/**
 * What each commit level really guarantees, reproduced as PostgreSQL's
 * documentation states it (runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT and
 * warm-standby.html#SYNCHRONOUS-REPLICATION): guarantees a level does *not*
 * claim are shown to break exactly where the real systems break, and the
 * linearizability property catches a write lost on failover.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS } from '../models/index.js';
import { checkModel, type CheckModelOptions } from '../properties/harness.js';

const wal = BUILTIN_MODELS['wal']!;

/** Writes (and reads) by sessions on the primary: what a failover can lose. */
const WRITES = { opKinds: ['w'], policies: ['primary'], keys: 2 } as const;

function breaks(
  variant: string,
  guarantee: string,
  opts: Partial<CheckModelOptions> & { tolerates?: string[]; tweak?: Record<string, unknown> },
) {
  const { tolerates, tweak, ...rest } = opts;
  return checkModel(wal.model, {
    modelRef: 'wal',
    variant,
    config: { ...wal.variants[variant]!, ...tweak },
    guarantees: [guarantee],
    extraClaims: [{ id: guarantee, ...(tolerates ? { tolerates } : {}) }],
    failureFile: false,
    numRuns: 400,
    ...rest,
  });
}

describe('synchronous_commit, as the PostgreSQL documentation describes it', () => {
  it('async (local): failover loses acknowledged commits', () => {
    const r = breaks('async', 'durability', { profile: 'crashes', faultKinds: ['crash'], workload: WRITES });
    expect(r.found).toBe(true);
    expect(r.guarantee).toBe('durability');
    expect(r.faults).toBeGreaterThanOrEqual(1);
  });

  it('on (remote flush): a standby read does not see the session\'s own acknowledged write', () => {
    // Replay lags behind flush (1 ms per record): `on` acknowledges at flush, before replay.
    const r = breaks('sync-on', 'read-your-writes', {
      profile: 'calm',
      tweak: { replayMsPerRecord: 1 },
      workload: { opKinds: ['w', 'r'], policies: ['any-standby'], keys: 1 },
    });
    expect(r.found).toBe(true);
    expect(r.faults).toBe(0);
  });

  it('statement shipping without the source context diverges under clock skew', () => {
    const r = breaks('statement-noctx', 'convergence', { profile: 'clock-skew', workload: { opKinds: ['now', 'r'] } });
    expect(r.found).toBe(true);
    expect(r.ops).toBeLessThanOrEqual(2);
  });

  it('remote_apply on every standby claims read-your-writes and keeps it', () => {
    const claimed = wal.model.claims(wal.model.configure(wal.variants['sync-remote-apply']!)).map((c) => c.id);
    expect(claimed).toContain('read-your-writes');
    const r = checkModel(wal.model, {
      modelRef: 'wal',
      variant: 'sync-remote-apply',
      config: wal.variants['sync-remote-apply']!,
      guarantees: ['read-your-writes'],
      profile: 'calm',
      numRuns: 100,
      failureFile: false,
    });
    expect(r.found, r.sentence).toBe(false);
  });
});

describe('linearizability catches a write lost on failover', () => {
  it('planted bug promote-lagging-standby is caught by linearizable-primary-reads alone', () => {
    const r = checkModel(wal.model, {
      modelRef: 'wal',
      variant: 'quorum-any-1',
      config: wal.variants['quorum-any-1']!,
      bug: 'promote-lagging-standby',
      profile: 'crashes',
      guarantees: ['linearizable-primary-reads'],
      workload: { opKinds: ['r', 'w'], policies: ['primary'], keys: 1, opsMax: 20 },
      numRuns: 1000,
      failureFile: false,
    });
    expect(r.found, `not caught by linearizability in ${r.runs} runs`).toBe(true);
    expect(r.guarantee).toBe('linearizable-primary-reads');
    expect(r.sentence).toMatch(/not linearizable/);
    expect(r.ops).toBeLessThanOrEqual(12);
    expect(r.faults).toBeLessThanOrEqual(3);
  });
});
