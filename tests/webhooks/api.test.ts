import test from 'ava';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { listRoutes } from '../../api/app.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import { resealWebhookSecrets } from '../../models/webhooks.ts';
import { startWeb } from '../../api/create-web.ts';
import { Webhook as WebhookSchema, WebhookDeliveryList, WebhookList, WebhookTestResult, WebhookWithSecret } from '../../api/webhook-schemas.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { perSetHarness, type ApiHarness } from '../helpers/api.ts';
import { startReceiver, verifies, verify } from './helpers.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';

/**
 * The webhook API as a user meets it: subscriptions, the secret shown once, rotation with both
 * signatures, the test button, SSRF refusals, the delivery log and its re-send rules.
 */

async function createWebhook(h: ApiHarness, body: Record<string, unknown>) {
  const answer = await h.request('POST', '/webhooks', { body });
  if (answer.status !== 201) throw new Error(`POST /webhooks answered ${answer.status}: ${answer.text}`);
  return answer.body;
}

eachAdapterSet((set) => {
  const api = perSetHarness(test, set, { webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 500 } });

  test(`${set.name}: a webhook's secret is shown once on create, never again, sealed at rest and never logged`, async (t) => {
    const h = api();
    const created = await h.request('POST', '/webhooks', {
      body: { url: 'http://127.0.0.1:9/hooks', events: ['shipment.status_changed', 'sync.failed', 'sync.failed'], description: 'ERP' },
    });
    t.is(created.status, 201, created.text);
    WebhookWithSecret.parse(created.body);
    const { secret, id } = created.body;
    t.regex(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
    t.true(bytes >= 24 && bytes <= 64, `${bytes} secret bytes`);
    t.deepEqual(created.body.events, ['shipment.status_changed', 'sync.failed'], 'duplicates dropped');
    t.is(created.body.active, true);
    t.is(created.headers.get('location'), `/webhooks/${id}`);
    t.is(created.headers.get('cache-control'), 'no-store');

    const one = await h.request('GET', `/webhooks/${id}`);
    t.is(one.status, 200);
    WebhookSchema.parse(one.body);
    t.false('secret' in one.body);
    const list = await h.request('GET', '/webhooks');
    WebhookList.parse(list.body);
    t.true(list.body.data.some((w: { id: number }) => w.id === id));
    t.false(list.text.includes(secret.slice(6)));

    const row = await h.env.knex('webhooks').where({ id }).first();
    t.false(JSON.stringify(row).includes(secret.slice(6)), 'not stored in the clear');
    t.is(h.secretBox.open(row.secret_sealed), secret);
    t.false(h.logLines.join('').includes(secret.slice(6)), 'never logged');
  });

  test(`${set.name}: a webhook is changed, disabled, enabled again and deleted`, async (t) => {
    const h = api();
    const { id } = await createWebhook(h, { url: 'http://127.0.0.1:9/a', events: ['sync.succeeded'] });
    const patched = await h.request('PATCH', `/webhooks/${id}`, { body: { url: 'http://127.0.0.1:9/b', events: ['shipment.created'], description: 'shop front', active: false } });
    t.is(patched.status, 200, patched.text);
    t.like(patched.body, { url: 'http://127.0.0.1:9/b', events: ['shipment.created'], description: 'shop front', active: false, disabled_reason: null });
    t.truthy(patched.body.disabled_at);

    await h.env.knex('webhooks').where({ id }).update({ disabled_reason: 'The receiver answered 410 Gone', consecutive_failures: 7, blocked_until: Date.now() + 60_000 });
    const enabled = await h.request('PATCH', `/webhooks/${id}`, { body: { active: true } });
    t.like(enabled.body, { active: true, disabled_reason: null, disabled_at: null, consecutive_failures: 0 });
    t.is((await h.env.knex('webhooks').where({ id }).first()).blocked_until, null, 'the circuit is closed again');

    const empty = await h.request('PATCH', `/webhooks/${id}`, { body: {} });
    t.is(empty.status, 400);
    t.is((await h.request('DELETE', `/webhooks/${id}`)).status, 204);
    t.is((await h.request('GET', `/webhooks/${id}`)).status, 404);
    t.is((await h.request('DELETE', `/webhooks/${id}`)).status, 404);
  });

  test(`${set.name}: bad subscriptions are a 400 naming each field`, async (t) => {
    const h = api();
    const answer = await h.request('POST', '/webhooks', { body: { url: 'not a url', events: ['shipment.created', 'shipment.exploded'], colour: 'red' } });
    t.is(answer.status, 400);
    const fields = answer.body.error.details.map((d: { field: string }) => d.field).sort();
    t.deepEqual(fields, ['colour', 'events.1', 'url']);
    const none = await h.request('POST', '/webhooks', { body: { url: 'https://example.com/hook', events: [] } });
    t.is(none.status, 400);
    t.deepEqual(none.body.error.details, [{ field: 'events', reason: 'must name at least one event type' }]);
    const test = await h.request('POST', '/webhooks', { body: { url: 'https://example.com/hook', events: ['webhook.test'] } });
    t.is(test.status, 400, 'webhook.test is sent by the test button, not subscribed to');
  });

  test(`${set.name}: URLs that are not https or reach private, loopback or metadata addresses are refused without the settings`, async (t) => {
    const h = api();
    // The same app with the production policy: no settings given.
    const strict = await startWeb({ knex: h.env.knex, queue: h.env.queue, secretBox: h.secretBox, apiToken: h.token, platforms: platformsFromEnv({ BOL_LOGIN_URL: h.bol.url }), logger: pino({ level: 'silent' }) }, 0);
    t.teardown(() => strict.close(500));
    const post = (url: string) =>
      fetch(`${strict.url}/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url, events: ['sync.failed'] }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    const plain = await post('http://example.com/hook');
    t.is(plain.status, 422);
    t.is(plain.body.error.code, 'url_refused');
    t.regex(plain.body.error.message, /must use https.*WEBHOOK_ALLOW_HTTP/);
    for (const url of [
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://172.20.0.1/hook',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://2130706433/hook', // 127.0.0.1 written as one number
      'https://0.0.0.0/hook',
      'https://localhost/hook', // a name that resolves to loopback
    ]) {
      const answer = await post(url);
      t.is(answer.status, 422, url);
      t.regex(answer.body.error.message, /loopback, private, link-local or reserved/, url);
      t.deepEqual(answer.body.error.details.field, 'url');
    }
    const metadata = await post('https://169.254.169.254/latest/meta-data');
    t.is(metadata.status, 422);
    t.regex(metadata.body.error.message, /metadata|link-local/);
    t.is((await post('https://user:pass@example.com/hook')).status, 422);
    t.is((await h.env.knex('webhooks').where('url', 'like', '%example.com%')).length, 0, 'nothing refused was stored');

    // With the settings (local development, tests) loopback is fine; metadata never is.
    t.is((await h.request('POST', '/webhooks', { body: { url: 'http://127.0.0.1:9/hook', events: ['sync.failed'] } })).status, 201);
    const stillRefused = await h.request('POST', '/webhooks', { body: { url: 'http://169.254.169.254/latest', events: ['sync.failed'] } });
    t.is(stillRefused.status, 422);
    t.regex(stillRefused.body.error.message, /cloud metadata/);
  });

  test(`${set.name}: the test button sends a signed webhook.test at once and answers status, time and error`, async (t) => {
    const h = api();
    const receiver = await startReceiver((n) => (n === 1 ? 200 : 503));
    t.teardown(() => receiver.close());
    const webhook = await createWebhook(h, { url: receiver.url, events: ['sync.failed'] });

    const sentAt = Date.now();
    const ok = await h.request('POST', `/webhooks/${webhook.id}/test`);
    const answeredInMs = Date.now() - sentAt;
    t.is(ok.status, 200, ok.text);
    WebhookTestResult.parse(ok.body);
    t.like(ok.body, { success: true, status_code: 200, error: null });
    t.true(ok.body.duration_ms >= 0 && ok.body.duration_ms <= answeredInMs, 'the delivery took part of the request\'s time');
    t.is(receiver.received.length, 1);
    const body = verify(webhook.secret, receiver.received[0]!);
    t.is(body.type, 'webhook.test');
    t.is(body.id, ok.body.event_id);
    t.is(receiver.received[0]!.headers['webhook-id'], ok.body.event_id);
    t.is(receiver.received[0]!.headers['content-type'], 'application/json');
    t.is(body.data.webhook_id, webhook.id);

    const failed = await h.request('POST', `/webhooks/${webhook.id}/test`);
    t.like(failed.body, { success: false, status_code: 503, error: 'Answered 503.' });

    await receiver.close();
    const dead = await h.request('POST', `/webhooks/${webhook.id}/test`);
    t.like(dead.body, { success: false, status_code: null });
    t.regex(dead.body.error, /refused/i);

    const log = await h.request('GET', `/webhooks/${webhook.id}/deliveries`);
    WebhookDeliveryList.parse(log.body);
    t.deepEqual(
      log.body.data.map((d: any) => [d.trigger, d.event_type, d.status, d.status_code]),
      [
        ['test', 'webhook.test', 'failed', null],
        ['test', 'webhook.test', 'failed', 503],
        ['test', 'webhook.test', 'succeeded', 200],
      ],
    );
    t.is((await h.env.knex('webhooks').where({ id: webhook.id }).first()).consecutive_failures, 0, 'tests do not count towards disabling');
  });

  test(`${set.name}: a hanging receiver makes the test button answer with a timeout, not hang`, async (t) => {
    const h = api();
    const receiver = await startReceiver(() => 'hang');
    t.teardown(() => receiver.close());
    const webhook = await createWebhook(h, { url: receiver.url, events: ['sync.failed'] });
    const startedAt = Date.now();
    const answer = await h.request('POST', `/webhooks/${webhook.id}/test`);
    t.like(answer.body, { success: false, status_code: null });
    t.regex(answer.body.error, /timed out/);
    t.true(Date.now() - startedAt < 2_000);
  });

  test(`${set.name}: during a secret rotation messages carry both signatures; the old secret can be dropped at once`, async (t) => {
    const h = api();
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const webhook = await createWebhook(h, { url: receiver.url, events: ['sync.failed'] });
    const rotated = await h.request('POST', `/webhooks/${webhook.id}/rotate-secret`);
    t.is(rotated.status, 200, rotated.text);
    WebhookWithSecret.parse(rotated.body);
    t.not(rotated.body.secret, webhook.secret);
    t.truthy(rotated.body.previous_secret_expires_at);
    const inADay = Date.parse(rotated.body.previous_secret_expires_at) - Date.now();
    t.true(inADay > 23 * 3_600_000 && inADay <= 24 * 3_600_000);

    await h.request('POST', `/webhooks/${webhook.id}/test`);
    const during = receiver.received.at(-1)!;
    t.is(String(during.headers['webhook-signature']).split(' ').length, 2);
    t.true(verifies(rotated.body.secret, during), 'the new secret verifies');
    t.true(verifies(webhook.secret, during), 'the old secret still verifies');

    const dropped = await h.request('POST', `/webhooks/${webhook.id}/rotate-secret`, { body: { expire_previous_after_seconds: 0 } });
    t.is(dropped.body.previous_secret_expires_at, null);
    await h.request('POST', `/webhooks/${webhook.id}/test`);
    const after = receiver.received.at(-1)!;
    t.is(String(after.headers['webhook-signature']).split(' ').length, 1);
    t.true(verifies(dropped.body.secret, after));
    t.false(verifies(rotated.body.secret, after), 'the dropped secret no longer verifies');
    t.false(h.logLines.join('').includes(dropped.body.secret.slice(6)));

    const bad = await h.request('POST', `/webhooks/${webhook.id}/rotate-secret`, { body: { expire_previous_after_seconds: -1 } });
    t.is(bad.status, 400);
  });

  test(`${set.name}: re-sends are refused for disabled webhooks, unknown deliveries and deliveries still queued`, async (t) => {
    const h = api();
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const webhook = await createWebhook(h, { url: receiver.url, events: ['sync.failed'] });
    const tested = await h.request('POST', `/webhooks/${webhook.id}/test`);
    const other = await createWebhook(h, { url: receiver.url, events: ['sync.failed'] });

    t.is((await h.request('POST', `/webhooks/${other.id}/deliveries/${tested.body.delivery_id}/retry`)).status, 404, 'a delivery of another webhook');
    t.is((await h.request('POST', `/webhooks/${webhook.id}/deliveries/999999/retry`)).status, 404);
    t.is((await h.request('POST', `/webhooks/${webhook.id}/deliveries/abc/retry`)).status, 400);

    const queued = await h.request('POST', `/webhooks/${webhook.id}/deliveries/${tested.body.delivery_id}/retry`);
    t.is(queued.status, 202, queued.text);
    t.like(queued.body, { trigger: 'manual', status: 'pending', event_id: tested.body.event_id, attempt: 2 });
    const again = await h.request('POST', `/webhooks/${webhook.id}/deliveries/${queued.body.id}/retry`);
    t.is(again.status, 409);
    t.is(again.body.error.code, 'delivery_pending');

    await h.request('PATCH', `/webhooks/${webhook.id}`, { body: { active: false } });
    const disabled = await h.request('POST', `/webhooks/${webhook.id}/deliveries/${tested.body.delivery_id}/retry`);
    t.is(disabled.status, 409);
    t.is(disabled.body.error.code, 'webhook_disabled');

    const paged = await h.request('GET', `/webhooks/${webhook.id}/deliveries?limit=1`);
    t.is(paged.body.data.length, 1);
    t.truthy(paged.body.next_cursor);
    const next = await h.request('GET', `/webhooks/${webhook.id}/deliveries?limit=1&cursor=${paged.body.next_cursor}`);
    t.is(next.body.data[0].id, tested.body.delivery_id);
    t.is(next.body.next_cursor, null);
    t.is((await h.request('GET', `/webhooks/${webhook.id}/deliveries?cursor=${paged.body.next_cursor}&status=failed`)).status, 400, 'a cursor for other filters');
  });
  test(`${set.name}: /openapi.json documents every webhook route with its parameters`, async (t) => {
    const h = api();
    const doc = (await h.request('GET', '/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/webhooks'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const served = listRoutes().filter((r) => r.split(' ')[1]!.startsWith('/webhooks'));
    t.deepEqual([...documented].sort(), [...served].sort());
    t.is(served.length, 9);
    const retry = doc.paths['/webhooks/{id}/deliveries/{delivery_id}/retry'].post;
    t.deepEqual(retry.parameters.map((p: any) => p.name).sort(), ['delivery_id', 'id']);
    t.deepEqual(Object.keys(doc.components.schemas.Webhook.properties).includes('secret'), false);
    t.true(Object.keys(doc.components.schemas.WebhookWithSecret.properties).includes('secret'));
  });
  test(`${set.name}: a SECRETS_KEY rotation re-seals webhook secrets, which stay the same`, async (t) => {
    // Its own database: every webhook in it must be sealed with the keys of this test.
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const h = { env };
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const oldBox = createSecretBox(oldKey);
    const current = oldBox.seal('whsec_current');
    const previous = oldBox.seal('whsec_previous');
    const [id] = await h.env.knex('webhooks').insert({
      url: 'http://127.0.0.1:9/reseal',
      events: '["sync.failed"]',
      active: true,
      secret_key_id: current.keyId,
      secret_sealed: current.sealed,
      previous_secret_key_id: previous.keyId,
      previous_secret_sealed: previous.sealed,
      previous_secret_expires_at: Date.now() + 60_000,
      created_at: Date.now(),
      updated_at: Date.now(),
    });
    const rotating = createSecretBox(newKey, [oldKey]);
    t.is(await resealWebhookSecrets(h.env.knex, rotating), 1);
    const row = await h.env.knex('webhooks').where({ id }).first();
    const onlyNew = createSecretBox(newKey);
    t.is(row.secret_key_id, onlyNew.keyId);
    t.is(onlyNew.open(row.secret_sealed), 'whsec_current');
    t.is(onlyNew.open(row.previous_secret_sealed), 'whsec_previous');
    t.is(await resealWebhookSecrets(h.env.knex, rotating), 0, 'nothing left to re-seal');
  });
});
