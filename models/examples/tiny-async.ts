/**
 * The smallest useful replication model: one primary (n1) and one replica (n2),
 * asynchronous log shipping. The example of the README's "Write your own model".
 */
import type { ClientResult, Model, NodeContext, NodeProgram, Value } from '../../src/index.js';

type Entry = { lsn: number; writes: Record<string, Value> };

function node(id: string): NodeProgram {
  const data = new Map<string, Value>();
  let lsn = 0;
  const apply = (ctx: NodeContext, e: Entry) => {
    for (const [k, v] of Object.entries(e.writes)) data.set(k, v);
    lsn = e.lsn;
    ctx.emit(id === 'n1' ? 'txn.commit' : 'apply', { xid: `x${e.lsn}`, lsn: e.lsn, timeline: 1, writes: e.writes });
  };
  return {
    start(ctx) {
      const log = ctx.disk.records<Entry>('log'); // recover: replay what survived on disk
      for (const e of log) for (const [k, v] of Object.entries(e.writes)) data.set(k, v);
      lsn = log.at(-1)?.lsn ?? 0;
      // Always say what survived: a machine crash before any fsync leaves an empty disk, so a
      // restart looks like a first start — yet what the node showed before is gone.
      ctx.emit('recover', { lsn, timeline: 1 });
    },
    onRequest(ctx, { id: reqId, req }) {
      // Refuse what the tiny model does not implement rather than acknowledge it half-done.
      if (req.txn.some((op) => op.f === 'upd' || op.f === 'now' || op.f === 'rand')) {
        return ctx.reply(reqId, { type: 'fail', error: 'tiny-async supports only r, w and del' });
      }
      const writes: Record<string, Value> = {};
      const txn = req.txn.map((op) => {
        if (op.f === 'r') return { ...op, v: op.k in writes ? writes[op.k]! : (data.get(op.k) ?? null) };
        if (op.f === 'w') writes[op.k] = op.v;
        else if (op.f === 'del') writes[op.k] = null;
        return op;
      });
      if (Object.keys(writes).length === 0 || req.end === 'rollback') return ctx.reply(reqId, { type: 'ok', txn });
      if (id !== 'n1') return ctx.reply(reqId, { type: 'fail', error: 'read-only replica' });
      const e: Entry = { lsn: lsn + 1, writes };
      ctx.disk.append('log', e);
      apply(ctx, e);
      ctx.disk.fsync(() => {
        ctx.mark('flushed'); // a protocol moment generated faults may aim at
        ctx.send('n2', e); // ship after the local flush; the reply does not wait for the replica
        const result: ClientResult = { type: 'ok', txn, commit: { lsn: e.lsn, timeline: 1 } };
        ctx.reply(reqId, result);
      });
    },
    onMessage(ctx, _from, msg) {
      const e = msg as Entry;
      if (e.lsn !== lsn + 1) return; // a gap or a duplicate: a real replica would re-request
      ctx.disk.append('log', e);
      apply(ctx, e);
      ctx.mark('applied');
    },
    onTimer() {},
    view: () => ({ role: id === 'n1' ? 'primary' : 'standby', data: Object.fromEntries([...data].filter(([, v]) => v !== null)), positions: { replay: lsn } }),
  };
}

export const tinyAsyncModel: Model<Record<string, never>> = {
  name: 'tiny-async',
  description: 'one primary, one replica, asynchronous log shipping (README example)',
  knobs: [],
  bugs: [],
  configure: () => ({}),
  nodes: () => ['n1', 'n2'],
  program: (id) => node(id),
  route: (req, session) => (req.txn.every((op) => op.f === 'r') && session.policy !== 'primary' ? 'n2' : 'n1'),
  claims: () => [{ id: 'no-aborted-read' }, { id: 'durability', tolerates: ['crash:process', 'crash:machine'] }],
  marks: [
    { name: 'flushed', description: 'the primary flushed a commit, not yet shipped or acknowledged' },
    { name: 'applied', description: 'the replica applied a shipped commit (not fsynced)' },
  ],
};

export default tinyAsyncModel;
