import test from 'ava';
import { parseShipmentDetail, parseShipmentsPage } from '../../crawler/connectors/bol/parse.ts';
import { parsePublishedLimits, parseRateHeaders, parseRetryAfterMs } from '../../crawler/connectors/bol/limits.ts';

test('a past-the-end page is {} and parses to no shipments', (t) => {
  t.deepEqual(parseShipmentsPage({}), []);
  t.deepEqual(parseShipmentsPage({ shipments: [] }), []);
});

test('v5/v6-era numeric ids are accepted as strings', (t) => {
  const page = parseShipmentsPage({
    shipments: [{ shipmentId: 914587795, shipmentDateTime: '2018-04-20T19:20:11+02:00', order: { orderId: '7616222250' }, shipmentItems: [], transport: { transportId: 358612589 } }],
  });
  t.deepEqual(page, [{ shipmentId: '914587795', shipmentDateTime: '2018-04-20T19:20:11+02:00' }]);
});

test('a v10 shipment detail becomes a record with carrier, tracking, receiver, items and mapped events', (t) => {
  const r = parseShipmentDetail({
    shipmentId: '541757635',
    shipmentDateTime: '2026-10-01T10:55:37+02:00',
    order: { orderId: '7616222250', orderPlacedDateTime: '2026-09-30T10:00:00+02:00' },
    shipmentDetails: { zipCode: '1012ab', city: 'Amsterdam', countryCode: 'nl', deliveryPhoneNumber: '+31 6 12345678', firstName: 'A', surname: 'B' },
    shipmentItems: [
      { orderItemId: '6107434013', fulfilment: { method: 'FBR' }, offer: { reference: 'SKU-1' }, product: { ean: '8712626055150', title: 'Kettle' }, quantity: 3, unitPrice: 34.99 },
    ],
    transport: {
      transportId: '358612589',
      transporterCode: 'TNT',
      trackAndTrace: '3SAOLD1234567',
      transportEvents: [
        { eventCode: 'PRE_ANNOUNCED', eventDateTime: '2026-10-01T11:00:00+02:00' },
        { eventCode: 'WEIRD_NEW_CODE', eventDateTime: '2026-10-01T12:00:00+02:00' },
      ],
    },
  });
  t.is(r.platformId, '541757635');
  t.is(r.carrier, 'TNT');
  t.is(r.trackingNumber, '3SAOLD1234567');
  t.is(r.fulfilmentMethod, 'FBR');
  t.deepEqual(r.receiver, { postalCode: '1012 AB', city: 'Amsterdam', country: 'NL', phone: '+31 6 12345678', name: 'A B' }, 'an NL postcode is stored as 1234 AB, however bol wrote it');
  t.deepEqual(r.items, [{ key: '6107434013', ean: '8712626055150', sku: 'SKU-1', title: 'Kettle', quantity: 3, quantityShipped: null, unitPrice: 34.99 }]);
  t.deepEqual(
    r.events.map((e) => [e.rawStatus, e.status]),
    [
      ['PRE_ANNOUNCED', 'info_received'],
      ['WEIRD_NEW_CODE', null],
    ],
  );
  t.is(r.events[0]!.occurredAt, Date.parse('2026-10-01T09:00:00Z'));
});

test('shipmentReference, transporterCode and trackAndTrace may be missing', (t) => {
  const r = parseShipmentDetail({ shipmentId: '1', order: { orderId: '2' }, shipmentItems: [], transport: { transportId: '3' } });
  t.is(r.reference, null);
  t.is(r.carrier, null);
  t.is(r.trackingNumber, null);
  t.deepEqual(r.events, []);
});

test('published limits: the most specific rule wins for each endpoint', (t) => {
  const limits = parsePublishedLimits([
    { path: '/retailer/**', methods: ['GET'], maxCapacity: 5, timeToLive: 1, timeUnit: 'SECONDS' },
    { path: '/retailer/shipments', methods: ['GET'], maxCapacity: 25, timeToLive: 1, timeUnit: 'MINUTES' },
    { path: '/retailer/shipments', methods: ['POST'], maxCapacity: 25, timeToLive: 1, timeUnit: 'SECONDS' },
    { path: '/retailer/shipments/*', methods: ['GET'], maxCapacity: 50, timeToLive: 60, timeUnit: 'SECONDS' },
  ]);
  t.deepEqual(limits.list, { capacity: 25, windowMs: 60_000 });
  t.deepEqual(limits.detail, { capacity: 50, windowMs: 60_000 });
});

test('rate headers are read case-insensitively; an epoch-like reset is an epoch', (t) => {
  t.deepEqual(parseRateHeaders({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '4' }), { limit: 10, remaining: 0, resetMs: 4000 });
  const epoch = Math.floor(Date.now() / 1000) + 3;
  const seen = parseRateHeaders({ 'x-ratelimit-reset': String(epoch) });
  t.true(seen.resetMs! > 1000 && seen.resetMs! <= 3000);
  t.is(parseRetryAfterMs('4'), 4000);
  t.is(parseRetryAfterMs(undefined), undefined);
});
