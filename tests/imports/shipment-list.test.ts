import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { fixture, perSetImportHarness } from './harness.ts';

/**
 * The parcelLab sample: 9 article rows, 5 shipments grouped by carrier and tracking number,
 * receiver addresses parsed into street, postal code, city and ISO country, statuses mapped by
 * status-mapping.md (`inbound-scan` and `scanned` are depot scans: in_transit; `delivery`:
 * out_for_delivery).
 */
const EXPECTED = [
  { tracking: 'TN12345678', carrier: 'DHL', status: 'in_transit', raw: 'in-transit', street: 'Street 10', postal: '75001', city: 'Paris', country: 'FR', items: ['Laptop', 'Mouse'] },
  { tracking: 'TN12345679', carrier: 'UPS', status: 'in_transit', raw: 'inbound-scan', street: 'Street 20', postal: '1000', city: 'Brussels', country: 'BE', items: ['Monitor'] },
  { tracking: 'TN12345680', carrier: 'DPD', status: 'out_for_delivery', raw: 'delivery', street: 'Street 5', postal: '28013', city: 'Madrid', country: 'ES', items: ['Keyboard', 'Mouse'] },
  { tracking: 'TN12345681', carrier: 'FedEx', status: 'in_transit', raw: 'transit', street: 'Street 9', postal: '1016', city: 'Amsterdam', country: 'NL', items: ['Laptop', 'Headphones'] },
  { tracking: 'TN12345682', carrier: 'GLS', status: 'in_transit', raw: 'scanned', street: 'Street 15', postal: '1050', city: 'Copenhagen', country: 'DK', items: ['Smartphone', 'Charger'] },
];

eachAdapterSet((set) => {
  const api = perSetImportHarness(test, set, { batchRows: 4 });

  test.serial(`${set.name}: the parcelLab file gives five shipments with their articles, parsed addresses and mapped statuses`, async (t) => {
    const h = api();
    const done = await h.importFile('type=shipments', fixture('parcellab/shipments.csv'));
    t.like(done, { status: 'succeeded', rows_total: 9, rows_processed: 9, inserted: 9, failed_rows: 0, unmapped_statuses: {} });
    const list = await h.request('GET', '/shipments?limit=50');
    t.is(list.body.data.length, 5);
    for (const e of EXPECTED) {
      const found = await h.request('GET', `/shipments?tracking_number=${e.tracking}`);
      t.is(found.body.data.length, 1, e.tracking);
      const detail = (await h.request('GET', `/shipments/${found.body.data[0].id}`)).body;
      t.like(detail, { source: 'csv', shop_id: null, status: e.status, receiver: { street: e.street, postal_code: e.postal, city: e.city, country: e.country } }, e.tracking);
      t.is(detail.carrier, e.carrier);
      t.deepEqual(detail.items.map((i: { title: string }) => i.title), e.items, `${e.tracking} articles`);
      t.deepEqual(detail.events.map((ev: { raw_status: string }) => ev.raw_status), [e.raw]);
    }
    const laptop = (await h.request('GET', `/shipments/${(await h.request('GET', '/shipments?tracking_number=TN12345678')).body.data[0].id}`)).body;
    t.like(laptop.items[0], { sku: 'LP123', quantity: 1, unit_price: 800 });

    const again = await h.importFile('type=shipments', fixture('parcellab/shipments.csv'));
    t.like(again, { status: 'succeeded', inserted: 0, updated: 0, unchanged: 9 }, 're-importing changes nothing');
    t.is((await h.request('GET', '/shipments?limit=50')).body.data.length, 5);
  });

  test.serial(`${set.name}: a later list moves statuses on; an unknown status is kept, counted and moves nothing`, async (t) => {
    const h = api();
    const header = 'tracking_number,carrier,sender_address,receiver_address,article_name,article_quantity,article_price,SKU,status';
    await h.importFile('type=shipments', `${header}\nZZ1,DHL,"A 1, 10115 Berlin, Germany","B 2, 1012 LG Amsterdam, Nederland",Cup,2,"3,50",CU1,in_transit`);
    const next = await h.importFile(
      'type=shipments',
      `${header}\nZZ1,DHL,"A 1, 10115 Berlin, Germany","B 2, 1012 LG Amsterdam, Nederland",Cup,2,"3,50",CU1,lost-in-space\nZZ2,DHL,x,y,Pen,two,1,PE1,transit\n,DHL,x,y,Pen,1,1,PE1,transit`,
    );
    t.like(next, { status: 'succeeded', failed_rows: 2, unmapped_statuses: { 'lost-in-space': 1 } });
    t.deepEqual(next.errors.map((e: { line: number }) => e.line), [3, 4]);
    const zz1 = (await h.request('GET', `/shipments/${(await h.request('GET', '/shipments?tracking_number=ZZ1')).body.data[0].id}`)).body;
    t.is(zz1.status, 'in_transit', 'an unknown status keeps the previous one');
    t.deepEqual(zz1.events.map((e: { raw_status: string; status: string | null }) => [e.raw_status, e.status]), [
      ['in_transit', 'in_transit'],
      ['lost-in-space', null],
    ]);
    t.like(zz1.receiver, { postal_code: '1012 LG', city: 'Amsterdam', country: 'NL' });
    t.is(zz1.items[0].unit_price, 3.5);
  });
});
