import test from 'ava';
import { createServer, connect, type Server, type Socket } from 'node:net';
import knexFactory from 'knex';
import { knexConfig } from '../../models/db.ts';
import { ADAPTER_SETS, TEST_DATABASE_URL } from '../helpers/adapters.ts';
import { newClient, sandboxIds, setupCrawl } from './harness.ts';

/**
 * The database refusing connections for a while (a restart, a fail-over) in the middle of a
 * sync: the steps hold provider answers (a page's list, its details), and waiting for the
 * database must cost none of them again.
 */

/** A TCP hop to MariaDB that can refuse new connections for a while, as a restarting server does. */
async function startDatabaseHop(target: URL): Promise<{ port: number; refuseFor(ms: number): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 3306), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const stop = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  const port = await listen(0);
  return {
    port,
    async refuseFor(ms) {
      await stop();
      await new Promise((r) => setTimeout(r, ms));
      await listen(port);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await stop();
    },
  };
}

test.serial('mysql+rabbitmq: a database that refuses connections for 3 s mid-sync costs no provider call: the steps keep what they fetched and commit once it is back', async (t) => {
  const mysql = ADAPTER_SETS.find((s) => s.dialect === 'mysql')!;
  const client = newClient();
  const { bol, env, h } = await setupCrawl(t, mysql, {
    seed: 23,
    shipments: 400,
    clients: [client],
    limits: { list: { capacity: 10, windowMs: 1_000 }, detail: { capacity: 100, windowMs: 1_000 } },
  });
  const hop = await startDatabaseHop(new URL(TEST_DATABASE_URL));
  const database = (env.knex.client.config.connection as { database: string }).database;
  const target = new URL(TEST_DATABASE_URL);
  // The worker reaches the database through the hop, and its pool lets idle connections go at
  // once, so its statements during the outage need a new connection, as after a restart.
  const config = knexConfig({ databaseUrl: `mysql://${target.username}@127.0.0.1:${hop.port}/${database}` });
  const workerKnex = knexFactory({ ...config, pool: { ...config.pool, idleTimeoutMillis: 50, reapIntervalMillis: 20 } });
  t.teardown(async () => {
    await h.stopAll();
    await workerKnex.destroy();
    await hop.close();
  });

  const shop = await h.addShop(client);
  await h.startWorker({ knex: workerKnex });
  const run = await h.startSync(shop.id, 'initial');
  await h.waitForRun(run.id, { until: (r) => r.records_upserted > 0 });
  await hop.refuseFor(3_000);
  const done = await h.waitForRun(run.id);

  t.is(done.status, 'succeeded', done.error ?? '');
  const stats = bol.stats();
  t.is(stats.repeated.total, 0, `no page or shipment answered twice: ${JSON.stringify(stats.repeated)}`);
  t.is(stats.requests.detail, bol.shipments.length, 'one detail call per shipment');
  t.is(stats.tooManyRequests.total, 0);
  t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
});
