/**
 * The connectors read what the published specs allow: minimal bodies (only the fields the schemas
 * require) and full ones, each first checked against the spec's schema (tests/conformance/
 * spec-schemas.ts) so the fixture itself is what a provider may send; DHL with every timestamp
 * form its schema and its examples use.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { parseShipmentDetail, parseShipmentsPage } from '../../crawler/connectors/bol/parse.ts';
import { parseDhlTracking } from '../../crawler/connectors/dhl/parse.ts';
import { parseDhlTimestamp } from '../../crawler/connectors/dhl/timestamps.ts';
import { createOpenMeteoClient } from '../../crawler/connectors/weather/open-meteo.ts';
import { bolShipment, bolShipmentsResponse, dhlTrackingShipments, openMeteoForecast } from './spec-schemas.ts';

// ---------------------------------------------------------------- bol

test('bol: a list page and a detail with only the required fields parse', (t) => {
  const page = { shipments: [{ shipmentId: '541757635', shipmentReference: 'BOLCOM001', order: { orderId: '4123456789' }, shipmentItems: [{ orderItemId: '1234567891', ean: '0000007740404' }], transport: { transportId: '312778947' } }] };
  t.true(bolShipmentsResponse.safeParse(page).success);
  t.deepEqual(parseShipmentsPage(page), [{ shipmentId: '541757635', shipmentDateTime: null }]);

  const detail = { shipmentId: '541757635', shipmentReference: 'BOLCOM001', order: { orderId: '4123456789' }, shipmentItems: [{ orderItemId: '1234567891', quantity: 1, unitPrice: 12.99 }] };
  t.true(bolShipment.safeParse(detail).success);
  const r = parseShipmentDetail(detail);
  t.like(r, { platformId: '541757635', orderId: '4123456789', reference: 'BOLCOM001', orderPlacedAt: null, promisedDeliveryAt: null, pickupPoint: null, transportId: null, shippingLabelId: null, distributionParty: null });
  t.deepEqual(r.receiver, { postalCode: null, city: null, country: null, phone: null, name: null });
  t.is(r.items.length, 1);
});

/** The spec's own examples (retailer.json `Shipment` and its parts), field by field. */
const fullDetail = {
  shipmentId: '541757635',
  shipmentDateTime: '2018-04-17T10:55:37+02:00',
  shipmentReference: 'BOLCOM001',
  pickupPoint: true,
  order: { orderId: '4123456789', orderPlacedDateTime: '2018-04-17T10:55:37+02:00' },
  shipmentDetails: {
    pickupPointName: 'Albert Heijn: UTRECHT', salutation: 'MALE', firstName: 'Billie', surname: 'Jansen', streetName: 'Dorpstraat', houseNumber: '1',
    houseNumberExtension: 'B', extraAddressInformation: 'Apartment', zipCode: '1111ZZ', city: 'Utrecht', countryCode: 'NL', email: 'billie@verkopen.bol.com',
    company: 'bol.com', deliveryPhoneNumber: '012123456', language: 'nl',
  },
  billingDetails: {
    salutation: 'MALE', firstName: 'Billie', surname: 'Jansen', streetName: 'Dorpstraat', houseNumber: '1', zipCode: '1111ZZ', city: 'Utrecht', countryCode: 'NL',
    email: 'billie@verkopen.bol.com', company: 'bol.com', vatNumber: 'NL999999999B99', kvkNumber: '99887766', orderReference: 'MijnReferentie',
  },
  shipmentItems: [
    {
      orderItemId: '1234567891', fulfilment: { method: 'FBR', distributionParty: 'RETAILER', latestDeliveryDate: '2017-02-10' }, offer: { offerId: '8f6283e3-68b8-4bb4-a4ec-bd0a3b50b1b5', reference: 'MijnOffer0021' },
      product: { ean: '0000007740404', title: 'Super awesome product' }, quantity: 10, quantityShipped: 10, unitPrice: 12.99, commission: 5,
    },
  ],
  transport: { transportId: '312778947', transporterCode: 'TNT', trackAndTrace: '3SBOL0987654321', shippingLabelId: '123456789', transportEvents: [{ eventCode: 'AT_TRANSPORTER', eventDateTime: '2021-07-28T17:21:07+02:00' }] },
};

