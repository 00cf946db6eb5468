/**
 * A rewind (a restarted stream's pg_rewind) at or above the standby's replay
 * position cuts no replayed record: the transaction being replayed keeps its
 * begin and writes (issue 10, a false convergence alarm of async-slow-replay).
 */
import { describe, expect, it } from 'vitest';
import type { Disk, NodeContext } from '../src/sim/types.js';
import { walModel } from '../models/wal/index.js';
import { createDbProgram } from '../models/wal/node.js';
import { txnBoundary } from '../models/wal/visible.js';
import { INITIAL_LINEAGE, type WalRec } from '../models/wal/log.js';
import { events, finals, judgeClean, pinned } from './wal-helpers.js';

/** The token was found before in-doubt commits became visible at recovery and before ProcArray visibility order: replay it under those settings. */


/** wal async-slow-replay, found by a 100,000-run soak: n3 applied lsn 6 with no writes. */
const REWIND_ABOVE_REPLAY =
  'rc1:hZTBctsgEIbfZc_YY4QQEtdek04mPXZ8IBJKqCVQAdXWeHj3zsqxKyVue9EAu3z7_8uOztC7Rncg4ag6IFA725pXkGcIk63fvLNuDF9c35sIEjpXz1mL2LeobPMyfVW9DiABCHg9dGp6DE_aP-va-QYkTQSC1rgqeSayMhMcT0IwzgaQ389gGpAQKBAYXGfqCSR4rZrN5Ea_OXoTdQACbrhkq_gYQIqcY7mfKDee7Bxp0QoQOICEA-J-zdwNhbQnoC2WqS9-UiL_I1m3YP0LQLOS3SV4ZZsrgt1D7PGsVWMXL9YO5hLv3CuQdzoj0HrXoyC0FB2uGBDQp-gVZuRVQaAZvYrGWTyoKorq3mmDGoO-4TJ0a12jQUIP63s5FYt7KxV5xv_oyK46-qUMlucfcCX_G66oxB3cbHDBY2teJhj2y-p4dP6AzW703LwHY-dtp6K2OD63oqM1rfMoszczg245gV6d5off4mx2LoRnFTXI3ZZyrDhctzueEkHh9SEg1FL8urYNenaxoVwURUag8aaNT0MPkmVFImhplUip4DP7lrfhBH6M_Wqk84rAy3QBU8FythixHc1vwZyxcpf2WId9qMOqsqDLOrxMBPoPsgtRVSvVuSg-yykYu5akXHBepT22ozFhbnaLP4KHTx2vnQ1R2Ygtxzfb8pTSbw';

interface Applied {
  lsn: number;
  writes: Record<string, unknown>;
}

describe('wal rewind above the replay position', () => {
  it('replays the soak token clean: every apply of lsn 6 on n3 carries its write', () => {
    const v = judgeClean(pinned(REWIND_ABOVE_REPLAY));
    expect(v.claims.map((c) => c.id)).toContain('convergence');
    const h = v.run!.history;
    // The path that raised the alarm was n3 rewinding to lsn 6 while replay stood inside that
    // transaction, on a late answer to an older hello; such an answer cuts nothing now
    // (wal-stale-start-regress.test.ts), and the rewind itself is driven by hand below.
    expect(events(h, 'rewind', 'n3')).toEqual([]);
    const at6 = events(h, 'apply', 'n3').map((e) => e.data as unknown as Applied).filter((a) => a.lsn === 6);
    expect(at6.length).toBeGreaterThan(0);
    for (const a of at6) expect(a.writes).toEqual({ k1: -156914 });
    expect(finals(h)['n3']).toMatchObject({ data: { k1: -156914 } });
  });
});

/** One standby program driven by hand: instant fsyncs, timers fired on demand. */
function standbyHarness() {
  const files = new Map<string, unknown>();
  const wal: unknown[] = [];
  const disk: Disk = {
    append: (f, rec) => (f === 'wal' ? wal.push(structuredClone(rec)) : 0),
    records: <T,>(f: string) => (f === 'wal' ? (wal as T[]) : []),
    truncate: (f, n) => { if (f === 'wal') wal.length = n; },
    put: (f, v) => { files.set(f, structuredClone(v)); },
    get: <T,>(f: string) => files.get(f) as T | undefined,
    fsync: (done) => done?.(),
  };
  const emitted: { name: string; data: Record<string, unknown> }[] = [];
  let timer = 0;
  const ctx: NodeContext = {
    id: 'n2', nodes: ['n1', 'n2'], now: () => 0, random: () => 0.5, disk,
    send: () => {}, setTimer: () => ++timer, cancelTimer: () => {}, reply: () => {},
    emit: (name, data) => { emitted.push({ name, data: data ?? {} }); },
    mark: () => {},
  };
  const c = walModel.configure({ synchronousCommit: 'local', synchronousStandbyNames: '', replayMsPerRecord: 1, failover: 'none' });
  let program = createDbProgram('n2', c, undefined);
  program.start(ctx);
  return {
    emitted,
    files,
    /** A process restart: memory lost, the disk (page cache included) kept. */
    restart: () => { program = createDbProgram('n2', c, undefined); program.start(ctx); },
    msg: (m: unknown) => program.onMessage(ctx, 'n1', m),
    replay: (n: number) => { for (let i = 0; i < n; i++) program.onTimer(ctx, 'replay', undefined); },
    view: () => program.view(),
  };
}

