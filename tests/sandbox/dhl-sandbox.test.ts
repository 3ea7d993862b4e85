/**
 * The DHL simulator over real HTTP, against the DHL tracking contract: wire format, problem+json
 * errors, per-key limits per second and per GMT day, timelines that unfold with the clock.
 * Time is simulated (the `clock` option), so day boundaries cost no waiting.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { startDhlSandbox, DHL_TEXTS, type DhlSandbox, type DhlSandboxOptions, type DhlWireAnswer } from '../../sandbox/dhl/index.ts';
import { startOnTestClock } from './helpers.ts';

const KEY = 'demo-dhl-key';
const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);

/** A sandbox on a clock the test moves. */
const dhl = (t: ExecutionContext, opts: DhlSandboxOptions = {}) => startOnTestClock(t, startDhlSandbox, T0, opts);

function track(sb: DhlSandbox, number: string, key: string | null = KEY, extra = ''): Promise<Response> {
  return fetch(`${sb.url}/track/shipments?trackingNumber=${encodeURIComponent(number)}${extra}`, { headers: key === null ? {} : { 'DHL-API-Key': key } });
}

const timeline = [
  { at: T0 - 3_600_000, statusCode: 'pre-transit' as const, status: DHL_TEXTS.announced, location: { countryCode: 'DE' } },
  { at: T0 - 1_800_000, statusCode: 'transit' as const, status: DHL_TEXTS.originCenter, description: 'Sorted', location: { countryCode: 'DE', postalCode: '53113', addressLocality: 'Bonn' } },
  { at: T0 + 3_600_000, statusCode: 'transit' as const, status: DHL_TEXTS.outForDelivery, location: { countryCode: 'NL', addressLocality: 'Utrecht' } },
];

test('a known number answers 200 with the contract\'s shape: shipments[0] with status, events newest first', async (t) => {
  const { sb } = await dhl(t);
  sb.addShipment('00340434161094042557', timeline, { service: 'parcel-de', destination: { countryCode: 'NL', postalCode: '3511 AB', addressLocality: 'Utrecht' } });
  const res = await track(sb, '00340434161094042557', KEY, '&recipientPostalCode=3511AB');
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as DhlWireAnswer;
  t.is(body.shipments.length, 1);
  const s = body.shipments[0]!;
  t.is(s.id, '00340434161094042557');
  t.is(s.service, 'parcel-de');
  t.deepEqual(s.destination, { address: { countryCode: 'NL', postalCode: '3511 AB', addressLocality: 'Utrecht' } });
  t.deepEqual(s.events.map((e) => e.status), [DHL_TEXTS.originCenter, DHL_TEXTS.announced], 'only events whose time has come, newest first');
  t.deepEqual(s.status, s.events[0]);
  t.is(s.events[0]!.description, 'Sorted');
  t.deepEqual(s.events[0]!.location, { address: { countryCode: 'DE', postalCode: '53113', addressLocality: 'Bonn' } });
  for (const e of s.events) t.true(['pre-transit', 'transit', 'delivered', 'failure', 'unknown'].includes(e.statusCode));
});

test('events appear as the clock passes their time; before the first one the number is unknown (404)', async (t) => {
  const { sb, clock } = await dhl(t);
  sb.addShipment('JJD1', [{ at: T0 + 60_000, statusCode: 'pre-transit', status: DHL_TEXTS.announced }, { at: T0 + 7_200_000, statusCode: 'delivered', status: DHL_TEXTS.delivered }]);
  t.is((await track(sb, 'JJD1')).status, 404, 'a fresh label is not known yet');
  clock.now = T0 + 61_000;
  t.is(((await (await track(sb, 'JJD1')).json()) as DhlWireAnswer).shipments[0]!.status!.statusCode, 'pre-transit');
  clock.now = T0 + 7_200_000;
  const s = ((await (await track(sb, 'JJD1')).json()) as DhlWireAnswer).shipments[0]!;
  t.is(s.status!.statusCode, 'delivered');
  t.is(s.events.length, 2);
});

test('timestamps are local time of the event\'s country, sometimes without an offset', async (t) => {
  const { sb, clock } = await dhl(t);
  const summer = Date.UTC(2024, 6, 1, 8, 30);
  clock.now = summer;
  const events = Array.from({ length: 12 }, (_, i) => ({ at: summer - i * 60_000, statusCode: 'transit' as const, status: `step ${i}`, location: { countryCode: 'DE' } }));
  sb.addShipment('TZ1', [...events, { at: summer - 3_600_000, statusCode: 'transit', status: 'no country' }]);
  const body = (await (await track(sb, 'TZ1')).json()) as DhlWireAnswer;
  const stamps = body.shipments[0]!.events.map((e) => e.timestamp);
  t.true(stamps.some((s) => /T\d\d:\d\d:\d\d$/.test(s)), 'some without offset');
  t.true(stamps.some((s) => s.endsWith('+02:00')), 'some with the CEST offset');
  t.true(stamps.includes('2024-07-01T10:30:00') || stamps.includes('2024-07-01T10:30:00+02:00'), 'local wall time of Germany in summer');
  const noCountry = body.shipments[0]!.events.find((e) => e.status === 'no country')!;
  t.true(noCountry.timestamp === '2024-07-01T07:30:00' || noCountry.timestamp === '2024-07-01T07:30:00Z', noCountry.timestamp);
});

