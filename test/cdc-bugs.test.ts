/**
 * Each planted CDC bug is caught by the CDC checkers on a small hand-built run,
 * and the correct model passes the very same run. Fault times are derived from
 * a fault-free run of the correct model (the moment an event is delivered,
 * applied or checkpointed), so the scenarios stay aimed when timings change.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, History, ModelEventEntry, TimedRequest } from '../src/analysis.js';
import { simulate } from '../src/analysis.js';
import { brokerRecords, checkCdc, type CdcGuaranteeId } from '../src/check/cdc.js';
import { withoutEvents } from './helpers/suppress-events.js';
import { cdcModel } from '../models/cdc/index.js';
import { at, del, inc, simConfig, w } from '../models/cdc/testkit.js';
import { fnv1a } from '../models/cdc/common.js';

interface Run {
  history: History;
  ids: string[];
}

function run(raw: Record<string, unknown>, ops: TimedRequest[], faults: Fault[] = [], bug?: string, fsyncMs = 1): Run {
  const config = cdcModel.configure(raw, bug);
  const sim = simConfig({ nodes: cdcModel.nodes(config), ops, faults, fsyncMs });
  const { history } = simulate({ model: cdcModel, config, sim, ...(bug ? { bug } : {}) });
  const claims = cdcModel.claims(config, bug).map((c) => c.id) as CdcGuaranteeId[];
  return { history, ids: checkCdc(history, claims).map((v) => v.guarantee) };
}

function firstEvent(h: History, name: string, pred: (e: ModelEventEntry) => boolean = () => true): ModelEventEntry {
  const e = h.find((x): x is ModelEventEntry => x.type === 'event' && x.name === name && pred(x));
  if (!e) throw new Error(`no ${name} event`);
  return e;
}

/** Runs the correct model and the bug on the same scenario; returns the guarantee ids each broke. */
function both(raw: Record<string, unknown>, ops: TimedRequest[], faults: Fault[], bug: string, fsyncMs = 1): { ok: string[]; bad: string[] } {
  return { ok: run(raw, ops, faults, undefined, fsyncMs).ids, bad: run(raw, ops, faults, bug, fsyncMs).ids };
}

const crash = (node: string, atMs: number, mode: 'process' | 'machine' = 'machine', restartAfterMs = 10): Fault =>
  ({ kind: 'crash', atMs, node, mode, restartAfterMs });

