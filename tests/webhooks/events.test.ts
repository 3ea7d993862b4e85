import test from 'ava';
import type { Knex } from 'knex';
import type { ShipmentRecord, TrackingEventRecord } from '../../crawler/connectors/types.ts';
import { failRun } from '../../crawler/handlers/sync-page.ts';
import { startSyncRun } from '../../crawler/sync/start-sync-run.ts';
import { refreshCurrentStatus, upsertShipments } from '../../crawler/sync/shipments.ts';
import { saveShopCredentials } from '../../models/shop-credentials.ts';
import { Shop } from '../../models/shops.ts';
import { SyncRun } from '../../models/sync-runs.ts';
import { startBolSandbox } from '../../sandbox/bol/index.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { parkedSubscriber } from '../helpers/subscriber.ts';
import { deliveryHarness, startReceiver, verify } from './helpers.ts';

/**
 * Which changes become events: a sync run's end (`sync.succeeded` / `sync.failed`), a new
 * shipment (`shipment.created`) and a status move (`shipment.status_changed`, with the old and
 * new status and the tracking event that decided it), written in the change's own transaction.
 */

interface StoredEvent {
  type: string;
  data: any;
}

async function outbox(knex: Knex, afterId = 0): Promise<(StoredEvent & { id: number })[]> {
  const rows: { id: number; type: string; data: string }[] = await knex('domain_events').where('id', '>', afterId).orderBy('id');
  return rows.map((r) => ({ id: Number(r.id), type: r.type, data: JSON.parse(r.data) }));
}

async function lastEventId(knex: Knex): Promise<number> {
  const row = (await knex('domain_events').max({ id: 'id' }).first()) as { id: number | null } | undefined;
  return Number(row?.id ?? 0);
}

function bolEvent(rawStatus: string, status: TrackingEventRecord['status'], occurredAt: number): TrackingEventRecord {
  return { source: 'bol', status, rawStatus, description: null, location: 'Utrecht', occurredAt };
}

function record(platformId: string, events: TrackingEventRecord[]): ShipmentRecord {
  return {
    platformId,
    orderId: `O-${platformId}`,
    reference: `R-${platformId}`,
    fulfilmentMethod: 'FBR',
    shippedAt: Date.UTC(2026, 10, 1),
    carrier: 'TNT',
    trackingNumber: `3S${platformId}`,
    receiver: { postalCode: '3511AB', city: 'Utrecht', country: 'NL', phone: null },
    items: [],
    events,
  };
}

