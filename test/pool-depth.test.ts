/**
 * The pool with tasks queued in each worker (`depth`): answers go to the tasks
 * that asked, in any mix of durations; a queued task's watchdog starts when it
 * starts; a worker replaced mid-queue loses no task behind the one it failed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool, type TaskOutcome } from '../src/run/pool.js';
import type { EchoTask } from './fixtures/echo-worker.js';

const ECHO = new URL('./fixtures/echo-worker.ts', import.meta.url);
const pools: WorkerPool<EchoTask, number>[] = [];
function pool(workers: number, depth: number, timeoutMs?: number): WorkerPool<EchoTask, number> {
  const p = new WorkerPool<EchoTask, number>(ECHO, { workers, depth, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

const done = (value: number): TaskOutcome<number> => ({ kind: 'done', value });

describe('a worker pool holding several tasks per worker', () => {
  it('answers every task with its own result, durations mixed, on 1 and on 2 workers', async () => {
    const tasks = Array.from({ length: 12 }, (_, n) => ({ n, ms: (n * 7) % 5 }));
    for (const p of [pool(1, 3), pool(2, 2)]) {
      const out = await Promise.all(tasks.map((t) => p.run(t)));
      expect(out).toEqual(tasks.map((t) => done(2 * t.n)));
    }
  });

  it("times a queued task from its own start, not from when it was handed to the worker", async () => {
    // Four tasks of 300 ms queued in one worker: the last ends 1.2 s after it was
    // handed over, past the 900 ms watchdog, yet each ran for 300 ms only.
    const p = pool(1, 4, 900);
    await p.ready();
    const out = await Promise.all([0, 1, 2, 3].map((n) => p.run({ n, ms: 300 })));
    expect(out).toEqual([0, 2, 4, 6].map(done));
  });

  it('replaces a worker whose task hangs and runs the tasks queued behind it on the new one', async () => {
    const p = pool(1, 3, 1500);
    const out = await Promise.all([p.run({ n: 1, spin: true }), p.run({ n: 2 }), p.run({ n: 3, fail: true }), p.run({ n: 4 })]);
    expect(out[0]).toMatchObject({ kind: 'timeout' });
    expect(out.slice(1)).toEqual([done(4), { kind: 'crashed', message: 'task 3 failed' }, done(8)]);
  });
});
