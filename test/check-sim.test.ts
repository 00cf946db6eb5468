/**
 * The checkers on real simulator histories: a minimal primary → standby model
 * (asynchronous row shipping over a stream, no failover) must pass every
 * guarantee it can give, and a planted bug (the standby skips a record) must
 * be caught by the ordering checker.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { simulate } from '../src/sim/run.js';
import type { Model, NodeProgram, SessionSpec } from '../src/sim/types.js';
import type { MicroOp, Value } from '../src/history/types.js';
import { checkAll, measureGuarantees } from '../src/check/types.js';

interface Rec { type: 'rec'; xid: number; lsn: number; writes: Record<string, Value> }

function primary(): NodeProgram {
  const data: Record<string, Value> = {};
  let lsn = 0;
  return {
    start() {},
    onMessage() {},
    onTimer() {},
    onRequest(ctx, { id, req }) {
      const scratch = { ...data };
      const txn: MicroOp[] = req.txn.map((m) => {
        if (m.f === 'r') return { ...m, v: scratch[m.k] ?? null };
        if (m.f === 'del') { scratch[m.k] = null; return m; }
        if (m.f === 'w') { scratch[m.k] = m.v; return m; }
        if (m.f === 'upd') {
          const cur = Number(scratch[m.k] ?? 0);
          const v = m.expr.op === 'add' ? cur + m.expr.n : cur * m.expr.n;
          scratch[m.k] = v;
          return { ...m, v };
        }
        const v = `${m.f}@${ctx.now().toFixed(3)}`;
        scratch[m.k] = v;
        return { ...m, v };
      });
      const writes: Record<string, Value> = {};
      for (const m of txn) if (m.f !== 'r') writes[m.k] = scratch[m.k] ?? null;
      if (req.end === 'rollback' || Object.keys(writes).length === 0) {
        if (req.end === 'rollback') ctx.emit('txn.abort', { xid: `a${id}` });
        ctx.reply(id, { type: 'ok', txn });
        return;
      }
      lsn += 1;
      for (const [k, v] of Object.entries(writes)) { if (v === null) delete data[k]; else data[k] = v; }
      ctx.emit('txn.commit', { xid: lsn, lsn, timeline: 1, writes });
      ctx.send('n2', { type: 'rec', xid: lsn, lsn, writes } satisfies Rec);
      ctx.reply(id, { type: 'ok', txn, commit: { lsn, timeline: 1 } });
    },
    view: () => ({ role: 'primary', data: { ...data } }),
  };
}

function standby(bug?: string): NodeProgram {
  const data: Record<string, Value> = {};
  return {
    start() {},
    onMessage(ctx, _from, msg) {
      const rec = msg as Rec;
      if (bug === 'skip-second-record' && rec.lsn === 2) return;
      for (const [k, v] of Object.entries(rec.writes)) { if (v === null) delete data[k]; else data[k] = v; }
      ctx.emit('apply', { xid: rec.xid, lsn: rec.lsn, timeline: 1, writes: rec.writes });
    },
    onTimer() {},
    onRequest(ctx, { id, req }) {
      ctx.reply(id, { type: 'ok', txn: req.txn.map((m) => (m.f === 'r' ? { ...m, v: data[m.k] ?? null } : m)) });
    },
    view: () => ({ role: 'standby', data: { ...data } }),
  };
}

const model: Model<Record<string, never>> = {
  name: 'toy-async',
  description: 'primary ships rows to one standby asynchronously',
  knobs: [],
  bugs: [{ name: 'skip-second-record', description: 'standby drops lsn 2', source: 'test' }],
  configure: () => ({}),
  nodes: () => ['n1', 'n2'],
  program: (node, _c, bug) => (node === 'n1' ? primary() : standby(bug)),
  route: (req, session) => (req.txn.every((m) => m.f === 'r') && session.policy !== 'primary' ? 'n2' : 'n1'),
  claims: () => [],
};

const opArb = fc.oneof(
  fc.record({ kind: fc.constant('w' as const), k: fc.nat(2) }),
  fc.record({ kind: fc.constant('r' as const), k: fc.nat(2) }),
  fc.record({ kind: fc.constant('rb' as const), k: fc.nat(2) }),
  fc.record({ kind: fc.constant('upd' as const), k: fc.nat(2) }),
);

function sessions(work: { kind: 'w' | 'r' | 'rb' | 'upd'; k: number }[][]): SessionSpec[] {
  let n = 0;
  return work.map((ops, s) => ({
    id: `s${s}`,
    policy: s === 0 ? 'primary' : 'any-standby',
    ops: ops.map((o, i) => {
      n += 1;
      const k = `k${o.k}`;
      const txn: MicroOp[] = o.kind === 'r' ? [{ f: 'r', k }, { f: 'r', k: 'k0' }]
        : o.kind === 'upd' ? [{ f: 'upd', k: `c${o.k}`, expr: { op: 'add', n: 1 } }]
          : [{ f: 'w', k, v: `v${n}-i` }, { f: 'w', k, v: `v${n}` }];
      return { atMs: i * 3 + s, req: { txn, end: o.kind === 'rb' ? 'rollback' : 'commit' } };
    }),
  }));
}

function run(work: Parameters<typeof sessions>[0], bug?: string, seed = 1) {
  return simulate({
    model, config: {}, ...(bug ? { bug } : {}),
    sim: {
      seed, nodes: ['n1', 'n2'], faults: [], sessions: sessions(work),
      network: { defaultLink: { latency: { kind: 'uniform', minMs: 0.5, maxMs: 4 }, lossRate: 0, dupRate: 0 } },
    },
  }).history;
}

const CLAIMED = ['convergence', 'committed-prefix', 'consistent-prefix', 'no-aborted-read', 'no-intermediate-read',
  'discarded-branch', 'indeterminate-agreement', 'replay-idempotent', 'durability', 'lossless-failover',
  'monotonic-reads', 'monotonic-writes', 'writes-follow-reads'].map((id) => ({ id }));

const workArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 });

describe('checkers on simulated runs', () => {
  test.prop([workArb, fc.integer({ min: 1, max: 1000 })], { numRuns: 40 })(
    'a correct async primary/standby passes every guarantee it gives', (work, seed) => {
      expect(checkAll(run(work, undefined, seed), CLAIMED)).toEqual([]);
    });

  test.prop([workArb, fc.integer({ min: 1, max: 1000 })], { numRuns: 20 })(
    'a standby that skips a record breaks committed-prefix (a gap)', (work, seed) => {
      const h = run([[{ kind: 'w', k: 0 }, { kind: 'w', k: 1 }, { kind: 'w', k: 2 }], ...work], 'skip-second-record', seed);
      const vs = checkAll(h, CLAIMED).filter((v) => v.guarantee === 'committed-prefix');
      expect(vs).toHaveLength(1);
      expect(vs[0]!.sentence).toMatch(/node n2 made xid 3 .* while xid 2 .* was missing — gap/);
    });

  test.prop([workArb], { numRuns: 10 })('measurements cover every guarantee', (work) => {
    const m = measureGuarantees(run(work));
    // The primary is alive at the end, so whatever needs only an authority is judged;
    // the rest is judged or says which evidence the run lacked.
    for (const id of ['committed-prefix', 'discarded-branch']) expect(m.find((x) => x.id === id)!.judged).toBe(true);
    for (const x of m) {
      if (x.judged) expect(x.notJudged).toBeUndefined();
      else expect(x.notJudged).toMatch(/\w/);
    }
    expect(m.filter((x) => x.violations > 0).map((x) => x.id)).not.toContain('convergence');
  });
});