test('parcel-de/parcel-nl answers carry postal codes only with the right recipientPostalCode', async (t) => {
  const { sb } = await dhl(t, { apiKeys: [{ key: KEY, perSecond: 10 }] });
  sb.addShipment('PC1', timeline, { destination: { countryCode: 'DE', postalCode: '10115', addressLocality: 'Berlin' } });
  const without = ((await (await track(sb, 'PC1')).json()) as DhlWireAnswer).shipments[0]!;
  t.is(without.service, 'parcel-de');
  t.deepEqual(without.destination, { address: { countryCode: 'DE', addressLocality: 'Berlin' } });
  t.deepEqual(without.events[0]!.location, { address: { countryCode: 'DE', addressLocality: 'Bonn' } });
  const wrong = ((await (await track(sb, 'PC1', KEY, '&recipientPostalCode=99999')).json()) as DhlWireAnswer).shipments[0]!;
  t.is(wrong.destination?.address.postalCode, undefined);
  const right = ((await (await track(sb, 'PC1', KEY, '&recipientPostalCode=10115')).json()) as DhlWireAnswer).shipments[0]!;
  t.is(right.destination?.address.postalCode, '10115');
});

test('an unknown number answers DHL\'s 404 problem', async (t) => {
  const { sb } = await dhl(t);
  const res = await track(sb, 'NOPE123');
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), 'application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  t.deepEqual(body, { title: 'No result found', detail: 'No shipment with given tracking number found.', status: 404, instance: '/shipment/NOPE123' }, 'the body of DHL\'s spec');
  t.like(sb.stats().byKey[KEY], { requests: 1, notFound: 1, ok: 0, today: 1 });
});

test('a missing or wrong key answers 401 problem+json and spends no quota', async (t) => {
  const { sb } = await dhl(t);
  sb.addShipment('A1', timeline);
  for (const key of [null, 'wrong-key']) {
    const res = await track(sb, 'A1', key);
    t.is(res.status, 401, String(key));
    t.is(res.headers.get('content-type'), 'application/problem+json');
    t.like(await res.json(), { title: 'Unauthorized', status: 401 });
  }
  const stats = sb.stats();
  t.is(stats.requests, 2);
  t.deepEqual(stats.byKey[KEY], { requests: 0, ok: 0, tooMany: 0, notFound: 0, today: 0 });
  t.deepEqual(stats.byTrackingNumber, {});
});

test('a key gets 1 call per second by default: the second call in the same second is a 429 with Retry-After', async (t) => {
  const { sb, clock } = await dhl(t);
  sb.addShipment('A1', timeline);
  t.is((await track(sb, 'A1')).status, 200);
  clock.now += 999;
  const res = await track(sb, 'A1');
  t.is(res.status, 429);
  t.is(res.headers.get('content-type'), 'application/problem+json');
  t.is(res.headers.get('retry-after'), '1');
  t.like(await res.json(), { status: 429, title: 'Too Many Requests' });
  clock.now += 1;
  t.is((await track(sb, 'A1')).status, 200, 'a full second after the first call');
  const stats = sb.stats();
  t.like(stats.byKey[KEY], { requests: 3, ok: 2, tooMany: 1, today: 2 });
  t.is(stats.tooManyRequests, 1);
  t.is(stats.maxPerSecond[KEY], 2, 'the peak counts the refused call too');
  t.is(stats.byTrackingNumber.A1, 3);
});

test('limits are per key and settable', async (t) => {
  const { sb } = await dhl(t, { apiKeys: [{ key: 'fast', perSecond: 3 }, { key: 'slow' }] });
  sb.addShipment('A1', timeline);
  const statuses = async (key: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await track(sb, 'A1', key)).status);
    return out;
  };
  t.deepEqual(await statuses('fast', 4), [200, 200, 200, 429]);
  t.deepEqual(await statuses('slow', 2), [200, 429]);
  t.is((await track(sb, 'A1', KEY)).status, 401, 'the default key is replaced by the configured ones');
  t.deepEqual(sb.stats().maxPerSecond, { fast: 4, slow: 2 });
});

