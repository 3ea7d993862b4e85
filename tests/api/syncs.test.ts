import test from 'ava';
import { SyncRun, SyncRunList } from '../../api/schemas.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { createShop, perSetHarness, type ApiHarness } from '../helpers/api.ts';
import { openEvents } from '../helpers/sse.ts';

eachAdapterSet((set) => {
  const api = perSetHarness(test, set);

  test(`${set.name}: POST /shops/:id/syncs answers 202 with a queued run, and 409 while it is active`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    const readyBefore = await h.env.queue.countReady();
    const started = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'initial' } });
    t.is(started.status, 202, started.text);
    t.notThrows(() => SyncRun.parse(started.body));
    t.like(started.body, { shop_id: shop.id, stream: 'shipments', type: 'initial', status: 'queued', pages_fetched: 0, records_upserted: 0, requests_made: 0, error: null });
    t.is(started.headers.get('location'), `/syncs/${started.body.id}`);
    t.true((await h.env.queue.countReady()) > readyBefore, 'the first page job is on the queue');

    const again = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'initial' } });
    t.is(again.status, 409);
    t.is(again.body.error.code, 'sync_already_running');
    t.is(again.body.error.details.sync_run_id, started.body.id);
    const incremental = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'incremental' } });
    t.is(incremental.status, 409, 'an incremental cannot start either while a run is active');
  });

  test(`${set.name}: an incremental sync before any finished initial sync answers 409 initial_sync_required`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    const answer = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'incremental' } });
    t.is(answer.status, 409);
    t.is(answer.body.error.code, 'initial_sync_required');
    t.regex(answer.body.error.message, /initial/);
  });

  test(`${set.name}: a paused shop or one whose credentials were refused cannot sync (409 shop_not_active)`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    await h.request('PATCH', `/shops/${shop.id}`, { body: { status: 'paused' } });
    const paused = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'initial' } });
    t.is(paused.status, 409);
    t.is(paused.body.error.code, 'shop_not_active');
    t.regex(paused.body.error.message, /paused/);

    await h.env.knex('shops').where({ id: shop.id }).update({ status: 'credentials_refused', status_reason: 'bol said 401 invalid_client' });
    const refused = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'initial' } });
    t.is(refused.status, 409);
    t.is(refused.body.error.code, 'shop_not_active');
    t.regex(refused.body.error.message, /refused.*replace them/);
  });

  test(`${set.name}: sync bodies and unknown shops answer 400 and 404`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    for (const body of [{}, { type: 'full' }, { type: 'initial', stream: 'products' }]) {
      const answer = await h.request('POST', `/shops/${shop.id}/syncs`, { body });
      t.is(answer.status, 400, JSON.stringify(body));
      t.is(answer.body.error.code, 'validation_failed');
    }
    t.is((await h.request('POST', '/shops/987654/syncs', { body: { type: 'initial' } })).status, 404);
    t.is((await h.request('GET', '/shops/987654/syncs')).status, 404);
    t.is((await h.request('GET', '/syncs/987654')).status, 404);
    t.is((await h.request('GET', '/syncs/987654/events')).status, 404);
  });

  test(`${set.name}: GET /syncs/:id shows live counts, GET /shops/:id/syncs lists runs newest first`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    const first = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'initial' } });
    await finishRun(h, first.body.id, 'succeeded');
    const second = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'incremental' } });
    t.is(second.status, 202, 'an incremental may start once an initial sync succeeded');
    await h.env.knex('sync_runs').where({ id: second.body.id }).update({ status: 'running', pages_fetched: 3, records_upserted: 150, requests_made: 7, started_at: Date.now() });

    const one = await h.request('GET', `/syncs/${second.body.id}`);
    t.is(one.status, 200);
    t.notThrows(() => SyncRun.parse(one.body));
    t.like(one.body, { id: second.body.id, type: 'incremental', status: 'running', pages_fetched: 3, records_upserted: 150, requests_made: 7 });
    t.truthy(one.body.started_at);

    const list = await h.request('GET', `/shops/${shop.id}/syncs`);
    t.is(list.status, 200);
    t.notThrows(() => SyncRunList.parse(list.body));
    t.deepEqual(list.body.data.map((r: { id: number }) => r.id), [second.body.id, first.body.id]);
    const limited = await h.request('GET', `/shops/${shop.id}/syncs?limit=1`);
    t.deepEqual(limited.body.data.map((r: { id: number }) => r.id), [second.body.id]);
    for (const limit of ['0', '51', 'x', '']) {
      const bad = await h.request('GET', `/shops/${shop.id}/syncs?limit=${limit}`);
      t.is(bad.status, 400, limit);
      t.is(bad.body.error.details[0].field, 'limit');
    }
  });

  test(`${set.name}: /syncs/:id/events streams the current run first, each change, then done`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    const started = await h.request('POST', `/shops/${shop.id}/syncs`, { body: { type: 'initial' } });
    const runId = started.body.id as number;

    const stream = await openEvents(h.url + `/syncs/${runId}/events`, h.token);
    t.is(stream.response.statusCode, 200);
    t.regex(String(stream.response.headers['content-type']), /^text\/event-stream/);
    t.is(stream.response.headers['cache-control'], 'no-cache');
    t.is(stream.response.headers['x-accel-buffering'], 'no');

    const first = await stream.next();
    t.is(first.event, 'progress');
    t.like(first.data, { id: runId, status: 'queued', pages_fetched: 0 });

    await h.env.knex('sync_runs').where({ id: runId }).update({ status: 'running', pages_fetched: 2, records_upserted: 100, updated_at: Date.now() });
    const running = await stream.next();
    t.is(running.event, 'progress');
    t.like(running.data, { status: 'running', pages_fetched: 2, records_upserted: 100 });

    await finishRun(h, runId, 'succeeded');
    const last = await stream.next();
    t.is(last.event, 'progress');
    t.like(last.data, { status: 'succeeded' });
    const done = await stream.next();
    t.is(done.event, 'done');
    t.like(done.data, { id: runId, status: 'succeeded' });
    t.true(await stream.ended());
    t.pass('the stream ended after done');

    // A finished run: its state and done at once.
    const again = await openEvents(h.url + `/syncs/${runId}/events`, h.token);
    t.is((await again.next()).event, 'progress');
    t.is((await again.next()).event, 'done');
    await again.ended;
  });
});

async function finishRun(h: ApiHarness, id: number, status: 'succeeded' | 'failed'): Promise<void> {
  const now = Date.now();
  await h.env.knex('sync_runs').where({ id }).update({ status, active_key: null, finished_at: now, updated_at: now });
}

