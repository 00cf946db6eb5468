/**
 * The fault proxy on its own (no PostgreSQL needed): bytes pass through,
 * a clog holds them in order, a block holds them until healed, a cut breaks
 * the connection, refusing turns new connections away.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkProxy } from '../src/live/proxy.js';

let echo: Server;
let echoPort = 0;

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const a = echo.address();
  echoPort = typeof a === 'object' && a ? a.port : 0;
});

afterAll(async () => {
  await new Promise<void>((r) => echo.close(() => r()));
});

async function open(port: number): Promise<{ sock: Socket; got: () => string; closed: () => boolean }> {
  const sock = connect({ host: '127.0.0.1', port });
  let data = '';
  let closed = false;
  sock.on('data', (d: Buffer) => (data += d.toString()));
  sock.on('close', () => (closed = true));
  sock.on('error', () => {});
  await new Promise<void>((r) => sock.once('connect', () => r()));
  return { sock, got: () => data, closed: () => closed };
}

/** Wait (bounded by count) until `cond` holds. */
async function until(cond: () => boolean, rounds = 400): Promise<boolean> {
  for (let i = 0; i < rounds && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  return cond();
}

describe('LinkProxy', () => {
  it('passes bytes both ways, in order, and counts them', async () => {
    const p = new LinkProxy(echoPort, 'test');
    await p.start();
    const c = await open(p.port);
    c.sock.write('abc');
    c.sock.write('def');
    expect(await until(() => c.got() === 'abcdef')).toBe(true);
    expect(p.bytes.up).toBe(6);
    expect(p.bytes.down).toBe(6);
    c.sock.destroy();
    await p.close();
  });

  it('a block holds bytes until healed; a delay keeps their order', async () => {
    const p = new LinkProxy(echoPort, 'test');
    await p.start();
    const c = await open(p.port);
    p.setBlocked('down', true);
    c.sock.write('held');
    expect(await until(() => p.bytes.up === 4)).toBe(true);
    expect(await until(() => c.got() !== '', 20)).toBe(false);
    p.setBlocked('down', false);
    expect(await until(() => c.got() === 'held')).toBe(true);
    p.setDelay('up', 30);
    c.sock.write('1');
    p.setDelay('up', 0);
    c.sock.write('2'); // written later with no delay: must not overtake the held '1'
    expect(await until(() => c.got() === 'held12')).toBe(true);
    c.sock.destroy();
    await p.close();
  });

  it('a cut breaks the connection; refusing turns new ones away; retarget points new ones elsewhere', async () => {
    const p = new LinkProxy(echoPort, 'test');
    await p.start();
    const c = await open(p.port);
    expect(await until(() => p.connections === 1)).toBe(true);
    p.cut();
    expect(await until(() => c.closed())).toBe(true);
    p.setRefusing(true);
    const d = await open(p.port);
    expect(await until(() => d.closed())).toBe(true);
    p.setRefusing(false);
    const e = await open(p.port);
    e.sock.write('x');
    expect(await until(() => e.got() === 'x')).toBe(true);
    p.retarget(1); // a failover: existing connections are cut, new ones go to the new port
    expect(await until(() => e.closed())).toBe(true);
    await p.close();
  });

  it("a link's latency holds each chunk for a drawn time, in order, and adds to a clog", async () => {
    const p = new LinkProxy(echoPort, 'test');
    await p.start();
    const c = await open(p.port);
    const draws: number[] = [];
    p.setLatency('up', () => {
      draws.push(40);
      return 40;
    });
    const t0 = Date.now();
    c.sock.write('a');
    // Not through after 20 ms: the latency holds it.
    expect(await until(() => c.got() !== '', 4)).toBe(false);
    expect(await until(() => c.got() === 'a')).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(39);
    expect(draws).toEqual([40]);
    p.setLatency('up', undefined);
    c.sock.write('b');
    expect(await until(() => c.got() === 'ab')).toBe(true);
    expect(draws).toHaveLength(1);
    c.sock.destroy();
    await p.close();
  });
});
