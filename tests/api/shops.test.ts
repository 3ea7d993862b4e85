import test from 'ava';
import { Shop } from '../../api/schemas.ts';
import { startWeb } from '../../api/create-web.ts';
import { loadShopCredentialsAndToken, loadShopToken } from '../../models/shop-credentials.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { createShop, perSetHarness } from '../helpers/api.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';

eachAdapterSet((set) => {
  const api = perSetHarness(test, set);

  test(`${set.name}: creating a shop with good credentials answers 201 with the shop and no secret anywhere`, async (t) => {
    const h = api();
    const answer = await h.request('POST', '/shops', {
      body: { name: '  Acme NL  ', platform: 'bol', credentials: { client_id: h.bolClient.clientId, client_secret: h.bolClient.clientSecret } },
    });
    t.is(answer.status, 201, answer.text);
    t.notThrows(() => Shop.parse(answer.body), 'the body matches the documented Shop schema');
    t.like(answer.body, { name: 'Acme NL', platform: 'bol', status: 'active', status_reason: null, has_credentials: true, sync_interval_minutes: 15, last_synced_at: null });
    t.is(answer.headers.get('location'), `/shops/${answer.body.id}`);
    t.false(answer.text.includes(h.bolClient.clientSecret), 'the secret is not in the body');
    t.false(answer.text.includes(h.bolClient.clientId), 'the client id is not in the body');

    // Stored sealed, with the token bol gave during the check, so the first sync needs no new one.
    const row = await h.env.knex('shop_credentials').where({ shop_id: answer.body.id }).first();
    t.false(JSON.stringify(row).includes(h.bolClient.clientSecret), 'the secret is sealed at rest');
    t.deepEqual((await loadShopCredentialsAndToken(h.env.knex, h.secretBox, answer.body.id))?.credentials, { client_id: h.bolClient.clientId, client_secret: h.bolClient.clientSecret });
    const token = await loadShopToken(h.env.knex, h.secretBox, answer.body.id);
    t.truthy(token?.accessToken);
    t.true(token!.expiresAt > Date.now());

    for (const path of ['/shops', `/shops/${answer.body.id}`]) {
      const read = await h.request('GET', path);
      t.is(read.status, 200);
      t.false(read.text.includes(h.bolClient.clientSecret) || read.text.includes(h.bolClient.clientId), `${path} shows no credential`);
    }
    t.false(h.logLines.join('').includes(h.bolClient.clientSecret), 'the secret never reaches a log line');
    t.false(h.logLines.join('').includes(h.token), 'the API token never reaches a log line');
  });

  test(`${set.name}: credentials bol refuses answer 422 credentials_refused and create nothing`, async (t) => {
    const h = api();
    const before = await h.request('GET', '/shops');
    const answer = await h.request('POST', '/shops', {
      body: { name: 'Wrong', platform: 'bol', credentials: { client_id: h.bolClient.clientId, client_secret: 'not-the-secret' } },
    });
    t.is(answer.status, 422, answer.text);
    t.is(answer.body.error.code, 'credentials_refused');
    t.regex(answer.body.error.message, /refused/);
    t.false(answer.text.includes('not-the-secret'));
    const after = await h.request('GET', '/shops');
    t.false(after.body.data.some((s: { name: string }) => s.name === 'Wrong'), 'no shop was created');
    t.true(after.body.data.length >= 0 && before.status === 200);
  });

  test(`${set.name}: an unreachable bol answers 503 provider_unavailable`, async (t) => {
    const h = api();
    // Same database, but a login URL where nothing listens.
    const web = await startWeb({ knex: h.env.knex, queue: h.env.queue, secretBox: h.secretBox, apiToken: h.token, platforms: platformsFromEnv({ BOL_LOGIN_URL: 'http://127.0.0.1:9' }), logger: (await import('pino')).default({ level: 'silent' }) }, 0);
    try {
      const res = await fetch(`${web.url}/shops`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Later', platform: 'bol', credentials: { client_id: 'a', client_secret: 'b' } }),
      });
      const body = (await res.json()) as { error: { code: string; message: string } };
      t.is(res.status, 503);
      t.is(body.error.code, 'provider_unavailable');
      t.regex(body.error.message, /try again/);
    } finally {
      await web.close(100);
    }
  });

  test(`${set.name}: invalid shop bodies answer 400 naming each field`, async (t) => {
    const h = api();
    const cases: { body: unknown; fields: string[] }[] = [
      { body: {}, fields: ['name', 'platform', 'credentials'] },
      { body: { name: '', platform: 'bol', credentials: { client_id: 'a', client_secret: 'b' } }, fields: ['name'] },
      { body: { name: 'x'.repeat(201), platform: 'bol', credentials: { client_id: 'a', client_secret: 'b' } }, fields: ['name'] },
      { body: { name: 'ok', platform: 'amazon', credentials: { client_id: 'a', client_secret: 'b' } }, fields: ['platform'] },
      { body: { name: 'ok', platform: 'bol', credentials: { client_id: '', client_secret: 7 } }, fields: ['credentials.client_id', 'credentials.client_secret'] },
      { body: { name: 'ok', platform: 'bol', credentials: { client_id: 'a', client_secret: 'b', extra: 1 } }, fields: ['credentials.extra'] },
      { body: { name: 'ok', platform: 'bol', credentials: { client_id: 'a', client_secret: 'b' }, status: 'active' }, fields: ['status'] },
      { body: { name: 'ok', platform: 'bol', credentials: { client_id: 'a', client_secret: 'b' }, sync_interval_minutes: 0 }, fields: ['sync_interval_minutes'] },
      { body: [1, 2], fields: ['body'] },
    ];
    for (const c of cases) {
      const answer = await h.request('POST', '/shops', { body: c.body });
      t.is(answer.status, 400, JSON.stringify(c.body));
      t.is(answer.body.error.code, 'validation_failed');
      const fields = answer.body.error.details.map((d: { field: string }) => d.field).sort();
      t.deepEqual(fields, [...c.fields].sort(), JSON.stringify(c.body));
      for (const d of answer.body.error.details) t.true(typeof d.reason === 'string' && d.reason.length > 0);
    }
    const unknown = await h.request('POST', '/shops', { body: { name: 'ok', platform: 'bol', credentials: { client_id: 'a', client_secret: 'b' }, colour: 'red' } });
    t.deepEqual(unknown.body.error.details, [{ field: 'colour', reason: 'is not a known field' }]);
  });

  test(`${set.name}: bodies that are not JSON answer 400, too large ones 413`, async (t) => {
    const h = api();
    const broken = await h.request('POST', '/shops', { body: '{"name": "x",' });
    t.is(broken.status, 400);
    t.is(broken.body.error.code, 'invalid_json');
    const scalar = await h.request('POST', '/shops', { body: '"just a string"' });
    t.is(scalar.status, 400);
    const form = await h.request('POST', '/shops', { body: 'name=x&platform=bol', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.is(form.status, 400);
    t.is(form.body.error.code, 'invalid_json');
    const huge = await h.request('POST', '/shops', { body: JSON.stringify({ name: 'x'.repeat(1_100_000) }) });
    t.is(huge.status, 413);
    t.is(huge.body.error.code, 'payload_too_large');
  });

  test(`${set.name}: PATCH renames, pauses and changes the interval; DELETE answers 202 with a deletion and the shop reads deleting`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    const renamed = await h.request('PATCH', `/shops/${shop.id}`, { body: { name: 'Renamed', status: 'paused', sync_interval_minutes: 60 } });
    t.is(renamed.status, 200, renamed.text);
    t.like(renamed.body, { id: shop.id, name: 'Renamed', status: 'paused', sync_interval_minutes: 60 });
    t.notThrows(() => Shop.parse(renamed.body));
    t.like((await h.request('GET', `/shops/${shop.id}`)).body, { name: 'Renamed', status: 'paused' });

    for (const body of [{}, { status: 'credentials_refused' }, { sync_interval_minutes: 1441 }, { platform: 'bol' }, { name: 5 }]) {
      const bad = await h.request('PATCH', `/shops/${shop.id}`, { body });
      t.is(bad.status, 400, JSON.stringify(body));
      t.true(bad.body.error.details.length > 0);
    }
    t.is((await h.request('PATCH', '/shops/999999', { body: { name: 'x' } })).status, 404);
    // The credentials' problems come in the same 400 as the other fields'.
    const both = await h.request('PATCH', `/shops/${shop.id}`, { body: { name: 5, credentials: { client_id: '' } } });
    t.is(both.status, 400, both.text);
    const fields = (both.body.error.details as { field: string }[]).map((d) => d.field);
    t.true(fields.includes('name'), fields.join());
    t.true(fields.some((f) => f.startsWith('credentials.')), fields.join());

    const now = Date.now();
    const [shipmentId] = await h.env.knex('shipments').insert({ shop_id: shop.id, source: 'bol', platform_id: 'p1', status: 'pending', created_at: now, updated_at: now });
    // The deletion itself is a worker's job (tests/deletions); here the API's side of it.
    const deleted = await h.request('DELETE', `/shops/${shop.id}`);
    t.is(deleted.status, 202, deleted.text);
    t.like(deleted.body, { target: 'shop', shop_id: shop.id, status: 'queued', rows_total: 1, rows_deleted: 0 });
    t.is(deleted.headers.get('location'), `/deletions/${deleted.body.id}`);
    t.like((await h.request('GET', `/shops/${shop.id}`)).body, { status: 'deleting' });
    t.is((await h.request('DELETE', `/shops/${shop.id}`)).body.id, deleted.body.id, 'asking again answers the same deletion');
    const patched = await h.request('PATCH', `/shops/${shop.id}`, { body: { name: 'x' } });
    t.is(patched.status, 409);
    t.is(patched.body.error.code, 'shop_being_deleted');
    t.is((await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'initial' } })).status, 409);
    t.truthy(await h.env.knex('shipments').where({ id: shipmentId }).first(), 'nothing deleted in the request');
    t.is((await h.request('DELETE', '/shops/999999')).status, 404);
  });

  test(`${set.name}: replacing refused credentials re-checks them with bol and makes the shop active again`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    // What the crawler does when bol refuses the stored credentials.
    await h.env.knex('shops').where({ id: shop.id }).update({ status: 'credentials_refused', status_reason: 'bol refused the client id and secret' });

    const resume = await h.request('PATCH', `/shops/${shop.id}`, { body: { status: 'active' } });
    t.is(resume.status, 409);
    t.is(resume.body.error.code, 'credentials_refused');

    const refused = await h.request('PATCH', `/shops/${shop.id}`, { body: { credentials: { client_id: h.bolClient.clientId, client_secret: 'still-wrong' } } });
    t.is(refused.status, 422);
    t.is(refused.body.error.code, 'credentials_refused');
    t.like((await h.request('GET', `/shops/${shop.id}`)).body, { status: 'credentials_refused' });

    const replaced = await h.request('PATCH', `/shops/${shop.id}`, { body: { credentials: { client_id: h.bolClient.clientId, client_secret: h.bolClient.clientSecret } } });
    t.is(replaced.status, 200, replaced.text);
    t.like(replaced.body, { status: 'active', status_reason: null, has_credentials: true });
    t.false(replaced.text.includes(h.bolClient.clientSecret));
    t.truthy(await loadShopToken(h.env.knex, h.secretBox, shop.id), 'the new token is stored');
  });

  test(`${set.name}: path ids that are not positive integers answer 400 naming id`, async (t) => {
    const h = api();
    for (const id of ['0', '-1', 'abc', '1.5', '1e3', '99999999999999999999', '%20']) {
      const answer = await h.request('GET', `/shops/${id}`);
      t.is(answer.status, 400, id);
      t.deepEqual(answer.body.error.details.map((d: { field: string }) => d.field), ['id'], id);
    }
  });
});
