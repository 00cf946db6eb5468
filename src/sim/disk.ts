/**
 * A node's disk with an OS page cache. Writes (appends, truncations, puts) land
 * in the cache at once; an fsync makes the cache durable after its latency.
 *
 * Flushes are serialised per disk: an fsync requested while one is running joins
 * the *next* flush, whose snapshot is taken when it starts (so it covers every
 * write made before the request) — the group commit every WAL-based database does.
 * A machine crash rolls the cache back to the durable contents; a process crash
 * leaves the cache (and a flush in progress) alone, only the callbacks die with it.
 */
import type { Disk } from './types.js';

interface LogFile {
  kind: 'log';
  cache: unknown[];
  durable: unknown[];
  /** Smallest index changed since the last flush started (Infinity when clean). */
  dirtyFrom: number;
}

interface ValueFile {
  kind: 'value';
  cache: unknown;
  durable: unknown;
  hasCache: boolean;
  hasDurable: boolean;
  dirty: boolean;
}

type File = LogFile | ValueFile;

/** What one flush will make durable, captured when the flush starts. */
interface FlushSnapshot {
  logs: { file: LogFile; base: number; tail: unknown[] }[];
  values: { file: ValueFile; value: unknown; present: boolean }[];
}

export class SimDisk {
  private readonly files = new Map<string, File>();
  private flushing: FlushSnapshot | null = null;
  /** Callbacks waiting for the running flush, and for the next one. */
  private current: (() => void)[] = [];
  private next: (() => void)[] = [];
  private nextRequested = false;
  /** Bumped by a machine crash so that a flush in progress is void. */
  private generation = 0;

  constructor(
    /** Starts a flush: calls `complete` after the fsync latency (scheduled by the simulator). */
    private readonly startFlush: (complete: () => void) => void,
  ) {}

  get busy(): boolean {
    return this.flushing !== null;
  }

  /** The Disk view handed to a program; callbacks go through `wrap` (liveness check). */
  api(wrap: (cb: () => void) => () => void): Disk {
    return {
      append: (file, record) => this.append(file, record),
      records: <T>(file: string) => this.log(file).cache as readonly T[],
      truncate: (file, length) => this.truncate(file, length),
      put: (file, value) => this.put(file, value),
      get: <T>(file: string) => this.get(file) as T | undefined,
      fsync: (done) => this.fsync(done ? wrap(done) : undefined),
    };
  }

  /** Power loss: everything not flushed is gone, including a flush in progress. */
  machineCrash(): void {
    this.generation++;
    for (const f of this.files.values()) {
      if (f.kind === 'log') {
        f.cache = f.durable.slice();
        f.dirtyFrom = Infinity;
      } else {
        f.cache = f.durable;
        f.hasCache = f.hasDurable;
        f.dirty = false;
      }
    }
    this.flushing = null;
    this.current = [];
    this.next = [];
    this.nextRequested = false;
  }

  /** Durable contents of an append file (for tests and inspection). */
  durableRecords(file: string): readonly unknown[] {
    return this.log(file).durable;
  }

  private append(file: string, record: unknown): number {
    const f = this.log(file);
    f.dirtyFrom = Math.min(f.dirtyFrom, f.cache.length);
    f.cache.push(record);
    return f.cache.length;
  }

  private truncate(file: string, length: number): void {
    const f = this.log(file);
    if (!Number.isInteger(length) || length < 0) throw new Error(`disk.truncate(${file}): bad length ${length}`);
    if (length >= f.cache.length) return;
    f.cache.length = length;
    f.dirtyFrom = Math.min(f.dirtyFrom, length);
  }

  private put(file: string, value: unknown): void {
    const f = this.value(file);
    f.cache = value;
    f.hasCache = true;
    f.dirty = true;
  }

  private get(file: string): unknown {
    const f = this.files.get(file);
    if (!f) return undefined;
    if (f.kind !== 'value') throw new Error(`disk.get(${file}): it is an append file; use records()`);
    return f.hasCache ? f.cache : undefined;
  }

  private fsync(done?: () => void): void {
    if (this.flushing) {
      if (done) this.next.push(done);
      this.nextRequested = true;
      return;
    }
    if (done) this.current.push(done);
    this.begin();
  }

  private begin(): void {
    const snap: FlushSnapshot = { logs: [], values: [] };
    for (const f of this.files.values()) {
      if (f.kind === 'log' && f.dirtyFrom !== Infinity) {
        snap.logs.push({ file: f, base: f.dirtyFrom, tail: f.cache.slice(f.dirtyFrom) });
        f.dirtyFrom = Infinity;
      } else if (f.kind === 'value' && f.dirty) {
        snap.values.push({ file: f, value: f.cache, present: f.hasCache });
        f.dirty = false;
      }
    }
    this.flushing = snap;
    const gen = this.generation;
    this.startFlush(() => {
      if (gen === this.generation) this.complete(snap);
    });
  }

  private complete(snap: FlushSnapshot): void {
    for (const { file, base, tail } of snap.logs) {
      file.durable.length = Math.min(file.durable.length, base);
      for (const r of tail) file.durable.push(r);
    }
    for (const { file, value, present } of snap.values) {
      file.durable = value;
      file.hasDurable = present;
    }
    this.flushing = null;
    const callbacks = this.current;
    this.current = this.next;
    this.next = [];
    const again = this.nextRequested;
    this.nextRequested = false;
    if (again) this.begin();
    for (const cb of callbacks) cb();
  }

  private log(file: string): LogFile {
    let f = this.files.get(file);
    if (!f) {
      f = { kind: 'log', cache: [], durable: [], dirtyFrom: Infinity };
      this.files.set(file, f);
    }
    if (f.kind !== 'log') throw new Error(`disk file ${file} holds a single value; use get()/put()`);
    return f;
  }

  private value(file: string): ValueFile {
    let f = this.files.get(file);
    if (!f) {
      f = { kind: 'value', cache: undefined, durable: undefined, hasCache: false, hasDurable: false, dirty: false };
      this.files.set(file, f);
    }
    if (f.kind !== 'value') throw new Error(`disk file ${file} is an append file; use append()/records()`);
    return f;
  }
}
