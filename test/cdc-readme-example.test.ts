/**
 * The README's "plug in your own consumer" example, verbatim in spirit: a
 * consumer that upserts the row and appends an audit line in the same SQLite
 * transaction runs under redelivery, duplication and partition reordering.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/analysis.js';
import { checkCdc, type CdcGuaranteeId } from '../src/check/cdc.js';
import { createCdcModel, type CdcConsumer } from '../models/cdc/index.js';
import { at, del, inc, simConfig, w } from '../models/cdc/testkit.js';

// 1. The consumer: called once per delivered change event, inside the sink's batch transaction.
const auditUpsert: CdcConsumer = (event, tx) => {
  tx.put(event.key, event.after); // the replicated row (null deletes it)
  tx.db?.exec('CREATE TABLE IF NOT EXISTS audit (key TEXT, op TEXT, lsn INTEGER, idx INTEGER)');
  tx.db?.prepare('INSERT INTO audit VALUES (?, ?, ?, ?)').run(event.key, event.op, event.pos.lsn, event.pos.idx);
};

// 2. Register it under a name; `idempotent` says whether applying an event twice in a row is harmless.
const model = createCdcModel({ name: 'cdc-audit', consumers: { audit: { consume: auditUpsert, idempotent: true } } });

describe('README example: a user consumer under the CDC model', () => {
  it('converges and loses nothing through connector and sink crashes', () => {
    // 3. Configure a sink that uses it (SQLite store, deduplicated by source position).
    const config = model.configure({ sinks: [{ name: 'sink-audit', store: 'sqlite', consumer: 'audit', exactlyOnce: 'dedup' }] });
    const ops = [at(1, w('a', 'x')), at(5, inc('n', 2)), at(9, del('a'), w('b', 'y')), at(14, inc('n', 3))];
    const faults = [
      { kind: 'crash' as const, atMs: 8, node: 'connector', mode: 'machine' as const, restartAfterMs: 10 },
      { kind: 'crash' as const, atMs: 20, node: 'sink-audit', mode: 'process' as const, restartAfterMs: 5 },
    ];
    // 4. Run it and judge the guarantees the model claims for this configuration.
    const { history } = simulate({ model, config, sim: simConfig({ nodes: model.nodes(config), ops, faults }) });
    const claims = model.claims(config).map((c) => c.id) as CdcGuaranteeId[];
    expect(claims).toEqual(expect.arrayContaining(['sink-convergence', 'completeness', 'exactly-once']));
    expect(checkCdc(history, claims)).toEqual([]);
    const sink = history.find((e) => e.type === 'final' && e.node === 'sink-audit');
    expect(sink?.type === 'final' && sink.view.data).toMatchObject({ b: 'y', n: 5 });
  });
});
