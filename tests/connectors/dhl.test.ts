/**
 * The DHL connector against the DHL simulator over real HTTP: canonical statuses from DHL's
 * texts, 404 as "not found", the errors that are the worker's retry policy (401 → AuthError,
 * 429 → RateLimitedError for a second or until 00:00 GMT, 5xx → RetryableError), and records
 * that stay the same for the same observation however often it is polled.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { ZodError } from 'zod';
import { CARRIER_CONNECTORS } from '../../crawler/connectors/carriers.ts';
import { createDhlClient, type DhlClient } from '../../crawler/connectors/dhl/client.ts';
import { eventDedupeKey } from '../../crawler/sync/shipments.ts';
import { AuthError, PermanentError, RateLimitedError, RetryableError } from '../../lib/errors.ts';
import { startDhlSandbox, DHL_TEXTS, type DhlSandbox, type DhlSandboxOptions, type DhlTimelineEvent } from '../../sandbox/dhl/index.ts';

const KEY = 'demo-dhl-key';
const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);

async function setup(t: ExecutionContext, opts: DhlSandboxOptions = {}, clientOpts: Partial<Parameters<typeof createDhlClient>[0]> = {}) {
  const clock = { now: T0 };
  const sb = await startDhlSandbox({ clock: () => clock.now, ...opts });
  t.teardown(() => sb.close());
  let requests = 0;
  const client = createDhlClient({ apiUrl: sb.url, apiKey: KEY, onRequest: () => void requests++, clock: () => clock.now, retryMinDelayMs: 10, ...clientOpts });
  return { sb, clock, client, requests: () => requests };
}

/** Tracks `number`, moving the simulated clock a second on so the 1/s limit never bites. */
async function trackNext(env: { client: DhlClient; clock: { now: number } }, number: string, opts?: { recipientPostalCode?: string }) {
  env.clock.now += 1_000;
  return env.client.track(number, opts);
}

test('each DHL status text of a timeline arrives with its canonical status, raw text and description', async (t) => {
  const env = await setup(t);
  const texts: [DhlTimelineEvent['statusCode'], string, string | undefined, string | null][] = [
    ['unknown', 'The shipment data has not been received yet', undefined, null],
    ['pre-transit', DHL_TEXTS.announced, undefined, 'info_received'],
    ['transit', DHL_TEXTS.originCenter, 'Bonn hub', 'in_transit'],
    ['transit', DHL_TEXTS.outForDelivery, 'The shipment is out for delivery', 'out_for_delivery'],
    ['failure', DHL_TEXTS.attemptFailed, 'A delivery attempt failed: the recipient was not at home.', 'attempt_fail'],
    ['transit', DHL_TEXTS.readyForPickup, undefined, 'available_for_pickup'],
    ['failure', DHL_TEXTS.addressProblem, undefined, 'exception'],
    ['delivered', DHL_TEXTS.pickedUpByRecipient, undefined, 'delivered'],
  ];
  env.sb.addShipment(
    'JJD000390007827811',
    texts.map(([statusCode, status, description], i) => ({ at: T0 - (texts.length - i) * 3_600_000, statusCode, status, ...(description ? { description } : {}), location: { countryCode: 'NL', addressLocality: 'Utrecht' } })),
  );
  const r = await trackNext(env, 'JJD000390007827811');
  t.true(r.found);
  t.is(r.trackingNumber, 'JJD000390007827811');
  t.is(r.statusCode, 'delivered');
  t.deepEqual(r.events.map((e) => e.status), texts.map(([, , , s]) => s));
  t.deepEqual(r.events.map((e) => e.rawStatus), texts.map(([code, text]) => `${code}: ${text}`));
  t.deepEqual(r.events.map((e) => e.description), texts.map(([, , d]) => d ?? null));
  t.deepEqual(r.events.map((e) => e.occurredAt), texts.map((_, i) => T0 - (texts.length - i) * 3_600_000), 'exact instants, offset or not');
  for (const e of r.events) {
    t.is(e.source, 'dhl');
    t.is(e.location, 'Utrecht, NL');
  }
});

test('a generated shipment comes back with exact instants whether or not DHL wrote an offset', async (t) => {
  const env = await setup(t);
  for (let i = 0; i < 10; i++) {
    const number = `GEN${i}`;
    const tl = env.sb.generateShipment(number, T0 - 5 * 86_400_000);
    const r = await trackNext(env, number);
    t.deepEqual(r.events.map((e) => e.occurredAt), tl.map((e) => e.at), number);
    t.deepEqual(r.events.map((e) => e.rawStatus), tl.map((e) => `${e.statusCode}: ${e.status}`));
  }
});

test('polling again gives the same records, so the timeline stores each observation once', async (t) => {
  const env = await setup(t);
  const tl = env.sb.generateShipment('POLL1', T0 - 20 * 3_600_000);
  const first = await trackNext(env, 'POLL1');
  env.clock.now = tl.at(-1)!.at;
  const second = await trackNext(env, 'POLL1', { recipientPostalCode: '0000' });
  const third = await trackNext(env, 'POLL1');
  t.true(second.events.length >= first.events.length);
  const keys = (events: typeof first.events) => events.map(eventDedupeKey);
  t.deepEqual(keys(second.events).slice(0, first.events.length), keys(first.events), 'earlier observations keep their records');
  t.deepEqual(keys(third.events), keys(second.events));
  t.deepEqual(third.events, second.events);
});

