/**
 * A pool of worker threads with a wall-clock watchdog per task.
 *
 * The pool knows nothing about scenarios: a task goes to an idle worker, and its
 * outcome comes back as `done` (the worker's answer), `timeout` (no answer within
 * `timeoutMs`: the worker is terminated — a synchronous infinite loop in a model
 * handler cannot be interrupted any other way — and a fresh worker replaces it) or
 * `crashed` (the handler threw, or the worker died). Which worker ran a task never
 * shows in its outcome, so callers whose tasks are pure get results independent of
 * the worker count.
 *
 * A worker may hold `depth` tasks at once (default 1): it answers them one after
 * another, so with depth 2 the next task is already waiting when it answers one,
 * instead of idling for a round trip through this thread (on a busy machine that
 * thread may wait long to be scheduled). Only the task a worker is running has a
 * watchdog: a queued task's starts when the one before it is answered. When a
 * worker is replaced, the tasks queued behind the one it failed go back to the
 * front of the pool's queue: they never ran.
 *
 * Workers load TypeScript sources: when the worker module is a `.ts` file (run
 * through tsx or vitest) or the caller asks for it (a user's model given as a `.ts`
 * path), the worker registers tsx's ESM loader before importing its module. Hooks
 * passed as `--import` in `execArgv` do not reach a worker's entry on Node 20, so
 * the entry is a two-line bootstrap that registers the loader, then imports.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker, parentPort, workerData as rawWorkerData } from 'node:worker_threads';

export interface PoolOptions {
  /** Worker threads (default: the cores this process may use). */
  workers?: number;
  /** Wall-clock limit per task, in ms (default 60 000). */
  timeoutMs?: number;
  /** Handed to every worker as `workerData` (plain, structured-cloneable data). */
  workerData?: unknown;
  /** Register tsx in the workers although the worker module is JavaScript. */
  typescript?: boolean;
  /** Tasks a worker holds at once, running one, the rest queued (default 1; use 1 for long tasks, or a slow one holds up those behind it). */
  depth?: number;
}