test('bol: a detail with every field keeps what users need: order time, promised delivery, pickup point, transport and label ids, distribution party, receiver name', (t) => {
  t.deepEqual(bolShipment.safeParse(fullDetail).error?.issues ?? [], []);
  const r = parseShipmentDetail(fullDetail);
  t.is(r.orderPlacedAt, Date.parse('2018-04-17T08:55:37Z'));
  // A date-only promise lasts to the end of that day in the Netherlands (CET in February: +01:00).
  t.is(r.promisedDeliveryAt, Date.parse('2017-02-10T22:59:59.999Z'));
  t.deepEqual(r.pickupPoint, { code: null, name: 'Albert Heijn: UTRECHT' });
  t.is(r.transportId, '312778947');
  t.is(r.shippingLabelId, '123456789');
  t.is(r.distributionParty, 'RETAILER');
  t.deepEqual(r.receiver, { postalCode: '1111 ZZ', city: 'Utrecht', country: 'NL', phone: '012123456', name: 'Billie Jansen' });
  t.deepEqual(r.events.map((e) => [e.rawStatus, e.status, e.occurredAt]), [['AT_TRANSPORTER', 'in_transit', Date.parse('2021-07-28T15:21:07Z')]]);
});

test('bol: NL postcodes with or without the space are one form; a BE postcode stays as it is; the latest item date is the promise, in summer time too', (t) => {
  const withZip = (zipCode: string, countryCode: string) => parseShipmentDetail({ ...fullDetail, shipmentDetails: { ...fullDetail.shipmentDetails, zipCode, countryCode } }).receiver.postalCode;
  t.is(withZip('1234AB', 'NL'), '1234 AB');
  t.is(withZip('1234 ab', 'NL'), '1234 AB');
  t.is(withZip('1000', 'BE'), '1000');
  const item = fullDetail.shipmentItems[0]!;
  const r = parseShipmentDetail({
    ...fullDetail,
    shipmentItems: [
      { ...item, fulfilment: { ...item.fulfilment, latestDeliveryDate: '2026-07-01' } },
      { ...item, orderItemId: '2', fulfilment: { ...item.fulfilment, latestDeliveryDate: '2026-07-03' } },
    ],
  });
  t.is(r.promisedDeliveryAt, Date.parse('2026-07-03T21:59:59.999Z'));
});

// ---------------------------------------------------------------- DHL

test('DHL: every timestamp form of the spec is read to the same instant', (t) => {
  const instant = Date.parse('2017-06-21T12:07:17Z');
  for (const form of [
    '2017-06-21T14:07:17+2:00', // the 1.5.8 document's own note: a one-digit offset hour
    '2017-06-21T14:07:17+02:00',
    '2017-06-21T14:07:17+0200',
    '2017-06-21T14:07:17+02',
    '2017-06-21T12:07:17Z',
    '2017-06-21T12:07:17.000Z',
    '2017-06-21T12:07:17.000000Z',
    '2017-06-21T07:07:17-5:00',
    '2017-06-21T14:07:17', // no offset: the event country's zone (NL, summer: +02:00)
    '2017-06-21 14:07:17',
  ]) t.is(parseDhlTimestamp(form, 'NL'), instant, form);
  t.is(parseDhlTimestamp('2017-06-21T14:07+2:00'), Date.parse('2017-06-21T12:07:00Z'), 'without seconds');
  t.is(parseDhlTimestamp('2017-06-21T14:07:17.25+2:00'), Date.parse('2017-06-21T12:07:17.250Z'), 'with a fraction');
  t.is(parseDhlTimestamp('2017-06-21', 'DE'), Date.parse('2017-06-20T22:00:00Z'), 'a date alone: its midnight in the zone');
  for (const bad of ['2017-02-30T10:00:00Z', '2017-06-21T25:00:00Z', '2017-06-21T14:07:17+15:00', 'tomorrow']) t.is(parseDhlTimestamp(bad), null, bad);
});

test('DHL: a body with only the required fields parses; without `status` the current status is the newest event (DHL lists newest first)', (t) => {
  const minimal = {
    shipments: [{ events: [{ timestamp: '2024-03-02T10:00:00+1:00', statusCode: 'delivered' }, { timestamp: '2024-03-01T10:00:00+1:00', statusCode: 'transit' }, { timestamp: '2024-02-29T10:00:00+1:00', statusCode: 'pre-transit' }] }],
  };
  t.true(dhlTrackingShipments.safeParse(minimal).success);
  const r = parseDhlTracking('X', minimal);
  t.true(r.found);
  t.is(r.statusCode, 'delivered');
  t.deepEqual(r.events.map((e) => [e.status, e.occurredAt]), [
    ['info_received', Date.parse('2024-02-29T09:00:00Z')],
    ['in_transit', Date.parse('2024-03-01T09:00:00Z')],
    ['delivered', Date.parse('2024-03-02T09:00:00Z')],
  ]);
  t.deepEqual(r.delivery, { estimatedAt: null, estimatedFrom: null, estimatedTo: null, remark: null, proofOfDeliveryUrl: null });
  t.false(parseDhlTracking('X', {}).found, 'no shipments: not found');
});

