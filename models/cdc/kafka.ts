/**
 * A replicated Kafka-shaped broker cluster: `brokers` hold a replica of every
 * partition; one of them leads (all partitions share the leader here — Kafka
 * spreads leadership, which changes nothing for one topic's guarantees) and the
 * others follow by fetching from it. A `controller` node (KRaft's controller
 * quorum reduced to one node) keeps the leader, its epoch and the in-sync
 * replica set (ISR) durably, fences a broker whose heartbeats stop, and elects
 * a new leader from the ISR — or, with unclean.leader.election.enable, from any
 * live replica when no ISR member is alive (Kafka docs: "may result in data
 * loss"). It is also the group coordinator (consumer offsets).
 *
 * Produce (acks=all): the leader appends, fsyncs, and acknowledges once every
 * ISR member's fetch position passed the batch (the high watermark, HW), and
 * refuses (NotEnoughReplicas) while the ISR is smaller than min.insync.replicas.
 * Consumers read only below the HW. A follower that has not caught up for
 * replica.lag.time.max.ms is dropped from the ISR (the leader asks the
 * controller, AlterPartition); it rejoins once it reaches the HW. A follower
 * of a new leader truncates its log where it diverges (leader-epoch end
 * offsets, KIP-101) before fetching. Replicas fsync every append here
 * (flush.messages=1), so a lone ISR member's machine crash loses nothing.
 *
 * Producer idempotence: per producer id and partition the leader remembers the
 * sequence numbers of the last 5 batches (rebuilt from the log, so a new leader
 * has them for what it holds): a resent batch among them is acknowledged
 * without a second append, any other sequence but the next is refused
 * (OutOfOrderSequence). That is why Kafka requires max.in.flight ≤ 5 with
 * enable.idempotence.
 *
 * view(): the leader (positions.leader = 1, with its epoch) shows every record
 * below its HW — a consumer's read of the whole topic; followers show none.
 */
import type { NodeContext, NodeId, NodeProgram, NodeView, Value } from '../../src/analysis.js';
import { type CdcEvent, isObj, POLL, posData } from './common.js';

export interface KafkaOptions {
  partitions: number;
  brokers: NodeId[];
  controller: NodeId;
  minInsync: number;
  /** 'all' (acks=all) or 'leader' (planted bug: acks=1, acknowledged on the leader's own append). */
  acks: 'all' | 'leader';
  uncleanElection: boolean;
  /** Heartbeat and replica fetch interval (ms). */
  pollMs: number;
  /** Heartbeats missed for this long fence a broker (broker.session.timeout.ms). */
  sessionMs: number;
  /** replica.lag.time.max.ms. */
  replicaLagMs: number;
  /** cleanup.policy=compact: the leader's log cleaner runs every `cleanMs`. */
  compaction?: boolean;
  /** delete.retention.ms: how long a key's tombstone outlives compaction. */
  deleteRetentionMs?: number;
  cleanMs?: number;
}

/** Batches per producer and partition whose sequence the leader remembers (Kafka's NUM_BATCHES_TO_RETAIN). */
export const IDEMPOTENCE_WINDOW = 5;
const FETCH_MAX = 64;
const STUCK_POLLS = 20;

interface StoredRecord {
  event: CdcEvent;
  pid: string;
  seq: number;
  /** Leader epoch the record was appended in. */
  epoch: number;
  /** The leader's clock when it appended the record (the log cleaner's age of a tombstone). */
  at?: number;
}

/** The controller's partition state (one for the topic). */
export interface PartitionState {
  epoch: number;
  /** Bumped on every change (leader or ISR): Kafka's partition epoch. */
  version: number;
  leader: NodeId | null;
  isr: NodeId[];
}

const file = (p: number): string => `p${p}`;

// ─────────────────────────── controller ───────────────────────────

