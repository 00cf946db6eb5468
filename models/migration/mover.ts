/**
 * The migration mover: moves a live source setup to a target setup.
 *   1. slot: take the source's durable log head S; streaming starts there.
 *   2. bulk copy in key-ordered chunks (select at lsn L → load rows tagged L)
 *      while 3. CDC catch-up streams every source change after S to the target.
 *   4. cut-over with a brief write freeze: once copy is done and the stream lag
 *      is small, freeze the source (it refuses writes; the freeze is queued
 *      behind every write already received, so its reply names the last
 *      commit F), wait until the stream has applied everything up to F, then
 *      promote the target — routing switches to it.
 *      Or, with cutover 'dual-write', no pause: the source starts mirroring
 *      every commit to the target before acknowledging it (from its head D),
 *      the stream drains up to D, the target is promoted and refuses mirrored
 *      writes from then on; F is the last mirrored commit it took (a commit the
 *      source made after that is answered 'info' and the source retires).
 *   5. verification: the target's state at the switch must equal the source's
 *      state at F (read as of F); the result is recorded as `migration.verify`.
 * Progress is persisted after every acknowledged step, so a crashed mover
 * resumes (re-sent rows are harmless: the target keeps the newest lsn per key).
 */
import type { NodeContext, NodeId, NodeProgram, NodeView, Value } from '../../src/index.js';
import { isObj, type LogRecord } from '../cdc/common.js';

export interface MoverOptions {
  source: NodeId;
  target: NodeId;
  chunkSize: number;
  pollMs: number;
  /** Cut over once copy is done and at most this many source records are not yet applied. */
  lagMax: number;
  /**
   * 'freeze': the source refuses writes from F on, the stream drains to F, then
   * the switch. 'dual-write': from D on the source mirrors every commit to the
   * target before acknowledging it; the stream drains to D, then the switch —
   * writes never pause (the target refuses mirrored writes after it, so F is
   * the last one it took).
   */
  cutover: 'freeze' | 'dual-write';
  /**
   * With dual writes: turn them on before the bulk copy (the textbook order —
   * dual writes, backfill, verify, switch), so copied rows race live ones and
   * the target must keep the newer (INSERT IGNORE row copy). Otherwise they
   * begin once the copy is done.
   */
  dualBeforeCopy?: boolean;
  bug?: string;
}

type Phase = 'init' | 'copy' | 'frozen' | 'cutover' | 'verified';

interface MState {
  slot: number;
  copyAfter: string | null;
  copyDone: boolean;
  applied: number;
  phase: Phase;
  freezeLsn?: number;
}

const STATE = 'mover';
const STUCK_POLLS = 20;
const PHASES: Phase[] = ['init', 'copy', 'frozen', 'cutover', 'verified'];

