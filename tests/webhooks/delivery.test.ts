import test from 'ava';
import { WebhookDeliveryList } from '../../api/webhook-schemas.ts';
import { sweepLostDeliveries } from '../../crawler/webhooks/relay.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { deliveryHarness, startReceiver, verify, type DeliveryHarness } from './helpers.ts';

/**
 * Delivery through the queue with real workers and real local receivers: signatures checked by
 * an independent implementation, retries with the same webhook-id, timeouts, 410, disabling
 * after a run of failures, SSRF at delivery time, re-sends, and one fan-out per event.
 */

async function harness(t: { teardown(fn: () => Promise<void>): void }, set: Parameters<typeof deliveryHarness>[0]): Promise<DeliveryHarness> {
  const h = await deliveryHarness(set);
  t.teardown(() => h.close());
  return h;
}

/** A change somewhere in shipsync, recorded the way every writer does: in its own transaction. */
async function recordChange(h: DeliveryHarness, type: 'sync.failed' | 'shipment.created', data: Record<string, unknown>): Promise<void> {
  await h.api.env.knex.transaction((trx) => recordEvents(trx, [{ type, data }]));
}

eachAdapterSet((set) => {
  test.serial(`${set.name}: an event reaches its subscribers signed per Standard Webhooks and is logged`, async (t) => {
    const h = await harness(t, set);
    const receiver = await startReceiver();
    const other = await startReceiver();
    t.teardown(async () => {
      await receiver.close();
      await other.close();
    });
    const a = await h.createWebhook({ url: receiver.url, events: ['sync.failed'] });
    const b = await h.createWebhook({ url: other.url, events: ['sync.failed', 'shipment.created'] });
    await h.createWebhook({ url: other.url, events: ['sync.failed'], active: false });
    await h.startWorker();

    await recordChange(h, 'sync.failed', { sync_run: { id: 7, error: 'bol said no' } });
    await recordChange(h, 'shipment.created', { shipment: { id: 1 } });
    const [got] = await receiver.waitFor(1);
    await other.waitFor(2);
    await new Promise((r) => setTimeout(r, 200));
    t.is(receiver.received.length, 1, 'only what it subscribed to');
    t.is(other.received.length, 2, 'the disabled webhook got nothing');

    const body = verify(a.secret, got!);
    t.deepEqual(Object.keys(body), ['id', 'type', 'created_at', 'data']);
    t.is(body.type, 'sync.failed');
    t.deepEqual(body.data, { sync_run: { id: 7, error: 'bol said no' } });
    t.regex(body.id, /^evt_\d+$/);
    t.is(got!.headers['webhook-id'], body.id);
    t.true(Math.abs(Number(got!.headers['webhook-timestamp']) - Date.now() / 1000) < 5);
    const sameEvent = other.received.map((r) => verify(b.secret, r)).find((m) => m.type === 'sync.failed')!;
    t.is(sameEvent.id, body.id, 'one event, one id, whoever receives it');

    const log = await h.waitForDeliveries(a.id, (rows) => rows.length === 1 && rows[0].status === 'succeeded');
    WebhookDeliveryList.parse({ data: log, next_cursor: null });
    t.like(log[0], { event_id: body.id, event_type: 'sync.failed', attempt: 1, trigger: 'event', status: 'succeeded', status_code: 200, error: null });
    t.true(log[0].duration_ms >= 0);
  });

  test.serial(`${set.name}: a receiver failing twice then succeeding gets the event three times with the same webhook-id`, async (t) => {
    const h = await harness(t, set);
    const receiver = await startReceiver((n) => (n <= 2 ? 503 : 204));
    t.teardown(() => receiver.close());
    const webhook = await h.createWebhook({ url: receiver.url, events: ['sync.failed'] });
    await h.startWorker();
    await recordChange(h, 'sync.failed', { sync_run: { id: 1 } });

    const got = await receiver.waitFor(3);
    const ids = got.map((r) => verify(webhook.secret, r).id);
    t.is(new Set(ids).size, 1);
    t.is(new Set(got.map((r) => r.body)).size, 1, 'the same bytes every time');
    t.true(got[1]!.at - got[0]!.at >= 30, 'the retry waited');

    const log = await h.waitForDeliveries(webhook.id, (rows) => rows.some((r) => r.status === 'succeeded'));
    t.deepEqual(
      log.map((d) => [d.attempt, d.status, d.status_code]),
      [
        [3, 'succeeded', 204],
        [2, 'failed', 503],
        [1, 'failed', 503],
      ],
    );
    t.truthy(log[2].next_attempt_at, 'a failed attempt says when the next comes');
    t.is(log[2].error, 'Answered 503.');
    const after = (await h.api.request('GET', `/webhooks/${webhook.id}`)).body;
    t.like(after, { active: true, consecutive_failures: 0 });
  });

  test.serial(`${set.name}: a hanging receiver times out, and a slow receiver does not hold up a fast one`, async (t) => {
    const h = await harness(t, set);
    const hanging = await startReceiver(() => 'hang');
    const fast = await startReceiver();
    t.teardown(async () => {
      await hanging.close();
      await fast.close();
    });
    const slow = await h.createWebhook({ url: hanging.url, events: ['sync.failed'] });
    await h.createWebhook({ url: fast.url, events: ['sync.failed'] });
    await h.startWorker({ prefetch: 2, timeoutMs: 800 });
    const startedAt = Date.now();
    for (let i = 0; i < 12; i++) await recordChange(h, 'sync.failed', { n: i });

    await fast.waitFor(12, 10_000);
    const fastDoneMs = Date.now() - startedAt;
    // Two slots: without the slow-receiver rule the hanging webhook's twelve deliveries would
    // hold both for 800 ms each, one pair after another (about 5 s).
    t.true(fastDoneMs < 2_500, `the fast receiver had all 12 events after ${fastDoneMs} ms`);

    const log = await h.waitForDeliveries(slow.id, (rows) => rows.some((r) => r.status === 'failed'));
    const timedOut = log.find((r) => r.status === 'failed')!;
    t.is(timedOut.status_code, null);
    t.regex(timedOut.error, /timed out/);
    t.true(timedOut.duration_ms >= 790 && timedOut.duration_ms < 1_500, `${timedOut.duration_ms} ms`);
    t.true(hanging.received.length <= 3, `the hanging receiver was sent ${hanging.received.length} requests, not one per event`);
  });

  test.serial(`${set.name}: a 410 disables the webhook at once with the reason`, async (t) => {
    const h = await harness(t, set);
    const receiver = await startReceiver(() => 410);
    t.teardown(() => receiver.close());
    const webhook = await h.createWebhook({ url: receiver.url, events: ['sync.failed'] });
    await h.startWorker();
    await recordChange(h, 'sync.failed', { n: 1 });
    await receiver.waitFor(1);
    const log = await h.waitForDeliveries(webhook.id, (rows) => rows.some((r) => r.status === 'failed'));
    t.is(log.length, 1, 'no retry');
    t.like(log[0], { status_code: 410, next_attempt_at: null });
    t.regex(log[0].error, /disabled/);
    const after = (await h.api.request('GET', `/webhooks/${webhook.id}`)).body;
    t.is(after.active, false);
    t.regex(after.disabled_reason, /410 Gone/);

    await recordChange(h, 'sync.failed', { n: 2 });
    await new Promise((r) => setTimeout(r, 300));
    t.is(receiver.received.length, 1, 'a disabled webhook gets nothing more');
  });

  test.serial(`${set.name}: after a run of failures the webhook is disabled with the reason, and a re-send after the fix arrives`, async (t) => {
    const h = await harness(t, set);
    const receiver = await startReceiver(() => 500);
    t.teardown(() => receiver.close());
    const webhook = await h.createWebhook({ url: receiver.url, events: ['sync.failed'] });
    await h.startWorker({ disableAfterFailures: 4, disableAfterMs: 0 });
    await recordChange(h, 'sync.failed', { n: 1 });

    await receiver.waitFor(4);
    const log = await h.waitForDeliveries(webhook.id, (rows) => rows.length === 4 && rows.every((r) => r.status === 'failed'));
    t.deepEqual(
      log.map((r) => r.attempt),
      [4, 3, 2, 1],
    );
    t.is(log[0].next_attempt_at, null, 'no attempt after the last');
    const after = (await h.api.request('GET', `/webhooks/${webhook.id}`)).body;
    t.false(after.active);
    t.regex(after.disabled_reason, /^Disabled after 4 failed deliveries in a row over .*; the last: Answered 500\./);
    await new Promise((r) => setTimeout(r, 300));
    t.is(receiver.received.length, 4);

    // The user fixes the receiver, enables the webhook and re-sends the event.
    receiver.behave(() => 200);
    await h.api.request('PATCH', `/webhooks/${webhook.id}`, { body: { active: true } });
    const resend = await h.api.request('POST', `/webhooks/${webhook.id}/deliveries/${log[3].id}/retry`);
    t.is(resend.status, 202, resend.text);
    await receiver.waitFor(5);
    const done = await h.waitForDeliveries(webhook.id, (rows) => rows[0].status === 'succeeded');
    t.like(done[0], { trigger: 'manual', attempt: 5, status_code: 200, event_id: log[3].event_id });
    t.is(receiver.received[4]!.headers['webhook-id'], receiver.received[0]!.headers['webhook-id']);
  });

  test.serial(`${set.name}: private addresses are refused at delivery time without the setting, whatever the API allowed`, async (t) => {
    const h = await harness(t, set);
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    // Saved while private addresses were allowed (or a name that resolved elsewhere back then).
    const literal = await h.createWebhook({ url: receiver.url, events: ['sync.failed'] });
    const named = await h.createWebhook({ url: `http://localhost:${receiver.port}/hooks`, events: ['sync.failed'] });
    await h.startWorker({ allowPrivateAddresses: false, disableAfterFailures: 1_000 });
    await recordChange(h, 'sync.failed', { n: 1 });

    for (const webhook of [literal, named]) {
      const log = await h.waitForDeliveries(webhook.id, (rows) => rows.some((r) => r.status === 'failed'));
      const failed = log.find((r) => r.status === 'failed')!;
      t.is(failed.status_code, null);
      t.regex(failed.error, /Refused: .*loopback, private, link-local or reserved address/);
    }
    t.is(receiver.received.length, 0, 'not one byte reached the private address');
  });

  test.serial(`${set.name}: two workers' relays fan each event out exactly once`, async (t) => {
    const h = await harness(t, set);
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const webhook = await h.createWebhook({ url: receiver.url, events: ['shipment.created'] });
    await h.startWorker({ relayBatchSize: 25 });
    await h.startWorker({ relayBatchSize: 25 });
    const count = 150;
    await h.api.env.knex.transaction((trx) =>
      recordEvents(
        trx,
        Array.from({ length: count }, (_, i) => ({ type: 'shipment.created' as const, data: { shipment: { id: i } } })),
      ),
    );
    await receiver.waitFor(count, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const ids = receiver.received.map((r) => verify(webhook.secret, r).id);
    t.is(ids.length, count, 'no event twice');
    t.is(new Set(ids).size, count);
    const rows = await h.api.env.knex('webhook_deliveries').where({ webhook_id: webhook.id });
    t.is(rows.length, count);
    t.true(rows.every((r: { status: string }) => r.status === 'succeeded'));
    t.is((await h.api.env.knex('domain_events').whereNull('dispatched_at')).length, 0);
  });

  test.serial(`${set.name}: a pending delivery whose job was lost is published again by the sweep`, async (t) => {
    const h = await harness(t, set);
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const webhook = await h.createWebhook({ url: receiver.url, events: ['sync.failed'] });
    await h.startWorker();
    await recordChange(h, 'sync.failed', { n: 1 });
    await receiver.waitFor(1);
    const event = await h.api.env.knex('domain_events').first();
    // As if a worker died between the relay's commit and its publish, 20 minutes ago.
    const [id] = await h.api.env.knex('webhook_deliveries').insert({
      webhook_id: webhook.id,
      event_id: event.id,
      message_id: `evt_${event.id}`,
      event_type: 'sync.failed',
      event_created_at: event.created_at,
      attempt: 2,
      trigger: 'event',
      status: 'pending',
      scheduled_at: Date.now() - 20 * 60_000,
      created_at: Date.now() - 20 * 60_000,
    });
    const deps = { knex: h.api.env.knex, queue: h.api.env.queue, logger: (await import('pino')).default({ level: 'silent' }), options: { relayIntervalMs: 50, relayBatchSize: 500, sweepAfterMs: 10 * 60_000 } };
    t.is(await sweepLostDeliveries(deps), 1);
    t.is(await sweepLostDeliveries(deps), 0, 'taken once');
    await receiver.waitFor(2);
    const log = await h.waitForDeliveries(webhook.id, (rows) => rows.find((r) => r.id === Number(id))?.status === 'succeeded');
    t.is(log.length, 2);
    t.is(receiver.received[1]!.headers['webhook-id'], receiver.received[0]!.headers['webhook-id']);
  });
});
