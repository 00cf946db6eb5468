/**
 * WAL model under random fault schedules: every preset variant and every
 * planted bug runs to quiescence without model errors, deterministically, and
 * (without bugs) each node's view equals its visible log folded from events and
 * all nodes converge on the primary's state.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/sim/run.js';
import { walModel, walVariants, BUG_NAMES } from '../models/wal/index.js';
import { finals, foldVisible, randomScenario } from './wal-helpers.js';

const SEEDS = [1, 2, 3, 4, 5, 6];

function runVariant(raw: Record<string, unknown>, seed: number, bug?: string) {
  const config = walModel.configure(raw, bug);
  const sim = randomScenario(seed, walModel.nodes(config), 60);
  return simulate({ model: walModel, config, ...(bug ? { bug } : {}), sim });
}

describe('wal under random faults', () => {
  for (const [name, raw] of Object.entries(walVariants)) {
    it(`${name}: quiesces, converges, views match the folded visible logs`, () => {
      for (const seed of SEEDS) {
        const { history } = runVariant(raw, seed);
        const f = finals(history);
        const folded = foldVisible(history);
        const primaries = Object.entries(f).filter(([, v]) => v.role === 'primary');
        expect(primaries, `seed ${seed}`).toHaveLength(1);
        const p = primaries[0]![1];
        for (const [node, v] of Object.entries(f)) {
          if (node === 'm') continue;
          expect(folded[node] ?? {}, `seed ${seed} ${node} folded`).toEqual(v.data);
          if (raw.statementContext !== false) expect(v.data, `seed ${seed} ${node} converged`).toEqual(p.data);
        }
      }
    });
  }

  for (const bug of BUG_NAMES) {
    it(`bug ${bug}: runs to the end without model errors`, () => {
      for (const seed of SEEDS.slice(0, 3)) {
        const raw = bug.startsWith('semisync') ? walVariants['semisync-after-sync']! : walVariants['statement-ctx']!;
        expect(() => runVariant(raw, seed, bug)).not.toThrow();
      }
    });
  }

  it('the same scenario and seed give the same history hash', () => {
    const a = runVariant(walVariants['sync-on']!, 7);
    const b = runVariant(walVariants['sync-on']!, 7);
    expect(a.hash).toBe(b.hash);
    expect(runVariant(walVariants['sync-on']!, 8).hash).not.toBe(a.hash);
  });
});
