/**
 * False alarms of correct WAL variants (issue 10), replayed from their tokens.
 * Each must judge clean, and each asserts the path that once raised the alarm.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import { ambiguousReads, externalReads, findAuthority, operations, placeRead } from '../src/history/ops.js';
import { checkReadYourWrites, favouredSessionReads } from '../src/check/session.js';
import type { Disk, NodeContext } from '../src/sim/types.js';
import { walModel } from '../models/wal/index.js';
import { createMonitorProgram } from '../models/wal/failover.js';
import { events, finals, judgeClean, pinned } from './wal-helpers.js';

/** The token was found before in-doubt commits became visible at recovery and before ProcArray visibility order: replay it under those settings. */


/** wal sync-remote-apply, read-your-writes, seed 20261127 (run 473). */
const RYW_REPEATED_ZERO = 'rc1:rZRPj9MwEMW_yuqdALlVHTf_fEBCXJcVggNCqwp5EwdMYzvEDrvRyt8d2aHdFirgwG2c8fzmvckkj9C2lT047kUPgsaaTn0Gf4SbTfNltMZO7rXVWnlwjFJbLz-JYehnkNMr770w7d18I7R04Hh18_Equ3r24jkCgZOyBd_EwDlljQO_fYRqweEoCAbbq2YGxzAqLcZItsNySfg3LpWO8lsU5R9Met6BYxpaEOzBsWcgkA_DGK_YARx6imYMeBbCjkCa2KxZbIRADuCiyP4zehfhi7Xs1Jow88otM_pHe_enCr4n4IriT24oy9lF1PiEuih5R9CJqfeLqL1K-UFMToI8aTS2ldE_CNppFF5ZEzMZK6KEY9XoVUwdK4uyJuhGq8FvYSh2BN6mOIuxNfKDmMH9OMlzcEWzqMxIf2_HffTUyiTzWpl07IWXJk732L2xJg7Zg0BH0ettIOitc--El_FMq9hjOBw3Vcwrs3cRolcvTXYZLB8Ga6TxKn0kWoqkkK0ZgVYp3qzLEEIgaHrbLDxD09J0nZNpEnXJKkbQjqrzbwcNvtrWBcHXSZ-twzYO7G5eKmp6sq3ZMbGqyrLaxG3DIvmpC2UFrbLTNvT3HmyzOaBoWdP8J4r9girruq7PFdMLiulRVlFtWZ5Y-hy1KvKsyk9R2QUQyw-kvKrrKuziQFvl0uvu4u_m-m_vnK6LEMIP';
/** wal sync-remote-apply (ANY 2), lossless-failover, seed 2024111. */
const FAILOVER_TO_UNCAUGHT_STANDBY = 'rc1:hZRPa9wwEMW_SnmntmgXy5LXax0Kodc0lPZQSliKYstZdy3JlbRNluDvXsZu9k8I5GJGI-n3nmYGP8H6xvRQeNA9GGrv2u4e6gnx4Opt8M7v42dvbZegEIz1yfzSw9AfwM6PfE_aNXeHG21NhMLVzc93-bv3Hz9gZIjGNFC8pCjGzrsIdfuEroFC5GAYfN_VBygMobM6ENoP8yGdvkSoIlszBPOHfKVHN-205BkMOyjsBBj-TrgFx7hhMI7o9Wx8HNkzqaqKV0nhRHrl-oZyrd73aXa16-b9oOMW7NlkzhmcbwwUHBmyc2x1ve2cAenGpEO6apMJdKMs1-TsP23QIXWp8-5IXGcFQxu8hbqF49gwJE-xpdA780MfoFLYmzNM3fv7I4HnZfWMgMsxA2DBYB5T0NOZLGdo9kGTNiVEJem9zqQHH3ZUqcZMj7_u3LTsdTKOGnYS9S4m7RK9OkJlSzky9D7GbzoZWmeSNIbjsqT9zu0iQezikxOvgwcdTPI0a7XuzWR3SYO01YOBypeSodYD5XOxGsdxZFSAeuY6Tl_fttHMzRecprAJXZu-DhZqkXPO8HtvL6aNM9wdKFjws8GRq1O6kLmQ42ZkVNMLCS4u-JLG7SV_Jc9IohDrmSQuSYvibdL66EkKIeXJLRd5cRKRUshqErEvNcq8yM51BJl7KVNk4girympVnQnlp7pUmVjl44Z60HRxmpSWfhHXb43Lakmt-wc';

/** The history with every read's writer name removed. */
function unnamed(h: History): History {
  return h.map((e) => (e.type === 'ok' ? { ...e, txn: e.txn.map((m) => (m.f === 'r' ? { f: m.f, k: m.k, ...(m.v !== undefined ? { v: m.v } : {}) } : m)) } : e));
}

function replayClean(token: string): History {
  const v = judgeClean(pinned(token));
  expect(v.claims.map((c) => c.id)).toEqual(expect.arrayContaining(['read-your-writes', 'lossless-failover']));
  return v.run!.history;
}