test('recipientPostalCode is sent along and changes no record', async (t) => {
  const env = await setup(t);
  const tl = env.sb.generateShipment('PC1', T0 - 3 * 86_400_000);
  const without = await trackNext(env, 'PC1');
  const statsBefore = env.sb.stats();
  const withCode = await trackNext(env, 'PC1', { recipientPostalCode: '1234 AB' });
  t.deepEqual(withCode.events, without.events);
  t.is(without.events.length, tl.length);
  t.is(env.sb.stats().byTrackingNumber.PC1, statsBefore.byTrackingNumber.PC1! + 1);
});

test('an unknown number is not found, not an error', async (t) => {
  const env = await setup(t);
  t.deepEqual(await trackNext(env, 'UNKNOWN42'), { trackingNumber: 'UNKNOWN42', found: false, events: [], statusCode: null });
  t.is(env.requests(), 1);
});

test('a refused key is an AuthError that says to set DHL_API_KEY, after one call', async (t) => {
  const env = await setup(t, {}, { apiKey: 'not-my-key' });
  env.sb.generateShipment('A1', T0 - 86_400_000);
  const err = await t.throwsAsync(trackNext(env, 'A1'), { instanceOf: AuthError });
  t.regex(err!.message, /DHL_API_KEY/);
  t.is(err!.code, 'credentials_refused');
  t.is(env.requests(), 1, 'a refused key is not asked again');
});

test('no key at all is an AuthError without any call', async (t) => {
  const env = await setup(t, {}, { apiKey: '' });
  const err = await t.throwsAsync(env.client.track('A1'), { instanceOf: AuthError });
  t.regex(err!.message, /DHL_API_KEY/);
  t.is(env.requests(), 0);
  t.is(env.sb.stats().requests, 0);
});

test('a 429 of the per-second limit is a RateLimitedError of about a second, from Retry-After', async (t) => {
  const env = await setup(t);
  env.sb.generateShipment('A1', T0 - 86_400_000);
  await env.client.track('A1');
  const err = await t.throwsAsync(env.client.track('A1'), { instanceOf: RateLimitedError });
  t.is(err!.retryAfterMs, 1_000);
  t.like(err!.details, { provider: 'dhl', scope: 'second' });
  t.is(env.requests(), 2, 'no retry in place: the worker decides when to come back');
});

test('a 429 of the daily quota waits until 00:00 GMT', async (t) => {
  const env = await setup(t, { apiKeys: [{ key: KEY, perDay: 2 }] });
  env.sb.generateShipment('A1', T0 - 86_400_000);
  env.clock.now = Date.UTC(2024, 2, 1, 21, 30, 0);
  await trackNext(env, 'A1');
  await trackNext(env, 'A1');
  const err = await t.throwsAsync(trackNext(env, 'A1'), { instanceOf: RateLimitedError });
  t.is(err!.retryAfterMs, Date.UTC(2024, 2, 2) - env.clock.now);
  t.like(err!.details, { scope: 'day', retry_at: Date.UTC(2024, 2, 2) });
});

test('without Retry-After the wait comes from the problem text: next second, or next 00:00 GMT', async (t) => {
  const env = await setup(t, { sendRetryAfter: false, apiKeys: [{ key: KEY, perDay: 2 }] });
  env.sb.generateShipment('A1', T0 - 86_400_000);
  env.clock.now = Date.UTC(2024, 2, 1, 12, 0, 0, 250);
  await env.client.track('A1');
  const second = await t.throwsAsync(env.client.track('A1'), { instanceOf: RateLimitedError });
  t.is(second!.retryAfterMs, 750);
  t.like(second!.details, { scope: 'second' });
  await trackNext(env, 'A1');
  const day = await t.throwsAsync(trackNext(env, 'A1'), { instanceOf: RateLimitedError });
  t.is(day!.retryAfterMs, Date.UTC(2024, 2, 2) - env.clock.now);
  t.like(day!.details, { scope: 'day' });
});

test('5xx answers are retried in place, then become a RetryableError', async (t) => {
  const env = await setup(t, { serverErrorRate: 1, apiKeys: [{ key: KEY, perSecond: 100 }] }, { retries: 2 });
  env.sb.generateShipment('A1', T0 - 86_400_000);
  await t.throwsAsync(env.client.track('A1'), { instanceOf: RetryableError });
  t.is(env.requests(), 3);
  t.is(env.sb.stats().injectedServerErrors, 3);
});

test('a 5xx followed by an answer is invisible to the caller', async (t) => {
  const env = await setup(t, { serverErrorRate: 0.5, seed: 3, apiKeys: [{ key: KEY, perSecond: 100 }] }, { retries: 6 });
  env.sb.generateShipment('A1', T0 - 86_400_000);
  for (let i = 0; i < 4; i++) t.true((await env.client.track('A1')).found);
  t.true(env.sb.stats().injectedServerErrors > 0);
  t.is(env.requests(), 4 + env.sb.stats().injectedServerErrors);
});