export function moverProgram(o: MoverOptions): NodeProgram {
  let st: MState = { slot: 0, copyAfter: null, copyDone: false, applied: 0, phase: 'init' };
  let head = 0;
  /** Outstanding request kind → poll tick it was sent at (not the wall clock, which may jump back) and peer; resent when a reply is lost. */
  const waiting = new Map<string, { tick: number; to: NodeId }>();
  let ticks = 0;
  /** Tick of the last fetch that found nothing new: the next one waits for the next poll (no busy loop). */
  let idleAt = -1;
  let streamId = '';
  let streamUpTo = 0;
  let copyId = '';
  /** The chunk being loaded: keys in (after, last], or everything after `after` when `end`. */
  let copyChunk: { after: string | null; last: string | null; end: boolean } | undefined;

  function save(ctx: NodeContext): void {
    ctx.disk.put(STATE, { ...st });
    ctx.disk.fsync();
  }

  function ask(ctx: NodeContext, kind: string, to: NodeId, msg: Record<string, unknown>): void {
    waiting.set(kind, { tick: ticks, to });
    ctx.send(to, msg);
  }

  /** Drives every step that is due; called on each poll and after each reply. */
  function step(ctx: NodeContext): void {
    if (st.phase === 'init') return void (waiting.has('slot') || ask(ctx, 'slot', o.source, { type: 'position' }));
    if (st.phase === 'verified') return;
    const verifyAt = { type: 'select', id: verifyId(), afterKey: null, limit: 1e9, atLsn: st.freezeLsn };
    if (st.phase === 'cutover') return void (waiting.has('verify') || waiting.has('dump') || ask(ctx, 'verify', o.source, verifyAt));
    // With dual writes the stream owes only what precedes D; the mirror carries the rest.
    const owed = o.cutover === 'freeze' || st.freezeLsn === undefined || st.applied < st.freezeLsn;
    const streaming = (st.phase === 'copy' || !(o.bug === 'cutover-drops-inflight')) && owed;
    if (streaming && idleAt !== ticks && !waiting.has('fetch') && !waiting.has('stream')) ask(ctx, 'fetch', o.source, { type: 'fetch', afterLsn: st.applied });
    if (!st.copyDone && !waiting.has('select') && !waiting.has('copy')) {
      ask(ctx, 'select', o.source, { type: 'select', id: selectId(), afterKey: st.copyAfter, limit: o.chunkSize });
    }
    const early = o.cutover === 'dual-write' && o.dualBeforeCopy === true;
    if (st.phase === 'copy' && (early || (st.copyDone && head - st.applied <= o.lagMax)) && !waiting.has('freeze')) {
      ask(ctx, 'freeze', o.source, o.cutover === 'freeze' ? { type: 'freeze', on: true } : { type: 'dual', target: o.target });
    }
    const caughtUp = st.freezeLsn !== undefined && st.applied >= st.freezeLsn;
    // Bug: promote as soon as the source is frozen, without draining the stream
    // up to the freeze position (gh-ost waits for its AllEventsUpToLockProcessed marker).
    const ready = st.phase === 'frozen' && st.copyDone && (caughtUp || o.bug === 'cutover-drops-inflight');
    if (ready && !waiting.has('promote')) ask(ctx, 'promote', o.target, { type: 'promote', base: st.freezeLsn });
  }

  function onRecords(ctx: NodeContext, records: LogRecord[], h: number): void {
    waiting.delete('fetch');
    head = Math.max(head, h);
    const cap = o.cutover === 'dual-write' && st.freezeLsn !== undefined ? st.freezeLsn : Infinity;
    const fresh = records.filter((r) => r.lsn > st.applied && r.lsn <= cap);
    if (fresh.length === 0) {
      idleAt = ticks;
      return;
    }
    // One item per key and record: its final value there (a record may change a key twice).
    const items = fresh.flatMap((r) => [...new Map(r.changes.map((c) => [c.k, c.after])).entries()].map(([k, v]) => ({ k, v, lsn: r.lsn })));
    // Every fetch starts at the acknowledged position, so acknowledging this
    // batch means everything up to its last lsn is in the target.
    streamUpTo = fresh[fresh.length - 1]!.lsn;
    streamId = `s${st.applied}-${streamUpTo}`;
    // `upTo` lets the target know how far its gap-free run of source changes reaches, whatever becomes of our ack.
    ask(ctx, 'stream', o.target, { type: 'load', id: streamId, items, upTo: streamUpTo });
  }

  /** Names a select by the chunk it asks for, so a late reply to an earlier chunk's select is recognised. */
  function selectId(): string {
    return `copy:${JSON.stringify(st.copyAfter)}`;
  }

  function verifyId(): string {
    return `verify:${st.freezeLsn}`;
  }

  /**
   * A chunk's rows. Progress is the key range of the chunk whose load the target
   * acknowledged (gh-ost checkpoints "the range last copied to the gh-ost table
   * (IterationRangeMin and IterationRangeMax)"): a reply to a resent select for an
   * earlier chunk, or a second reply while this chunk is loading, is dropped, and
   * the load's id names its range, so one chunk's ack never advances past another's keys.
   */
  function onRows(ctx: NodeContext, id: string, rows: { k: string; v: Value }[], lsn: number): void {
    if (id === verifyId() && st.phase === 'cutover') return verify(ctx, rows);
    if (id !== selectId() || st.copyDone || waiting.has('copy')) return;
    waiting.delete('select');
    copyChunk = { after: st.copyAfter, last: rows.length > 0 ? rows[rows.length - 1]!.k : st.copyAfter, end: rows.length < o.chunkSize };
    copyId = `c${lsn}:${JSON.stringify(copyChunk)}`;
    ask(ctx, 'copy', o.target, { type: 'load', id: copyId, items: rows.map((r) => ({ ...r, lsn })), copy: true });
  }

  function onLoaded(ctx: NodeContext, id: string): void {
    if (id === streamId) {
      streamId = '';
      waiting.delete('stream');
      st.applied = Math.max(st.applied, streamUpTo);
      ctx.mark('catch-up-applied');
    } else if (id === copyId && copyChunk) {
      copyId = '';
      waiting.delete('copy');
      st.copyAfter = copyChunk.last;
      if (copyChunk.end) st.copyDone = true;
      copyChunk = undefined;
      ctx.mark('chunk-copied');
    } else return;
    save(ctx);
  }

  let atSwitch: Record<string, Value> | undefined;

  let sourceAtF: Record<string, Value> | undefined;

  /** Compares the source at the freeze (it is read-only now) with the target at the switch. */
  function verify(ctx: NodeContext, rows: { k: string; v: Value }[]): void {
    waiting.delete('verify');
    const source: Record<string, Value> = Object.fromEntries(rows.map((r) => [r.k, r.v]));
    if (o.bug === 'verify-races-live-writes') {
      // Bug: compare with the target's live rows, which clients already write to.
      sourceAtF = source;
      return void ask(ctx, 'dump', o.target, { type: 'dump', id: verifyId() });
    }
    compare(ctx, source, atSwitch ?? {});
  }

  function compare(ctx: NodeContext, source: Record<string, Value>, target: Record<string, Value>): void {
    const keys = [...new Set([...Object.keys(source), ...Object.keys(target)])].sort();
    const diff = keys.filter((k) => (source[k] ?? null) !== (target[k] ?? null));
    ctx.emit('migration.verify', { equal: diff.length === 0, keys: keys.length, diff, freezeLsn: st.freezeLsn });
    // ...and resync every difference from the source, as DMS data resync does — without pausing the writers.
    if (o.bug === 'verify-races-live-writes' && diff.length > 0) {
      ctx.send(o.target, { type: 'load', id: `resync:${st.freezeLsn}`, items: diff.map((k) => ({ k, v: source[k] ?? null, lsn: st.freezeLsn })), force: true });
    }
    ctx.mark('verified');
    st.phase = 'verified';
    save(ctx);
  }

  function onMessage(ctx: NodeContext, _from: NodeId, msg: unknown): void {
    if (!isObj(msg)) return;
    switch (msg.type) {
      case 'position':
        if (st.phase !== 'init') return;
        waiting.delete('slot');
        st = { ...st, slot: Number(msg.lsn), applied: Number(msg.lsn), phase: 'copy' };
        ctx.emit('cdc.slot', { lsn: st.slot });
        save(ctx);
        break;
      case 'records':
        onRecords(ctx, msg.records as LogRecord[], Number(msg.head));
        break;
      case 'rows':
        onRows(ctx, String(msg.id), msg.rows as { k: string; v: Value }[], Number(msg.lsn));
        break;
      case 'loaded':
        onLoaded(ctx, String(msg.id));
        break;
      case 'frozen':
      case 'dual-ok':
        waiting.delete('freeze');
        if (st.phase === 'copy') {
          st = { ...st, phase: 'frozen', freezeLsn: Number(msg.lsn) };
          ctx.emit(msg.type === 'frozen' ? 'migration.freeze' : 'migration.dual', { lsn: st.freezeLsn });
          save(ctx);
        }
        break;
      case 'dump':
        if (String(msg.id) !== verifyId() || st.phase !== 'cutover' || !sourceAtF) return;
        waiting.delete('dump');
        compare(ctx, sourceAtF, msg.data as Record<string, Value>);
        break;
      case 'promoted':
        waiting.delete('promote');
        if (st.phase !== 'frozen') return;
        atSwitch = (msg.data as Record<string, Value> | null) ?? undefined;
        // With dual writes the switch position is the end of the mirrored run, past D.
        if (typeof msg.freezeLsn === 'number') st.freezeLsn = msg.freezeLsn;
        st.phase = 'cutover';
        save(ctx);
        break;
    }
    step(ctx);
  }

  return {
    start(ctx) {
      const saved = ctx.disk.get<MState>(STATE);
      if (saved) st = { ...saved };
      // The state at the switch is gone with memory; verify against a fresh promote reply.
      if (st.phase === 'cutover') st.phase = 'frozen';
      ctx.setTimer(o.pollMs, 'poll', undefined, { background: true });
      step(ctx);
    },
    onMessage,
    onTimer(ctx) {
      ctx.setTimer(o.pollMs, 'poll', undefined, { background: true });
      ticks++;
      for (const [kind, w] of waiting) if (ticks - w.tick > STUCK_POLLS) waiting.delete(kind);
      step(ctx);
    },
    onRequest(ctx, { id }) {
      ctx.reply(id, { type: 'fail', error: 'the mover serves no client requests' });
    },
    // Requests to the peer are lost: forget them and let the next poll resend.
    // Resending at once would, across a partition, break the new stream too and
    // so double the traffic with every break.
    onStreamBreak(_ctx, peer) {
      for (const [kind, w] of waiting) if (w.to === peer) waiting.delete(kind);
    },
    view(): NodeView {
      return { role: 'mover', data: {}, positions: { phase: PHASES.indexOf(st.phase), applied: st.applied, head, copyDone: st.copyDone ? 1 : 0 } };
    },
  };
}
