import test from 'ava';
import { ShipmentDetail, ShipmentList } from '../../api/schemas.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { perSetHarness, type ApiHarness } from '../helpers/api.ts';

/**
 * "Where is my parcel?": a look-up by tracking number and carrier answers the whole shipment
 * (items, status, timeline, weather); carriers match by code or name, in any case.
 */

const NOW = Date.UTC(2026, 10, 20, 12);
const CARRIERS = ['TNT', 'PostNL', 'DHLFORYOU', 'DHL_DE', 'DHL', 'DPD-NL'];

eachAdapterSet((set) => {
  const ids = new Map<string, number>();
  const api = perSetHarness(test, set, {
    async seed(h: ApiHarness) {
      const knex = h.env.knex;
      const [locationId] = await knex('locations').insert({
        country: 'NL', postal_code: '1011 AB', city: 'Amsterdam', temp_c: 7.5, condition: 'Patchy light rain with thunder and a long description', provider: 'weatherapi',
        observed_at: NOW - 600_000, fetched_at: NOW - 300_000, next_fetch_at: NOW + 7_000_000, created_at: NOW, updated_at: NOW,
      });
      let n = 0;
      for (const carrier of CARRIERS) {
        for (let i = 0; i < 3; i += 1) {
          n += 1;
          const [id] = await knex('shipments').insert({
            source: 'csv', carrier, tracking_number: i === 0 ? 'SHARED123' : `${carrier}-${i}`, status: 'in_transit', receiver_country: 'NL',
            receiver_postal_code: '1011AB', receiver_city: 'Amsterdam', receiver_phone: '+31 6 1234 5678', location_id: i === 0 ? locationId : null,
            created_at: NOW + n, updated_at: NOW + n,
          });
          ids.set(`${carrier}/${i}`, Number(id));
        }
      }
      const tnt = ids.get('TNT/0')!;
      await knex('shipment_items').insert({ shipment_id: tnt, item_key: 'OI-1', ean: '8712345678901', sku: 'SKU-1', title: 'Kettle', quantity: 1, quantity_shipped: 1, unit_price: 19.95 });
      await knex('tracking_events').insert([
        { shipment_id: tnt, source: 'bol', status: 'in_transit', raw_status: 'AT_TRANSPORTER', description: null, location: null, occurred_at: NOW - 7_200_000, dedupe_key: 'b', created_at: NOW },
        { shipment_id: tnt, source: 'bol', status: 'info_received', raw_status: 'PRE_ANNOUNCED', description: null, location: null, occurred_at: NOW - 9_000_000, dedupe_key: 'a', created_at: NOW },
      ]);
    },
  });

  const list = async (h: ApiHarness, query: string) => {
    const answer = await h.request('GET', `/shipments?${query}`);
    if (answer.status !== 200) throw new Error(`${query}: ${answer.status} ${answer.text}`);
    ShipmentList.parse(answer.body);
    return answer.body as { data: { id: number; carrier: string }[]; next_cursor: string | null };
  };

  test(`${set.name}: a look-up by tracking number and carrier answers the shipment with items, timeline and weather`, async (t) => {
    const h = api();
    const { data } = await list(h, 'tracking_number=SHARED123&carrier=tnt');
    t.deepEqual(data.map((s) => s.id), [ids.get('TNT/0')]);
    const shipment = data[0]!;
    t.notThrows(() => ShipmentDetail.parse(shipment));
    t.like(shipment, {
      carrier: 'TNT',
      status: 'in_transit',
      items: [{ item_key: 'OI-1', title: 'Kettle', quantity: 1, unit_price: 19.95 }],
      weather: { temp_c: 7.5, condition: 'Patchy light rain with thunder and a long description', provider: 'weatherapi', fetched_at: new Date(NOW - 300_000).toISOString() },
    });
    t.deepEqual((shipment as unknown as { events: { raw_status: string }[] }).events.map((e) => e.raw_status), ['PRE_ANNOUNCED', 'AT_TRANSPORTER'], 'timeline oldest first');

    const detail = await h.request('GET', `/shipments/${shipment.id}`);
    t.deepEqual(detail.body, shipment, 'the same as GET /shipments/:id');
    t.is((await list(h, 'tracking_number=SHARED123&carrier=UPS')).data.length, 0);
    t.is((await list(h, 'tracking_number=SHARED124&carrier=TNT')).data.length, 0);
  });

  test(`${set.name}: carrier matches by code or name, in any case`, async (t) => {
    const h = api();
    const carriersOf = async (query: string) => [...new Set((await list(h, `${query}&limit=500`)).data.map((s) => s.carrier))].sort();
    t.deepEqual(await carriersOf('tracking_number=SHARED123&carrier=tnt'), ['TNT']);
    t.deepEqual(await carriersOf('tracking_number=SHARED123&carrier=PostNL'), ['PostNL', 'TNT'], 'bol\'s TNT is PostNL');
    t.deepEqual(await carriersOf('tracking_number=SHARED123&carrier=dhl'), ['DHL', 'DHLFORYOU', 'DHL_DE']);
    t.deepEqual(await carriersOf('tracking_number=SHARED123&carrier=dhl-de'), ['DHL_DE']);
    t.deepEqual(await carriersOf('carrier=dpd'), ['DPD-NL']);
    t.deepEqual(await carriersOf('carrier=ups'), []);
    t.deepEqual(await carriersOf('carrier=Dhl&status=in_transit'), ['DHL', 'DHLFORYOU', 'DHL_DE']);
  });

  test(`${set.name}: a carrier name standing for several codes pages newest first, each shipment once`, async (t) => {
    const h = api();
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const body = await list(h, `carrier=DHL&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      t.true(body.data.length <= 2);
      seen.push(...body.data.map((s) => s.id));
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    const expected = [...ids].filter(([k]) => /^DHL(FORYOU|_DE)?\//.test(k)).map(([, id]) => id).sort((a, b) => b - a);
    t.deepEqual(seen, expected);
  });
});
