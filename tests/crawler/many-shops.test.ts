import test from 'ava';
import { ADAPTER_SETS, eachAdapterSet } from '../helpers/adapters.ts';
import { requestBolToken } from '../../crawler/connectors/bol/token.ts';
import { newClient, sandboxIds, setupCrawl } from './harness.ts';

/**
 * Many shops syncing at once, each a bol retailer with its own credentials and its own limit
 * windows: their step commits run side by side in the database, and none of them may cost a
 * provider call (a commit that loses a lock conflict is committed again with the records in hand).
 */
const SHOPS = 30;

eachAdapterSet((set) => {
  test.serial(`${set.name}: ${SHOPS} shops synced at once all finish, with no page or shipment fetched twice and no 429`, async (t) => {
    const clients = Array.from({ length: SHOPS }, () => newClient());
    // Small pages of work at a fast pace: every shop commits a step about every second, together.
    const { bol, env, h } = await setupCrawl(t, set, {
      seed: 21,
      shipments: 70,
      clients,
      limits: { list: { capacity: 10, windowMs: 1_000 }, detail: { capacity: 50, windowMs: 1_000 } },
    });
    const shops = [];
    for (const c of clients) shops.push(await h.addShop(c));
    // Two workers that each hold every shop's step at once (paced jobs beside their two working ones).
    await h.startWorker({ pacedJobs: SHOPS });
    await h.startWorker({ pacedJobs: SHOPS });
    const runs = await Promise.all(shops.map((s) => h.startSync(s.id, 'initial')));
    const done = await Promise.all(runs.map((r) => h.waitForRun(r.id, { timeoutMs: 150_000 })));

    for (const run of done) t.is(run.status, 'succeeded', run.error ?? '');
    const stats = bol.stats();
    t.is(stats.repeated.total, 0, `no page or shipment answered twice to the same shop: ${JSON.stringify(stats.repeated.byClient)}`);
    t.is(stats.tooManyRequests.total, 0, 'no 429');
    t.is(stats.requests.detail, SHOPS * bol.shipments.length, 'one detail call per shipment per shop');
    const expected = sandboxIds(bol);
    for (const shop of shops) t.deepEqual(await h.storedPlatformIds(shop.id), expected);
    const stored = Number(((await env.knex('shipments').count({ n: '*' }).first()) as { n: number | string }).n);
    t.is(stored, SHOPS * expected.length);
  });
});

eachAdapterSet((set) => {
  test.serial(`${set.name}: a step whose earlier holder spent the shop's limits and never committed waits those calls out: no 429`, async (t) => {
    const client = newClient();
    // Windows longer than a moment, so the step goes back to the queue to wait instead of holding its worker.
    const limits = { list: { capacity: 5, windowMs: 3_000 }, detail: { capacity: 10, windowMs: 3_000 } };
    const { bol, env, h } = await setupCrawl(t, set, { seed: 22, shipments: 30, clients: [client], limits });
    const shop = await h.addShop(client);
    const run = await h.startSync(shop.id, 'initial');
    // A worker took the step, claimed the shop's sending, spent both windows, and was killed
    // before it committed: its calls are in no saved rate state, and its job comes back as new.
    await env.knex('shops').where({ id: shop.id }).update({ sending_since: Date.now() });
    const token = await requestBolToken(bol.url, client);
    const get = (path: string) => fetch(`${bol.url}${path}`, { headers: { authorization: `Bearer ${token.accessToken}`, accept: 'application/vnd.retailer.v10+json' } });
    const spent = await Promise.all([
      ...Array.from({ length: limits.list.capacity }, () => get('/retailer/shipments?page=1&fulfilment-method=FBR')),
      ...Array.from({ length: limits.detail.capacity }, () => get(`/retailer/shipments/${bol.shipments[0]!.shipmentId}`)),
    ]);
    t.true(spent.every((r) => r.status === 200), 'the killed holder spent exactly the windows');

    await h.startWorker();
    const done = await h.waitForRun(run.id);
    t.is(done.status, 'succeeded', done.error ?? '');
    t.is(bol.stats().tooManyRequests.total, 0, 'no 429: the step waited until the killed holder\'s calls left the windows');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
    const after = await env.knex('shops').where({ id: shop.id }).first();
    t.is(after.sending_since, null, 'the last commit accounted for every call');
  });
});

test('mysql+rabbitmq: a transaction reads what others committed after it began (read committed), so commits of different shops take no gap locks', async (t) => {
  const mysql = ADAPTER_SETS.find((s) => s.dialect === 'mysql')!;
  const env = await mysql.setup();
  t.teardown(() => env.teardown());
  const now = Date.now();
  const names = async (db: typeof env.knex) => ((await db('shops').select('name').orderBy('id')) as { name: string }[]).map((r) => r.name);
  await env.knex.transaction(async (trx) => {
    t.deepEqual(await names(trx), [], 'no shops yet');
    // Another connection commits while this transaction is open: repeatable read would keep
    // showing the first read's snapshot.
    await env.knex('shops').insert({ name: 'Committed meanwhile', platform: 'bol', status: 'active', sync_interval_minutes: 15, created_at: now, updated_at: now });
    t.deepEqual(await names(trx), ['Committed meanwhile']);
  });
});