test('DHL: a body with every field the connector reads: estimate, window, remark and next steps, proof of delivery, statusDetailed', (t) => {
  const full = {
    url: '/shipments?trackingNumber=7777777770&offset=0&limit=5',
    shipments: [
      {
        id: '7777777770',
        service: 'express',
        origin: { address: { countryCode: 'DE', postalCode: '53113', addressLocality: 'Bonn' } },
        destination: { address: { countryCode: 'NL', postalCode: '1043 AG', addressLocality: 'Amsterdam' } },
        status: {
          timestamp: '2018-08-02T16:12:00+2:00', location: { address: { addressLocality: 'Amsterdam' } }, statusCode: 'failure', status: 'The shipment could not be delivered',
          statusDetailed: 'delivery-attempt-failed', description: 'Recipient not at home', remark: 'The recipient was not at home.', nextSteps: 'A new delivery attempt is made on the next working day.',
        },
        estimatedTimeOfDelivery: '2018-08-03T00:00:00Z',
        estimatedDeliveryTimeFrame: { estimatedFrom: '2018-08-03T10:00:00+02:00', estimatedThrough: '2018-08-03T12:00:00' },
        estimatedTimeOfDeliveryRemark: 'By End of Day',
        details: { proofOfDelivery: { timestamp: '2018-09-05T16:33:00Z', documentUrl: 'https://webpod.dhl.com/webPOD/DHLePODRequest', signed: { familyName: 'JESSICA' } }, totalNumberOfPieces: 1, pieceIds: ['JD014600006281230704'] },
        events: [
          { timestamp: '2018-08-02T16:12:00+2:00', location: { address: { countryCode: 'NL', addressLocality: 'Amsterdam' } }, statusCode: 'failure', status: 'The shipment could not be delivered', statusDetailed: 'delivery-attempt-failed', description: 'Recipient not at home', pieceIds: ['JD014600006281230704'] },
          { timestamp: '2018-08-02T07:53:47Z', statusCode: 'transit', status: 'Processed', statusDetailed: 'out-for-delivery' },
        ],
      },
    ],
  };
  t.deepEqual(dhlTrackingShipments.safeParse(full).error?.issues ?? [], []);
  const r = parseDhlTracking('7777777770', full);
  t.is(r.statusCode, 'failure');
  t.deepEqual(r.events.map((e) => e.status), ['out_for_delivery', 'attempt_fail'], 'statusDetailed tells the finer status');
  t.is(r.events.length, 2, 'the status block is the newest event again, stored once');
  t.deepEqual(r.delivery, {
    estimatedAt: Date.parse('2018-08-03T00:00:00Z'),
    estimatedFrom: Date.parse('2018-08-03T08:00:00Z'),
    estimatedTo: Date.parse('2018-08-03T10:00:00Z'), // no offset: the destination's zone
    remark: 'The recipient was not at home. A new delivery attempt is made on the next working day.',
    proofOfDeliveryUrl: 'https://webpod.dhl.com/webPOD/DHLePODRequest',
  });
});

// ---------------------------------------------------------------- Open-Meteo

/** A fixture server answering geocoding with one place and the forecast with `forecast`. */
async function openMeteoFixture(forecast: unknown): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(path === '/v1/search' ? { results: [{ name: 'Amsterdam', latitude: 52.37, longitude: 4.89, country_code: 'NL' }] } : forecast));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

for (const [name, body, humidity, wind] of [
  ['only the fields the connector needs', { latitude: 52.37, longitude: 4.89, current: { time: '2024-03-01T11:45', temperature_2m: 9.1, weather_code: 61 } }, null, null],
  [
    'every field of a current answer',
    {
      latitude: 52.37, longitude: 4.89, elevation: 2, generationtime_ms: 0.05, utc_offset_seconds: 3600, timezone: 'Europe/Amsterdam', timezone_abbreviation: 'CET',
      current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', relative_humidity_2m: '%', wind_speed_10m: 'km/h', weather_code: 'wmo code' },
      current: { time: '2024-03-01T11:45', interval: 900, temperature_2m: 9.1, relative_humidity_2m: 81, wind_speed_10m: 11.3, weather_code: 61 },
    },
    81,
    11.3,
  ],
] as const) {
  test(`Open-Meteo: a forecast with ${name} is read, humidity and wind included when sent`, async (t) => {
    t.deepEqual(openMeteoForecast.safeParse(body).error?.issues ?? [], []);
    const { url, server } = await openMeteoFixture(body);
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const client = createOpenMeteoClient({ forecastUrl: url, geocodingUrl: url, retries: 0 });
    const w = await client.current({ country: 'NL', postalCode: '1012 AB', city: 'Amsterdam' });
    t.like(w, { tempC: 9.1, humidityPct: humidity, windKph: wind, provider: 'open-meteo' });
  });
}
