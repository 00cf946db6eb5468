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
 * Workers load TypeScript sources: when the worker module is a `.ts` file (run
 * through tsx or vitest) or the caller asks for it (a user's model given as a `.ts`
 * path), the worker registers tsx's ESM loader before importing its module. Hooks
 * passed as `--import` in `execArgv` do not reach a worker's entry on Node 20, so
 * the entry is a two-line bootstrap that registers the loader, then imports.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
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
}

export type TaskOutcome<R> =
  | { kind: 'done'; value: R }
  | { kind: 'timeout'; ms: number }
  | { kind: 'crashed'; message: string };

export const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The default worker count: every core this process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
  /** Set when the worker could not load its module: every task it gets fails with this. */
  bootError?: string;
}

interface Pending<T, R> {
  task: T;
  resolve: (o: TaskOutcome<R>) => void;
  /** This task's watchdog, when it is not the pool's. */
  timeoutMs: number | undefined;
}

type FromWorker<R> = { ready: true } | { value: R } | { error: string };

export class WorkerPool<T, R> {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending<T, R>[] = [];
  private closed = false;
  readonly size: number;
  readonly timeoutMs: number;

  /** `moduleUrl`: the worker module, which calls `serveTasks` at load. */
  constructor(
    private readonly moduleUrl: URL,
    private readonly opts: PoolOptions = {},
  ) {
    this.size = Math.max(1, opts.workers ?? defaultWorkers());
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  /** Run one task on the next idle worker; never rejects. */
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
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(bootstrap(this.moduleUrl, this.needsTsx()), {
      eval: true,
      workerData: this.opts.workerData ?? null,
    });
    const slot: Slot = { worker, busy: true, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve) => {
      let up = false;
      const onMessage = (m: FromWorker<R>): void => {
        if (!('ready' in m)) return;
        up = true;
        worker.off('message', onMessage);
        slot.busy = false;
        resolve();
        this.dispatch();
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => {
        if (up) return; // an error while running a task is that task's outcome
        slot.bootError = `worker could not start: ${err.message}`;
        slot.busy = false;
        resolve();
        this.dispatch();
      });
    });
    return slot;
  }

  private needsTsx(): boolean {
    return this.opts.typescript === true || this.moduleUrl.pathname.endsWith('.ts');
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.closed || this.queue.length === 0) return;
      if (!slot.busy) this.start(slot, this.queue.shift()!);
    }
  }

  private start(slot: Slot, p: Pending<T, R>): void {
    if (slot.bootError !== undefined) {
      // Not respawned: a module that fails to load would fail again, in a loop.
      p.resolve({ kind: 'crashed', message: slot.bootError });
      queueMicrotask(() => this.dispatch());
      return;
    }
    slot.busy = true;
    const { worker } = slot;
    const t0 = performance.now();
    const settle = (o: TaskOutcome<R>, replace: boolean): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (replace) {
        void worker.terminate();
        const i = this.slots.indexOf(slot);
        if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
      } else {
        slot.busy = false;
      }
      p.resolve(o);
      this.dispatch();
    };
    const onMessage = (m: FromWorker<R>): void => {
      if ('value' in m) settle({ kind: 'done', value: m.value }, false);
      else if ('error' in m) settle({ kind: 'crashed', message: m.error }, false);
    };
    const onError = (err: Error): void => settle({ kind: 'crashed', message: err.message }, true);
    const onExit = (code: number): void => settle({ kind: 'crashed', message: `worker exited with code ${code}` }, true);
    // setTimeout fires at once past 2^31-1 ms; a longer watchdog is no watchdog.
    const timer = setTimeout(() => settle({ kind: 'timeout', ms: Math.round(performance.now() - t0) }, true), Math.min(p.timeoutMs ?? this.timeoutMs, MAX_TIMER_MS));
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage(p.task);
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
    port.on('message', async (task: T) => {
      try {
        port.postMessage({ value: await handler(task) });
      } catch (err) {
        port.postMessage({ error: err instanceof Error ? err.message : String(err) });
      }
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