describe('CDC planted bugs are caught; the correct model passes the same run', () => {
  it('offset-before-durable: a confirmed but unacknowledged event is lost after a connector crash', () => {
    const ops = [at(30, w('a', 'v1')), at(31, w('b', 'v2'))];
    // The broker is cut off while the events are produced; the connector
    // checkpoints, then crashes, before the retry can succeed.
    const faults: Fault[] = [
      { kind: 'partition', atMs: 29, from: ['connector'], to: ['broker'], durationMs: 45 },
      crash('connector', 60),
    ];
    const { ok, bad } = both({ preloadRows: 0, replicas: 1 }, ops, faults, 'offset-before-durable');
    expect(ok).toEqual([]);
    expect(bad).toContain('completeness');
    expect(bad).toContain('sink-convergence');
  });

  it('commit-before-processing: a batch committed on receipt and lost in a sink crash never comes back', () => {
    const ops = [at(10, w('a', 'v1'))];
    const probe = run({ preloadRows: 0 }, ops, [], undefined, 5);
    const t = firstEvent(probe.history, 'cdc.deliver', (e) => e.node === 'sink-mem').t;
    const { ok, bad } = both({ preloadRows: 0 }, ops, [crash('sink-mem', t + 2.5)], 'commit-before-processing', 5);
    expect(ok).toEqual([]);
    expect(bad).toContain('completeness');
  });

  it('non-idempotent-sink: a redelivered increment is applied twice', () => {
    const ops = [at(10, inc('n', 5))];
    const probe = run({ preloadRows: 0 }, ops);
    const t = firstEvent(probe.history, 'cdc.apply', (e) => e.node === 'sink-ctr').t;
    const { ok, bad } = both({ preloadRows: 0 }, ops, [crash('sink-ctr', t + 0.5, 'process', 5)], 'non-idempotent-sink');
    expect(ok).toEqual([]);
    expect(bad).toContain('exactly-once');
    expect(bad).toContain('sink-convergence');
  });

  it('partition-by-wrong-key: one key spread over partitions is applied out of order', () => {
    const ops = Array.from({ length: 8 }, (_, i) => at(20 + i * 0.1, w('a', `v${i}`)));
    const { ok, bad } = both({ preloadRows: 0, replicas: 1 }, ops, [], 'partition-by-wrong-key');
    expect(ok).toEqual([]);
    expect(bad).toContain('sink-convergence');
  });

  it('partition-count-change: a key rehashed to a new partition overtakes its older event', () => {
    // Five fillers, then two writes to a key whose new partition (of 4) sorts before its old one (of 3):
    // the sixth event still uses 3 partitions, the seventh already 4; one poll fetches both.
    const k = 'abcdefghijklmnopqrstuvwxyz'.split('').find((c) => fnv1a(c) % 4 < fnv1a(c) % 3)!;
    const ops = [...Array.from({ length: 5 }, (_, i) => at(10, w(`f${i}`, `x${i}`))), at(10, w(k, 'v1')), at(10, w(k, 'v2'))];
    const { ok, bad } = both({ preloadRows: 0 }, ops, [], 'partition-count-change');
    expect(ok).toEqual([]);
    expect(bad).toContain('sink-convergence');
  });

  it('retries-reorder: a retried batch lands after a later one without idempotence', () => {
    const ops = [at(10, w('a', 'v1')), at(40, w('a', 'v2'))];
    const faults: Fault[] = [{ kind: 'partition', atMs: 10.5, from: ['connector'], to: ['broker'], durationMs: 20 }];
    const { ok, bad } = both({ preloadRows: 0, replicas: 1 }, ops, faults, 'retries-reorder');
    expect(ok).toEqual([]);
    expect(bad).toContain('sink-convergence');
  });

  it('tombstone-dropped: a deleted row stays in the sinks', () => {
    const ops = [at(10, w('a', 'v1')), at(20, del('a'))];
    const { ok, bad } = both({ preloadRows: 0 }, ops, [], 'tombstone-dropped');
    expect(ok).toEqual([]);
    expect(bad).toContain('delete-propagation');
  });

  it('snapshot-stream-gap: changes between the snapshot read and the stream start are lost', () => {
    const ops = Array.from({ length: 12 }, (_, i) => at(0.5 + i, w(`row${i % 4}`, `u${i}`)));
    const { ok, bad } = both({ preloadRows: 4, chunkSize: 2 }, ops, [], 'snapshot-stream-gap');
    expect(ok).toEqual([]);
    expect(bad).toContain('snapshot-handover');
    expect(bad).toContain('completeness');
  });

  it('snapshot-stale-row: a buffered row outlives a newer streamed change in its window', () => {
    const ops = Array.from({ length: 24 }, (_, i) => at(0.5 + i * 0.5, w(`row${i % 4}`, `u${i}`)));
    const { ok, bad } = both({ preloadRows: 4, chunkSize: 2 }, ops, [], 'snapshot-stale-row');
    expect(ok).toEqual([]);
    expect(bad).toContain('snapshot-handover');
  });

  it('resume-skips-position: events sharing the confirmed position are skipped after a restart', () => {
    const raw = { preloadRows: 0, batchMax: 1, maxInFlight: 1, checkpointMs: 4 };
    const ops = [at(10, ...['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => w(k, `${k}1`)))];
    const probe = run(raw, ops);
    const mid = firstEvent(probe.history, 'checkpoint', (e) => Number(e.data?.['idx']) < 1000);
    const { ok, bad } = both(raw, ops, [crash('connector', mid.t + 0.2)], 'resume-skips-position');
    expect(ok).toEqual([]);
    expect(bad).toContain('completeness');
  });

  it('resume-skips-position, silent: the broker\'s final read lacks the skipped change (a later write covers the key)', () => {
    const raw = { preloadRows: 0, batchMax: 1, maxInFlight: 1, checkpointMs: 4 };
    // A transaction writes b twice; c covers nothing, so only the broker can tell.
    const ops = [at(10, ...['a', 'b', 'c', 'd'].map((k) => w(k, `${k}1`))), at(60, ...['a', 'b', 'c', 'd'].map((k) => w(k, `${k}2`)))];
    const probe = run(raw, ops);
    const mid = firstEvent(probe.history, 'checkpoint', (e) => Number(e.data?.['idx']) < 1000);
    const silentRun = (bug?: string): string[] => {
      const model = withoutEvents(cdcModel, ['cdc.publish', 'cdc.deliver', 'cdc.apply']);
      const config = model.configure(raw, bug);
      const sim = simConfig({ nodes: model.nodes(config), ops, faults: [crash('connector', mid.t + 0.2)], fsyncMs: 1 });
      const { history } = simulate({ model, config, sim, ...(bug ? { bug } : {}) });
      const claims = model.claims(config, bug).map((c) => c.id) as CdcGuaranteeId[];
      return checkCdc(history, claims).map((v) => v.sentence);
    };
    expect(silentRun()).toEqual([]);
    const bad = silentRun('resume-skips-position');
    expect(bad.some((s) => /the broker's partitions .* hold no record of it/.test(s)), bad.join('\n')).toBe(true);
  });
});

describe('the broker shows what its partitions hold', () => {
  it('its final view lists every fsynced record, and completeness reads it', () => {
    const { history } = run({ preloadRows: 0, partitions: 2, replicas: 1 }, [at(10, w('a', 'v1')), at(12, del('a'))]);
    const final = history.find((e) => e.type === 'final' && e.node === 'broker');
    if (final?.type !== 'final') throw new Error('no broker final');
    const recs = brokerRecords(final.view.data);
    // The delete event, then Debezium's separate tombstone for the key (tombstones.on.delete).
    expect(recs.map((r) => [r.key, r.op, r.value])).toEqual([['a', 'c', 'v1'], ['a', 'd', null], ['a', 'd', null]]);
    expect(new Set(recs.map((r) => r.partition)).size).toBe(1);
    // Drop the delete from the broker's read: completeness names it.
    const tampered = history.map((e) => (e === final ? { ...final, view: { ...final.view, data: Object.fromEntries(Object.entries(final.view.data).filter(([, v]) => !String(v).includes('"d"'))) } } : e));
    const v = checkCdc(tampered, ['completeness']);
    expect(v.map((x) => x.sentence).join('\n')).toMatch(/key a := nothing.*hold no record of it/);
  });
});

describe('CDC bug catalogue', () => {
  it('every planted bug names its real source and has a meta-test hint', async () => {
    const { CDC_BUGS, CDC_BUG_HINTS } = await import('../models/cdc/index.js');
    expect(CDC_BUGS.length).toBeGreaterThanOrEqual(10);
    for (const b of CDC_BUGS) {
      expect(b.source.length).toBeGreaterThan(20);
      expect(CDC_BUG_HINTS[b.name]).toBeDefined();
      expect(() => cdcModel.configure(CDC_BUG_HINTS[b.name]!.config, b.name)).not.toThrow();
    }
  });
});
