import test, { type ExecutionContext } from 'ava';
import { ADAPTER_SETS, TEST_DATABASE_URL } from '../helpers/adapters.ts';
import { newClient, sandboxIds, setupCrawl } from './harness.ts';
import { knexThroughHop, startDatabaseHop, type DatabaseHop } from '../helpers/database-hop.ts';

/**
 * The database refusing connections for a while (a restart, a fail-over) in the middle of a
 * sync: the steps hold provider answers (a page's list, its details), and waiting for the
 * database must cost none of them again.
 */

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
  const workerKnex = knexThroughHop(hop, env.knex);
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
    await crawlThroughHop(t, how === 'before-commit' ? 29 : 31, (hop) => hop.cutNextCommitOf('insert into `shipments` (', how));
  });
}