test('a network failure is retried, then a RetryableError', async (t) => {
  const env = await setup(t);
  await env.sb.close();
  await t.throwsAsync(env.client.track('A1'), { instanceOf: RetryableError });
  t.is(env.requests(), 3);
});

test('an empty tracking number is a PermanentError without a call', async (t) => {
  const env = await setup(t);
  await t.throwsAsync(env.client.track('  '), { instanceOf: PermanentError });
  t.is(env.requests(), 0);
});

test('through the registry, the dhl connector reads its settings from the environment and polls with them', async (t) => {
  const dhl = CARRIER_CONNECTORS.dhl;
  const defaults = dhl.settingsFromEnv({});
  t.deepEqual(defaults, { apiUrl: 'https://api-eu.dhl.com', apiKey: undefined, callsPerSecond: 1, callsPerDay: 250 });
  t.false(dhl.isConfigured(defaults), 'without DHL_API_KEY nothing is polled');
  const err = t.throws(() => dhl.settingsFromEnv({ DHL_API_URL: 'ftp://x', DHL_CALLS_PER_SECOND: 'fast' }), { instanceOf: ZodError }) as ZodError;
  t.deepEqual(new Set(err.issues.map((i) => i.path[0])), new Set(['DHL_API_URL', 'DHL_CALLS_PER_SECOND']));

  const env = await setup(t);
  env.sb.addShipment('JJD000390007827812', [{ at: T0 - 3_600_000, statusCode: 'transit', status: DHL_TEXTS.outForDelivery }]);
  const settings = dhl.settingsFromEnv({ DHL_API_URL: env.sb.url, DHL_API_KEY: KEY, DHL_CALLS_PER_SECOND: '0.5', DHL_CALLS_PER_DAY: '100' });
  t.true(dhl.isConfigured(settings));
  t.deepEqual(dhl.limitsOf(settings), { callsPerSecond: 0.5, callsPerDay: 100 });
  let calls = 0;
  const poller = dhl.open(settings, { onRequest: () => void calls++, clock: () => env.clock.now });
  const found = await poller.poll({ trackingNumber: 'JJD000390007827812' });
  t.true(found.found);
  t.deepEqual(found.events.map((e) => e.status), ['out_for_delivery']);
  env.clock.now += 1_000;
  t.false((await poller.poll({ trackingNumber: 'JJD404', recipientPostalCode: '3542 AD' })).found);
  t.is(calls, 2, 'every call is counted: each spends quota');
});

test('a multi-piece answer is paged only through the pace the caller gives; without it, one call', async (t) => {
  const pieces: DhlTimelineEvent[] = Array.from({ length: 7 }, (_, i) => ({ at: T0 - 60_000 * (10 - i), statusCode: 'transit', status: DHL_TEXTS.originCenter, piece: i + 1 }));
  let paced = 0;
  const env = await setup(t, { apiKeys: [{ key: KEY, perSecond: 100 }] }, { paceFurtherCall: (call) => (paced++, call()) });
  env.sb.addShipment('MP7', pieces, { pieces: 7 });
  const all = await trackNext(env, 'MP7');
  t.is(all.events.length, 7, 'the two pieces of the second page too');
  t.is(env.requests(), 2);
  t.is(paced, 1, 'the further call went through the pace');

  const unpaced = createDhlClient({ apiUrl: env.sb.url, apiKey: KEY, clock: () => env.clock.now });
  t.is((await unpaced.track('MP7')).events.length, 5, 'without a pace for further calls, the first page only');
});

test('when no shipment is the number asked for, the divisions DHL names in possibleAdditionalShipmentsUrl are asked', async (t) => {
  const { createServer } = await import('node:http');
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    asked.push(url.search);
    res.setHeader('content-type', 'application/json');
    const service = url.searchParams.get('service');
    if (service === 'parcel-nl') {
      res.end(JSON.stringify({ shipments: [{ id: 'ABC1', service: 'parcel-nl', events: [{ timestamp: '2024-03-01T10:00:00+1:00', statusCode: 'delivered', status: 'Delivered' }] }] }));
    } else {
      res.end(JSON.stringify({
        shipments: [{ id: 'OTHER', service: 'express', events: [{ timestamp: '2024-03-01T09:00:00Z', statusCode: 'transit', status: 'Elsewhere' }] }],
        possibleAdditionalShipmentsUrl: ['/shipments?trackingNumber=ABC1&service=parcel-de', '/shipments?trackingNumber=ABC1&service=parcel-nl'],
      }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  const client = createDhlClient({ apiUrl: `http://127.0.0.1:${port}`, apiKey: KEY, paceFurtherCall: (call) => call() });
  const r = await client.track('ABC1');
  t.deepEqual(r.events.map((e) => e.rawStatus), ['delivered: Delivered']);
  t.is(r.statusCode, 'delivered');
  t.deepEqual(asked.map((q) => new URLSearchParams(q).get('service')), [null, 'parcel-de', 'parcel-nl']);
});