export function controllerProgram(o: KafkaOptions): NodeProgram {
  let st: PartitionState = { epoch: 1, version: 1, leader: o.brokers[0]!, isr: [...o.brokers] };
  let offsets: Record<string, number[]> = {};
  let ticks = 0;
  let writing = false;
  const seen = new Map<NodeId, number>();
  const sessionTicks = Math.max(2, Math.ceil(o.sessionMs / o.pollMs));
  const alive = (b: NodeId): boolean => ticks - (seen.get(b) ?? -Infinity) <= sessionTicks;

  /** Persists the new state, then tells every broker. */
  function commit(ctx: NodeContext, next: PartitionState, why: string, unclean = false): void {
    st = next;
    ctx.disk.put('state', st);
    writing = true;
    ctx.disk.fsync(() => {
      writing = false;
      ctx.emit('kafka.partition', { epoch: st.epoch, version: st.version, leader: st.leader, isr: st.isr, why, unclean });
      ctx.mark(why === 'isr' ? 'isr-changed' : 'leader-elected');
      for (const b of o.brokers) ctx.send(b, { type: 'state', state: st }, POLL);
    });
  }

  function elect(ctx: NodeContext): void {
    const dead = st.leader;
    const candidates = st.isr.filter((b) => b !== dead && alive(b));
    if (candidates.length > 0) {
      const leader = candidates[0]!;
      // The fenced leader leaves the ISR (it may rejoin once caught up).
      return commit(ctx, { epoch: st.epoch + 1, version: st.version + 1, leader, isr: st.isr.filter((b) => b !== dead) }, 'leader');
    }
    // No ISR member alive: offline (the last ISR stays, so its member is re-elected when back) …
    const others = o.brokers.filter((b) => b !== dead && alive(b));
    if (o.uncleanElection && others.length > 0) {
      // … unless unclean election picks an out-of-sync replica: records only the ISR held are gone.
      return commit(ctx, { epoch: st.epoch + 1, version: st.version + 1, leader: others[0]!, isr: [others[0]!] }, 'leader', true);
    }
    if (dead !== null) commit(ctx, { ...st, version: st.version + 1, leader: null }, 'leader');
  }

  return {
    start(ctx) {
      st = ctx.disk.get<PartitionState>('state') ?? st;
      offsets = { ...(ctx.disk.get<Record<string, number[]>>('offsets') ?? {}) };
      // A restarted controller gives every broker a full session before fencing it.
      for (const b of o.brokers) seen.set(b, 0);
      ctx.setTimer(o.pollMs, 'tick', undefined, { background: true });
    },
    onMessage(ctx, from, msg) {
      if (!isObj(msg)) return;
      if (msg.type === 'hb') {
        seen.set(from, ticks);
        // A broker that was fenced while it led learns its successor here.
        return ctx.send(from, { type: 'state', state: st }, POLL);
      }
      if (msg.type === 'alter-isr') {
        const isr = (msg.isr as NodeId[]).filter((b) => o.brokers.includes(b));
        if (writing || from !== st.leader || Number(msg.version) !== st.version || !isr.includes(from)) return ctx.send(from, { type: 'state', state: st }, POLL);
        return commit(ctx, { ...st, version: st.version + 1, isr }, 'isr');
      }
      if (msg.type === 'commit') {
        const group = String(msg.group);
        const cur = [...(offsets[group] ?? new Array<number>(o.partitions).fill(0))];
        cur[Number(msg.partition)] = Number(msg.offset);
        offsets = { ...offsets, [group]: cur };
        ctx.disk.put('offsets', offsets);
        return ctx.disk.fsync(() => ctx.emit('offset.commit', { group, partition: Number(msg.partition), offset: Number(msg.offset) }));
      }
      if (msg.type === 'offsets') {
        ctx.send(from, { type: 'offsets', offsets: offsets[String(msg.group)] ?? new Array<number>(o.partitions).fill(0) }, POLL);
      }
    },
    onTimer(ctx) {
      ctx.setTimer(o.pollMs, 'tick', undefined, { background: true });
      ticks++;
      if (!writing && (st.leader === null || !alive(st.leader))) elect(ctx);
    },
    onRequest(ctx, { id }) {
      ctx.reply(id, { type: 'fail', error: 'the controller serves no client requests' });
    },
    view(): NodeView {
      const positions: Record<string, number> = { epoch: st.epoch, version: st.version, isr: st.isr.length, online: st.leader === null ? 0 : 1 };
      for (const [g, offs] of Object.entries(offsets)) offs.forEach((n, p) => (positions[`${g}.p${p}`] = n));
      return { role: 'controller', data: {}, positions };
    },
  };
}

