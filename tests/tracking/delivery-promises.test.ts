/**
 * What users need of a delivery, end to end on each adapter set: sandbox shipments synced from
 * bol and tracked at DHL (both simulators over HTTP, real workers and clock) show the promise
 * the customer got, the carrier's estimate, the order time, bol's ids and the receiver in
 * `GET /shipments/:id`, and `attention=late` finds exactly the open shipments past their
 * promise. And DHL's own hard cases: offsets written `+2:00`, no `status` block, a multi-piece
 * answer paged over two calls.
 */
import test from 'ava';
import { endOfDayInZone } from '../../lib/zoned-time.ts';
import { FINAL_STATUSES } from '../../models/shipment.ts';
import { DHL_TEXTS, startDhlSandbox } from '../../sandbox/dhl/index.ts';
import { startBolSandbox } from '../../sandbox/bol/index.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { startApi, type ApiHarness } from '../helpers/api.ts';
import { crawlHarness, newClient } from '../crawler/harness.ts';
import { MINUTE_MS } from '../scheduler/sim.ts';
import { DHL_KEY, insertShipments, startTrackingRig } from './harness.ts';

const WIDE_OPEN = { capacity: 1_000, windowMs: 1_000 };

/** Every page of a list query. */
async function listAll(api: ApiHarness, query: string): Promise<{ id: number; late: boolean; status: string; promised_delivery_at: string | null }[]> {
  const out = [];
  let cursor: string | null = null;
  do {
    const answer = await api.request('GET', `/shipments?${query}&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    if (answer.status !== 200) throw new Error(`GET /shipments?${query} answered ${answer.status}: ${answer.text}`);
    out.push(...answer.body.data);
    cursor = answer.body.next_cursor;
  } while (cursor);
  return out;
}

eachAdapterSet((set) => {
  test.serial(`${set.name}: a synced bol shipment tracked at DHL shows its promised and estimated delivery; attention=late finds the open ones past their promise`, async (t) => {
    const api = await startApi(set);
    const client = newClient();
    const bol = await startBolSandbox({ clients: [client], shipments: 60, limits: { list: WIDE_OPEN, detail: WIDE_OPEN } });
    // Fresh shipments, shipped in the last hours: still on their way at DHL.
    bol.addShipments(25);
    const crawl = crawlHarness(api.env, bol);
    let rig: Awaited<ReturnType<typeof startTrackingRig>> | undefined;
    t.teardown(async () => {
      await crawl.stopAll();
      await rig?.close();
      await bol.close();
      await api.close();
    });

    const shop = await crawl.addShop(client);
    await crawl.startWorker();
    const run = await crawl.waitForRun((await crawl.startSync(shop.id, 'initial')).id);
    t.is(run.status, 'succeeded', String(run.error));
    await crawl.stopAll();

    const start = Date.now();
    rig = await startTrackingRig(api.env, { start, sandboxPerSecond: 100, sandboxPerDay: 1_000_000, callsPerSecond: 100, callsPerDay: 1_000_000 });
    const tracked = bol.shipments.filter((s) => s.detail.transport.trackAndTrace && /^DHL/i.test(s.detail.transport.transporterCode ?? ''));
    for (const s of tracked) rig.dhl.generateShipment(s.detail.transport.trackAndTrace!, s.shippedAtMs);
    for (let minute = 0; minute <= 3; minute += 1) await rig.tickAt(minute);

    // Ground truth from the simulators, beside what the API serves.
    const rows: { id: number; platform_id: string; estimated_delivery_from: number | null }[] = await api.env.knex('shipments').select('id', 'platform_id', 'estimated_delivery_from').where({ shop_id: shop.id });
    const idOf = new Map(rows.map((r) => [r.platform_id, Number(r.id)]));
    const onTheWay = tracked.filter((s) => rows.find((r) => r.platform_id === s.shipmentId)?.estimated_delivery_from !== null);
    t.true(onTheWay.length > 0, `some of the ${tracked.length} DHL shipments are still on their way`);
    for (const s of onTheWay) {
      const shown = await api.request('GET', `/shipments/${idOf.get(s.shipmentId)}`);
      t.is(shown.status, 200);
      const d = s.detail;
      const dates = d.shipmentItems.map((i) => endOfDayInZone(i.fulfilment.latestDeliveryDate, 'Europe/Amsterdam')!);
      t.is(shown.body.promised_delivery_at, new Date(Math.max(...dates)).toISOString(), 'the promise: the end of the latest delivery date, Amsterdam time');
      t.is(shown.body.order_placed_at, new Date(Date.parse(d.order.orderPlacedDateTime)).toISOString());
      t.is(shown.body.transport_id, d.transport.transportId);
      t.is(shown.body.shipping_label_id, d.transport.shippingLabelId ?? null);
      t.is(shown.body.distribution_party, d.shipmentItems[0]!.fulfilment.distributionParty);
      t.is(shown.body.receiver.name, `${d.shipmentDetails.firstName} ${d.shipmentDetails.surname}`);
      t.deepEqual(shown.body.pickup_point, d.shipmentDetails.pickupPointName ? { code: null, name: d.shipmentDetails.pickupPointName } : null);

      // The estimate DHL gives now, as the poll stored it.
      const dhl = await fetch(`${rig.dhl.url}/track/shipments?trackingNumber=${d.transport.trackAndTrace}`, { headers: { 'DHL-API-Key': DHL_KEY } });
      const frame = ((await dhl.json()) as { shipments: { estimatedDeliveryTimeFrame?: { estimatedFrom: string; estimatedThrough: string } }[] }).shipments[0]!.estimatedDeliveryTimeFrame!;
      t.deepEqual(shown.body.estimated_delivery, { at: null, from: new Date(Date.parse(frame.estimatedFrom)).toISOString(), to: new Date(Date.parse(frame.estimatedThrough)).toISOString() });
    }

    // Late: not final and past the promise, judged now.
    const all = await listAll(api, `shop_id=${shop.id}`);
    t.is(all.length, bol.shipments.length);
    const now = Date.now();
    const expected = all.filter((s) => !FINAL_STATUSES.includes(s.status as never) && s.promised_delivery_at !== null && Date.parse(s.promised_delivery_at) < now).map((s) => s.id);
    const late = await listAll(api, `shop_id=${shop.id}&attention=late`);
    t.deepEqual(late.map((s) => s.id), expected);
    t.true(late.every((s) => s.late));
    t.true(all.filter((s) => !expected.includes(s.id)).every((s) => !s.late));
  });

  test.serial(`${set.name}: a DHL answer with +2:00 offsets, no status block and seven pieces over two pages stores every event; the delivered parcel is delivered`, async (t) => {
    const api = await startApi(set);
    // Whole seconds: DHL's timestamps have no finer grain.
    const start = Math.floor(Date.now() / 1000) * 1000;
    const rig = await startTrackingRig(api.env, { start, sandboxPerSecond: 5, sandboxPerDay: 1_000, callsPerSecond: 5, callsPerDay: 1_000 });
    t.teardown(async () => {
      await rig.close();
      await api.close();
    });
    const ids = await insertShipments(api.env.knex, [{ tracking_number: 'JVGL0007PIECES', carrier: 'DHL', status: 'in_transit' }]);
    const at = (minutesAgo: number) => start - minutesAgo * MINUTE_MS;
    const utrecht = { countryCode: 'NL', addressLocality: 'Utrecht' };
    rig.dhl.addShipment('JVGL0007PIECES', [
      { at: at(3_000), statusCode: 'pre-transit', status: DHL_TEXTS.announced, location: { countryCode: 'DE' } },
      { at: at(2_000), statusCode: 'transit', status: DHL_TEXTS.originCenter, location: { countryCode: 'DE', addressLocality: 'Bonn' } },
      // Each piece is processed on its own; the seventh, on the second page, is the one delivered last.
      ...Array.from({ length: 7 }, (_, i) => ({ at: at(1_000 - i * 10), statusCode: 'transit' as const, status: DHL_TEXTS.destinationCenter, location: utrecht, piece: i + 1 })),
      ...Array.from({ length: 6 }, (_, i) => ({ at: at(100 - i), statusCode: 'delivered' as const, status: DHL_TEXTS.delivered, location: utrecht, piece: i + 1 })),
      { at: at(10), statusCode: 'delivered', status: DHL_TEXTS.delivered, description: 'The last piece', location: utrecht, piece: 7 },
    ], { service: 'express', pieces: 7, withoutStatus: true, offsets: 'short', destination: utrecht });

    // What the answer looks like: every timestamp with a one-digit offset hour, no status, two pages.
    const page = await fetch(`${rig.dhl.url}/track/shipments?trackingNumber=JVGL0007PIECES`, { headers: { 'DHL-API-Key': DHL_KEY } });
    const body = (await page.json()) as { nextUrl?: string; shipments: { status?: unknown; events: { timestamp: string }[] }[] };
    t.truthy(body.nextUrl);
    t.true(body.shipments.every((s) => s.status === undefined && s.events.every((e) => /[+-]\d:\d\d$/.test(e.timestamp))));
    rig.dhl.resetStats();

    await rig.tickAt(0);
    await rig.tickAt(1);
    const id = ids.get('JVGL0007PIECES')!;
    const events: { raw_status: string; description: string | null; occurred_at: number }[] = await api.env.knex('tracking_events').select('raw_status', 'description', 'occurred_at').where({ shipment_id: id }).orderBy('occurred_at');
    // 2 shared + 7 processed + 7 delivered observations (distinct times), each stored once.
    t.is(events.length, 16, JSON.stringify(events.map((e) => e.raw_status)));
    t.is(Number(events.at(-1)!.occurred_at), at(10));
    t.is(events.at(-1)!.description, 'The last piece', 'the piece on the second page arrived');
    const shown = await api.request('GET', `/shipments/${id}`);
    t.is(shown.body.status, 'delivered');
    t.is(shown.body.status_at, new Date(at(10)).toISOString());
    const calls = rig.dhl.stats().byKey[DHL_KEY]!.requests;
    t.is(calls, 2, 'one call per page, each counted against the key');
  });

  test.serial(`${set.name}: further pages of multi-piece answers never take the key past its calls of the day`, async (t) => {
    const api = await startApi(set);
    const start = Math.floor(Date.now() / 1000) * 1000;
    // Three calls left of the key's day; each parcel's answer spans three pages.
    const rig = await startTrackingRig(api.env, { start, sandboxPerSecond: 5, sandboxPerDay: 1_000, callsPerSecond: 5, callsPerDay: 1_000 });
    const day = Math.floor(start / (24 * 60 * MINUTE_MS));
    await api.env.knex('tracking_keys').insert({ carrier: 'dhl', step: 0, chain: 'idle', heartbeat_at: 0, rate_state: null, quota_day: day, calls_today: 997, planned_today: 0, blocked_until: 0, updated_at: start });
    t.teardown(async () => {
      await rig.close();
      await api.close();
    });
    const numbers = ['JVGL0012PIECESA', 'JVGL0012PIECESB'];
    await insertShipments(api.env.knex, numbers.map((n) => ({ tracking_number: n, carrier: 'DHL', status: 'in_transit' })));
    for (const n of numbers) rig.dhl.addShipment(n, [{ at: start - 60 * MINUTE_MS, statusCode: 'transit', status: DHL_TEXTS.originCenter }], { pieces: 12 });
    rig.dhl.resetStats();

    await rig.tickAt(0);
    await rig.tickAt(1);
    const calls = rig.dhl.stats().byKey[DHL_KEY]!.requests;
    t.true(calls <= 3, `${calls} calls against the 3 left of the day`);
    t.true(calls >= 2, `both parcels were asked (${calls} calls)`);
  });
});

test('the DHL simulator pages a multi-piece answer five shipments at a time', async (t) => {
  const sb = await startDhlSandbox({ apiKeys: [{ key: 'k', perSecond: 100 }] });
  t.teardown(() => sb.close());
  sb.addShipment('P12', [{ at: Date.now() - 60_000, statusCode: 'transit', status: DHL_TEXTS.originCenter }], { pieces: 12 });
  const ask = async (extra: string) => (await (await fetch(`${sb.url}/track/shipments?trackingNumber=P12${extra}`, { headers: { 'DHL-API-Key': 'k' } })).json()) as { shipments: unknown[]; nextUrl?: string };
  const pages = [await ask(''), await ask('&offset=5&limit=5'), await ask('&offset=10&limit=5')];
  t.deepEqual(pages.map((p) => p.shipments.length), [5, 5, 2]);
  t.deepEqual(pages.map((p) => p.nextUrl?.replace(/^.*\?/, '')), ['trackingNumber=P12&offset=5&limit=5', 'trackingNumber=P12&offset=10&limit=5', undefined]);
});
