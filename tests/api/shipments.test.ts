import test from 'ava';
import { ShipmentDetail, ShipmentList } from '../../api/schemas.ts';
import type { ShipmentStatus } from '../../models/shipment.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { createShop, perSetHarness, type ApiHarness } from '../helpers/api.ts';

/**
 * The list against an oracle: ~120 shipments inserted directly, every expected answer computed
 * in memory from the same rows. The suite only reads after the `before` hook, so its tests may
 * run concurrently.
 */

const STATUSES: ShipmentStatus[] = ['pending', 'in_transit', 'delivered', 'exception'];
const CARRIERS = ['TNT', 'DHL', 'PostNL'];
const PHONE_FORMATS = ['+31 6 1234 56%d%d', '06-123456%d%d', '0031612345 6%d%d'];
const BASE_MS = Date.UTC(2026, 10, 1);

interface Row {
  id: number;
  shop_id: number;
  status: ShipmentStatus;
  carrier: string;
  tracking_number: string;
  reference: string;
  receiver_phone: string;
  phone_key: string;
  updated_at: number;
}

eachAdapterSet((set) => {
  const rows: Row[] = [];
  let shops: number[] = [];
  const api = perSetHarness(test, set, { seed: insertShipments });

  async function insertShipments(h: ApiHarness): Promise<void> {
    shops = [(await createShop(h)).id, (await createShop(h)).id];
    const inserts = [];
    for (let i = 0; i < 123; i += 1) {
      const phoneDigits = String(i % 10);
      const phone = PHONE_FORMATS[i % 3]!.replace('%d%d', `${phoneDigits}${phoneDigits}`).replace('%d', phoneDigits);
      inserts.push({
        shop_id: shops[i % 5 === 0 ? 1 : 0],
        source: 'bol',
        platform_id: `P${i}`,
        order_id: `O${i}`,
        reference: `REF-${i % 30}`,
        fulfilment_method: 'FBR',
        carrier: CARRIERS[i % 3],
        tracking_number: `3STRACK${i % 40}`,
        status: STATUSES[i % 4],
        status_at: BASE_MS + i * 1000,
        shipped_at: BASE_MS + i * 1000,
        receiver_postal_code: '1011AB',
        receiver_city: 'Amsterdam',
        receiver_country: 'NL',
        receiver_phone: phone,
        phone_key: phone.replace(/\D/g, '').slice(-9),
        created_at: BASE_MS + i,
        // Many rows share an updated_at, so the feed's tie-break on id matters.
        updated_at: BASE_MS + ((i * 37) % 50) * 60_000,
      });
    }
    for (const row of inserts) {
      const [id] = await h.env.knex('shipments').insert(row);
      rows.push({ ...(row as Omit<Row, 'id'>), id: Number(id) } as Row);
    }
  }

  /** Pages through the list with `limit`; returns the ids in answer order and checks every page. */
  async function collect(h: ApiHarness, t: { true(v: boolean, m?: string): void; fail(m?: string): void }, params: Record<string, string>, limit: number): Promise<number[]> {
    const ids: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 200; page += 1) {
      const query = new URLSearchParams({ ...params, limit: String(limit), ...(cursor ? { cursor } : {}) });
      const answer = await h.request('GET', `/shipments?${query}`);
      t.true(answer.status === 200, `${query} answered ${answer.status}: ${answer.text}`);
      ShipmentList.parse(answer.body);
      t.true(answer.body.data.length <= limit, 'a page holds at most limit rows');
      ids.push(...answer.body.data.map((s: { id: number }) => s.id));
      cursor = answer.body.next_cursor;
      if (cursor === null) return ids;
      t.true(answer.body.data.length === limit, 'only the last page is short');
    }
    t.fail('more than 200 pages');
    return ids;
  }

  function expected(filter: (r: Row) => boolean, order: 'id_desc' | 'updated_asc'): number[] {
    const picked = rows.filter(filter);
    picked.sort(order === 'id_desc' ? (a, b) => b.id - a.id : (a, b) => a.updated_at - b.updated_at || a.id - b.id);
    return picked.map((r) => r.id);
  }

  test(`${set.name}: paging through every shipment returns each exactly once, newest first`, async (t) => {
    const h = api();
    for (const limit of [1, 7, 50, 500]) {
      const ids = await collect(h, t, {}, limit);
      t.deepEqual(ids, expected(() => true, 'id_desc'), `limit ${limit}`);
      t.is(new Set(ids).size, rows.length);
    }
    const firstPage = await h.request('GET', '/shipments');
    t.is(firstPage.body.data.length, 50, 'the default page size is 50');
  });

  test(`${set.name}: every filter and combination returns exactly its rows, across pages`, async (t) => {
    const h = api();
    const [shopA, shopB] = shops as [number, number];
    const since = BASE_MS + 20 * 60_000;
    const sinceIso = new Date(since).toISOString();
    const cases: { params: Record<string, string>; filter: (r: Row) => boolean; order?: 'updated_asc' }[] = [
      { params: { shop_id: String(shopB) }, filter: (r) => r.shop_id === shopB },
      { params: { status: 'delivered' }, filter: (r) => r.status === 'delivered' },
      { params: { shop_id: String(shopA), status: 'in_transit' }, filter: (r) => r.shop_id === shopA && r.status === 'in_transit' },
      { params: { carrier: 'TNT' }, filter: (r) => r.carrier === 'TNT' },
      { params: { shop_id: String(shopA), carrier: 'DHL' }, filter: (r) => r.shop_id === shopA && r.carrier === 'DHL' },
      { params: { tracking_number: '3STRACK7' }, filter: (r) => r.tracking_number === '3STRACK7' },
      { params: { reference: 'REF-3', status: 'exception' }, filter: (r) => r.reference === 'REF-3' && r.status === 'exception' },
      { params: { reference: 'REF-12' }, filter: (r) => r.reference === 'REF-12' },
      { params: { phone: '+31 6 1234 5644' }, filter: (r) => r.phone_key === '612345644' },
      { params: { phone: '0612345644' }, filter: (r) => r.phone_key === '612345644' },
      // A carrier matches by code or name: bol's transporter code TNT is PostNL (models/carriers.ts).
      { params: { status: 'pending', carrier: 'PostNL' }, filter: (r) => r.status === 'pending' && (r.carrier === 'PostNL' || r.carrier === 'TNT') },
      { params: { updated_since: sinceIso }, filter: (r) => r.updated_at >= since, order: 'updated_asc' },
      { params: { updated_since: sinceIso, shop_id: String(shopA) }, filter: (r) => r.updated_at >= since && r.shop_id === shopA, order: 'updated_asc' },
      { params: { updated_since: sinceIso, status: 'delivered' }, filter: (r) => r.updated_at >= since && r.status === 'delivered', order: 'updated_asc' },
      { params: { updated_since: '2026-11-01T00:10:00+01:00' }, filter: (r) => r.updated_at >= BASE_MS - 50 * 60_000, order: 'updated_asc' },
      { params: { updated_since: sinceIso, tracking_number: '3STRACK1' }, filter: (r) => r.updated_at >= since && r.tracking_number === '3STRACK1', order: 'updated_asc' },
      { params: { shop_id: '999999' }, filter: () => false },
    ];
    for (const c of cases) {
      const want = expected(c.filter, c.order ?? 'id_desc');
      t.deepEqual(await collect(h, t, c.params, 4), want, JSON.stringify(c.params));
    }
  });

  test(`${set.name}: list rows are summaries with ISO timestamps and no phone`, async (t) => {
    const h = api();
    const answer = await h.request('GET', '/shipments?limit=3');
    t.notThrows(() => ShipmentList.parse(answer.body));
    const first = answer.body.data[0];
    t.deepEqual(first.receiver, { postal_code: '1011AB', city: 'Amsterdam', country: 'NL', name: null });
    t.regex(first.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.false(answer.text.includes('phone'));
  });

  test(`${set.name}: a cursor used with other filters, or not made by the API, answers 400 invalid_cursor`, async (t) => {
    const h = api();
    const page = await h.request('GET', '/shipments?status=delivered&limit=2');
    const cursor = page.body.next_cursor as string;
    t.truthy(cursor);
    const sameFilters = await h.request('GET', `/shipments?status=delivered&limit=5&cursor=${cursor}`);
    t.is(sameFilters.status, 200, 'the page size may change between pages');
    for (const query of [
      `status=pending&cursor=${cursor}`,
      `cursor=${cursor}`,
      `status=delivered&carrier=TNT&cursor=${cursor}`,
      `status=delivered&updated_since=2026-01-01T00:00:00Z&cursor=${cursor}`,
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('{"v":1,"k":["x"],"f":"y"}').toString('base64url')}`,
      'cursor=%00%01',
    ]) {
      const answer = await h.request('GET', `/shipments?${query}`);
      t.is(answer.status, 400, query);
      t.is(answer.body.error.code, 'invalid_cursor', query);
      t.is(answer.body.error.details[0].field, 'cursor');
    }
  });

  test(`${set.name}: bad list parameters answer 400 naming the parameter`, async (t) => {
    const h = api();
    const cases: [string, string][] = [
      ['status=lost', 'status'],
      ['status=pending&status=delivered', 'status'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['shop_id=-3', 'shop_id'],
      ['shop_id=1.5', 'shop_id'],
      ['updated_since=yesterday', 'updated_since'],
      ['updated_since=2026-11-01', 'updated_since'],
      ['phone=12', 'phone'],
      ['carrier=', 'carrier'],
      [`tracking_number=${'x'.repeat(129)}`, 'tracking_number'],
      ['shopId=1', 'shopId'],
    ];
    for (const [query, field] of cases) {
      const answer = await h.request('GET', `/shipments?${query}`);
      t.is(answer.status, 400, query);
      t.is(answer.body.error.code, 'validation_failed', query);
      t.deepEqual(answer.body.error.details.map((d: { field: string }) => d.field), [field], query);
    }
  });

  test(`${set.name}: GET /shipments/:id shows items, the timeline in time order, the phone and weather`, async (t) => {
    const h = api();
    const row = rows[10]!;
    await h.env.knex('shipment_items').insert([
      { shipment_id: row.id, item_key: 'OI-1', ean: '8712345678901', sku: 'SKU-1', title: 'Kettle', quantity: 2, quantity_shipped: 2, unit_price: 19.95 },
      { shipment_id: row.id, item_key: 'OI-2', ean: null, sku: null, title: null, quantity: 1, quantity_shipped: null, unit_price: null },
    ]);
    const at = (h: number) => BASE_MS + h * 3_600_000;
    // Inserted out of order: the timeline is by occurred_at, not by arrival.
    await h.env.knex('tracking_events').insert([
      { shipment_id: row.id, source: 'dhl', status: 'delivered', raw_status: 'DELIVERED', description: 'Delivered', location: 'Amsterdam', occurred_at: at(30), dedupe_key: 'c', created_at: at(31) },
      { shipment_id: row.id, source: 'bol', status: 'info_received', raw_status: 'ANNOUNCED', description: null, location: null, occurred_at: at(1), dedupe_key: 'a', created_at: at(2) },
      { shipment_id: row.id, source: 'dhl', status: null, raw_status: 'SORTED_XYZ', description: 'Sorted', location: 'Utrecht', occurred_at: at(10), dedupe_key: 'b', created_at: at(40) },
    ]);
    const answer = await h.request('GET', `/shipments/${row.id}`);
    t.is(answer.status, 200, answer.text);
    t.notThrows(() => ShipmentDetail.parse(answer.body));
    t.like(answer.body, { id: row.id, shop_id: row.shop_id, tracking_number: row.tracking_number, status: row.status, weather: null });
    t.is(answer.body.receiver.phone, row.receiver_phone);
    t.deepEqual(answer.body.items, [
      { item_key: 'OI-1', ean: '8712345678901', sku: 'SKU-1', title: 'Kettle', quantity: 2, quantity_shipped: 2, unit_price: 19.95 },
      { item_key: 'OI-2', ean: null, sku: null, title: null, quantity: 1, quantity_shipped: null, unit_price: null },
    ]);
    t.deepEqual(answer.body.events.map((e: { raw_status: string }) => e.raw_status), ['ANNOUNCED', 'SORTED_XYZ', 'DELIVERED']);
    t.deepEqual(answer.body.events[2], { status: 'delivered', raw_status: 'DELIVERED', description: 'Delivered', location: 'Amsterdam', source: 'dhl', occurred_at: new Date(at(30)).toISOString() });

    const missing = await h.request('GET', '/shipments/99999999');
    t.is(missing.status, 404);
    t.is(missing.body.error.code, 'not_found');
    t.is((await h.request('GET', '/shipments/abc')).status, 400);
  });
});
