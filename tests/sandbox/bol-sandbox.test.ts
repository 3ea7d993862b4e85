/**
 * The bol sandbox over real HTTP, checked against the wire formats of the bol Retailer v10
 * contract: token flow, paging to {}, detail shape, rate limits, JWT expiry, fault injection.
 */
import test from 'ava';
import type { ReducedShipment, Shipment } from '../../sandbox/bol/index.ts';
import { api, basic, delay, json, requestToken, sandbox, token, V10 } from './helpers.ts';

const PROBLEM_KEYS = ['detail', 'host', 'instance', 'status', 'title', 'type'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// ---------------------------------------------------------------- token

test('POST /token issues a bearer token in bol\'s shape', async (t) => {
  const sb = await sandbox(t, { tokenLifetimeSeconds: 120 });
  const res = await requestToken(sb.url);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/json;charset=UTF-8');
  const body = await json(res);
  t.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  t.regex(String(body.access_token), JWT_SHAPE);
  t.is(body.token_type, 'Bearer');
  t.is(body.expires_in, 120);
  t.is(body.scope, 'RETAILER');
  t.is(sb.stats().tokensIssued, 1);
  t.deepEqual(sb.stats().tokensIssuedByClient, { 'demo-client': 1 });
});

test('POST /token announces 299 seconds by default', async (t) => {
  const sb = await sandbox(t);
  t.is((await json(await requestToken(sb.url))).expires_in, 299);
});

test('POST /token answers bad credentials 401 invalid_client', async (t) => {
  const sb = await sandbox(t);
  for (const [id, secret] of [['demo-client', 'wrong'], ['nobody', 'demo-secret']] as const) {
    const res = await requestToken(sb.url, id, secret);
    t.is(res.status, 401);
    t.deepEqual(await json(res), { error: 'invalid_client', error_description: 'Bad client credentials' });
  }
  const noAuth = await fetch(`${sb.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
  t.is(noAuth.status, 401);
  t.is(sb.stats().tokensIssued, 0);
  t.deepEqual(sb.stats().statusesByEndpoint.token, { '401': 3 });
});

test('POST /token rejects credentials in the URL query, even with valid Basic auth', async (t) => {
  const sb = await sandbox(t);
  const res = await requestToken(sb.url, 'demo-client', 'demo-secret', '?client_id=demo-client&client_secret=demo-secret');
  t.is(res.status, 400);
  const body = await json(res);
  t.is(body.error, 'invalid_request');
  t.regex(String(body.error_description), /query parameters/);
  t.is(sb.stats().tokensIssued, 0);
});

test('POST /token wants grant_type=client_credentials in the form body', async (t) => {
  const sb = await sandbox(t);
  const inQuery = await fetch(`${sb.url}/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { Authorization: basic('demo-client', 'demo-secret') },
  });
  t.is(inQuery.status, 400);
  t.is((await json(inQuery)).error, 'invalid_request');

  const wrongGrant = await fetch(`${sb.url}/token`, {
    method: 'POST',
    headers: { Authorization: basic('demo-client', 'demo-secret') },
    body: new URLSearchParams({ grant_type: 'password' }),
  });
  t.is(wrongGrant.status, 400);
  t.is((await json(wrongGrant)).error, 'unsupported_grant_type');
  t.is(sb.stats().tokensIssued, 0);
});

// ---------------------------------------------------------------- API authentication

test('API calls without a valid bearer token get a 401 Problem', async (t) => {
  const sb = await sandbox(t);
  const none = await fetch(`${sb.url}/retailer/shipments`, { headers: { Accept: V10 } });
  t.is(none.status, 401);
  t.is(none.headers.get('content-type'), V10);
  const body = await json(none);
  t.deepEqual(Object.keys(body).sort(), PROBLEM_KEYS);
  t.is(body.type, 'https://api.bol.com/problems');
  t.is(body.title, 'Unauthorized');
  t.is(body.status, 401);
  t.is(body.instance, `${sb.url}/retailer/shipments`);

  const garbage = await api(sb.url, '/retailer/shipments', 'not-a-token');
  t.is(garbage.status, 401);
  t.is((await json(garbage)).title, 'Unauthorized');
  t.truthy(garbage.headers.get('x-request-id'));
  t.is(sb.stats().jwtExpired, 0);
});