describe('wal false alarms', () => {
  it('a standby read of an upd value equal to an older one names its write and is placed exactly', () => {
    const h = replayClean(RYW_REPEATED_ZERO);
    // s2 reads 0 after writing s2-1: two upds of k3 both left 0; the read names the second.
    const auth = findAuthority(h)!;
    const s2 = operations(h).filter((op) => op.session === 's2').flatMap(externalReads).filter((r) => r.key === 'k3' && r.value === 0);
    expect(s2.length).toBeGreaterThan(0);
    const zeros = auth.versions.get('k3')!.filter((v) => v.value === 0);
    expect(zeros.length).toBe(2);
    for (const r of s2) {
      expect(r.writer).toBe(zeros[1]!.writer);
      expect(r.op.node).not.toBe(auth.node); // served by a standby
      expect(placeRead(auth, r)!.versions).toEqual([zeros[1]]);
    }
    expect(ambiguousReads(h).filter((p) => p.read.key === 'k3' && p.read.value === 0)).toEqual([]);
    expect(favouredSessionReads(h, 'read-your-writes')).toEqual([]);
  });

  it('the same history without the names (as an older export) is judged most favourably and flagged', () => {
    const h = unnamed(replayClean(RYW_REPEATED_ZERO));
    const read = ambiguousReads(h).find((p) => p.read.op.session === 's2');
    expect(read?.versions.map((v) => v.value)).toEqual([0, 0]);
    expect(checkReadYourWrites(h)).toEqual([]);
    expect(favouredSessionReads(h, 'read-your-writes')).toMatchObject([{ key: 'k3', value: 0 }]);
  });

  it('the monitor does not fail over to a standby that never caught up with the primary it replaces', () => {
    const h = replayClean(FAILOVER_TO_UNCAUGHT_STANDBY);
    // n2 was promoted holding s1-1 and served it. n3, back from a machine crash with nothing on
    // timeline 1, reports first but is no candidate; n1 (timeline 1 up to n2's promotion point) is.
    expect(events(h, 'promote').map((e) => e.node)).toEqual(['n2', 'n1']);
    expect(finals(h)['n1']).toMatchObject({ role: 'primary', data: { k3: 's1-1' } });
    expect(finals(h)['n3']).toMatchObject({ role: 'standby', data: { k3: 's1-1' } });
  });
});

/** The monitor alone, driven by hand: what it sends and emits, with instant fsyncs. */
function monitorHarness() {
  const files = new Map<string, unknown>();
  const disk = {
    get: (f: string) => files.get(f),
    put: (f: string, v: unknown) => { files.set(f, structuredClone(v)); },
    fsync: (done?: () => void) => done?.(),
  } as unknown as Disk;
  const sent: { to: string; msg: { type: string } }[] = [];
  const emitted: { name: string; data?: Record<string, unknown> }[] = [];
  let timer = 0;
  const ctx: NodeContext = {
    id: 'm', nodes: ['n1', 'n2', 'n3', 'm'], now: () => 0, random: () => 0.5, disk,
    send: (to, msg) => { sent.push({ to, msg: msg as { type: string } }); },
    setTimer: () => ++timer, cancelTimer: () => {}, reply: () => {},
    emit: (name, data) => { emitted.push({ name, ...(data ? { data } : {}) }); },
    mark: () => {},
  };
  const program = createMonitorProgram(walModel.configure({ synchronousCommit: 'remote_apply', synchronousStandbyNames: 'ANY 2 (*)' }), undefined);
  program.start(ctx);
  const position = (from: string, epoch: number, end: number, tl: number) =>
    program.onMessage(ctx, from, { type: 'position', epoch, end, tl });
  const suspect = () => program.onTimer(ctx, 'suspect', undefined);
  return { emitted, position, suspect };
}

describe('wal monitor candidates', () => {
  /** n1 fails; n2 (lsn 3) is promoted to timeline 2; then n2 fails and n1, n3 report. */
  function secondElection(n1: { end: number; tl: number }, n3: { end: number; tl: number }) {
    const m = monitorHarness();
    m.suspect(); // epoch 2
    m.position('n2', 2, 3, 1);
    m.position('n3', 2, 3, 1);
    expect(m.emitted.filter((e) => e.name === 'failover.promote').map((e) => e.data)).toMatchObject([{ node: 'n2', timeline: 2 }]);
    m.suspect(); // epoch 3
    m.position('n3', 3, n3.end, n3.tl);
    m.position('n1', 3, n1.end, n1.tl);
    return m.emitted.slice(2);
  }

  it('promotes a reporter that holds what the current primary held when promoted', () => {
    expect(secondElection({ end: 3, tl: 1 }, { end: 0, tl: 1 })).toMatchObject([
      { name: 'failover.start', data: { suspected: 'n2' } },
      { name: 'failover.promote', data: { node: 'n1', timeline: 3 } },
    ]);
    expect(secondElection({ end: 0, tl: 1 }, { end: 5, tl: 2 })).toMatchObject([
      { name: 'failover.start' }, { name: 'failover.promote', data: { node: 'n3', timeline: 3 } },
    ]);
  });

  it('fails over to nobody when every reporter lacks part of it (a restarted node on an older timeline, one still catching up)', () => {
    expect(secondElection({ end: 0, tl: 1 }, { end: 2, tl: 2 })).toMatchObject([
      { name: 'failover.start' }, { name: 'failover.abandon', data: { primary: 'n2', epoch: 3 } },
    ]);
  });
});