export type TaskOutcome<R> =
  | { kind: 'done'; value: R }
  | { kind: 'timeout'; ms: number }
  | { kind: 'crashed'; message: string };

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * TurboFan's cumulative inlining budget, in bytes of bytecode per optimized function
 * (V8's default is 920). A judged run touches hundreds of functions, and each worker's
 * isolate compiles them all again: most of a default-budget exploration's CPU is that
 * warm-up (the background compiler alone used about as much CPU as the run's own
 * thread), and a compile's cost grows with what it inlines — the simulator's dispatch
 * pulled whole model handlers, routers and views in, and was compiled again each time
 * one of them met a new object shape. A smaller budget makes every compile (and
 * recompile) cheap; warmed code was no slower. Measured on 2,000 judged `run wal`
 * runs in one isolate (CPU, process total): 11.2–12.0 s → 7.9–9.4 s at 200.
 */
export const INLINE_BUDGET = 200;
const INLINE_FLAG = 'max-inlined-bytecode-size-cumulative';
let tuned = false;

/** Whether the user set the inlining budget themselves (on node's command line or in NODE_OPTIONS). */
export function userSetInlineBudget(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const set = (arg: string) => /^--max[-_]inlined[-_]bytecode[-_]size[-_]cumulative(=|$)/.test(arg);
  return execArgv.some(set) || (nodeOptions ?? '').split(/\s+/).some(set);
}

/**
 * Lower V8's inlining budget for this process (V8's flags are per process: every
 * worker thread gets it), unless the user set it. Compiling decides speed only,
 * never what a run does.
 */
export function tuneCompiler(): void {
  if (tuned) return;
  tuned = true;
  if (userSetInlineBudget(process.execArgv, process.env.NODE_OPTIONS)) return;
  setFlagsFromString(`--${INLINE_FLAG}=${INLINE_BUDGET}`);
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** The default worker count: every core this process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

interface Slot<T, R> {
  worker: Worker;
  ready: Promise<void>;
  up: boolean;
  /** Tasks sent to this worker, in the order it runs them; the first is running. */
  held: Pending<T, R>[];
  /** The running task's watchdog. */
  timer?: ReturnType<typeof setTimeout>;
  /** When the running task started, as `performance.now()`. */
  startedAt: number;
  /** Set when the worker could not load its module: every task it gets fails with this. */
  bootError?: string;
  /** Set once the slot is replaced: its worker's late events are ignored. */
  dead: boolean;
}

interface Pending<T, R> {
  task: T;
  resolve: (o: TaskOutcome<R>) => void;
  /** This task's watchdog, when it is not the pool's. */
  timeoutMs: number | undefined;
}

type FromWorker<R> = { ready: true } | { value: R } | { error: string };

export class WorkerPool<T, R> {
  private readonly slots: Slot<T, R>[] = [];
  private readonly queue: Pending<T, R>[] = [];
  private closed = false;
  readonly size: number;
  readonly timeoutMs: number;
  readonly depth: number;

  /** `moduleUrl`: the worker module, which calls `serveTasks` at load. */
  constructor(
    private readonly moduleUrl: URL,
    private readonly opts: PoolOptions = {},
  ) {
    this.size = Math.max(1, opts.workers ?? defaultWorkers());
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.depth = Math.max(1, opts.depth ?? 1);
    tuneCompiler();
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  /** Run one task on the next worker with room; never rejects. */
  run(task: T, timeoutMs?: number): Promise<TaskOutcome<R>> {
    if (this.closed) return Promise.resolve({ kind: 'crashed', message: 'the pool is closed' });
    return new Promise((resolve) => {
      this.queue.push({ task, resolve, timeoutMs });
      this.dispatch();
    });
  }

  /** Wait until every worker has loaded its module (so start-up is not timed as work). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve({ kind: 'crashed', message: 'the pool is closed' });
    for (const slot of this.slots) {
      clearTimeout(slot.timer);
      slot.dead = true;
      for (const p of slot.held.splice(0)) p.resolve({ kind: 'crashed', message: 'the pool is closed' });
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot<T, R> {
    const worker = new Worker(bootstrap(this.moduleUrl, this.needsTsx()), {
      eval: true,
      workerData: this.opts.workerData ?? null,
    });
    const slot: Slot<T, R> = { worker, up: false, held: [], startedAt: 0, dead: false, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve) => {
      worker.on('message', (m: FromWorker<R>) => {
        if (slot.dead) return;
        if ('ready' in m) {
          slot.up = true;
          resolve();
          return this.dispatch();
        }
        this.answered(slot, 'value' in m ? { kind: 'done', value: m.value } : { kind: 'crashed', message: m.error });
      });
      worker.on('error', (err) => {
        if (slot.dead) return;
        if (!slot.up) {
          slot.bootError = `worker could not start: ${err.message}`;
          slot.up = true;
          resolve();
          return this.dispatch();
        }
        // An error while running a task is that task's outcome.
        this.replace(slot, { kind: 'crashed', message: err.message });
      });
      worker.on('exit', (code) => {
        if (slot.dead || !slot.up || slot.bootError !== undefined) return;
        this.replace(slot, { kind: 'crashed', message: `worker exited with code ${code}` });
      });
    });
    return slot;
  }

  private needsTsx(): boolean {
    return this.opts.typescript === true || this.moduleUrl.pathname.endsWith('.ts');
  }

  /** Hand queued tasks to workers with room, the least loaded first. */
  private dispatch(): void {
    for (let room = 1; room <= this.depth; room++) {
      for (const slot of this.slots) {
        if (this.closed || this.queue.length === 0) return;
        if (!slot.up || slot.dead || slot.held.length >= room) continue;
        this.send(slot, this.queue.shift()!);
      }
    }
  }

  private send(slot: Slot<T, R>, p: Pending<T, R>): void {
    if (slot.bootError !== undefined) {
      // Not respawned: a module that fails to load would fail again, in a loop.
      p.resolve({ kind: 'crashed', message: slot.bootError });
      queueMicrotask(() => this.dispatch());
      return;
    }
    slot.held.push(p);
    slot.worker.postMessage(p.task);
    if (slot.held.length === 1) this.startWatchdog(slot);
  }

  private startWatchdog(slot: Slot<T, R>): void {
    const p = slot.held[0];
    if (!p) return;
    slot.startedAt = performance.now();
    // setTimeout fires at once past 2^31-1 ms; a longer watchdog is no watchdog.
    const ms = Math.min(p.timeoutMs ?? this.timeoutMs, MAX_TIMER_MS);
    slot.timer = setTimeout(() => this.replace(slot, { kind: 'timeout', ms: Math.round(performance.now() - slot.startedAt) }), ms);
  }

  /** The running task's answer: settle it, start the next one's watchdog, refill. */
  private answered(slot: Slot<T, R>, o: TaskOutcome<R>): void {
    clearTimeout(slot.timer);
    const p = slot.held.shift();
    this.startWatchdog(slot);
    p?.resolve(o);
    this.dispatch();
  }

  /** The running task failed with its worker: settle it, requeue the tasks behind it, start a fresh worker. */
  private replace(slot: Slot<T, R>, o: TaskOutcome<R>): void {
    clearTimeout(slot.timer);
    slot.dead = true;
    void slot.worker.terminate();
    const [running, ...behind] = slot.held.splice(0);
    this.queue.unshift(...behind);
    const i = this.slots.indexOf(slot);
    if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    running?.resolve(o);
    this.dispatch();
  }
}

/**
 * Worker side: answer every task with `handler(task)`, after `init` (loading
 * models, say) has finished. Call once at the top of the worker module.
 */
export function serveTasks<T, R>(handler: (task: T) => R | Promise<R>, init?: () => Promise<void>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs inside a worker thread');
  void (async () => {
    if (init) await init();
    // One task after another, answered in the order they came (the pool matches answers by order).
    let chain: Promise<void> = Promise.resolve();
    const answer = async (task: T): Promise<void> => {
      try {
        port.postMessage({ value: await handler(task) });
      } catch (err) {
        port.postMessage({ error: err instanceof Error ? err.message : String(err) });
      }
    };
    port.on('message', (task: T) => {
      chain = chain.then(() => answer(task));
    });
    port.postMessage({ ready: true });
  })();
}

/** The `workerData` the pool was given, inside a worker. */
export function poolWorkerData<D>(): D {
  return rawWorkerData as D;
}

/** The worker's entry: register tsx when needed, then import the worker module. */
function bootstrap(moduleUrl: URL, tsx: boolean): string {
  const load = `import(${JSON.stringify(moduleUrl.href)})`;
  const api = tsx ? tsxApiUrl() : undefined;
  if (!api) return `${load};`;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return ${load}; });`;
}

/** tsx's ESM register API, resolved from this package (undefined when tsx is absent). */
function tsxApiUrl(): string | undefined {
  try {
    // createRequire resolves the `require` condition; the ESM build sits beside it.
    const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
    return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  } catch {
    return undefined;
  }
}