test('a token in the URL query is rejected', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  const res = await api(sb.url, `/retailer/shipments?access_token=${accessToken}`, accessToken);
  t.is(res.status, 400);
  const body = await json<{ violations: { name: string }[] }>(res);
  t.deepEqual(body.violations.map((v) => v.name), ['access_token']);
});

test('a wrong Accept header gets a 400 Problem', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  for (const accept of ['application/json', 'application/vnd.retailer.v9+json', '*/*']) {
    const res = await api(sb.url, '/retailer/shipments', accessToken, accept);
    t.is(res.status, 400, accept);
    t.is(res.headers.get('content-type'), V10);
    const body = await json<{ violations: { name: string }[]; status: number }>(res);
    t.is(body.status, 400);
    t.deepEqual(body.violations.map((v) => v.name), ['Accept']);
  }
  const withParams = await api(sb.url, '/retailer/shipments', accessToken, `text/plain;q=0.1, ${V10};q=0.9`);
  t.is(withParams.status, 200);
});

test('an inactive account gets its token, then 403 on API calls', async (t) => {
  const sb = await sandbox(t, { clients: [{ clientId: 'sleepy', clientSecret: 's3cret', active: false }] });
  const accessToken = await token(sb.url, 'sleepy', 's3cret');
  const res = await api(sb.url, '/retailer/shipments', accessToken);
  t.is(res.status, 403);
  t.is(res.headers.get('content-type'), V10);
  t.deepEqual(await json(res), {
    title: 'Forbidden',
    status: 403,
    detail: 'Account is not active, access denied. Please contact partnerservice if this is unexpected.',
    host: 'Instance-112',
  });
  t.is((await requestToken(sb.url)).status, 401, 'the default demo client is replaced by the configured clients');
});

// ---------------------------------------------------------------- JWT expiry

test.serial('early expiry answers the exact "Expired JWT" Problem, and a new token works again', async (t) => {
  const sb = await sandbox(t, { earlyExpiryMs: 500 });
  const first = await requestToken(sb.url);
  const { access_token: accessToken, expires_in } = await json<{ access_token: string; expires_in: number }>(first);
  t.is(expires_in, 299, 'expires_in still announces the normal lifetime');
  t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200);

  await delay(600);
  const res = await api(sb.url, '/retailer/shipments', accessToken);
  t.is(res.status, 401);
  t.is(res.headers.get('content-type'), V10);
  const body = await json(res);
  t.deepEqual(Object.keys(body), ['title', 'status', 'detail']);
  t.is(body.title, 'Expired JWT');
  t.is(body.status, 401);
  const detail = String(body.detail);
  const match =
    /^JWT expired at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\. Current time: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ), a difference of (\d+) milliseconds\. {2}Allowed clock skew: 1000 milliseconds\.$/.exec(
      detail,
    );
  t.truthy(match, detail);
  t.true(Number(match?.[3]) >= 40 && Number(match?.[3]) < 5_000, detail);
  t.true(detail.includes('JWT expired'));

  const fresh = await token(sb.url);
  t.is((await api(sb.url, '/retailer/shipments', fresh)).status, 200);
  const stats = sb.stats();
  t.is(stats.jwtExpired, 1);
  t.is(stats.tokensIssued, 2);
  t.is(stats.statusesByEndpoint.list['401'], 1);
});

test('setOptions({ earlyExpiryMs: 0 }) kills tokens already handed out; clearing it revives normal lifetimes', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200);
  sb.setOptions({ earlyExpiryMs: 0 });
  t.is((await json(await api(sb.url, '/retailer/shipments', accessToken))).title, 'Expired JWT');
  sb.setOptions({ earlyExpiryMs: undefined });
  t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200);
});

// ---------------------------------------------------------------- list