// ─────────────────────────── brokers ───────────────────────────

interface PendingAck {
  p: number;
  end: number;
  to: NodeId;
  batchId: unknown;
  duplicate: boolean;
}

export function replicaProgram(o: KafkaOptions): NodeProgram {
  let me: NodeId = '';
  let st: PartitionState = { epoch: 0, version: 0, leader: null, isr: [] };
  const flushed: number[] = new Array<number>(o.partitions).fill(0);
  const hw: number[] = new Array<number>(o.partitions).fill(0);
  /** Truncations per partition: an fsync completing after one does not vouch for the records it cut. */
  const truncations: number[] = new Array<number>(o.partitions).fill(0);
  /** Leader: each follower's fetch position per partition and the tick it last caught up. */
  const followerLeo = new Map<NodeId, number[]>();
  const caughtUp = new Map<NodeId, number>();
  let acks: PendingAck[] = [];
  let ticks = 0;
  let fetching: number | undefined;
  let isrAsked: number | undefined;
  /** An ISR growth asked for and not yet confirmed counts for the HW at once (Kafka's "maximal ISR"). */
  let proposed: NodeId[] = [];
  let disk: NodeContext['disk'] | undefined;
  let held: { at: string; data: Record<string, Value> } = { at: '', data: {} };
  const lagTicks = Math.max(2, Math.ceil(o.replicaLagMs / o.pollMs));
  /** Per partition, the offsets this replica's log cleaner removed (compaction keeps offsets: they become gaps). */
  let removed: Set<number>[] = Array.from({ length: o.partitions }, () => new Set<number>());

  /**
   * One pass of the log cleaner over the committed part of each partition
   * (below the HW): a record with a later record of its key goes (a `d` event
   * goes once its tombstone follows); a tombstone that is its key's last record
   * goes once older than delete.retention.ms. A consumer that had read the key
   * earlier and reaches this part of the log later never sees the delete.
   */
  function clean(ctx: NodeContext): void {
    if (!o.compaction || !leading()) return;
    let changed = false;
    for (let p = 0; p < o.partitions; p++) {
      const r = recs(ctx, p);
      const last = new Map<string, number>();
      for (let i = 0; i < hw[p]!; i++) last.set(r[i]!.event.key, i);
      for (let i = 0; i < hw[p]!; i++) {
        if (removed[p]!.has(i)) continue;
        const rec = r[i]!;
        const superseded = last.get(rec.event.key) !== i;
        const expired = rec.event.tombstone === true && ctx.now() - (rec.at ?? 0) >= (o.deleteRetentionMs ?? Infinity);
        if (superseded || expired) {
          removed[p]!.add(i);
          changed = true;
        }
      }
    }
    if (!changed) return;
    ctx.disk.put('cleaned', removed.map((x) => [...x]));
    ctx.emit('kafka.clean', { removed: removed.map((x) => x.size) });
    ctx.mark('log-cleaned');
  }

  const leading = (): boolean => st.leader === me;
  const recs = (ctx: NodeContext, p: number): readonly StoredRecord[] => ctx.disk.records<StoredRecord>(file(p));
  const lastEpoch = (ctx: NodeContext, p: number): number => {
    const r = recs(ctx, p);
    return r.length > 0 ? r[r.length - 1]!.epoch : 0;
  };

  function onState(ctx: NodeContext, next: PartitionState): void {
    if (next.epoch < st.epoch || (next.epoch === st.epoch && next.version <= st.version)) return;
    const was = leading() ? st.epoch : -1;
    // A fetch sent to the previous leader is not waited for.
    if (next.leader !== st.leader || next.epoch !== st.epoch) fetching = undefined;
    st = next;
    isrAsked = undefined;
    proposed = [];
    if (leading() && was !== st.epoch) {
      followerLeo.clear();
      for (const b of st.isr) caughtUp.set(b, ticks);
      ctx.emit('kafka.lead', { epoch: st.epoch, leo: [...flushed], hw: [...hw] });
    }
    if (!leading()) {
      for (const a of acks) ctx.send(a.to, { type: 'produce-err', batchId: a.batchId, reason: 'not-leader', leader: st.leader });
      acks = [];
    }
    advance(ctx);
  }

  /** The HW: what every ISR member has (the leader's own fsynced log included); releases acknowledgements below it. */
  function advance(ctx: NodeContext): void {
    if (!leading()) return;
    for (let p = 0; p < o.partitions; p++) {
      let h = flushed[p]!;
      for (const b of new Set([...st.isr, ...proposed])) if (b !== me) h = Math.min(h, followerLeo.get(b)?.[p] ?? 0);
      if (h > hw[p]!) hw[p] = h;
    }
    const ready = acks.filter((a) => o.acks === 'leader' || hw[a.p]! >= a.end);
    if (ready.length === 0) return;
    acks = acks.filter((a) => !ready.includes(a));
    for (const a of ready) ctx.send(a.to, { type: 'produce-ack', batchId: a.batchId, duplicate: a.duplicate });
    ctx.mark('produce-acked');
  }

  /** Last IDEMPOTENCE_WINDOW batches of `pid` in partition p: seq → end offset. */
  function window(ctx: NodeContext, pid: string, p: number): Map<number, number> {
    const out = new Map<number, number>();
    const r = recs(ctx, p);
    for (let i = r.length - 1; i >= 0 && out.size < IDEMPOTENCE_WINDOW; i--) {
      if (r[i]!.pid === pid && !out.has(r[i]!.seq)) out.set(r[i]!.seq, i + 1);
    }
    return out;
  }

  function produce(ctx: NodeContext, from: NodeId, m: Record<string, unknown>): void {
    const p = Number(m.partition);
    const err = (reason: string): void => ctx.send(from, { type: 'produce-err', batchId: m.batchId, reason, leader: st.leader });
    if (!(p >= 0 && p < o.partitions)) return err(`no partition ${p}`);
    if (!leading()) return err('not-leader');
    if (o.acks === 'all' && st.isr.length < o.minInsync) return err('not-enough-replicas');
    const pid = String(m.pid);
    const seq = Number(m.seq);
    if (m.idempotent === true) {
      const win = window(ctx, pid, p);
      const dupEnd = win.get(seq);
      if (dupEnd !== undefined) {
        acks.push({ p, end: dupEnd, to: from, batchId: m.batchId, duplicate: true });
        return advance(ctx);
      }
      const last = win.size > 0 ? Math.max(...win.keys()) : -1;
      if (seq !== last + 1) return err('out-of-order-sequence');
    }
    for (const event of m.events as CdcEvent[]) {
      const offset = ctx.disk.append(file(p), { event, pid, seq, epoch: st.epoch, at: ctx.now() } satisfies StoredRecord) - 1;
      ctx.emit('cdc.publish', { ...posData(event), partition: p, offset });
    }
    ctx.mark('appended');
    const end = recs(ctx, p).length;
    const epoch = st.epoch;
    const cut = truncations[p];
    ctx.disk.fsync(() => {
      // The records are durable whoever leads now: the log end moves on unless a truncation
      // cut them meanwhile. Left behind, a re-elected leader's HW and a follower's fetch
      // position would stop short of its own log forever. Only the acknowledgement is the epoch's.
      if (truncations[p] === cut) flushed[p] = Math.max(flushed[p]!, end);
      if (st.epoch !== epoch || !leading()) return;
      acks.push({ p, end, to: from, batchId: m.batchId, duplicate: false });
      advance(ctx);
    });
  }

  /** Leader: a follower's fetch; answers a truncation point where its log diverges, else records after its position. */
  function replicaFetch(ctx: NodeContext, from: NodeId, m: Record<string, unknown>): void {
    if (!leading() || Number(m.epoch) !== st.epoch) return ctx.send(from, { type: 'replica-data', epoch: st.epoch, stale: true }, POLL);
    const parts = m.parts as { leo: number; lastEpoch: number }[];
    const out: { p: number; truncateTo?: number; from: number; records: StoredRecord[]; hw: number }[] = [];
    const leos: number[] = [];
    let all = true;
    parts.forEach(({ leo, lastEpoch: le }, p) => {
      const r = recs(ctx, p);
      // The end offset of the follower's last epoch in this log (KIP-101 OffsetsForLeaderEpoch).
      let end = r.findIndex((x) => x.epoch > le);
      if (end < 0) end = r.length;
      if (leo > end) {
        out.push({ p, truncateTo: end, from: end, records: [], hw: hw[p]! });
        leos.push(0);
        all = false;
        return;
      }
      leos.push(leo);
      if (leo < flushed[p]!) all = false;
      out.push({ p, from: leo, records: r.slice(leo, Math.min(flushed[p]!, leo + FETCH_MAX)), hw: hw[p]! });
    });
    followerLeo.set(from, leos);
    if (all) caughtUp.set(from, ticks);
    ctx.send(from, { type: 'replica-data', epoch: st.epoch, parts: out }, POLL);
    advance(ctx);
  }

  function replicaData(ctx: NodeContext, m: Record<string, unknown>): void {
    fetching = undefined;
    if (m.stale === true || Number(m.epoch) !== st.epoch || leading()) return;
    let wrote = false;
    for (const part of m.parts as { p: number; truncateTo?: number; from: number; records: StoredRecord[]; hw: number }[]) {
      const { p } = part;
      if (part.truncateTo !== undefined && part.truncateTo < recs(ctx, p).length) {
        ctx.disk.truncate(file(p), part.truncateTo);
        truncations[p]!++;
        for (const i of [...removed[p]!]) if (i >= part.truncateTo) removed[p]!.delete(i);
        flushed[p] = Math.min(flushed[p]!, part.truncateTo);
        hw[p] = Math.min(hw[p]!, part.truncateTo);
        ctx.emit('kafka.truncate', { partition: p, to: part.truncateTo, epoch: st.epoch });
        continue;
      }
      if (part.from !== recs(ctx, p).length) continue;
      for (const r of part.records) ctx.disk.append(file(p), r);
      if (part.records.length > 0) wrote = true;
      hw[p] = Math.max(hw[p]!, Math.min(part.hw, flushed[p]!));
    }
    const lens = Array.from({ length: o.partitions }, (_, p) => recs(ctx, p).length);
    const hws = (m.parts as { hw: number }[]).map((x) => x.hw);
    const done = (): void => {
      lens.forEach((n, p) => {
        if (recs(ctx, p).length >= n) flushed[p] = Math.max(flushed[p]!, n);
        hw[p] = Math.max(hw[p]!, Math.min(hws[p] ?? 0, flushed[p]!));
      });
      // More may be waiting: fetch again at once; an empty answer waits for the next tick (a long poll's effect).
      if (wrote) fetchFromLeader(ctx);
    };
    if (wrote) ctx.disk.fsync(done);
    else done();
  }

  function fetchFromLeader(ctx: NodeContext): void {
    if (leading() || st.leader === null || fetching !== undefined) return;
    fetching = ticks;
    const parts = Array.from({ length: o.partitions }, (_, p) => ({ leo: flushed[p]!, lastEpoch: lastEpoch(ctx, p) }));
    ctx.send(st.leader, { type: 'replica-fetch', epoch: st.epoch, parts }, POLL);
  }

  /** Leader: shrink the ISR by followers that fell behind, grow it by those that reached the HW. */
  function manageIsr(ctx: NodeContext): void {
    if (!leading() || isrAsked !== undefined) return;
    const lagging = st.isr.filter((b) => b !== me && ticks - (caughtUp.get(b) ?? -Infinity) > lagTicks);
    const back = o.brokers.filter((b) => !st.isr.includes(b) && b !== me && ticks - (caughtUp.get(b) ?? -Infinity) <= 1
      && (followerLeo.get(b) ?? []).every((n, p) => n >= hw[p]!) && (followerLeo.get(b)?.length ?? 0) === o.partitions);
    if (lagging.length === 0 && back.length === 0) return;
    const isr = [...st.isr.filter((b) => !lagging.includes(b)), ...back];
    isrAsked = ticks;
    proposed = [...new Set([...proposed, ...back])];
    ctx.send(o.controller, { type: 'alter-isr', version: st.version, isr }, POLL);
  }

  function consumerFetch(ctx: NodeContext, from: NodeId, m: Record<string, unknown>): void {
    const p = Number(m.partition);
    const offset = Number(m.offset);
    if (!leading()) return ctx.send(from, { type: 'fetched', partition: p, offset, events: [], notLeader: true, leader: st.leader }, POLL);
    const max = Math.max(1, Math.min(FETCH_MAX, Number(m.max) || FETCH_MAX));
    const events = recs(ctx, p).slice(offset, Math.min(hw[p]!, offset + max)).map((r, i) => (removed[p]!.has(offset + i) ? null : r.event));
    ctx.send(from, { type: 'fetched', partition: p, offset, events }, POLL);
  }

  function records(): Record<string, Value> {
    if (!disk || !leading()) return {};
    const at = `${st.epoch}/${hw.join(',')}/${removed.map((x) => x.size).join(',')}`;
    if (at === held.at) return held.data;
    const data: Record<string, Value> = {};
    for (let p = 0; p < o.partitions; p++) {
      disk.records<StoredRecord>(file(p)).slice(0, hw[p]).forEach(({ event: e }, offset) => {
        if (removed[p]!.has(offset)) return;
        data[`p${p}@${offset}`] = JSON.stringify([e.pos.lsn, e.pos.idx, e.key, e.op, e.after]);
      });
    }
    held = { at, data };
    return data;
  }

  return {
    start(ctx) {
      me = ctx.id;
      disk = ctx.disk;
      for (let p = 0; p < o.partitions; p++) flushed[p] = recs(ctx, p).length;
      removed = Array.from({ length: o.partitions }, (_, p) => new Set(ctx.disk.get<number[][]>('cleaned')?.[p] ?? []));
      ctx.setTimer(o.pollMs, 'tick', undefined, { background: true });
      if (o.compaction) ctx.setTimer(o.cleanMs ?? 20, 'clean', undefined, { background: true });
      ctx.send(o.controller, { type: 'hb' }, POLL);
    },
    onMessage(ctx, from, msg) {
      if (!isObj(msg)) return;
      switch (msg.type) {
        case 'state':
          return onState(ctx, msg.state as PartitionState);
        case 'produce':
          return produce(ctx, from, msg);
        case 'replica-fetch':
          return replicaFetch(ctx, from, msg);
        case 'replica-data':
          return replicaData(ctx, msg);
        case 'fetch':
          return consumerFetch(ctx, from, msg);
      }
    },
    onTimer(ctx, tag) {
      if (tag === 'clean') {
        ctx.setTimer(o.cleanMs ?? 20, 'clean', undefined, { background: true });
        return clean(ctx);
      }
      ctx.setTimer(o.pollMs, 'tick', undefined, { background: true });
      ticks++;
      ctx.send(o.controller, { type: 'hb' }, POLL);
      if (fetching !== undefined && ticks - fetching > STUCK_POLLS) fetching = undefined;
      if (isrAsked !== undefined && ticks - isrAsked > STUCK_POLLS) isrAsked = undefined; // `proposed` stays counted until the controller answers
      fetchFromLeader(ctx);
      manageIsr(ctx);
    },
    onRequest(ctx, { id }) {
      ctx.reply(id, { type: 'fail', error: 'brokers serve no client requests' });
    },
    onStreamBreak(_ctx, peer) {
      if (peer === st.leader) fetching = undefined;
      if (peer === o.controller) isrAsked = undefined;
    },
    view(): NodeView {
      const positions: Record<string, number> = { leader: leading() ? 1 : 0, leaderEpoch: st.epoch, ...(o.compaction ? { compacted: 1 } : {}) };
      if (leading()) hw.forEach((n, p) => (positions[`p${p}`] = n));
      flushed.forEach((n, p) => (positions[`leo${p}`] = n));
      return { role: 'broker', data: records(), positions };
    },
  };
}
