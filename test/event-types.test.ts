/**
 * The typed event vocabulary: `emit` checks an event of the shared vocabulary
 * against EventData at compile time (tsc --noEmit, as CI runs it; each
 * `@ts-expect-error` below fails the type check if the mistake it marks is
 * ever accepted), while a model's own event names take any object.
 */
import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../src/sim/types.js';
import { EVENT_NAMES, type EventData } from '../src/history/types.js';

/** A context that records what is emitted (nothing else is used here). */
function recorder(): { ctx: NodeContext; seen: { name: string; data?: Record<string, unknown> }[] } {
  const seen: { name: string; data?: Record<string, unknown> }[] = [];
  const ctx = { emit: (name: string, data?: Record<string, unknown>) => void seen.push({ name, ...(data ? { data } : {}) }) } as unknown as NodeContext;
  return { ctx, seen };
}

function emitSome(ctx: NodeContext): void {
  ctx.emit('txn.commit', { xid: 'x1', lsn: 1, timeline: 1, writes: { k: 1 }, op: 0 });
  ctx.emit('rewind', { toLsn: 0, timeline: 2 });
  ctx.emit('gossip.heard', { from: 'n2', anything: [1, 2] }); // a model's own event: any object
  const name: string = 'forwarded';
  ctx.emit(name, { any: 'thing' }); // a name known only at run time (wrappers forward those)
}

function mistakes(ctx: NodeContext): void {
  // @ts-expect-error a commit without its writes
  ctx.emit('txn.commit', { xid: 'x1', lsn: 1, timeline: 1 });
  // @ts-expect-error rewind names its cut `toLsn`, not `lsn`
  ctx.emit('rewind', { lsn: 0, timeline: 2 });
  // @ts-expect-error a position is a number
  ctx.emit('wal.flush', { lsn: '7', timeline: 1 });
  // @ts-expect-error an apply's written values are values (number, string or null)
  ctx.emit('apply', { xid: 1, lsn: 1, writes: { k: true } });
  // @ts-expect-error a field the vocabulary does not have
  ctx.emit('promote', { timeline: 2, lsn: 4, term: 2 });
}

describe('typed event vocabulary', () => {
  it('emits what it is given, vocabulary or not', () => {
    const { ctx, seen } = recorder();
    emitSome(ctx);
    expect(seen.map((e) => e.name)).toEqual(['txn.commit', 'rewind', 'gossip.heard', 'forwarded']);
    expect(typeof mistakes).toBe('function'); // type-checked only
  });

  it('EVENT_NAMES lists exactly the names EventData types', () => {
    const typed: Record<keyof EventData, true> = {
      'wal.append': true, 'wal.flush': true, 'wal.send': true, 'standby.write': true, 'standby.flush': true,
      'standby.replay': true, 'standby.report': true, 'txn.commit': true, 'txn.abort': true, 'apply': true,
      'promote': true, 'rewind': true, 'recover': true, 'demote': true, 'cdc.publish': true, 'cdc.deliver': true,
      'cdc.apply': true, 'offset.commit': true, 'snapshot.chunk': true, 'checkpoint': true,
    };
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(typed).sort());
  });
});