test('the list pages by 50, newest first, per fulfilment method, and ends with {}', async (t) => {
  const sb = await sandbox(t, { shipments: 130, seed: 3 });
  const accessToken = await token(sb.url);
  for (const method of ['FBR', 'FBB'] as const) {
    const seen: ReducedShipment[] = [];
    let page = 1;
    for (;;) {
      const res = await api(sb.url, `/retailer/shipments?page=${page}&fulfilment-method=${method}`, accessToken);
      t.is(res.status, 200);
      t.is(res.headers.get('content-type'), V10);
      const text = await res.text();
      const body = JSON.parse(text) as { shipments?: ReducedShipment[] };
      if (!body.shipments) {
        t.is(text, '{}', 'past the end the body is an empty object, no shipments key');
        break;
      }
      t.true(body.shipments.length > 0 && body.shipments.length <= 50);
      seen.push(...body.shipments);
      page += 1;
    }
    const truth = sb.shipments.filter((s) => s.fulfilmentMethod === method);
    t.is(page, Math.ceil(truth.length / 50) + 1, `${method}: one empty page after the last full or partial one`);
    t.deepEqual(seen, truth.map((s) => s.reduced), `${method}: every shipment once, in ground-truth order`);
    const times = seen.map((s) => Date.parse(s.shipmentDateTime));
    t.deepEqual(times, [...times].sort((a, b) => b - a), `${method}: newest first`);
    for (const s of seen) {
      t.deepEqual(Object.keys(s.transport), ['transportId'], 'the list carries no transporterCode or trackAndTrace');
      t.is(typeof s.shipmentId, 'string');
    }
  }
  const stats = sb.stats();
  t.deepEqual(stats.listByPage.FBR['1'], { requests: 1, ok: 1 });
  t.is(Object.keys(stats.listByPage.FBR).length + Object.keys(stats.listByPage.FBB).length, stats.requests.list);
});

test('the list defaults to page 1 of FBR', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  const body = await json<{ shipments: ReducedShipment[] }>(await api(sb.url, '/retailer/shipments', accessToken));
  t.deepEqual(body.shipments, sb.shipments.filter((s) => s.fulfilmentMethod === 'FBR').slice(0, 50).map((s) => s.reduced));
  t.deepEqual(sb.stats().listByPage.FBR, { '1': { requests: 1, ok: 1 } });
});

test('invalid page or fulfilment-method gets a 400 Problem with violations', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  const cases: [string, string[]][] = [
    ['page=0', ['page']],
    ['page=abc', ['page']],
    ['page=1.5', ['page']],
    ['fulfilment-method=ALL', ['fulfilment-method']],
    ['fulfilment-method=fbr', ['fulfilment-method']],
    ['page=-2&fulfilment-method=X', ['page', 'fulfilment-method']],
  ];
  for (const [query, names] of cases) {
    const res = await api(sb.url, `/retailer/shipments?${query}`, accessToken);
    t.is(res.status, 400, query);
    t.is(res.headers.get('content-type'), V10);
    const body = await json<{ type: string; status: number; host: string; violations: { name: string; reason: string }[] }>(res);
    t.is(body.type, 'https://api.bol.com/problems');
    t.is(body.host, 'Instance-101');
    t.deepEqual(body.violations.map((v) => v.name), names, query);
  }
});

test('order-id lists one order\'s shipments whatever their method', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  const target = sb.shipments[7]!;
  const orderId = target.detail.order.orderId;
  const body = await json<{ shipments: ReducedShipment[] }>(await api(sb.url, `/retailer/shipments?order-id=${orderId}`, accessToken));
  t.deepEqual(body.shipments, sb.shipments.filter((s) => s.detail.order.orderId === orderId).map((s) => s.reduced));
  const both = await api(sb.url, `/retailer/shipments?order-id=${orderId}&fulfilment-method=FBR`, accessToken);
  t.is(both.status, 400);
});

// ---------------------------------------------------------------- detail

test('the detail is the full v10 Shipment, equal to the ground truth', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  const picks = [...new Set([sb.shipments[0]!, sb.shipments.find((s) => s.fulfilmentMethod === 'FBB')!, sb.shipments.at(-1)!])];
  for (const truth of picks) {
    const res = await api(sb.url, `/retailer/shipments/${truth.shipmentId}`, accessToken);
    t.is(res.status, 200);
    t.is(res.headers.get('content-type'), V10);
    const body = await json<Shipment>(res);
    t.deepEqual(body, truth.detail);
    t.is(body.shipmentId, truth.shipmentId);
    for (const key of ['shipmentId', 'pickupPoint', 'shipmentDateTime', 'order', 'shipmentDetails', 'billingDetails', 'shipmentItems', 'transport']) {
      t.true(key in body, key);
    }
    for (const key of ['salutation', 'firstName', 'surname', 'streetName', 'houseNumber', 'zipCode', 'city', 'countryCode', 'email', 'language']) {
      t.true(key in body.shipmentDetails, `shipmentDetails.${key}`);
    }
    for (const item of body.shipmentItems) {
      t.is(item.fulfilment.method, truth.fulfilmentMethod);
      t.is(item.fulfilment.distributionParty, truth.fulfilmentMethod === 'FBB' ? 'BOL' : 'RETAILER');
      t.regex(item.fulfilment.latestDeliveryDate, /^\d{4}-\d\d-\d\d$/);
      t.regex(item.product.ean, /^\d{13}$/);
      t.is(item.quantityShipped, item.quantity);
      t.is(typeof item.unitPrice, 'number');
      t.is(typeof item.commission, 'number');
      t.false('ean' in item || 'title' in item || 'offerPrice' in item, 'no v3 field names');
    }
    t.is(typeof body.transport.transportId, 'string');
  }
  t.deepEqual(sb.stats().detailByShipmentId[picks[0]!.shipmentId], { requests: 1, ok: 1 });
});

