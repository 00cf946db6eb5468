/**
 * A TCP proxy on loopback between a connecting side (a standby's WAL receiver,
 * or a client) and a server, through which the scenario's network faults are
 * real: each direction can be delayed (a clog: bytes are held for `delayMs`,
 * in order, as a slow link holds packets), blocked (a partition: nothing gets
 * through, as with a black hole — TCP would retransmit, so what is held is
 * delivered when it heals unless the connection is cut), and connections can
 * be cut (both ways, as a broken stream) or refused while a partition lasts.
 * `up` is connecting side → server, `down` is server → connecting side.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Direction = 'up' | 'down';

interface Held {
  at: number;
  chunk: Buffer;
}

interface Pipe {
  from: Socket;
  to: Socket;
  dir: Direction;
  queue: Held[];
  timer?: NodeJS.Timeout;
}

interface DirState {
  delayMs: number;
  blocked: boolean;
  /** The link's own latency, drawn per chunk (the scenario's network); undefined: loopback's. */
  latency?: () => number;
}

export class LinkProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; pipes: Pipe[] }>();
  private readonly dirs: Record<Direction, DirState> = { up: { delayMs: 0, blocked: false }, down: { delayMs: 0, blocked: false } };
  private refusing = false;
  port = 0;
  /** Bytes forwarded per direction (for tests and reports). */
  readonly bytes: Record<Direction, number> = { up: 0, down: 0 };

  constructor(private target: number, readonly label: string) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this.port;
  }

  /** Point new connections at another server port (failover); existing ones are cut. */
  retarget(port: number): void {
    this.target = port;
    this.cut();
  }

  get targetPort(): number {
    return this.target;
  }

  setDelay(dir: Direction, ms: number): void {
    this.dirs[dir].delayMs = Math.max(0, ms);
  }

  /** The link's latency per chunk, added to any fault's delay (undefined: none beyond loopback's). */
  setLatency(dir: Direction, sample: (() => number) | undefined): void {
    if (sample) this.dirs[dir].latency = sample;
    else delete this.dirs[dir].latency;
  }

  setBlocked(dir: Direction, blocked: boolean): void {
    this.dirs[dir].blocked = blocked;
    if (!blocked) for (const p of this.pairs) for (const pipe of p.pipes) if (pipe.dir === dir) this.flush(pipe);
  }

  /** Refuse new connections (a two-way partition: the handshake never completes). */
  setRefusing(on: boolean): void {
    this.refusing = on;
  }

  /** Break every connection now, both ways (what is held is lost, as in a broken stream). */
  cut(): void {
    for (const p of [...this.pairs]) this.drop(p);
  }

  /** Heal: no delay, nothing blocked, connections accepted. */
  heal(): void {
    this.refusing = false;
    this.setDelay('up', 0);
    this.setDelay('down', 0);
    this.setBlocked('up', false);
    this.setBlocked('down', false);
  }

  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: this.target });
    upstream.setNoDelay(true);
    const pair = {
      client,
      upstream,
      pipes: [] as Pipe[],
    };
    pair.pipes.push(this.pipe(client, upstream, 'up'), this.pipe(upstream, client, 'down'));
    this.pairs.add(pair);
    const end = () => this.drop(pair);
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  private pipe(from: Socket, to: Socket, dir: Direction): Pipe {
    const pipe: Pipe = { from, to, dir, queue: [] };
    from.on('data', (chunk: Buffer) => {
      const st = this.dirs[dir];
      const delay = st.delayMs + (st.latency?.() ?? 0);
      if (delay === 0 && !st.blocked && pipe.queue.length === 0) {
        this.bytes[dir] += chunk.length;
        to.write(chunk);
        return;
      }
      // In order: a chunk never overtakes one held before it.
      const last = pipe.queue.at(-1)?.at ?? 0;
      pipe.queue.push({ at: Math.max(last, Date.now() + delay), chunk });
      this.flush(pipe);
    });
    return pipe;
  }

  private flush(pipe: Pipe): void {
    if (pipe.timer) clearTimeout(pipe.timer);
    pipe.timer = undefined;
    if (this.dirs[pipe.dir].blocked) return;
    const now = Date.now();
    while (pipe.queue.length > 0 && pipe.queue[0]!.at <= now) {
      const h = pipe.queue.shift()!;
      this.bytes[pipe.dir] += h.chunk.length;
      if (!pipe.to.destroyed) pipe.to.write(h.chunk);
    }
    if (pipe.queue.length > 0) pipe.timer = setTimeout(() => this.flush(pipe), pipe.queue[0]!.at - now);
  }

  private drop(pair: { client: Socket; upstream: Socket; pipes: Pipe[] }): void {
    if (!this.pairs.delete(pair)) return;
    for (const p of pair.pipes) {
      if (p.timer) clearTimeout(p.timer);
      p.queue.length = 0;
    }
    pair.client.destroy();
    pair.upstream.destroy();
  }
}
