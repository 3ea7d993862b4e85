import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { Shop } from '../../models/shops.ts';
import { setupShopifyCrawl, uniqueShop } from './shopify-harness.ts';

/**
 * Shopify shops synced end to end by real workers against the Shopify sandbox over HTTP: the
 * initial sync by bulk operation, the incremental one by orders changed since the watermark, a
 * worker stopped mid-file, a failed bulk operation, THROTTLED answers and refused credentials.
 */

// A restore rate of a Plus shop keeps the follow-up queries of a few thousand orders short.
const FAST = { restoreRate: 1_000, bucketSize: 10_000 };

eachAdapterSet((set) => {
  test.serial(`${set.name}: an initial bulk sync of a few thousand fulfillments stores exactly the shop's fulfillments, once each, without a THROTTLED answer`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 2_500, seed: 7, ...FAST });
    await h.startWorker();
    const run = await h.startSync(shop.id, 'initial');
    const done = await h.waitForRun(run.id);

    t.is(done.status, 'succeeded', done.error ?? '');
    const expected = h.sandbox.expectedFulfillments(sub);
    t.true(expected.length >= 2_000, `a few thousand fulfillments (${expected.length})`);
    const stored = await h.storedPlatformIds(shop.id);
    t.deepEqual(stored, expected.map((f) => f.id).sort());
    t.is(new Set(stored).size, stored.length, 'no duplicates');
    const stats = h.sandbox.stats()[sub]!;
    t.is(stats.throttled, 0, 'no THROTTLED answer');
    t.is(stats.bulkOperations, 1);
    t.is(stats.peakOverdraw, 0);

    // What support staff see, as Shopify has it: order name, carrier, tracking, receiver, timeline.
    const moving = expected.find((f) => f.deliveredAtMs === null && f.events.length > 1)!;
    const delivered = expected.find((f) => f.deliveredAtMs !== null)!;
    for (const f of [moving, delivered]) {
      const row = await h.env.knex('shipments').where({ shop_id: shop.id, platform_id: f.id }).first();
      t.like(row, { source: 'shopify', order_id: f.orderId, reference: f.orderName, carrier: f.company, tracking_number: f.number, receiver_city: f.city, receiver_country: f.countryCode });
    }
    const movingRow = await h.env.knex('shipments').where({ shop_id: shop.id, platform_id: moving.id }).first();
    const events = await h.env.knex('tracking_events').where({ shipment_id: movingRow.id });
    t.is(events.length, Math.min(moving.events.length, 10), "a moving fulfillment's events are its own");
    const deliveredRow = await h.env.knex('shipments').where({ shop_id: shop.id, platform_id: delivered.id }).first();
    t.is(deliveredRow.status, 'delivered');
  });

  test.serial(`${set.name}: an incremental sync after edits fetches only the orders that changed`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 300, seed: 3, ...FAST });
    await h.startWorker();
    const initial = await h.waitForRun((await h.startSync(shop.id, 'initial')).id);
    t.is(initial.status, 'succeeded', initial.error ?? '');

    const edited = h.sandbox.editOrders(sub, 12);
    const editedIds = new Set(edited.map((o) => o.id));
    const bulkBefore = h.sandbox.stats()[sub]!.bulkOperations;
    const incremental = await h.waitForRun((await h.startSync(shop.id, 'incremental')).id);

    t.is(incremental.status, 'succeeded', incremental.error ?? '');
    const expected = h.sandbox.expectedFulfillments(sub);
    const changed = expected.filter((f) => editedIds.has(f.orderId));
    t.is(incremental.records_upserted, changed.length, 'the fulfillments of the edited orders, and no other');
    t.is(h.sandbox.stats()[sub]!.bulkOperations, bulkBefore, 'no bulk operation for an incremental run');
    t.deepEqual(await h.storedPlatformIds(shop.id), expected.map((f) => f.id).sort(), "new fulfillments are stored");
    // The watermark moved with what was stored: the newest change stored.
    const newest = Math.max(...edited.map((o) => o.updatedAtMs));
    t.is(Date.parse((incremental.cursor as { updatedAt: string }).updatedAt), newest);
    // A second run reads from there less a minute of overlap: the same edits again at the most.
    const again = await h.waitForRun((await h.startSync(shop.id, 'incremental')).id);
    t.is(again.status, 'succeeded', again.error ?? '');
    t.true(again.records_upserted <= changed.length);
  });

  test.serial(`${set.name}: a worker stopped in the middle of the bulk file leaves a checkpoint the next worker resumes from`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    // Eight reads of the file: a worker goes on reading while it commits, so the stop must find some left.
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 4_000, seed: 5, ...FAST });
    const first = await h.startWorker();
    const run = await h.startSync(shop.id, 'initial');
    const midFile = await h.waitForRun(run.id, { until: (r) => (r.checkpoint as { phase?: string; byte?: number } | null)?.phase === 'bulk-read' && ((r.checkpoint as { byte: number }).byte ?? 0) > 0 });
    await first.stop(5_000);
    const stoppedAt = await h.waitForRun(run.id, { until: () => true });
    t.true(stoppedAt.status === 'running' && stoppedAt.records_upserted > 0 && stoppedAt.records_upserted >= midFile.records_upserted);

    await h.startWorker();
    const done = await h.waitForRun(run.id);
    t.is(done.status, 'succeeded', done.error ?? '');
    const expected = h.sandbox.expectedFulfillments(sub);
    t.deepEqual(await h.storedPlatformIds(shop.id), expected.map((f) => f.id).sort());
    // Resumed at the checkpoint: every fulfillment was stored once, none read twice.
    t.is(done.records_upserted, expected.length);
    t.is(h.sandbox.stats()[sub]!.bulkOperations, 1, 'the same operation, its file resumed');
  });

  test.serial(`${set.name}: a bulk operation that fails with partial data is not a success: its lines are stored and the export runs again`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 600, seed: 9, ...FAST });
    h.sandbox.failBulk(sub, { afterObjects: 400 });
    await h.startWorker();
    const done = await h.waitForRun((await h.startSync(shop.id, 'initial')).id);

    t.is(done.status, 'succeeded', done.error ?? '');
    t.is(h.sandbox.stats()[sub]!.bulkOperations, 2, 'a second operation after the failed one');
    t.deepEqual(await h.storedPlatformIds(shop.id), h.sandbox.expectedFulfillments(sub).map((f) => f.id).sort());
  });

  test.serial(`${set.name}: a bulk export that keeps failing fails the run with Shopify's reason, keeping what it read`, async (t) => {
    const h = await setupShopifyCrawl(t, set, { bulkMinMs: 1_500 });
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 300, seed: 4, ...FAST });
    h.sandbox.failBulk(sub, { afterObjects: 100, errorCode: 'TIMEOUT' });
    await h.startWorker();
    const run = await h.startSync(shop.id, 'initial');
    // Each new operation fails too: armed while it runs.
    let armed = 1;
    const done = await h.waitForRun(run.id, {
      until: (r) => {
        const cp = r.checkpoint as { phase?: string; attempt?: number } | null;
        if (cp?.phase === 'bulk-poll' && (cp.attempt ?? 0) >= armed) {
          h.sandbox.failBulk(sub, { afterObjects: 100, errorCode: 'TIMEOUT' });
          armed = (cp.attempt ?? 0) + 1;
        }
        return r.status === 'succeeded' || r.status === 'failed';
      },
    });
    t.is(done.status, 'failed');
    t.regex(done.error ?? '', /TIMEOUT/);
    t.regex(done.error ?? '', /did not finish/);
    t.true((await h.storedPlatformIds(shop.id)).length > 0, 'the partial data is stored');
  });

  test.serial(`${set.name}: a THROTTLED answer waits for the refill without spending an attempt`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 80, seed: 2, restoreRate: 200, bucketSize: 1_000 });
    // The bucket is empty and the crawler does not know it yet: its first query is throttled.
    h.sandbox.drainBucket(sub);
    await h.startWorker({ maxAttempts: 1, initialSync: 'paging' });
    const done = await h.waitForRun((await h.startSync(shop.id, 'initial')).id);

    t.is(done.status, 'succeeded', done.error ?? '');
    t.true(h.sandbox.stats()[sub]!.throttled >= 1, 'the sandbox did throttle');
    t.deepEqual(await h.storedPlatformIds(shop.id), h.sandbox.expectedFulfillments(sub).map((f) => f.id).sort());
  });

  test.serial(`${set.name}: refused credentials fail the run and pause the shop with the reason`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 20, seed: 1 }, 'access_token');
    h.sandbox.revokeTokens(sub);
    await h.startWorker();
    const done = await h.waitForRun((await h.startSync(shop.id, 'initial')).id);

    t.is(done.status, 'failed');
    t.regex(done.error ?? '', /access token/);
    const paused = await Shop.query(h.env.knex).findById(shop.id);
    t.is(paused?.status, 'credentials_refused');
    t.regex(paused?.status_reason ?? '', /Invalid API key or access token/);
  });
});
