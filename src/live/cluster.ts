/**
 * A real PostgreSQL primary and 1–3 streaming standbys in a temporary
 * directory on loopback ports, torn down whatever happens.
 *
 * Built with initdb, pg_basebackup -R and streaming replication; every
 * standby's WAL receiver reaches its upstream through a LinkProxy (so network
 * faults are real), and clients reach every node through one too. Each server
 * runs in a process group of its own: kill -9 and SIGSTOP/SIGCONT act on the
 * whole server. Failover is `pg_ctl promote`; a former primary rejoins
 * through `pg_rewind` (wal_log_hints = on makes it possible).
 *
 * Teardown is guaranteed three ways: `teardown()` in a finally, process
 * hooks (exit, SIGINT, SIGTERM, SIGHUP) that kill every server synchronously
 * and remove the directory, and a detached reaper process that does the same
 * if this process dies without running its hooks (SIGKILL, OOM).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../history/types.js';
import { loadPg, pgEnv, type PgEnv } from './env.js';
import { alive, killTree, killTreeSync, signalTree, treeOf } from './procs.js';
import { LinkProxy } from './proxy.js';

export interface ClusterOptions {
  /** Standbys n2…n(k+1); 1–3. */
  standbys: number;
  /** synchronous_commit: off, local, remote_write, on, remote_apply. */
  synchronousCommit: string;
  /** synchronous_standby_names, e.g. 'FIRST 1 (*)' ('' = asynchronous). */
  synchronousStandbyNames: string;
  /** recovery_min_apply_delay on standbys, in ms (0 = replay at once). */
  applyDelayMs?: number;
  /** Progress lines (server starts, promotions); default silent. */
  log?: (line: string) => void;
  /**
   * Copy the data directories of a cluster built once per process (initdb and
   * pg_basebackup -R, then shut down cleanly) instead of building each one
   * anew. Default true: it saves most of a scenario's set-up time.
   */
  template?: boolean;
  /**
   * Clock skew per node: the FAKETIME value its server runs with under
   * libfaketime (LD_PRELOAD). Wall clocks only: monotonic timers stay real
   * (FAKETIME_DONT_FAKE_MONOTONIC), so timeouts keep their length.
   */
  faketime?: { lib: string; nodes: Record<NodeId, string> };
  /**
   * Where server ports come from (default: one the kernel reports free, which
   * another process may still take before the server binds it; the server then
   * moves to the next port this gives).
   */
  portProbe?: () => Promise<number>;
}

export type NodeState = 'running' | 'paused' | 'crashed' | 'stopped';

export interface PgNode {
  id: NodeId;
  dataDir: string;
  /** The server's own port (never used by clients directly). */
  port: number;
  role: 'primary' | 'standby';
  state: NodeState;
  /** The postmaster's pid (its children are found through /proc). */
  pid?: number;
  proc?: ChildProcess;
  /** Standby → its upstream: the WAL receiver connects here. */
  replProxy: LinkProxy;
  /** Clients connect here. */
  clientProxy: LinkProxy;
  /** The node this one streams from (standbys). */
  upstream?: NodeId;
}

const SUPERUSER = 'postgres';

// ───────────────────────────── teardown registry ─────────────────────────────

const live = new Set<PgCluster>();
/** Template clusters by standby count: built once, stopped cleanly, copied by every cluster after. */
const templates = new Map<number, Promise<PgCluster>>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let hooked = false;

function onExit(): void {
  for (const c of [...live]) c.destroySync();
}

