/**
 * A Kafka-shaped broker: one append-only log per partition on disk, offsets are
 * record indexes. A produce request is appended, fsynced, then acknowledged
 * (acks=all on a single replica); consumers see only fsynced records (the high
 * watermark). With idempotence the broker keeps, per producer id and partition,
 * the last sequence number (rebuilt from the log after a restart, as Kafka's
 * producer-state snapshots are): a resent batch is acknowledged without a second
 * append and a batch that skips a sequence is refused (OutOfOrderSequence), so
 * retries can neither duplicate nor reorder. Consumer-group offsets are a file.
 *
 * view().data is a final read of every partition, as Jepsen's Kafka workload
 * reads whole topics: one entry per fsynced record, `p<partition>@<offset>` →
 * the JSON array [lsn, idx, key, op, after] (see brokerRecords in
 * src/check/cdc.ts). Checkers compare it with what the source committed.
 */
import type { NodeContext, NodeId, NodeProgram, NodeView, Value } from '../../src/analysis.js';
import { type CdcEvent, isObj, POLL, posData } from './common.js';

interface StoredRecord {
  event: CdcEvent;
  pid: string;
  seq: number;
}

const OFFSETS = 'offsets';
const FETCH_MAX = 64;

export function brokerProgram(partitions: number): NodeProgram {
  const flushed: number[] = new Array<number>(partitions).fill(0);
  const lastSeq = new Map<string, number>();
  let offsets: Record<string, number[]> = {};
  /** The last data view built and the flushed counts it was built for (views are asked for often; records only grow). */
  let held: { at: string; data: Record<string, Value> } = { at: '', data: {} };
  let disk: NodeContext['disk'] | undefined;

  const file = (p: number): string => `p${p}`;

  function start(ctx: NodeContext): void {
    disk = ctx.disk;
    offsets = { ...(ctx.disk.get<Record<string, number[]>>(OFFSETS) ?? {}) };
    for (let p = 0; p < partitions; p++) {
      const recs = ctx.disk.records<StoredRecord>(file(p));
      flushed[p] = recs.length;
      for (const r of recs) lastSeq.set(`${r.pid}/${p}`, r.seq);
    }
  }

  function produce(ctx: NodeContext, from: NodeId, m: Record<string, unknown>): void {
    const p = Number(m.partition);
    const seq = Number(m.seq);
    const pid = String(m.pid);
    if (!(p >= 0 && p < partitions)) return ctx.send(from, { type: 'produce-err', batchId: m.batchId, reason: `no partition ${p}` });
    if (m.idempotent === true) {
      const last = lastSeq.get(`${pid}/${p}`) ?? -1;
      if (seq <= last) return ctx.send(from, { type: 'produce-ack', batchId: m.batchId, duplicate: true });
      if (seq > last + 1) return ctx.send(from, { type: 'produce-err', batchId: m.batchId, reason: 'out-of-order sequence' });
    }
    const events = m.events as CdcEvent[];
    for (const event of events) {
      const offset = ctx.disk.append(file(p), { event, pid, seq } satisfies StoredRecord) - 1;
      ctx.emit('cdc.publish', { ...posData(event), partition: p, offset });
    }
    lastSeq.set(`${pid}/${p}`, seq);
    ctx.mark('appended');
    const end = ctx.disk.records(file(p)).length;
    ctx.disk.fsync(() => {
      flushed[p] = Math.max(flushed[p]!, end);
      ctx.send(from, { type: 'produce-ack', batchId: m.batchId, duplicate: false });
    });
  }

  function fetch(ctx: NodeContext, from: NodeId, m: Record<string, unknown>): void {
    const p = Number(m.partition);
    const offset = Number(m.offset);
    const recs = ctx.disk.records<StoredRecord>(file(p)).slice(offset, Math.min(flushed[p] ?? 0, offset + FETCH_MAX));
    ctx.send(from, { type: 'fetched', partition: p, offset, events: recs.map((r) => r.event) }, POLL);
  }

  function commit(ctx: NodeContext, m: Record<string, unknown>): void {
    const group = String(m.group);
    const p = Number(m.partition);
    const offset = Number(m.offset);
    const cur = [...(offsets[group] ?? new Array<number>(partitions).fill(0))];
    cur[p] = offset;
    offsets = { ...offsets, [group]: cur };
    ctx.disk.put(OFFSETS, offsets);
    ctx.disk.fsync(() => ctx.emit('offset.commit', { group, partition: p, offset }));
  }

  /** Every fsynced record of every partition (what a consumer reading from offset 0 would get). */
  function records(): Record<string, Value> {
    const at = flushed.join(',');
    if (at === held.at || !disk) return held.data;
    const data: Record<string, Value> = {};
    for (let p = 0; p < partitions; p++) {
      disk.records<StoredRecord>(file(p)).slice(0, flushed[p]).forEach(({ event: e }, offset) => {
        data[`p${p}@${offset}`] = JSON.stringify([e.pos.lsn, e.pos.idx, e.key, e.op, e.after]);
      });
    }
    held = { at, data };
    return data;
  }

  return {
    start,
    onMessage(ctx, from, msg) {
      if (!isObj(msg)) return;
      if (msg.type === 'produce') produce(ctx, from, msg);
      else if (msg.type === 'fetch') fetch(ctx, from, msg);
      else if (msg.type === 'commit') commit(ctx, msg);
      else if (msg.type === 'offsets') {
        const group = String(msg.group);
        ctx.send(from, { type: 'offsets', offsets: offsets[group] ?? new Array<number>(partitions).fill(0) }, POLL);
      }
    },
    onTimer() {},
    onRequest(ctx, { id }) {
      ctx.reply(id, { type: 'fail', error: 'the broker serves no client requests' });
    },
    view(): NodeView {
      const positions: Record<string, number> = {};
      flushed.forEach((n, p) => (positions[`p${p}`] = n));
      for (const [g, offs] of Object.entries(offsets)) offs.forEach((o, p) => (positions[`${g}.p${p}`] = o));
      return { role: 'broker', data: records(), positions };
    },
  };
}
