/**
 * A server port is only probed free: another process may take it before the
 * postmaster binds it. The cluster must then start that server on a fresh port
 * and point the proxies that lead to it there — here the first port offered to
 * each of n1 (primary: the standby's replication proxy must follow) and n2 is
 * held by a listener that answers nothing. Skipped with the reason printed when
 * PostgreSQL is absent, unless REPLICHECK_REQUIRE_PG=1.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { PgCluster } from '../src/live/cluster.js';
import { liveSkip } from './live-helpers.js';

const skip = liveSkip();

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((sock) => sock.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

describe.skipIf(skip)('live cluster: a server port taken before the server binds it', () => {
  const held: Server[] = [];
  afterAll(() => {
    for (const s of held) s.close();
  });

  it('starts the server on another port; clients and the standby reach it through their proxies', async () => {
    const taken: number[] = [];
    const lines: string[] = [];
    let calls = 0;
    const cluster = await PgCluster.start({
      standbys: 1,
      synchronousCommit: 'on',
      synchronousStandbyNames: 'FIRST 1 (*)',
      log: (l) => lines.push(l),
      // Offer a held port for the first two servers (n1 and n2), then real free ones.
      portProbe: async () => {
        const l = await listen();
        if (calls++ < 2) {
          held.push(l.server);
          taken.push(l.port);
          return l.port;
        }
        await new Promise<void>((r) => l.server.close(() => r()));
        return l.port;
      },
    });
    try {
      const n1 = cluster.node('n1');
      const n2 = cluster.node('n2');
      expect(taken).toHaveLength(2);
      expect(taken).not.toContain(n1.port);
      expect(taken).not.toContain(n2.port);
      expect(lines.filter((l) => /was taken before the server bound it/.test(l))).toHaveLength(2);
      // A synchronous commit returns only once n2 streams from n1 through its proxy.
      await cluster.sql(n1, `INSERT INTO kv (k, v, op) VALUES ('a', '1', 1)`, [], n1.clientProxy.port);
      const rows = await cluster.sql<{ v: unknown }>(n2, `SELECT v FROM kv WHERE k = 'a'`, [], n2.clientProxy.port);
      expect(rows).toEqual([{ v: 1 }]);
    } finally {
      await cluster.teardown();
    }
  }, 300_000);
});