function onSignal(sig: NodeJS.Signals): void {
  onExit();
  unhook();
  // Die of the signal as if nobody had caught it (unless someone else listens too).
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.removeListener('exit', onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Clusters this process has running, templates included. */
export function liveClusters(): number {
  return live.size;
}

/** The directories of every cluster this process holds, templates included (tests check they go). */
export function liveDirs(): string[] {
  return [...live].map((c) => c.dir);
}

/** The reaper processes of every cluster this process holds (tests check they go). */
export function liveReapers(): number[] {
  return [...live].flatMap((c) => (c.reaperPid !== undefined ? [c.reaperPid] : []));
}

// ───────────────────────────── helpers ─────────────────────────────

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = s.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A server exited at start because another process holds its port. */
class PortTaken extends Error {
  constructor(id: NodeId, port: number) {
    super(`live pg: ${id} could not bind 127.0.0.1:${port}: address already in use`);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A string quoted for a postgresql.conf value. */
function confString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

// ───────────────────────────── the cluster ─────────────────────────────

export class PgCluster {
  readonly nodes = new Map<NodeId, PgNode>();
  private reaper: ChildProcess | undefined;
  private destroyed = false;
  private readonly pidFile: string;

  private constructor(readonly dir: string, readonly env: PgEnv, readonly opts: ClusterOptions) {
    this.pidFile = join(dir, '.postmasters');
  }

  /** Build and start a cluster; on any failure everything started so far is torn down. */
  static async start(opts: ClusterOptions): Promise<PgCluster> {
    if (!Number.isInteger(opts.standbys) || opts.standbys < 1 || opts.standbys > 3) {
      throw new RangeError(`live pg: 1 to 3 standbys, got ${opts.standbys}`);
    }
    const env = pgEnv();
    loadPg(); // a missing driver is said before anything starts
    const dir = mkdtempSync(join(tmpdir(), 'replicheck-live-'));
    const c = new PgCluster(dir, env, opts);
    live.add(c);
    hook();
    try {
      c.own(dir);
      c.startReaper();
      await c.build();
      return c;
    } catch (err) {
      await c.teardown();
      throw err;
    }
  }

  get primary(): PgNode {
    const p = [...this.nodes.values()].find((n) => n.role === 'primary');
    if (!p) throw new Error('live pg: no primary');
    return p;
  }

  node(id: NodeId): PgNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`live pg: no node ${id}`);
    return n;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** Make a path the server user's (when running as root). */
  private own(path: string): void {
    if (this.env.uid !== undefined) chownSync(path, this.env.uid, this.env.gid!);
  }

  private writeOwned(path: string, text: string, append = false): void {
    if (append) appendFileSync(path, text);
    else writeFileSync(path, text);
    this.own(path);
  }

  /** Run a PostgreSQL tool as the server user; its output in the error when it fails. */
  private tool(name: string, args: string[], timeoutMs = 120_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        join(this.env.bin, name),
        args,
        {
          timeout: timeoutMs,
          ...(this.env.uid !== undefined ? { uid: this.env.uid, gid: this.env.gid } : {}),
          env: { ...process.env, LC_ALL: 'C', PGCONNECT_TIMEOUT: '5' },
          cwd: this.dir,
        },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${name} ${args.join(' ')} failed: ${(stderr || stdout || err.message).trim()}`));
          else resolve(stdout);
        },
      );
    });
  }

  private startReaper(): void {
    // Runs after this process dies without its hooks: kills every server group it recorded, removes the directory.
    const script = `
      const fs = require('fs');
      const [parent, dir, file] = process.argv.slice(1);
      const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
      const kill = (p, s) => { try { process.kill(p, s); } catch {} };
      const children = (root) => {
        const out = [];
        for (const n of fs.readdirSync('/proc')) {
          if (!/^\\d+$/.test(n)) continue;
          try { const st = fs.readFileSync('/proc/' + n + '/stat', 'utf8'); if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === root) out.push(Number(n)); } catch {}
        }
        return out;
      };
      const tick = () => {
        if (alive(Number(parent))) return setTimeout(tick, 250);
        let ids = [];
        try { ids = fs.readFileSync(file, 'utf8').split(/\\s+/).filter(Boolean).map(Number); } catch {}
        for (const pm of ids) { kill(pm, 'SIGSTOP'); for (const c of children(pm)) kill(c, 'SIGKILL'); kill(pm, 'SIGKILL'); }
        setTimeout(() => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }, 500);
      };
      tick();`;
    this.reaper = spawn(process.execPath, ['-e', script, String(process.pid), this.dir, this.pidFile], {
      detached: true,
      stdio: 'ignore',
    });
    this.reaper.unref();
  }

  /** The template for `standbys`: a cluster built once and shut down cleanly, removed at exit. */
  private static template(standbys: number, log?: (line: string) => void): Promise<PgCluster> {
    let t = templates.get(standbys);
    if (!t) {
      t = (async () => {
        const c = await PgCluster.start({ standbys, synchronousCommit: 'local', synchronousStandbyNames: '', template: false, ...(log ? { log } : {}) });
        // The primary first: its shutdown checkpoint reaches the standbys before they stop.
        for (const id of c.nodes.keys()) await c.stop(id);
        return c;
      })();
      templates.set(standbys, t);
      t.catch(() => templates.delete(standbys));
    }
    return t;
  }

  private async build(): Promise<void> {
    const ids = ['n1', ...Array.from({ length: this.opts.standbys }, (_, i) => `n${i + 2}`)];
    for (const id of ids) {
      const clientProxy = new LinkProxy(0, `client->${id}`);
      const replProxy = new LinkProxy(0, `${id}<-primary`);
      const node: PgNode = {
        id, dataDir: join(this.dir, id), port: await this.probePort(), role: id === 'n1' ? 'primary' : 'standby',
        state: 'stopped', clientProxy, replProxy, ...(id === 'n1' ? {} : { upstream: 'n1' }),
      };
      clientProxy.retarget(node.port);
      await clientProxy.start();
      await replProxy.start();
      this.nodes.set(id, node);
    }
    const p = this.node('n1');
    if (this.opts.template !== false) {
      const t = await PgCluster.template(this.opts.standbys, this.opts.log);
      for (const n of this.nodes.values()) {
        await this.copy(t.node(n.id).dataDir, n.dataDir);
        this.writeOwned(join(n.dataDir, 'postgresql.conf'), this.serverConf(), true);
        if (n.role === 'standby') {
          n.replProxy.retarget(p.port);
          this.writeStandbyConf(n);
        }
      }
      for (const n of this.nodes.values()) await this.startServer(n);
      await this.waitStreaming();
      return;
    }
    this.log(`initdb ${p.dataDir}`);
    await this.tool('initdb', ['-D', p.dataDir, '-U', SUPERUSER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    this.writeOwned(join(p.dataDir, 'postgresql.conf'), this.serverConf(), true);
    await this.startServer(p);
    // No standby streams yet: a synchronous commit level would wait forever.
    await this.sql(p, `SET synchronous_commit TO local; CREATE TABLE kv (k text PRIMARY KEY, v jsonb, op integer)`);
    for (const n of this.nodes.values()) {
      if (n.role !== 'standby') continue;
      n.replProxy.retarget(p.port);
      this.log(`pg_basebackup ${n.id}`);
      await this.tool('pg_basebackup', ['-h', '127.0.0.1', '-p', String(p.port), '-U', SUPERUSER, '-D', n.dataDir, '-X', 'stream', '-c', 'fast', '-R', '--no-sync']);
      this.writeStandbyConf(n);
      await this.startServer(n);
    }
    await this.waitStreaming();
  }

  /** Copy a data directory as the server user (ownership and modes kept). */
  private copy(from: string, to: string): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile('cp', ['-a', from, to], this.env.uid !== undefined ? { uid: this.env.uid, gid: this.env.gid } : {}, (err, _o, stderr) =>
        err ? reject(new Error(`cp -a ${from} ${to} failed: ${stderr || err.message}`)) : resolve(),
      );
    });
  }

  /** Settings every node carries (a promoted standby keeps them). */
  private serverConf(): string {
    const o = this.opts;
    return [
      '',
      '# replicheck live',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'wal_level = replica',
      'max_wal_senders = 10',
      'max_replication_slots = 10',
      'wal_log_hints = on',
      'hot_standby = on',
      'max_connections = 40',
      'shared_buffers = 16MB',
      'wal_keep_size = 256MB',
      'wal_receiver_status_interval = 1s',
      'wal_sender_timeout = 5s',
      'wal_receiver_timeout = 5s',
      'wal_retrieve_retry_interval = 100ms',
      // After a kill -9 the server (and pg_rewind's recovery) syncs the data directory: one syncfs, not an fsync per file.
      "recovery_init_sync_method = 'syncfs'",
      "recovery_target_timeline = 'latest'",
      `synchronous_commit = ${confString(o.synchronousCommit)}`,
      `synchronous_standby_names = ${confString(o.synchronousStandbyNames)}`,
      'logging_collector = off',
      "log_min_messages = 'warning'",
      '',
    ].join('\n');
  }

  /** A standby's own lines: stream through its proxy, named for synchronous_standby_names. */
  private writeStandbyConf(n: PgNode): void {
    const conninfo = `host=127.0.0.1 port=${n.replProxy.port} user=${SUPERUSER} application_name=${n.id} connect_timeout=2`;
    this.writeOwned(
      join(n.dataDir, 'postgresql.auto.conf'),
      `\nprimary_conninfo = ${confString(conninfo)}\nrecovery_min_apply_delay = '${Math.round(this.opts.applyDelayMs ?? 0)}ms'\n`,
      true,
    );
    this.writeOwned(join(n.dataDir, 'standby.signal'), '');
  }

  /**
   * Start a node's postmaster in a process group of its own and wait until it accepts connections.
   * A port is only probed free (freePort closes its socket before the server binds), so another
   * process may take it in between: a server that exits because its port is in use is started
   * again on a fresh port, and the proxies that lead to it follow.
   */
  async startServer(n: PgNode): Promise<void> {
    const logPath = join(this.dir, `${n.id}.log`);
    for (let attempt = 1; ; attempt++) {
      // Where this start's lines begin: an earlier incarnation's log may say anything.
      const from = existsSync(logPath) ? statSync(logPath).size : 0;
      try {
        await this.startOnce(n, logPath, from);
        return;
      } catch (err) {
        if (attempt >= 5 || !(err instanceof PortTaken)) throw err;
        const fresh = await this.probePort();
        this.log(`${n.id}: port ${n.port} was taken before the server bound it (${this.logSince(n.id, from)}); starting on ${fresh}`);
        this.rebind(n, fresh);
      }
    }
  }

  private probePort(): Promise<number> {
    return (this.opts.portProbe ?? freePort)();
  }

  /** Move a node to another server port: its client proxy and its standbys' replication proxies follow. */
  private rebind(n: PgNode, port: number): void {
    n.port = port;
    n.clientProxy.retarget(port);
    for (const s of this.nodes.values()) if (s !== n && s.upstream === n.id) s.replProxy.retarget(port);
  }

  /** The last lines a node's log gained after byte `from`. */
  private logSince(id: NodeId, from: number, lines = 3): string {
    try {
      return readFileSync(join(this.dir, `${id}.log`)).subarray(from).toString('utf8').trim().split('\n').slice(-lines).join(' | ');
    } catch {
      return '(no log)';
    }
  }

  private async startOnce(n: PgNode, logPath: string, from: number): Promise<void> {
    const fd = openSync(logPath, 'a');
    this.own(logPath);
    const proc = spawn(join(this.env.bin, 'postgres'), ['-D', n.dataDir, '-p', String(n.port)], {
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(this.env.uid !== undefined ? { uid: this.env.uid, gid: this.env.gid } : {}),
      env: { ...process.env, LC_ALL: 'C', ...this.faketimeEnv(n.id) },
    });
    closeSync(fd);
    proc.on('error', () => {});
    n.proc = proc;
    n.pid = proc.pid;
    if (proc.pid !== undefined) appendFileSync(this.pidFile, `${proc.pid}\n`);
    n.state = 'running';
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    const until = Date.now() + 60_000;
    for (;;) {
      if (exited) {
        if (/Address already in use/.test(this.logSince(n.id, from, Infinity))) {
          n.state = 'stopped';
          throw new PortTaken(n.id, n.port);
        }
        throw new Error(`live pg: ${n.id} exited at start:\n${this.logTail(n.id)}`);
      }
      try {
        // Whoever answers must be this node's server, not another that holds the port.
        const [row] = await this.sql<{ data_directory: string }>(n, 'SHOW data_directory', [], n.port);
        if (row?.data_directory !== n.dataDir && realpathSync(row?.data_directory ?? '.') !== realpathSync(n.dataDir)) {
          throw new PortTaken(n.id, n.port);
        }
        return;
      } catch (err) {
        if (err instanceof PortTaken) {
          if (n.pid !== undefined && !exited) await killTree(n.pid);
          n.state = 'stopped';
          throw err;
        }
        if (Date.now() > until) throw new Error(`live pg: ${n.id} did not accept connections within 60 s:\n${this.logTail(n.id)}`);
        await sleep(20);
      }
    }
  }

  private faketimeEnv(id: NodeId): Record<string, string> {
    const f = this.opts.faketime;
    const spec = f?.nodes[id];
    if (!f || spec === undefined) return {};
    return { LD_PRELOAD: f.lib, FAKETIME: spec, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_DONT_RESET: '1' };
  }

  logTail(id: NodeId, lines = 15): string {
    try {
      return readFileSync(join(this.dir, `${id}.log`), 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** One statement on a node on a fresh connection (the server port by default: control, not a client). */
  async sql<R extends Record<string, unknown> = Record<string, unknown>>(n: PgNode, text: string, params: unknown[] = [], port = n.port): Promise<R[]> {
    const { Client } = loadPg();
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: 3000 });
    client.on('error', () => {});
    try {
      await client.connect();
      const r = await client.query(text, params);
      return r.rows as R[];
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Wait until every running standby streams from the primary (bounded). */
  async waitStreaming(boundMs = 30_000): Promise<void> {
    const want = [...this.nodes.values()].filter((n) => n.role === 'standby' && n.state === 'running').map((n) => n.id);
    const until = Date.now() + boundMs;
    for (;;) {
      const rows = await this.sql<{ application_name: string; state: string }>(this.primary, 'SELECT application_name, state FROM pg_stat_replication').catch(() => []);
      const streaming = new Set(rows.filter((r) => r.state === 'streaming').map((r) => r.application_name));
      if (want.every((id) => streaming.has(id))) return;
      if (Date.now() > until) throw new Error(`live pg: standbys ${want.filter((id) => !streaming.has(id)).join(', ')} not streaming after ${boundMs} ms`);
      await sleep(20);
    }
  }

  // ───────────────────────────── faults ─────────────────────────────

  /** kill -9 of the whole server (postmaster and every backend). */
  async crash(id: NodeId): Promise<void> {
    const n = this.node(id);
    if (n.pid !== undefined) await killTree(n.pid);
    n.state = 'crashed';
    this.log(`kill -9 ${id}`);
  }

  /** SIGSTOP every process of the server. */
  pause(id: NodeId): void {
    const n = this.node(id);
    if (n.state !== 'running' || n.pid === undefined) return;
    signalTree(n.pid, 'SIGSTOP');
    n.state = 'paused';
  }

  resume(id: NodeId): void {
    const n = this.node(id);
    if (n.state !== 'paused' || n.pid === undefined) return;
    signalTree(n.pid, 'SIGCONT');
    n.state = 'running';
  }

  /**
   * Restart a crashed or stopped node. A former primary that is no longer the
   * primary rejoins as a standby of the current one through pg_rewind.
   */
  async restart(id: NodeId): Promise<void> {
    const n = this.node(id);
    if (n.state === 'running' || n.state === 'paused') return;
    const p = this.primary;
    if (n.role === 'standby' && n.upstream !== p.id) {
      // Its timeline may have forked from the current primary's: rewind it first.
      await this.rewind(n, p);
    }
    await this.startServer(n);
    this.log(`restarted ${id} as ${n.role}`);
  }

  /** pg_rewind `n` to the primary `p`'s timeline and configure it to stream from `p`. */
  private async rewind(n: PgNode, p: PgNode): Promise<void> {
    this.log(`pg_rewind ${n.id} from ${p.id}`);
    await this.tool('pg_rewind', ['--no-sync', '--target-pgdata', n.dataDir, '--source-server', `host=127.0.0.1 port=${p.port} user=${SUPERUSER} dbname=postgres`]);
    n.upstream = p.id;
    n.replProxy.retarget(p.port);
    this.writeStandbyConf(n);
  }

  /**
   * Failover to `id` (pg_ctl promote); every other node is repointed at it:
   * running standbys follow the new timeline through their proxies; the former
   * primary, once stopped, rejoins through pg_rewind on restart.
   */
  async promote(id: NodeId): Promise<void> {
    const n = this.node(id);
    const old = this.primary;
    if (n.role === 'primary') return;
    // Fencing: a former primary still running would accept writes beside the new one.
    if (old.state === 'running' || old.state === 'paused') await this.stop(old.id);
    await this.tool('pg_ctl', ['promote', '-D', n.dataDir, '-w', '-t', '60']);
    this.log(`promoted ${id}`);
    old.role = 'standby';
    n.role = 'primary';
    delete n.upstream;
    n.replProxy.retarget(0);
    for (const s of this.nodes.values()) {
      if (s.role !== 'standby' || s === old) continue;
      s.upstream = id;
      s.replProxy.retarget(n.port);
    }
    // The former primary follows nobody yet: restart() rewinds it onto the new timeline.
    delete old.upstream;
  }

  /** Stop a node cleanly (fast shutdown). */
  async stop(id: NodeId): Promise<void> {
    const n = this.node(id);
    if (n.pid === undefined || !alive(n.pid)) {
      n.state = 'stopped';
      return;
    }
    if (n.state === 'paused') signalTree(n.pid, 'SIGCONT');
    const tree = treeOf(n.pid);
    try {
      process.kill(n.pid, 'SIGINT');
    } catch {
      // already gone
    }
    const until = Date.now() + 30_000;
    while (tree.some(alive) && Date.now() < until) await sleep(10);
    if (tree.some(alive)) await killTree(n.pid);
    n.state = 'stopped';
  }

  // ───────────────────────────── teardown ─────────────────────────────

  /** Stop everything and remove the directory. Safe to call twice. */
  async teardown(): Promise<void> {
    if (this.destroyed) return;
    for (const n of this.nodes.values()) {
      await n.clientProxy.close();
      await n.replProxy.close();
      if (n.pid !== undefined) await killTree(n.pid);
    }
    this.destroySync();
  }

  /** The synchronous path (exit hooks): SIGKILL every server group, remove the directory, stop the reaper. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const n of this.nodes.values()) if (n.pid !== undefined) killTreeSync(n.pid);
    rmSync(this.dir, { recursive: true, force: true });
    try {
      if (this.reaper?.pid !== undefined) process.kill(this.reaper.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    live.delete(this);
    if (live.size === 0) unhook();
  }

  get reaperPid(): number | undefined {
    return this.reaper?.pid;
  }

  /** Every postmaster this cluster started (tests check they are gone). */
  get postmasters(): number[] {
    if (!existsSync(this.pidFile)) return [];
    return readFileSync(this.pidFile, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  }
}
