import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS } from '../models/index.js';
import { collectReport } from '../reports/run.js';

describe('report: linearizability cells', () => {
  it('draw the partial linearization of their minimal run', async () => {
    const wal = BUILTIN_MODELS['wal']!;
    // Statement shipping without context: a standby's NOW()/RAND() differ, and a
    // read on the primary after failover returns a value no order can explain.
    const registry = { wal: { ...wal, variants: { 'statement-noctx': wal.variants['statement-noctx']! } } };
    const r = await collectReport({ registry, runs: 6, seed: 1 });
    const cell = r.models[0]!.variants[0]!.cells.find((c) => c.guarantee === 'linearizable-primary-reads')!;
    expect(cell.broken).toBeGreaterThan(0);
    const file = cell.counterexample!.linearization!;
    expect(file).toMatch(/--linearization\.svg$/);
    expect(r.diagrams[file]).toMatch(/^<svg/);
  });
});
