/**
 * The simulators' answers, over real HTTP, against the providers' published schemas
 * (tests/conformance/spec-schemas.ts): a few hundred generated bol shipments (list pages and
 * details), a few hundred generated DHL trackings at several moments of their timelines
 * (including paged multi-piece answers and the 404), and Open-Meteo forecasts for many points.
 */
import test from 'ava';
import type { z } from 'zod';
import { startBolSandbox } from '../../sandbox/bol/index.ts';
import { DHL_TEXTS, startDhlSandbox } from '../../sandbox/dhl/index.ts';
import { startWeatherSandbox } from '../../sandbox/weather/index.ts';
import { api, json, token } from '../sandbox/helpers.ts';
import {
  bolShipment, bolShipmentsResponse, dhlProblem, dhlTrackingShipments, openMeteoError, openMeteoForecast,
} from './spec-schemas.ts';

/** Every problem zod finds, each with the path of the field: one assertion message tells all. */
function problemsOf(schema: z.ZodTypeAny, body: unknown, what: string): string[] {
  const r = schema.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => `${what} ${i.path.join('.')}: ${i.message}`);
}

const WIDE_OPEN = { capacity: 10_000, windowMs: 1_000 };

test('bol: every list page and every shipment detail of 300 generated shipments conforms to the v10 schemas', async (t) => {
  const sb = await startBolSandbox({ shipments: 300, limits: { list: WIDE_OPEN, detail: WIDE_OPEN } });
  t.teardown(() => sb.close());
  const bearer = await token(sb.url);
  const problems: string[] = [];
  const ids: string[] = [];
  for (const method of ['FBR', 'FBB']) {
    for (let page = 1; ; page++) {
      const body = await json(await api(sb.url, `/retailer/shipments?fulfilment-method=${method}&page=${page}`, bearer));
      problems.push(...problemsOf(bolShipmentsResponse, body, `${method} page ${page}`));
      const shipments = (body.shipments ?? []) as { shipmentId: string }[];
      ids.push(...shipments.map((s) => s.shipmentId));
      if (shipments.length === 0) break;
    }
  }
  t.is(ids.length, 300);
  const details = [];
  for (const id of ids) {
    const body = await json(await api(sb.url, `/retailer/shipments/${id}`, bearer));
    problems.push(...problemsOf(bolShipment, body, `shipment ${id}`));
    details.push(body as z.infer<typeof bolShipment>);
  }
  t.deepEqual(problems, []);

  // The fields users need are there, as bol sends them.
  t.true(details.every((d) => d.order.orderPlacedDateTime !== undefined));
  t.true(details.every((d) => d.shipmentItems.every((i) => i.fulfilment?.latestDeliveryDate !== undefined && i.fulfilment.distributionParty !== undefined)));
  t.true(details.every((d) => d.transport?.transportId !== undefined));
  t.true(details.some((d) => d.transport?.shippingLabelId !== undefined));
  t.true(details.some((d) => d.pickupPoint === true && d.shipmentDetails?.pickupPointName !== undefined));
  t.true(details.every((d) => d.pickupPoint === (d.shipmentDetails?.pickupPointName !== undefined)), 'a pickup point name exactly when the parcel goes to one');
  const zips = details.map((d) => d.shipmentDetails!).filter((a) => a.countryCode === 'NL').map((a) => a.zipCode);
  t.true(zips.filter((z) => /^\d{4}[A-Z]{2}$/.test(z)).length > zips.length / 2, 'most NL postcodes as the spec writes them: 1234AB');
  t.true(zips.some((z) => /^\d{4} [A-Z]{2}$/.test(z)), 'some with the space');
  t.true(details.map((d) => d.shipmentDetails!).filter((a) => a.countryCode === 'BE').every((a) => /^\d{4}$/.test(a.zipCode)), 'BE as 1000');
});

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const HOUR = 3_600_000;

