import test from 'ava';
import type { Knex } from 'knex';
import pino from 'pino';
import { DeletionView } from '../../api/schemas.ts';
import { handleDeletionBatch } from '../../crawler/handlers/deletion-batch.ts';
import { deletionKeyOf, insertDeletion } from '../../models/deletions.ts';
import { markShopDeleting } from '../../models/shops.ts';
import { sweepStalledChains } from '../../scheduler/sweep-stalled-chains.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { parkedSubscriber } from '../helpers/subscriber.ts';
import { openEvents } from '../helpers/sse.ts';
import { startImportHarness, type ImportHarness } from '../imports/harness.ts';

/**
 * Big deletes as jobs: `DELETE /products` and `DELETE /shops/:id` answer 202 with a deletion to
 * follow (GET and SSE), workers delete in batches, what a dead worker left is finished by the
 * next delivery, and meanwhile the catalogue answers 409 and the shop reads `deleting`.
 */
const now = Date.now();

async function seedProducts(knex: Knex, n: number): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => ({ sku: `BIG-${i}`, sku_key: `big-${i}`, name: `Product ${i}`, description: null, active: true, created_at: now, updated_at: now }));
  await knex.batchInsert('products', rows, 200);
}

async function seedShop(knex: Knex, name: string, shipments: number): Promise<number> {
  const [shopId] = await knex('shops').insert({ name, platform: 'bol', status: 'active', sync_interval_minutes: 15, created_at: now, updated_at: now });
  await knex('shop_credentials').insert({ shop_id: shopId, key_id: 'k', sealed: 'x', updated_at: now });
  await knex('sync_runs').insert({ shop_id: shopId, stream: 'shipments', type: 'initial', status: 'succeeded', step: 3, created_at: now, updated_at: now });
  const rows = Array.from({ length: shipments }, (_, i) => ({ shop_id: shopId, source: 'bol', platform_id: `${name}-${i}`, status: 'in_transit', created_at: now, updated_at: now }));
  await knex.batchInsert('shipments', rows, 200);
  const ids: { id: number }[] = await knex('shipments').select('id').where({ shop_id: shopId });
  await knex.batchInsert('shipment_items', ids.map((s) => ({ shipment_id: s.id, item_key: 'i1', quantity: 1 })), 200);
  await knex.batchInsert(
    'tracking_events',
    ids.map((s) => ({ shipment_id: s.id, source: 'bol', status: 'in_transit', raw_status: 'IN_TRANSIT', occurred_at: now, dedupe_key: `d${s.id}`, created_at: now })),
    200,
  );
  return Number(shopId);
}

const count = async (q: Knex.QueryBuilder): Promise<number> => Number(((await q.count({ n: '*' }).first()) as { n: number | string }).n);

async function waitForDeletion(h: ImportHarness, id: number): Promise<any> {
  for (let i = 0; i < 1_200; i += 1) {
    const d = (await h.request('GET', `/deletions/${id}`)).body;
    if (d.status === 'succeeded' || d.status === 'failed') return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`deletion ${id} did not finish`);
}