test('an unknown shipment id gets a 404 Problem', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  const res = await api(sb.url, '/retailer/shipments/999', accessToken);
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), V10);
  const body = await json(res);
  t.deepEqual(Object.keys(body).sort(), PROBLEM_KEYS);
  t.is(body.title, 'Not Found');
  t.is(body.instance, `${sb.url}/retailer/shipments/999`);
  t.deepEqual(sb.stats().detailByShipmentId['999'], { requests: 1, ok: 0 });
});

test('unknown paths get a 404 Problem', async (t) => {
  const sb = await sandbox(t);
  const res = await fetch(`${sb.url}/retailer/orders`);
  t.is(res.status, 404);
  t.is((await json(res)).status, 404);
  t.is(sb.stats().requests.other, 1);
});

// ---------------------------------------------------------------- rate limits

test('GET /retailer/public/ratelimits lists the configured limits without auth', async (t) => {
  const standard = await sandbox(t);
  const res = await fetch(`${standard.url}/retailer/public/ratelimits`);
  t.is(res.status, 200);
  const rules = await json<Record<string, unknown>[]>(res);
  t.deepEqual(rules.filter((r) => (r.methods as string[]).includes('GET')), [
    { path: '/retailer/shipments', methods: ['GET'], maxCapacity: 25, timeToLive: 60, timeUnit: 'SECONDS' },
    { path: '/retailer/shipments/*', methods: ['GET'], maxCapacity: 50, timeToLive: 60, timeUnit: 'SECONDS' },
  ]);

  const fast = await sandbox(t, { limits: { list: { capacity: 5, windowMs: 500 } } });
  const fastRules = await json<Record<string, unknown>[]>(await fetch(`${fast.url}/retailer/public/ratelimits`));
  t.deepEqual(fastRules[0], { path: '/retailer/shipments', methods: ['GET'], maxCapacity: 5, timeToLive: 1, timeUnit: 'SECONDS', timeToLiveMs: 500 });
  t.is(fast.stats().requests.ratelimits, 1);
});

test.serial('over the limit: 429 with bol\'s body and headers; the window frees up again', async (t) => {
  const sb = await sandbox(t, { limits: { list: { capacity: 5, windowMs: 1_000 }, detail: { capacity: 5, windowMs: 1_000 } } });
  const accessToken = await token(sb.url);
  for (let i = 0; i < 5; i++) {
    const res = await api(sb.url, '/retailer/shipments', accessToken);
    t.is(res.status, 200);
    t.is(res.headers.get('x-ratelimit-limit'), '5');
    t.is(res.headers.get('x-ratelimit-remaining'), String(4 - i));
    t.is(res.headers.get('x-ratelimit-reset'), '1', 'whole seconds, rounded up');
  }
  const limited = await api(sb.url, '/retailer/shipments', accessToken);
  t.is(limited.status, 429);
  t.is(limited.headers.get('content-type'), V10);
  t.is(limited.headers.get('retry-after'), '1');
  t.is(limited.headers.get('x-ratelimit-remaining'), '0');
  t.is(limited.headers.get('x-ratelimit-limit'), '5');
  t.truthy(limited.headers.get('x-request-id'));
  t.deepEqual(await json(limited), { title: 'Too Many Requests', status: 429, detail: 'Too many requests, retry in 1 seconds.' });

  // The detail endpoint has its own window, and so does every other client.
  const detail = await api(sb.url, `/retailer/shipments/${sb.shipments[0]!.shipmentId}`, accessToken);
  t.is(detail.status, 200);

  // 429s take no slot: hammering does not push the window further out.
  for (let i = 0; i < 5; i++) t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 429);
  await delay(1_050);
  for (let i = 0; i < 5; i++) t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200, `after the window, request ${i + 1}`);

  const stats = sb.stats();
  t.deepEqual(stats.tooManyRequests, { total: 6, list: 6, detail: 0 });
  t.is(stats.statuses['429'], 6);
  t.deepEqual(stats.windows['demo-client']!.list, { capacity: 5, windowMs: 1_000, maxInWindow: 11, maxAcceptedInWindow: 5 });
  t.is(stats.windows['demo-client']!.detail.maxInWindow, 1);
});