/** Three one-write transactions at lsn 1–3, 4–6, 7–9. */
function txns(): WalRec[] {
  const out: WalRec[] = [];
  for (let t = 0; t < 3; t++) {
    const xid = `n1.x.${t + 1}`;
    const base = { tl: 1, xid, src: 'n1' };
    out.push({ ...base, lsn: 3 * t + 1, rec: 'begin' });
    out.push({ ...base, lsn: 3 * t + 2, rec: 'write', k: 'k1', v: `v${t + 1}` });
    out.push({ ...base, lsn: 3 * t + 3, rec: 'commit', op: t });
  }
  return out;
}

describe('wal standby rewind mechanism', () => {
  function streamed(replayed: number) {
    const s = standbyHarness();
    s.msg({ type: 'start', from: 0, lineage: INITIAL_LINEAGE, sid: 1 });
    s.msg({ type: 'wal', recs: txns() });
    s.replay(replayed);
    return s;
  }
  const applied = (s: ReturnType<typeof standbyHarness>) =>
    s.emitted.filter((e) => e.name === 'apply').map((e) => ({ lsn: e.data['lsn'], writes: e.data['writes'] }));

  it('a rewind above the replay position keeps the records still waiting for replay', () => {
    // Received and flushed to lsn 9, replayed to lsn 5: begin and write of the second transaction.
    const s = streamed(5);
    expect(applied(s)).toEqual([{ lsn: 3, writes: { k1: 'v1' } }]);
    s.msg({ type: 'start', from: 6, lineage: INITIAL_LINEAGE, sid: 2 });
    expect(s.emitted.filter((e) => e.name === 'rewind').map((e) => e.data['toLsn'])).toEqual([6]);
    s.replay(5);
    expect(applied(s)).toEqual([{ lsn: 3, writes: { k1: 'v1' } }, { lsn: 6, writes: { k1: 'v2' } }]);
    expect(s.view()).toMatchObject({ data: { k1: 'v2' }, positions: { write: 6, flush: 6, replay: 6 } });
  });

  it('the snapshot a rewind persists mid-transaction sits at the transaction boundary, so a restart replays it whole', () => {
    const s = streamed(5);
    s.msg({ type: 'start', from: 6, lineage: INITIAL_LINEAGE, sid: 2 });
    expect(s.files.get('snap')).toMatchObject({ lsn: 3, data: { k1: 'v1' } });
    s.restart();
    s.replay(5);
    expect(applied(s).slice(1)).toEqual([{ lsn: 6, writes: { k1: 'v2' } }]);
  });

  it('a rewind into the transaction being replayed replays it whole again', () => {
    // Replayed to lsn 5; the cut at lsn 5 keeps begin and write, drops the commit (the stream resends it).
    const s = streamed(5);
    s.msg({ type: 'start', from: 5, lineage: INITIAL_LINEAGE, sid: 2 });
    s.msg({ type: 'wal', recs: txns().slice(5) });
    s.replay(10);
    expect(applied(s)).toEqual([
      { lsn: 3, writes: { k1: 'v1' } },
      { lsn: 6, writes: { k1: 'v2' } },
      { lsn: 9, writes: { k1: 'v3' } },
    ]);
  });

  it('a rewind below the replay position, inside a committed transaction, replays that transaction whole again', () => {
    // Replayed to lsn 8; the cut at lsn 5 keeps begin and write of the second transaction, not its commit.
    const s = streamed(8);
    s.msg({ type: 'start', from: 5, lineage: INITIAL_LINEAGE, sid: 2 });
    s.replay(10);
    // The commit at lsn 6 is cut: the visible state goes back to lsn 3.
    expect(s.view()).toMatchObject({ data: { k1: 'v1' } });
    s.msg({ type: 'wal', recs: txns().slice(5) });
    s.replay(10);
    expect(applied(s).slice(2)).toEqual([{ lsn: 6, writes: { k1: 'v2' } }, { lsn: 9, writes: { k1: 'v3' } }]);
  });

  it('txnBoundary finds the last position where no transaction is open', () => {
    const log = txns();
    expect([0, 1, 2, 3, 4, 5, 6, 8, 9, 12].map((at) => txnBoundary(log, at))).toEqual([0, 0, 0, 3, 3, 3, 6, 6, 9, 12]);
  });
});
