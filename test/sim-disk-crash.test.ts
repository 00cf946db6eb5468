/**
 * Pause and machine crash together: a paused process cannot run its fsync callbacks,
 * but the kernel still completes the flush, so what was flushed survives a machine
 * crash that strikes while the process is still paused; what was not flushed is lost.
 */
import { describe, expect, it } from 'vitest';
import { simulate, type Fault, type SimConfig } from '../src/index.js';
import { hookModel } from './helpers/sim-models.js';

/** Node 'a' appends one record per incarnation (plus an unsynced one) and fsyncs the first. */
function runDisk(faults: Fault[]): string[] {
  const log: string[] = [];
  const model = hookModel(() => {});
  model.program = () => ({
    start: (ctx) => {
      const recs = ctx.disk.records<string>('wal');
      log.push(`start with [${recs.join(',')}] state=${ctx.disk.get<string>('state') ?? '-'}`);
      const n = recs.length;
      ctx.disk.append('wal', `r${n}`);
      ctx.disk.put('state', `s${n}`);
      ctx.disk.fsync(() => {
        log.push(`synced r${n} at ${ctx.now()}`);
        ctx.disk.append('wal', `late${n}`); // written after the flush, never fsynced
      });
    },
    onTimer: () => {},
    onMessage: () => {},
    onRequest: () => {},
    view: () => ({ role: 'node', data: {} }),
  });
  const sim: SimConfig = {
    seed: 1,
    nodes: ['a'],
    network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } },
    faults,
    sessions: [],
    disk: { fsyncLatency: { kind: 'constant', ms: 5 } },
  };
  simulate({ model, config: {}, sim });
  return log;
}

describe('disk: machine crash while paused', () => {
  it('keeps what a flush completed during the pause, though the paused process never saw its callback', () => {
    // fsync starts at 0 and completes at 5, during the pause (1–101); the crash at 10 hits the paused node.
    const log = runDisk([
      { kind: 'pause', atMs: 1, node: 'a', durationMs: 100 },
      { kind: 'crash', atMs: 10, node: 'a', mode: 'machine', restartAfterMs: 1 },
    ]);
    expect(log).toEqual(['start with [] state=-', 'start with [r0] state=s0', 'synced r1 at 16']);
  });

  it('loses a flush still in progress when the paused machine crashes', () => {
    const log = runDisk([
      { kind: 'pause', atMs: 1, node: 'a', durationMs: 100 },
      { kind: 'crash', atMs: 3, node: 'a', mode: 'machine', restartAfterMs: 1 },
    ]);
    expect(log).toEqual(['start with [] state=-', 'start with [] state=-', 'synced r0 at 9']);
  });

  it('without a pause, loses only what was written after the flush', () => {
    const log = runDisk([{ kind: 'crash', atMs: 10, node: 'a', mode: 'machine', restartAfterMs: 1 }]);
    expect(log).toEqual(['start with [] state=-', 'synced r0 at 5', 'start with [r0] state=s0', 'synced r1 at 16']);
  });
});
