/**
 * A clean-model run that never went quiet (found by untuned hunts of wal at seed 3,
 * run 627, under three unrelated planted bugs; the same scenario without a bug
 * stalls as well). n1 crashes as primary and restarts while n2 is promoted; its
 * recovery fsync is still running when the new primary's stream start rewinds it,
 * and that fsync's completion, overtaken by the rewind, left its flush position at
 * 0: the records it kept were never counted flushed, so never replayed (replay 16
 * of 18) and the cluster never quiesced. pg_rewind ends by syncing the target
 * directory; the model now does too.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../src/scenario/types.js';
import { decodeToken } from '../src/scenario/compact.js';
import { judgeClean } from './wal-helpers.js';

const TOKEN =
  'rc1:rZTda9swFMX_lXKetiGH2Plw0MNg7LUto3saIwzFlhMRfXiS3DYE_e_jys2asbJmbG-WdM85v6tr-wjjWqnB8SA0GBpnO7UFPyIcbLPzzrohfHTGqAgOL42L8pvoe30AOy_5HIVtN4dbYWQAx4fbL1fV1Zt3b8HgZa_F4SZ8kv5ONs634GVi2AxbcARpFNkUoovSF01OKu5VUBulVcwpUpKknk9X9XxVl7QTgnI2gH89QrVkU4Khd1o1B3D0XhnhSev6sUjEmwA-JZjv1Fx8tHm_o8bBsAfHnjzus1lRIq0ZpCXvkQkpsQt9qmef6szHO603otn_hdMZ0eyPROX8YqT5K0jl4mKmxUtMa7Iah1L9z6FU_zaUM5_qZew1QycGHUe4vRrPvQg7sKeM2WTJYF0rwWHJ0YzPvXeNDIHq6DUmCCM85XZ6CLsiROEjfpXauANf5QZOWdptf0ZNKarzzlA9XWR0J6V8jF5QTT1naAcvonKW1otq-TtB_pa0PEuvTumzRE1bGR8clR7RynwD18rmpRZRWhreM6KzIQpLvZgMuUgM2oVwJ6LMM2iH_umZTpTdB5LbqnhvLrKcTZYppcTQqpAhOvo9XL8mqyerlNIP';

describe('a rewind overtaking the recovery fsync', () => {
  it('the rewound node replays what it kept, and the run goes quiet holding every claim', () => {
    const { bug, ...s } = decodeToken(TOKEN) as Scenario;
    expect(bug).toBe('semisync-after-commit-visibility'); // found under it, inert in this remote_apply configuration
    expect(s.faults.map((f) => f.kind)).toEqual(['crash', 'clog']);
    const v = judgeClean(s as Scenario);
    const n1 = v.run!.history.filter((e) => e.type === 'final' && e.node === 'n1').map((e) => (e.type === 'final' ? e.view : undefined))[0];
    expect(n1?.role).toBe('standby');
    expect(n1?.positions?.replay).toBe(n1?.positions?.end);
  });
});