test('the daily quota refuses with a 429 until 00:00 GMT, which Retry-After points at', async (t) => {
  const { sb, clock } = await dhl(t, { apiKeys: [{ key: KEY, perDay: 3 }] });
  sb.addShipment('A1', timeline);
  clock.now = Date.UTC(2024, 2, 1, 23, 0, 0);
  for (let i = 0; i < 3; i++) {
    t.is((await track(sb, 'A1')).status, 200);
    clock.now += 2_000;
  }
  const res = await track(sb, 'A1');
  t.is(res.status, 429);
  const body = (await res.json()) as { detail: string };
  t.regex(body.detail, /daily|per day/i);
  t.is(Number(res.headers.get('retry-after')), (Date.UTC(2024, 2, 2) - clock.now) / 1000);
  t.like(sb.stats().byKey[KEY], { today: 3, tooMany: 1 });
  clock.now = Date.UTC(2024, 2, 2, 0, 0, 0);
  t.is((await track(sb, 'A1')).status, 200, 'a new GMT day, a new quota');
  t.is(sb.stats().byKey[KEY]!.today, 1);
  t.deepEqual(sb.stats().byTrackingNumberByDay.A1, { '2024-03-01': 4, '2024-03-02': 1 });
});

test('resetDay() gives every key its full daily quota now', async (t) => {
  const { sb, clock } = await dhl(t, { apiKeys: [{ key: KEY, perDay: 1 }] });
  sb.addShipment('A1', timeline);
  t.is((await track(sb, 'A1')).status, 200);
  clock.now += 5_000;
  t.is((await track(sb, 'A1')).status, 429);
  sb.resetDay();
  t.is(sb.stats().byKey[KEY]!.today, 0);
  t.is((await track(sb, 'A1')).status, 200);
});

test('sendRetryAfter: false leaves Retry-After out of 429s', async (t) => {
  const { sb } = await dhl(t, { sendRetryAfter: false });
  sb.addShipment('A1', timeline);
  await track(sb, 'A1');
  const res = await track(sb, 'A1');
  t.is(res.status, 429);
  t.is(res.headers.get('retry-after'), null);
});

test('serverErrorRate injects 500 text/html and 503 problem answers, seeded', async (t) => {
  const { sb, clock } = await dhl(t, { serverErrorRate: 1, apiKeys: [{ key: KEY, perSecond: 100 }] });
  sb.addShipment('A1', timeline);
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const res = await track(sb, 'A1');
    seen.add(`${res.status} ${res.headers.get('content-type')}`);
    clock.now += 1000;
  }
  t.deepEqual([...seen].sort(), ['500 text/html', '503 application/problem+json']);
  t.is(sb.stats().injectedServerErrors, 12);
  sb.setOptions({ serverErrorRate: 0 });
  t.is((await track(sb, 'A1')).status, 200);
});

test('generated timelines are plausible, repeat per seed and number, and vary between numbers', async (t) => {
  const { sb } = await dhl(t);
  const again = await startDhlSandbox({ clock: () => T0 });
  t.teardown(() => again.close());
  const endings = new Set<string>();
  let failedAttempts = 0;
  let pickups = 0;
  for (let i = 0; i < 120; i++) {
    const number = `JVGL0${String(i).padStart(6, '0')}`;
    const tl = sb.generateShipment(number, T0);
    t.deepEqual(again.generateShipment(number, T0), tl, 'same seed and number, same timeline');
    t.is(tl[0]!.statusCode, 'pre-transit');
    t.is(tl[0]!.at, T0);
    for (let j = 1; j < tl.length; j++) t.true(tl[j]!.at >= tl[j - 1]!.at, 'in time order');
    endings.add(tl.at(-1)!.statusCode);
    if (tl.some((e) => e.statusCode === 'failure' && e.status === DHL_TEXTS.attemptFailed)) failedAttempts++;
    if (tl.some((e) => e.status === DHL_TEXTS.readyForPickup)) pickups++;
    t.true(tl.some((e) => e.status === DHL_TEXTS.outForDelivery) || tl.some((e) => e.status === DHL_TEXTS.readyForPickup));
  }
  t.true(endings.has('delivered'));
  t.true(failedAttempts > 0 && pickups > 0, `failed ${failedAttempts}, pickups ${pickups}`);
});

test('a generated shipment is served like an added one', async (t) => {
  const { sb, clock } = await dhl(t);
  const tl = sb.generateShipment('GEN1', T0 - 10 * 86_400_000);
  clock.now = T0;
  const s = ((await (await track(sb, 'GEN1')).json()) as DhlWireAnswer).shipments[0]!;
  t.is(s.events.length, tl.length);
  t.deepEqual(s.events.map((e) => e.status).reverse(), tl.map((e) => e.status));
  t.truthy(s.destination?.address.countryCode);
});

test('wrong paths and methods are problems too', async (t) => {
  const { sb } = await dhl(t);
  t.is((await fetch(`${sb.url}/track/other`, { headers: { 'DHL-API-Key': KEY } })).status, 404);
  t.is((await fetch(`${sb.url}/track/shipments?trackingNumber=A`, { method: 'POST', headers: { 'DHL-API-Key': KEY } })).status, 405);
  const missing = await fetch(`${sb.url}/track/shipments`, { headers: { 'DHL-API-Key': KEY } });
  t.is(missing.status, 400);
  t.is(missing.headers.get('content-type'), 'application/problem+json');
});