test.serial('limits are per client id', async (t) => {
  const sb = await sandbox(t, {
    clients: [{ clientId: 'a', clientSecret: 'sa' }, { clientId: 'b', clientSecret: 'sb' }],
    limits: { list: { capacity: 2, windowMs: 5_000 } },
  });
  const [ta, tb] = await Promise.all([token(sb.url, 'a', 'sa'), token(sb.url, 'b', 'sb')]);
  for (let i = 0; i < 2; i++) t.is((await api(sb.url, '/retailer/shipments', ta)).status, 200);
  t.is((await api(sb.url, '/retailer/shipments', ta)).status, 429);
  t.is((await api(sb.url, '/retailer/shipments', tb)).status, 200);
  // A second token of the same client shares the client's window.
  t.is((await api(sb.url, '/retailer/shipments', await token(sb.url, 'a', 'sa'))).status, 429);
});

test.serial('a burst of concurrent requests gets exactly capacity through', async (t) => {
  const sb = await sandbox(t, { limits: { detail: { capacity: 5, windowMs: 5_000 } } });
  const accessToken = await token(sb.url);
  const id = sb.shipments[0]!.shipmentId;
  const statuses = await Promise.all(Array.from({ length: 12 }, () => api(sb.url, `/retailer/shipments/${id}`, accessToken).then((r) => r.status)));
  t.is(statuses.filter((s) => s === 200).length, 5);
  t.is(statuses.filter((s) => s === 429).length, 7);
  t.deepEqual(sb.stats().detailByShipmentId[id], { requests: 12, ok: 5 });
  t.is(sb.stats().windows['demo-client']!.detail.maxInWindow, 12);
});

test.serial('the window slides: slots free one by one as their requests age out', async (t) => {
  const sb = await sandbox(t, { limits: { list: { capacity: 5, windowMs: 2_000 } } });
  const accessToken = await token(sb.url);
  const call = () => api(sb.url, '/retailer/shipments', accessToken).then((r) => r.status);
  for (let i = 0; i < 3; i++) t.is(await call(), 200);
  await delay(1_000);
  for (let i = 0; i < 2; i++) t.is(await call(), 200);
  t.is(await call(), 429);
  await delay(1_100); // the first three have left the window; the last two have not
  for (let i = 0; i < 3; i++) t.is(await call(), 200);
  t.is(await call(), 429, 'a fixed two-second bucket would have allowed 5 here');
});

test.serial('requests are counted when they arrive, not when latency lets them answer', async (t) => {
  const sb = await sandbox(t, { latencyMs: 400, limits: { list: { capacity: 1, windowMs: 300 } } });
  const accessToken = await token(sb.url);
  const started = Date.now();
  const first = await api(sb.url, '/retailer/shipments', accessToken);
  t.is(first.status, 200);
  t.true(Date.now() - started >= 390, 'latency was applied');
  // The first request took its slot at arrival, >= 400 ms ago: the 300 ms window is free again.
  t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200);
});

// ---------------------------------------------------------------- faults

async function detailStatuses(url: string, ids: readonly string[], accessToken: string): Promise<{ status: number; type: string }[]> {
  const out: { status: number; type: string }[] = [];
  for (const id of ids) {
    const res = await api(url, `/retailer/shipments/${id}`, accessToken);
    await res.arrayBuffer();
    out.push({ status: res.status, type: res.headers.get('content-type') ?? '' });
  }
  return out;
}

