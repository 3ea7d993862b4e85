import test from 'ava';
import { parse } from 'csv-parse/sync';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { fixture, perSetImportHarness } from './harness.ts';

/**
 * `GET /shipments/export.csv`: the list's filters and order, every page, formula-like cells
 * neutralised so a spreadsheet shows them as text.
 */
eachAdapterSet((set) => {
  const api = perSetImportHarness(test, set, { batchRows: 500 });

  test.serial(`${set.name}: the export has what the list has for the same filters, in the same order, without pages`, async (t) => {
    const h = api();
    await h.importFile('type=shipments', fixture('parcellab/shipments.csv'));
    const header = 'tracking_number,carrier,sender_address,receiver_address,article_name,article_quantity,article_price,SKU,status';
    await h.importFile('type=shipments', `${header}\n=1+2,@evil,x,"-Street 1, 10115 Berlin, Germany",x,1,1,x,transit\n`);
    // Enough rows for several of the export's pages (1,000 rows a read).
    const now = Date.now();
    const rows = Array.from({ length: 2300 }, (_, i) => ({ source: 'csv', external_key: `bulk:${i}`, carrier: 'BULK', tracking_number: `B${i}`, status: 'pending', created_at: now, updated_at: now }));
    for (let i = 0; i < rows.length; i += 500) await h.env.knex('shipments').insert(rows.slice(i, i + 500));

    const all = await h.request('GET', '/shipments/export.csv');
    t.is(all.status, 200);
    t.regex(all.headers.get('content-type') ?? '', /^text\/csv/);
    const records = parse(all.text, { bom: true, columns: true }) as Record<string, string>[];
    t.is(records.length, 2306);
    t.deepEqual(Object.keys(records[0]!), [
      'id', 'source', 'shop_id', 'reference', 'order_id', 'carrier', 'tracking_number', 'status', 'status_at', 'shipped_at',
      'receiver_street', 'receiver_postal_code', 'receiver_city', 'receiver_country', 'created_at', 'updated_at',
      // Added later, after the first columns, so readers by position keep working.
      'receiver_name', 'order_placed_at', 'promised_delivery_at', 'late', 'estimated_delivery_at', 'estimated_delivery_from', 'estimated_delivery_to',
      'carrier_remark', 'proof_of_delivery_url', 'tracking_url', 'pickup_point_code', 'pickup_point_name', 'transport_id', 'shipping_label_id', 'distribution_party',
    ]);
    const ids = records.map((r) => Number(r.id));
    t.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first, like the list');

    const evil = records.find((r) => r.tracking_number?.includes('1+2'))!;
    t.like(evil, { tracking_number: "'=1+2", carrier: "'@evil", receiver_street: "'-Street 1", receiver_city: 'Berlin', receiver_country: 'DE' });

    const dhl = parse((await h.request('GET', '/shipments/export.csv?carrier=DHL')).text, { bom: true, columns: true }) as Record<string, string>[];
    t.deepEqual(dhl.map((r) => r.tracking_number), ['TN12345678']);
    t.like(dhl[0], { status: 'in_transit', receiver_street: 'Street 10', receiver_postal_code: '75001', receiver_city: 'Paris', receiver_country: 'FR' });

    const outForDelivery = await h.request('GET', '/shipments?status=out_for_delivery');
    const exported = parse((await h.request('GET', '/shipments/export.csv?status=out_for_delivery')).text, { bom: true, columns: true }) as Record<string, string>[];
    t.deepEqual(exported.map((r) => Number(r.id)), outForDelivery.body.data.map((s: { id: number }) => s.id));

    const bad = await h.request('GET', '/shipments/export.csv?status=lost&limit=5');
    t.is(bad.status, 400);
    t.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), ['limit', 'status']);
  });
});