test('DHL: 300 generated trackings, asked at five moments of their timelines, conform to the Unified schemas; so do the 404 and paged answers', async (t) => {
  const clock = { now: T0 };
  const sb = await startDhlSandbox({ apiKeys: [{ key: 'k', perSecond: 100_000, perDay: 10_000_000 }], clock: () => clock.now });
  t.teardown(() => sb.close());
  const ask = async (number: string, extra = '') => {
    const res = await fetch(`${sb.url}/track/shipments?trackingNumber=${encodeURIComponent(number)}${extra}`, { headers: { 'DHL-API-Key': 'k' } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const numbers = Array.from({ length: 300 }, (_, i) => `JVGL${String(1_000_000 + i * 7919)}`);
  for (const [i, n] of numbers.entries()) sb.generateShipment(n, T0 + (i % 24) * HOUR);
  const problems: string[] = [];
  const seen = { answers: 0, estimates: 0, remarks: 0, shortOffsets: 0, noOffsets: 0 };
  for (const hoursLater of [1, 12, 30, 60, 120]) {
    clock.now = T0 + hoursLater * HOUR;
    for (const n of numbers) {
      const { status, body } = await ask(n);
      if (status === 404) {
        problems.push(...problemsOf(dhlProblem, body, `404 of ${n}`));
        continue;
      }
      problems.push(...problemsOf(dhlTrackingShipments, body, `${n} at +${hoursLater} h`));
      const s = (body as z.infer<typeof dhlTrackingShipments>).shipments?.[0];
      seen.answers += 1;
      if (s?.estimatedDeliveryTimeFrame || s?.estimatedTimeOfDelivery) seen.estimates += 1;
      if (s?.events?.some((e) => e.remark || e.nextSteps)) seen.remarks += 1;
      for (const e of s?.events ?? []) {
        if (/[+-]\d:\d\d$/.test(e.timestamp)) seen.shortOffsets += 1;
        if (/T\d\d:\d\d:\d\d$/.test(e.timestamp)) seen.noOffsets += 1;
      }
    }
  }
  t.deepEqual(problems, []);
  t.true(seen.answers > 1_000, JSON.stringify(seen));
  for (const [k, v] of Object.entries(seen)) t.true(v > 0, `some answers have ${k}: ${JSON.stringify(seen)}`);

  // Proof of delivery: shown to whoever proves the postal code (parcel-nl, parcel-de).
  sb.addShipment('POD1', [
    { at: T0, statusCode: 'pre-transit', status: DHL_TEXTS.announced },
    { at: T0 + HOUR, statusCode: 'delivered', status: DHL_TEXTS.delivered, location: { countryCode: 'NL', addressLocality: 'Utrecht' } },
  ], { destination: { countryCode: 'NL', postalCode: '3511 AB', addressLocality: 'Utrecht' } });
  const pod = await ask('POD1', '&recipientPostalCode=3511AB');
  problems.push(...problemsOf(dhlTrackingShipments, pod.body, 'POD1'));
  t.truthy((pod.body as z.infer<typeof dhlTrackingShipments>).shipments?.[0]?.details?.proofOfDelivery?.documentUrl);

  const unknown = await ask('NOT-A-NUMBER');
  t.is(unknown.status, 404);
  t.deepEqual(unknown.body, { title: 'No result found', detail: 'No shipment with given tracking number found.', status: 404, instance: '/shipment/NOT-A-NUMBER' });

  // Seven pieces under one number: pages of five, with DHL's paging links.
  sb.addShipment('MULTI1', [
    { at: T0, statusCode: 'pre-transit', status: DHL_TEXTS.announced },
    ...Array.from({ length: 7 }, (_, i) => ({ at: T0 + (i + 1) * 60_000, statusCode: 'transit' as const, status: DHL_TEXTS.originCenter, piece: i + 1 })),
  ], { pieces: 7, service: 'express' });
  const first = await ask('MULTI1');
  const second = await ask('MULTI1', '&offset=5&limit=5');
  for (const [what, page] of [['first page', first], ['second page', second]] as const) problems.push(...problemsOf(dhlTrackingShipments, page.body, `MULTI1 ${what}`));
  t.deepEqual(problems, []);
  t.is((first.body.shipments as unknown[]).length, 5);
  t.is((second.body.shipments as unknown[]).length, 2);
  t.regex(String(first.body.nextUrl), /offset=5&limit=5$/);
  t.is(second.body.nextUrl, undefined);
});

test('Open-Meteo: forecasts for 200 points (one at a time and in lists) conform to forecast.yml; so does its 400', async (t) => {
  const sb = await startWeatherSandbox({ openMeteoPerMinute: 100_000, openMeteoPerHour: 100_000, openMeteoPerDay: 100_000 });
  t.teardown(() => sb.close());
  const current = 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code';
  const problems: string[] = [];
  const points = Array.from({ length: 200 }, (_, i) => ({ lat: 50.5 + (i % 20) * 0.18, lon: 3.2 + Math.floor(i / 20) * 0.35 }));
  for (const p of points) {
    const res = await fetch(`${sb.url}/v1/forecast?${new URLSearchParams({ latitude: String(p.lat), longitude: String(p.lon), current, timezone: 'auto' })}`);
    const body = (await res.json()) as { current?: Record<string, unknown> };
    problems.push(...problemsOf(openMeteoForecast, body, `${p.lat},${p.lon}`));
    t.is(typeof body.current?.relative_humidity_2m, 'number');
    t.is(typeof body.current?.wind_speed_10m, 'number');
  }
  const list = points.slice(0, 10);
  const many = await fetch(`${sb.url}/v1/forecast?${new URLSearchParams({ latitude: list.map((p) => p.lat).join(','), longitude: list.map((p) => p.lon).join(','), current, timezone: 'auto' })}`);
  problems.push(...problemsOf(openMeteoForecast, await many.json(), 'a list of points'));
  const bad = await fetch(`${sb.url}/v1/forecast?latitude=52&longitude=4&current=no_such_variable`);
  t.is(bad.status, 400);
  problems.push(...problemsOf(openMeteoError, await bad.json(), 'the 400'));
  t.deepEqual(problems, []);
});
