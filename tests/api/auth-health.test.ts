import test from 'ava';
import pino from 'pino';
import { Health } from '../../api/schemas.ts';
import { listRoutes } from '../../api/app.ts';
import { startWeb } from '../../api/create-web.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { perSetHarness } from '../helpers/api.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';

eachAdapterSet((set) => {
  const api = perSetHarness(test, set);

  test(`${set.name}: /health answers 200 without a token`, async (t) => {
    const h = api();
    const answer = await h.request('GET', '/health', { token: null });
    t.is(answer.status, 200);
    t.deepEqual(answer.body, { status: 'ok' });
    t.notThrows(() => Health.parse(answer.body));
  });

  test(`${set.name}: every other route answers 401 without the right bearer token, saying how to authenticate`, async (t) => {
    const h = api();
    const routes = listRoutes().filter((r) => r !== 'GET /health');
    t.true(routes.length >= 12);
    for (const route of routes) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace('{id}', '1');
      for (const auth of [{ token: null }, { token: 'wrong-token' }, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }]) {
        const answer = await h.request(method, path, { ...auth, body: method === 'GET' || method === 'DELETE' ? undefined : {} });
        t.is(answer.status, 401, `${route} ${JSON.stringify(auth)}`);
        t.is(answer.body.error.code, 'unauthorized');
        t.regex(answer.body.error.message, /Authorization: Bearer <API_TOKEN>/);
        t.regex(answer.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    }
    // The scheme name is case-insensitive (RFC 7235).
    t.is((await h.request('GET', '/shops', { headers: { authorization: `bearer ${h.token}` } })).status, 200);
    t.false(h.logLines.join('').includes('wrong-token'), 'a presented token is never logged');
  });

  test(`${set.name}: every answer carries X-Request-Id, a plain incoming one is kept`, async (t) => {
    const h = api();
    const generated = await h.request('GET', '/shops');
    t.regex(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const kept = await h.request('GET', '/shops', { headers: { 'x-request-id': 'edge-1234.abc' } });
    t.is(kept.headers.get('x-request-id'), 'edge-1234.abc');
    const replaced = await h.request('GET', '/shops', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    t.not(replaced.headers.get('x-request-id'), 'bad id\twith spaces');
    t.true(h.logLines.some((line) => line.includes('"request_id":"edge-1234.abc"')), 'log lines carry the request id');
  });

  test(`${set.name}: unknown routes answer 404 route_not_found, wrong methods 405 with Allow`, async (t) => {
    const h = api();
    const unknown = await h.request('GET', '/nothing-here');
    t.is(unknown.status, 404);
    t.is(unknown.body.error.code, 'route_not_found');
    const wrong = await h.request('PUT', '/shops/1', { body: {} });
    t.is(wrong.status, 405);
    t.is(wrong.body.error.code, 'method_not_allowed');
    t.regex(wrong.headers.get('allow') ?? '', /PATCH/);
  });

  test(`${set.name}: /health answers 503 naming what is down; our own failures are a logged 500 without internals`, async (t) => {
    // Its own database and queue, to close them under the running API.
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const logLines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    const apiToken = 'x'.repeat(20);
    const web = await startWeb(
      { knex: env.knex, queue: env.queue, secretBox: createSecretBox(Buffer.alloc(32, 1).toString('base64')), apiToken, platforms: platformsFromEnv({ BOL_LOGIN_URL: 'http://127.0.0.1:9' }), logger },
      0,
    );
    t.teardown(() => web.close(100));
    t.is((await fetch(`${web.url}/health`)).status, 200);
    await env.queue.close();
    const queueDown = await fetch(`${web.url}/health`);
    t.is(queueDown.status, 503);
    t.deepEqual(await queueDown.json(), { status: 'unavailable', checks: { database: 'ok', queue: 'error' } });
    await env.knex.destroy();
    const bothDown = await fetch(`${web.url}/health`);
    t.is(bothDown.status, 503);
    t.deepEqual(await bothDown.json(), { status: 'unavailable', checks: { database: 'error', queue: 'error' } });

    const failed = await fetch(`${web.url}/shops`, { headers: { authorization: `Bearer ${apiToken}` } });
    t.is(failed.status, 500);
    const text = await failed.text();
    t.deepEqual(JSON.parse(text), {
      error: { code: 'internal_error', message: 'Something went wrong on our side. It is logged under the request id in the X-Request-Id header.', details: null },
    });
    t.false(/knex|pool|destroy|\bat /i.test(text), 'no internals in the answer');
    const requestId = failed.headers.get('x-request-id');
    const logged = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed');
    t.is(logged?.request_id, requestId, 'the failure is logged under the id the client got');
    t.truthy(logged?.error?.stack, 'the log has the stack the answer does not');
  });
});
