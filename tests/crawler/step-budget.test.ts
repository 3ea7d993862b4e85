import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { PAGE_SIZE } from '../../crawler/connectors/bol/client.ts';
import { newClient, sandboxIds, setupCrawl, waitForSyncRun } from './harness.ts';

/**
 * A page slower than a step's budget (bol's production pace: 50 details a minute) is committed
 * in parts: the run's counts move while the page comes in, and a worker killed mid-page loses at
 * most a budget's worth of the shop's calls.
 */
eachAdapterSet((set) => {
  test.serial(`${set.name}: a page slower than the step budget commits what came in as it goes, with no detail fetched twice`, async (t) => {
    const client = newClient();
    const { bol, env, h } = await setupCrawl(t, set, {
      seed: 24,
      shipments: 120,
      clients: [client],
      // 50 details at 20 a second: each page takes 2.5 s, five budgets of 500 ms.
      limits: { list: { capacity: 10, windowMs: 1_000 }, detail: { capacity: 20, windowMs: 1_000 } },
    });
    const shop = await h.addShop(client);
    await h.startWorker({ stepBudgetMs: 500 });
    const run = await h.startSync(shop.id, 'initial');
    const seen = new Set<number>();
    const done = await waitForSyncRun(env.knex, run.id, {
      timeoutMs: 60_000,
      until: (r) => {
        seen.add(r.records_upserted);
        return r.status === 'succeeded' || r.status === 'failed';
      },
    });

    t.is(done.status, 'succeeded', done.error ?? '');
    t.true([...seen].some((n) => n > 0 && n < PAGE_SIZE), `the first page's records counted before the page was done: ${[...seen].join(', ')}`);
    t.true(done.step > Math.ceil(bol.shipments.length / PAGE_SIZE) + 1, `more steps than pages: ${done.step}`);
    const stats = bol.stats();
    t.is(stats.repeated.total, 0, JSON.stringify(stats.repeated));
    t.is(stats.requests.detail, bol.shipments.length);
    t.is(stats.tooManyRequests.total, 0);
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
  });
});