eachAdapterSet((set) => {
  test(`${set.name}: DELETE /products is a job: 202, the catalogue answers 409 until it is done, progress over GET and SSE, every product gone with its event`, async (t) => {
    t.timeout(120_000);
    const h = await startImportHarness(set, { worker: false, deletions: { batchRows: 40, budgetMs: 1 } });
    t.teardown(() => h.close());
    await seedProducts(h.env.knex, 250);
    await parkedSubscriber(h.env.knex, ['product.deleted']);

    const answer = await h.request('DELETE', '/products', { body: { confirm: 'delete all products' } });
    t.is(answer.status, 202, answer.text);
    t.notThrows(() => DeletionView.parse(answer.body));
    t.like(answer.body, { target: 'products', status: 'queued', rows_total: 250, rows_deleted: 0 });
    t.is(answer.headers.get('location'), `/deletions/${answer.body.id}`);
    t.is((await h.request('DELETE', '/products', { body: { confirm: 'delete all products' } })).body.id, answer.body.id, 'asking again answers the same deletion');

    // No worker yet: the catalogue reads as being deleted.
    for (const [method, path, body] of [
      ['GET', '/products', undefined],
      ['GET', '/products/export.csv', undefined],
      ['POST', '/products', { sku: 'new', name: 'New' }],
    ] as const) {
      const refused = await h.request(method, path, { body });
      t.is(refused.status, 409, `${method} ${path}`);
      t.is(refused.body.error.code, 'catalogue_being_deleted');
      t.is(refused.body.error.details.deletion_id, answer.body.id);
    }
    t.is((await h.upload('type=products', 'name,sku,description\nMug,M-1,Blue\n')).status, 409, 'a catalogue import waits for the deletion');

    const events = await openEvents(`${h.url}/deletions/${answer.body.id}/events`, h.token);
    const first = await events.next();
    t.like(first, { event: 'progress', data: { id: answer.body.id, status: 'queued' } });
    await h.startWorker();
    let last = first;
    while (last.event !== 'done') last = await events.next();
    t.like(last.data, { status: 'succeeded', rows_total: 250, rows_deleted: 250 });
    t.truthy(last.data.finished_at);
    t.true(await events.ended());

    t.is(await count(h.env.knex('products')), 0);
    t.is(await count(h.env.knex('domain_events').where({ type: 'product.deleted' })), 250, 'one product.deleted event per product');
    t.deepEqual((await h.request('GET', '/products')).body.data, [], 'the catalogue answers again');
    t.is((await h.request('POST', '/products', { body: { sku: 'new', name: 'New' } })).status, 201);
    t.is((await h.request('GET', '/deletions/999999')).status, 404);
  });

  test(`${set.name}: DELETE /shops/:id is a job; a worker that dies mid-way leaves whole batches, and the next delivery finishes from what is left`, async (t) => {
    t.timeout(120_000);
    const h = await startImportHarness(set, { worker: false, deletions: { batchRows: 30, budgetMs: 60_000 } });
    t.teardown(() => h.close());
    const shopId = await seedShop(h.env.knex, 'doomed', 400);
    const keptId = await seedShop(h.env.knex, 'kept', 20);

    const answer = await h.request('DELETE', `/shops/${shopId}`);
    t.is(answer.status, 202, answer.text);
    t.like(answer.body, { target: 'shop', shop_id: shopId, status: 'queued', rows_total: 400 });
    t.like((await h.request('GET', `/shops/${shopId}`)).body, { id: shopId, status: 'deleting' });
    const sync = await h.request('POST', `/shops/${shopId}/syncs`, { body: { type: 'initial' } });
    t.is(sync.status, 409);

    // A worker's delivery of step 0 dies after a few batches (its signal is what a dying worker's
    // handler sees last); the batches it committed are whole.
    const dying = new AbortController();
    let deletes = 0;
    const onQuery = (q: { sql: string }) => {
      if (/^delete from [`"]shipments[`"]/i.test(q.sql) && ++deletes === 2) dying.abort();
    };
    h.env.knex.on('query', onQuery);
    const logger = pino({ level: 'silent' });
    await t.throwsAsync(
      handleDeletionBatch({ knex: h.env.knex, queue: h.env.queue, logger, batchRows: 30, budgetMs: 60_000 }, { deletion_id: answer.body.id, step: 0 }, { redelivered: false, attempt: 0, signal: dying.signal, setPayload: () => {} }),
      { name: 'ShutdownError' },
    );
    h.env.knex.off('query', onQuery);
    const halfway = (await h.request('GET', `/deletions/${answer.body.id}`)).body;
    t.is(halfway.status, 'running');
    t.is(halfway.rows_deleted, 60, 'two whole batches committed before the worker died');
    t.is(await count(h.env.knex('shipments').where({ shop_id: shopId })), 400 - halfway.rows_deleted, 'the counter is the table');

    // The job is still on the queue (a dead worker never acked it): the next worker finishes it.
    await h.startWorker();
    const done = await waitForDeletion(h, answer.body.id);
    t.like(done, { status: 'succeeded', rows_total: 400, rows_deleted: 400 });
    t.is((await h.request('GET', `/shops/${shopId}`)).status, 404);
    t.is(await count(h.env.knex('shipments').where({ shop_id: shopId })), 0);
    t.is(await count(h.env.knex('sync_runs').where({ shop_id: shopId })), 0, 'sync runs went with the shop');
    t.is(await count(h.env.knex('shop_credentials').where({ shop_id: shopId })), 0);
    t.is(await count(h.env.knex('shipment_items').whereNotIn('shipment_id', h.env.knex('shipments').select('id'))), 0, 'no orphaned items');
    t.is(await count(h.env.knex('tracking_events').whereNotIn('shipment_id', h.env.knex('shipments').select('id'))), 0, 'no orphaned events');
    t.is(await count(h.env.knex('shipments').where({ shop_id: keptId })), 20, 'another shop is untouched');
    t.like((await h.request('GET', `/shops/${keptId}`)).body, { status: 'active' });
  });

  test(`${set.name}: a deletion whose job was lost is published again by the chains sweep and finishes`, async (t) => {
    t.timeout(60_000);
    const h = await startImportHarness(set, { worker: false, deletions: { batchRows: 25 } });
    t.teardown(() => h.close());
    const shopId = await seedShop(h.env.knex, 'lost', 60);
    // As if the first job's publish was lost: the deletion row, and nothing on the queue.
    await markShopDeleting(h.env.knex, shopId);
    const lost = await insertDeletion(h.env.knex, { target: 'shop', shopId, lastProductId: null, rowsTotal: 60, key: deletionKeyOf({ target: 'shop', shopId }) });
    await h.env.knex('deletions').where({ id: lost.id }).update({ updated_at: Date.now() - 3_600_000 });
    const swept = await sweepStalledChains({ knex: h.env.knex, queue: h.env.queue, logger: pino({ level: 'silent' }) }, Date.now());
    t.is(swept.deletions, 1);
    await h.startWorker();
    t.like(await waitForDeletion(h, lost.id), { status: 'succeeded', rows_deleted: 60 });
    t.is((await h.request('GET', `/shops/${shopId}`)).status, 404);
  });
});
