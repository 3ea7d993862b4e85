import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
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