eachAdapterSet((set) => {
  test.serial(`${set.name}: a sync sends shipment.created for each new shipment and sync.succeeded when it ends`, async (t) => {
    const h = await deliveryHarness(set);
    const bol = await startBolSandbox({ shipments: 30, seed: 5, clients: [h.api.bolClient], limits: { list: { capacity: 50, windowMs: 1_000 }, detail: { capacity: 200, windowMs: 1_000 } } });
    const receiver = await startReceiver();
    t.teardown(async () => {
      await h.close();
      await bol.close();
      await receiver.close();
    });
    const webhook = await h.createWebhook({ url: receiver.url, events: ['shipment.created', 'sync.succeeded', 'sync.failed'] });
    const shop = await Shop.query(h.api.env.knex).insertAndFetch({ name: 'Events shop', platform: 'bol', status: 'active', sync_interval_minutes: 15 });
    await saveShopCredentials(h.api.env.knex, h.api.secretBox, shop.id, { client_id: h.api.bolClient.clientId, client_secret: h.api.bolClient.clientSecret });
    await h.startWorker({ bolUrl: bol.url });

    const run = await startSyncRun({ knex: h.api.env.knex, queue: h.api.env.queue }, shop.id, 'initial');
    const got = await receiver.waitFor(31, 30_000);
    const messages = got.map((r) => verify(webhook.secret, r));
    const created = messages.filter((m) => m.type === 'shipment.created');
    t.is(created.length, 30);
    t.deepEqual(created.map((m) => m.data.shipment.platform_id).sort(), bol.shipments.map((s) => s.shipmentId).sort());
    t.true(created.every((m) => m.data.shipment.shop_id === shop.id && typeof m.data.shipment.status === 'string'));
    const ended = messages.filter((m) => m.type === 'sync.succeeded');
    t.is(ended.length, 1);
    t.like(ended[0]!.data.sync_run, { id: run.id, shop_id: shop.id, status: 'succeeded', records_upserted: 30, error: null });

    // Syncing the same shipments again creates nothing new: no shipment.created twice.
    const before = await lastEventId(h.api.env.knex);
    const finished = await SyncRun.query(h.api.env.knex).findById(run.id);
    t.is(finished!.status, 'succeeded');
    const again = await startSyncRun({ knex: h.api.env.knex, queue: h.api.env.queue }, shop.id, 'initial');
    for (let i = 0; i < 300 && (await SyncRun.query(h.api.env.knex).findById(again.id))!.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 50));
    t.deepEqual(
      (await outbox(h.api.env.knex, before)).map((e) => e.type),
      ['sync.succeeded'],
    );
  });

  test(`${set.name}: a status move records shipment.status_changed with old, new and the deciding tracking event; nothing else does`, async (t) => {
    const h = await deliveryHarness(set);
    t.teardown(() => h.close());
    const knex = h.api.env.knex;
    await parkedSubscriber(knex, ['shipment.created', 'shipment.status_changed']);
    const shop = await Shop.query(knex).insertAndFetch({ name: 'Status shop', platform: 'bol', status: 'active', sync_interval_minutes: 15 });
    const run = await SyncRun.query(knex).insertAndFetch({ shop_id: shop.id, stream: 'shipments', type: 'initial', status: 'running', step: 0 });
    const upsert = (records: ShipmentRecord[]) => knex.transaction((trx) => upsertShipments(trx, { shopId: shop.id, runId: run.id, source: 'bol', records }));
    const t0 = Date.UTC(2026, 10, 20, 8);

    await upsert([record('A', [bolEvent('PRE_ANNOUNCED', 'info_received', t0)]), record('B', [])]);
    const first = await outbox(knex);
    t.deepEqual(first.map((e) => [e.type, e.data.shipment.platform_id, e.data.shipment.status]), [
      ['shipment.created', 'A', 'info_received'],
      ['shipment.created', 'B', 'pending'],
    ]);

    // The same page again (at-least-once delivery): nothing happened, nothing is said.
    let mark = await lastEventId(knex);
    await upsert([record('A', [bolEvent('PRE_ANNOUNCED', 'info_received', t0)]), record('B', [])]);
    t.deepEqual(await outbox(knex, mark), []);

    // A newer event moves A; an unknown code and an older event do not.
    mark = await lastEventId(knex);
    await upsert([
      record('A', [bolEvent('PRE_ANNOUNCED', 'info_received', t0), bolEvent('AT_TRANSPORTER', 'in_transit', t0 + 3_600_000), bolEvent('MYSTERY', null, t0 + 7_200_000)]),
      record('B', [bolEvent('RETURNED_TO_SENDER', 'returned', t0 - 86_400_000)]),
    ]);
    const moved = await outbox(knex, mark);
    t.is(moved.length, 2);
    const a = moved.find((e) => e.data.shipment.platform_id === 'A')!;
    t.is(a.type, 'shipment.status_changed');
    t.like(a.data, { old_status: 'info_received', new_status: 'in_transit' });
    t.deepEqual(a.data.tracking_event, { status: 'in_transit', raw_status: 'AT_TRANSPORTER', description: null, location: 'Utrecht', source: 'bol', occurred_at: new Date(t0 + 3_600_000).toISOString() });
    t.like(a.data.shipment, { status: 'in_transit', tracking_number: '3SA', carrier: 'TNT', shop_id: shop.id, status_at: new Date(t0 + 3_600_000).toISOString() });
    const b = moved.find((e) => e.data.shipment.platform_id === 'B')!;
    t.like(b.data, { old_status: 'pending', new_status: 'returned' });

    mark = await lastEventId(knex);
    await upsert([record('A', [bolEvent('AT_TRANSPORTER', 'in_transit', t0 - 3_600_000)])]);
    t.deepEqual(await outbox(knex, mark), [], 'an older event does not move the status');

    // refreshCurrentStatus is shared (carrier polls, file imports call it): it speaks for itself.
    const idA = (await knex('shipments').where({ platform_id: 'A' }).first()).id;
    await knex('tracking_events').insert({
      shipment_id: idA, source: 'dhl', status: 'delivered', raw_status: 'delivered', description: 'Delivered', location: null, occurred_at: t0 + 10_000_000, dedupe_key: 'x1', created_at: Date.now(),
    });
    mark = await lastEventId(knex);
    await knex.transaction((trx) => refreshCurrentStatus(trx, [idA]));
    const polled = await outbox(knex, mark);
    t.deepEqual(polled.map((e) => [e.type, e.data.old_status, e.data.new_status, e.data.tracking_event.source]), [['shipment.status_changed', 'in_transit', 'delivered', 'dhl']]);

    // A rolled back change says nothing.
    mark = await lastEventId(knex);
    await knex
      .transaction(async (trx) => {
        await upsertShipments(trx, { shopId: shop.id, runId: run.id, source: 'bol', records: [record('C', [])] });
        throw new Error('roll back');
      })
      .catch(() => {});
    t.deepEqual(await outbox(knex, mark), []);
  });

  test(`${set.name}: a new shipment is stored with the status its events give, the same the database derives from them`, async (t) => {
    const h = await deliveryHarness(set);
    t.teardown(() => h.close());
    const knex = h.api.env.knex;
    await parkedSubscriber(knex, ['shipment.created', 'shipment.status_changed']);
    const shop = await Shop.query(knex).insertAndFetch({ name: 'New status shop', platform: 'bol', status: 'active', sync_interval_minutes: 15 });
    const run = await SyncRun.query(knex).insertAndFetch({ shop_id: shop.id, stream: 'shipments', type: 'initial', status: 'running', step: 0 });
    const t0 = Date.UTC(2026, 10, 20, 8);
    // A tie on time goes to the event stored later; a repeat is stored where it first appears
    // (so it does not win the tie again); an event no rule maps never decides.
    const delivered = bolEvent('DELIVERED', 'delivered', t0 + 1_000);
    const events = [bolEvent('AT_TRANSPORTER', 'in_transit', t0), delivered, bolEvent('MYSTERY', null, t0 + 2_000), bolEvent('OUT_FOR_DELIVERY', 'out_for_delivery', t0 + 1_000), delivered];
    await knex.transaction((trx) => upsertShipments(trx, { shopId: shop.id, runId: run.id, source: 'bol', records: [record('D', events), record('E', [bolEvent('MYSTERY', null, t0)])] }));

    const created = await outbox(knex);
    t.deepEqual(created.map((e) => [e.type, e.data.shipment.platform_id, e.data.shipment.status, e.data.shipment.status_at]), [
      ['shipment.created', 'D', 'out_for_delivery', new Date(t0 + 1_000).toISOString()],
      ['shipment.created', 'E', 'pending', null],
    ]);
    const stored = async () => (await knex('shipments').whereIn('platform_id', ['D', 'E']).orderBy('platform_id').select('id', 'status', 'status_at')).map((r: any) => ({ id: Number(r.id), status: r.status, status_at: r.status_at === null ? null : Number(r.status_at) }));
    const before = await stored();
    t.deepEqual(before.map((r) => [r.status, r.status_at]), [['out_for_delivery', t0 + 1_000], ['pending', null]]);
    // The database's own rule, over the stored events, agrees: nothing moves, nothing is said.
    const mark = await lastEventId(knex);
    await knex.transaction((trx) => refreshCurrentStatus(trx, before.map((r) => r.id)));
    t.deepEqual(await stored(), before);
    t.deepEqual(await outbox(knex, mark), []);
  });

  test(`${set.name}: a change no active webhook listens for leaves no event, a run's outcome always does, and a new subscriber hears what follows`, async (t) => {
    const h = await deliveryHarness(set);
    t.teardown(() => h.close());
    const knex = h.api.env.knex;
    const shop = await Shop.query(knex).insertAndFetch({ name: 'Quiet shop', platform: 'bol', status: 'active', sync_interval_minutes: 15 });
    const run = await SyncRun.query(knex).insertAndFetch({ shop_id: shop.id, stream: 'shipments', type: 'initial', status: 'running', step: 0 });
    const upsert = (records: ShipmentRecord[]) => knex.transaction((trx) => upsertShipments(trx, { shopId: shop.id, runId: run.id, source: 'bol', records }));
    const t0 = Date.UTC(2026, 10, 20, 8);

    // No webhook, then one switched off, then one for another type: nobody hears shipment.created.
    await upsert([record('Q1', [bolEvent('AT_TRANSPORTER', 'in_transit', t0)])]);
    const off = await parkedSubscriber(knex, ['shipment.created', 'shipment.status_changed']);
    await knex('webhooks').where({ id: off }).update({ active: false });
    await parkedSubscriber(knex, ['product.created']);
    await upsert([record('Q2', [bolEvent('AT_TRANSPORTER', 'in_transit', t0)])]);
    t.deepEqual(await outbox(knex), [], 'no event for changes nobody subscribes to');
    t.is(Number((await knex('shipments').whereIn('platform_id', ['Q1', 'Q2']).count({ n: '*' }).first())?.n), 2, 'the shipments are stored all the same');

    // Subscribed to new shipments only: Q3 is announced, Q1's status move is not.
    await parkedSubscriber(knex, ['shipment.created']);
    await upsert([record('Q3', [bolEvent('AT_TRANSPORTER', 'in_transit', t0)]), record('Q1', [bolEvent('DELIVERED', 'delivered', t0 + 1_000)])]);
    t.deepEqual((await outbox(knex)).map((e) => [e.type, e.data.shipment.platform_id]), [['shipment.created', 'Q3']]);
    t.is((await knex('shipments').where({ platform_id: 'Q1' }).first()).status, 'delivered');

    // A run's end is kept with no subscriber for it: the relay counts finished runs from it.
    const mark = await lastEventId(knex);
    await failRun(knex, run, 'stopped');
    t.deepEqual((await outbox(knex, mark)).map((e) => e.type), ['sync.failed']);
  });

  test(`${set.name}: a failed sync run records sync.failed with its reason, once`, async (t) => {
    const h = await deliveryHarness(set);
    t.teardown(() => h.close());
    const knex = h.api.env.knex;
    const shop = await Shop.query(knex).insertAndFetch({ name: 'Failing shop', platform: 'bol', status: 'active', sync_interval_minutes: 15 });
    const run = await SyncRun.query(knex).insertAndFetch({ shop_id: shop.id, stream: 'shipments', type: 'initial', status: 'running', step: 0 });
    await failRun(knex, run, 'The shop has no credentials; add them with PATCH /shops/:id.');
    await failRun(knex, run, 'again');
    const events = await outbox(knex);
    t.is(events.length, 1);
    t.is(events[0]!.type, 'sync.failed');
    t.like(events[0]!.data.sync_run, { id: run.id, shop_id: shop.id, status: 'failed', error: 'The shop has no credentials; add them with PATCH /shops/:id.' });
  });
});