test('serverErrorRate injects 500 text/html and 503 Problems at about the configured rate, repeatably for a seed', async (t) => {
  const options = { seed: 42, serverErrorRate: 0.25, limits: { detail: { capacity: 10_000, windowMs: 60_000 } } };
  const sb = await sandbox(t, options);
  const accessToken = await token(sb.url);
  const ids = Array.from({ length: 200 }, (_, i) => sb.shipments[i % sb.shipments.length]!.shipmentId);
  const answers = await detailStatuses(sb.url, ids, accessToken);

  const failures = answers.filter((a) => a.status >= 500);
  t.true(failures.length >= 30 && failures.length <= 70, `${failures.length} of 200 injected`);
  t.true(answers.some((a) => a.status === 500) && answers.some((a) => a.status === 503));
  for (const a of answers) {
    if (a.status === 500) t.is(a.type, 'text/html');
    if (a.status === 503) t.is(a.type, V10);
  }
  const stats = sb.stats();
  t.is(stats.injectedServerErrors.total, failures.length);
  t.is(stats.injectedServerErrors.status500, answers.filter((a) => a.status === 500).length);
  t.is(stats.injectedServerErrors.status503, answers.filter((a) => a.status === 503).length);

  const again = await sandbox(t, options);
  const replay = await detailStatuses(again.url, ids, await token(again.url));
  t.deepEqual(replay.map((a) => a.status), answers.map((a) => a.status), 'same seed, same faults');
});

test('a 503 Problem carries the rate-limit headers like any API answer', async (t) => {
  const sb = await sandbox(t, { serverErrorRate: 1 });
  const accessToken = await token(sb.url);
  const res = await api(sb.url, '/retailer/shipments', accessToken);
  t.true(res.status === 500 || res.status === 503);
  t.is(res.headers.get('x-ratelimit-limit'), '25');
  t.is(res.headers.get('x-ratelimit-remaining'), '24', 'a failed request still used its slot');
  t.truthy(res.headers.get('x-request-id'));
  sb.setOptions({ serverErrorRate: 0 });
  t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200);
});

// ---------------------------------------------------------------- data and controls

