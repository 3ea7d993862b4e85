import test, { type ExecutionContext } from 'ava';
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

/** How a cut commit ends: the COMMIT never reaches the server (rolled back), or it does and its answer never comes back (committed). */
type CommitCut = 'before-commit' | 'after-commit';

/**
 * A TCP hop to MariaDB that can refuse new connections for a while, as a restarting server does,
 * and can break the connection of the next transaction that stores shipments at its COMMIT.
 */
interface DatabaseHop {
  port: number;
  /** Closes the listening port for `ms`, as a restarting server does; connections open stay open. */
  refuseFor(ms: number): Promise<void>;
  /** Resolves once the next transaction that stores shipments had its connection broken at its COMMIT. */
  cutNextStoringCommit(how: CommitCut): Promise<void>;
  close(): Promise<void>;
}

async function startDatabaseHop(target: URL): Promise<DatabaseHop> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let cut: { how: CommitCut; done: () => void } | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 3306), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        // Forwarded by hand, not piped, so a cut can hold back the server's answer to a COMMIT.
        let storing = false;
        let cutting = false;
        client.on('data', (chunk: Buffer) => {
          if (cutting) return;
          if (chunk.includes(STORE_SHIPMENTS)) storing = true;
          if (chunk.includes(COMMIT)) {
            const armed = storing ? cut : undefined;
            storing = false;
            if (armed) {
              cut = undefined;
              cutting = true;
              if (armed.how === 'after-commit') upstream.write(chunk);
              // After the server has had time to commit (its OK is held back), the connection breaks.
              setTimeout(() => {
                upstream.destroy();
                client.destroy();
                armed.done();
              }, armed.how === 'after-commit' ? 300 : 0);
              return;
            }
          }
          upstream.write(chunk);
        });
        upstream.on('data', (chunk: Buffer) => {
          if (!cutting) client.write(chunk);
        });
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
    cutNextStoringCommit: (how) => new Promise<void>((done) => (cut = { how, done })),
    async close() {
      for (const s of sockets) s.destroy();
      await stop();
    },
  };
}

/** knex's statements as MariaDB receives them (COM_QUERY packets): a step's shipment upsert, and a COMMIT. */
const STORE_SHIPMENTS = Buffer.from('insert into `shipments` (');
const COMMIT = Buffer.from('\x03COMMIT;', 'latin1');

/**
 * A shop's initial sync on a worker that reaches MariaDB through a hop, with `disrupt` done to
 * the hop once the first records are stored; the run must end as if nothing had happened, each
 * provider call made once.
 */
async function crawlThroughHop(t: ExecutionContext, seed: number, disrupt: (hop: DatabaseHop) => Promise<void>): Promise<void> {
  const mysql = ADAPTER_SETS.find((s) => s.dialect === 'mysql')!;
  const client = newClient();
  const { bol, env, h } = await setupCrawl(t, mysql, {
    seed,
    shipments: 400,
    clients: [client],
    limits: { list: { capacity: 10, windowMs: 1_000 }, detail: { capacity: 100, windowMs: 1_000 } },
  });
  const hop = await startDatabaseHop(new URL(TEST_DATABASE_URL));
  const database = (env.knex.client.config.connection as { database: string }).database;
  const target = new URL(TEST_DATABASE_URL);
  // The worker reaches the database through the hop, and its pool lets idle connections go at
  // once, so its statements during an outage need a new connection, as after a restart.
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
  await disrupt(hop);
  const done = await h.waitForRun(run.id);

  t.is(done.status, 'succeeded', done.error ?? '');
  const stats = bol.stats();
  t.is(stats.repeated.total, 0, `no page or shipment answered twice: ${JSON.stringify(stats.repeated)}`);
  t.is(stats.requests.detail, bol.shipments.length, 'one detail call per shipment');
  t.is(stats.tooManyRequests.total, 0);
  t.is(done.records_upserted, bol.shipments.length, 'each record counted once');
  t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
}

test.serial('mysql+rabbitmq: a database that refuses connections for 3 s mid-sync costs no provider call: the steps keep what they fetched and commit once it is back', async (t) => {
  await crawlThroughHop(t, 23, (hop) => hop.refuseFor(3_000));
});

for (const how of ['before-commit', 'after-commit'] as const) {
  test.serial(`mysql+rabbitmq: a step's connection lost at its COMMIT (${how === 'before-commit' ? 'rolled back' : 'committed, its answer lost'}) costs no provider call: the commit runs again with the records in hand or finds its own`, async (t) => {
    await crawlThroughHop(t, how === 'before-commit' ? 29 : 31, (hop) => hop.cutNextStoringCommit(how));
  });
}
