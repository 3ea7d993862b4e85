import test from 'ava';
import { ShipmentList } from '../../api/schemas.ts';
import { FINAL_STATUSES, SHIPMENT_STATUSES, type ShipmentStatus } from '../../models/shipment.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { createShop, perSetHarness, type ApiHarness } from '../helpers/api.ts';

/**
 * `GET /shipments?attention=late` against an oracle: shipments of every status, with promises in
 * the past, in the future and none, inserted directly; late = not final and past the promise.
 */

const HOUR_MS = 3_600_000;

interface Row {
  id: number;
  shop_id: number;
  status: ShipmentStatus;
  promised_delivery_at: number | null;
}

eachAdapterSet((set) => {
  const rows: Row[] = [];
  const shops: number[] = [];
  const api = perSetHarness(test, set, { seed: insertPromises });

  async function insertPromises(h: ApiHarness): Promise<void> {
    for (let i = 0; i < 2; i += 1) shops.push((await createShop(h)).id);
    const now = Date.now();
    const inserts = [];
    for (let i = 0; i < 130; i += 1) {
      const status = SHIPMENT_STATUSES[i % SHIPMENT_STATUSES.length]!;
      // A third overdue (by hours to weeks), a third promised for later, a third without a promise.
      const promised = i % 3 === 0 ? now - (1 + (i % 17)) * 7 * HOUR_MS : i % 3 === 1 ? now + (1 + (i % 5)) * 24 * HOUR_MS : null;
      inserts.push({
        shop_id: shops[i % 4 === 0 ? 1 : 0],
        source: 'bol',
        platform_id: `L${i}`,
        carrier: 'DHL',
        tracking_number: `JVGLLATE${i}`,
        status,
        promised_delivery_at: promised,
        created_at: now - 1_000 + i,
        updated_at: now - 1_000 + i,
      });
    }
    await h.env.knex('shipments').insert(inserts);
    const stored: { id: number; shop_id: number; status: ShipmentStatus; promised_delivery_at: number | string | null }[] = await h.env
      .knex('shipments')
      .select('id', 'shop_id', 'status', 'promised_delivery_at');
    for (const r of stored) rows.push({ id: Number(r.id), shop_id: Number(r.shop_id), status: r.status, promised_delivery_at: r.promised_delivery_at === null ? null : Number(r.promised_delivery_at) });
  }

  const lateIds = (filter: (r: Row) => boolean = () => true) =>
    rows
      .filter((r) => filter(r) && r.promised_delivery_at !== null && r.promised_delivery_at < Date.now() && !FINAL_STATUSES.includes(r.status))
      .map((r) => r.id)
      .sort((a, b) => b - a);

  async function pages(path: string, limit: number): Promise<{ id: number; late: boolean }[]> {
    const out = [];
    let cursor: string | null = null;
    do {
      const answer = await api().request('GET', `${path}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text}`);
      ShipmentList.parse(answer.body);
      out.push(...answer.body.data);
      cursor = answer.body.next_cursor;
    } while (cursor);
    return out;
  }

  test(`${set.name}: attention=late finds exactly the open shipments past their promise, newest first, across pages`, async (t) => {
    const expected = lateIds();
    t.true(expected.length > 10, 'the oracle has late shipments');
    const found = await pages('/shipments?attention=late', 7);
    t.deepEqual(found.map((s) => s.id), expected);
    t.true(found.every((s) => s.late));
    const all = await pages('/shipments?', 50);
    t.deepEqual(all.filter((s) => s.late).map((s) => s.id), expected, 'the list marks the same ones late');
  });

  test(`${set.name}: attention=late combines with the shop, status and carrier filters`, async (t) => {
    t.deepEqual((await pages(`/shipments?attention=late&shop_id=${shops[1]}`, 50)).map((s) => s.id), lateIds((r) => r.shop_id === shops[1]));
    t.deepEqual((await pages('/shipments?attention=late&status=in_transit', 50)).map((s) => s.id), lateIds((r) => r.status === 'in_transit'));
    t.deepEqual(await pages('/shipments?attention=late&status=delivered', 50), [], 'a delivered shipment is never late');
    t.deepEqual((await pages('/shipments?attention=late&carrier=dhl', 50)).map((s) => s.id), lateIds());
  });

  test(`${set.name}: the export with attention=late has the late ones, and says so in its late column`, async (t) => {
    const answer = await api().request('GET', '/shipments/export.csv?attention=late');
    t.is(answer.status, 200);
    const lines = answer.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    const header = lines[0]!.split(',');
    const lateAt = header.indexOf('late');
    t.true(lateAt > header.indexOf('updated_at'), 'added after the columns consumers already read');
    t.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[0])), lateIds());
    t.true(lines.slice(1).every((l) => l.split(',')[lateAt] === 'true'));
  });

  test(`${set.name}: another attention value is a 400 naming the parameter and its values`, async (t) => {
    const answer = await api().request('GET', '/shipments?attention=overdue');
    t.is(answer.status, 400);
    t.is(answer.body.error.code, 'validation_failed');
    t.deepEqual(answer.body.error.details.map((d: { field: string }) => d.field), ['attention']);
    t.regex(answer.body.error.details[0].reason, /late/);
  });
});