test('generated data: deterministic per seed, 3 months, newest first, NL/BE, mixed carriers', async (t) => {
  const referenceTimeMs = Date.UTC(2025, 5, 15);
  const a = await sandbox(t, { seed: 9, referenceTimeMs });
  const b = await sandbox(t, { seed: 9, referenceTimeMs });
  const c = await sandbox(t, { seed: 10, referenceTimeMs });
  t.deepEqual(a.shipments, b.shipments);
  t.notDeepEqual(a.shipments.map((s) => s.shipmentId), c.shipments.map((s) => s.shipmentId));

  const all = a.shipments;
  t.is(all.length, 120);
  t.is(new Set(all.map((s) => s.shipmentId)).size, 120);
  const fbb = all.filter((s) => s.fulfilmentMethod === 'FBB').length;
  t.true(fbb >= 12 && fbb <= 36, `${fbb} FBB of 120`);
  const times = all.map((s) => s.shippedAtMs);
  t.deepEqual(times, [...times].sort((x, y) => y - x));
  t.true(times.every((ms) => ms <= referenceTimeMs && ms > referenceTimeMs - 90 * 86_400_000));
  t.true(all.every((s) => Date.parse(s.detail.shipmentDateTime) === s.shippedAtMs));
  t.true(all.every((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$/.test(s.detail.shipmentDateTime)));
  t.true(all.every((s) => s.detail.shipmentItems.length >= 1 && s.detail.shipmentItems.length <= 3));
  t.true(all.some((s) => s.detail.shipmentItems.length > 1));
  t.true(all.some((s) => s.detail.shipmentReference === undefined), 'some shipmentReference omitted');
  t.true(all.some((s) => s.detail.shipmentReference !== undefined));

  const details = all.map((s) => s.detail.shipmentDetails);
  const nl = details.filter((d) => d.countryCode === 'NL');
  const be = details.filter((d) => d.countryCode === 'BE');
  t.true(nl.length > 0 && be.length > 0);
  t.true(nl.every((d) => /^[1-9]\d{3} ?[A-Z]{2}$/.test(d.zipCode)));
  const spaced = nl.filter((d) => d.zipCode.includes(' ')).length;
  t.true(spaced > 0 && spaced < nl.length / 2, `most NL postcodes as the spec writes them (1234AB), some with the space: ${spaced} of ${nl.length}`);
  t.true(be.every((d) => /^[1-9]\d{3}$/.test(d.zipCode)));
  t.true(details.every((d) => /@verkopen\.bol\.com$/.test(d.email)));
  t.true(be.every((d) => d.language === 'nl-BE' || d.language === 'fr-BE'));

  const known = new Set(['BRIEFPOST', 'UPS', 'TNT', 'TNT-EXTRA', 'TNT_BRIEF', 'TNT-EXPRESS', 'DYL', 'DPD-NL', 'DPD-BE', 'BPOST_BE', 'BPOST_BRIEF', 'DHLFORYOU', 'GLS', 'FEDEX_NL', 'FEDEX_BE', 'OTHER', 'DHL', 'DHL_DE', 'DHL-GLOBAL-MAIL', 'TSN', 'FIEGE', 'TRANSMISSION', 'PARCEL-NL', 'LOGOIX', 'PACKS', 'COURIER', 'RJP']);
  const codes = new Set(all.map((s) => s.detail.transport.transporterCode ?? ''));
  t.true([...codes].every((code) => known.has(code)), [...codes].join(','));
  t.true(codes.size >= 5, [...codes].join(','));
  const order = ['PRE_ANNOUNCED', 'AT_TRANSPORTER', 'IN_TRANSIT'];
  for (const s of all) {
    const events = s.detail.transport.transportEvents ?? [];
    const eventTimes = events.map((e) => Date.parse(e.eventDateTime));
    t.deepEqual(eventTimes, [...eventTimes].sort((x, y) => x - y), 'events in time order');
    t.deepEqual(events.slice(0, 3).map((e) => e.eventCode), order.slice(0, Math.min(3, events.length)), 'announced, at carrier, in transit');
    if (events.length > 0) t.truthy(s.detail.transport.trackAndTrace);
  }
  t.true(all.some((s) => (s.detail.transport.transportEvents ?? []).some((e) => e.eventCode === 'DELIVERED_AT_CUSTOMER')));
});

test('addShipments puts newer shipments on top of the list', async (t) => {
  const sb = await sandbox(t, { shipments: 10 });
  const accessToken = await token(sb.url);
  const previousNewest = sb.shipments[0]!;
  const added = sb.addShipments(4);
  t.is(added.length, 4);
  t.is(sb.shipments.length, 14);
  t.deepEqual(sb.shipments.slice(0, 4), added);
  t.true(added.every((s) => s.shippedAtMs > previousNewest.shippedAtMs));
  t.true(added[0]!.shippedAtMs > added[3]!.shippedAtMs, 'returned newest first');
  t.true(added.every((s) => s.shippedAtMs <= Date.now() + 5_000));

  for (const method of ['FBR', 'FBB'] as const) {
    const listed = await json<{ shipments?: ReducedShipment[] }>(await api(sb.url, `/retailer/shipments?fulfilment-method=${method}`, accessToken));
    t.deepEqual(listed.shipments ?? [], sb.shipments.filter((s) => s.fulfilmentMethod === method).map((s) => s.reduced));
  }
  t.is((await api(sb.url, `/retailer/shipments/${added[0]!.shipmentId}`, accessToken)).status, 200);
});

test('resetStats starts the counters over', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  await api(sb.url, '/retailer/shipments', accessToken);
  t.is(sb.stats().requests.list, 1);
  sb.resetStats();
  const stats = sb.stats();
  t.deepEqual(stats.requests, { token: 0, list: 0, detail: 0, ratelimits: 0, other: 0 });
  t.deepEqual(stats.statuses, {});
  t.deepEqual(stats.windows, {});
  t.is(stats.tokensIssued, 0);
  t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200, 'tokens survive a stats reset');
});

test('latencyMs delays API answers', async (t) => {
  const sb = await sandbox(t);
  const accessToken = await token(sb.url);
  sb.setOptions({ latencyMs: 120 });
  const started = Date.now();
  t.is((await api(sb.url, '/retailer/shipments', accessToken)).status, 200);
  t.true(Date.now() - started >= 110);
});

test('bad options are refused', async (t) => {
  await t.throwsAsync(() => sandboxOrThrow({ serverErrorRate: 2 }), { instanceOf: RangeError });
  await t.throwsAsync(() => sandboxOrThrow({ limits: { list: { capacity: 0, windowMs: 100 } } }), { instanceOf: RangeError });
  const sb = await sandbox(t);
  t.throws(() => sb.setOptions({ latencyMs: -1 }), { instanceOf: RangeError });
});

async function sandboxOrThrow(opts: Parameters<typeof sandbox>[1]): Promise<void> {
  const { startBolSandbox } = await import('../../sandbox/bol/index.ts');
  const sb = await startBolSandbox(opts);
  await sb.close();
}
