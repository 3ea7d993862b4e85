/** DHL answers → tracking records: timestamps, locations, dedupe, the shipment's `status` block. */
import test from 'ava';
import { parseDhlTracking } from '../../crawler/connectors/dhl/parse.ts';
import { nextGmtMidnight, readRateLimit } from '../../crawler/connectors/dhl/limits.ts';
import { parseDhlTimestamp } from '../../crawler/connectors/dhl/timestamps.ts';
import { eventDedupeKey } from '../../crawler/sync/shipments.ts';

test('a timestamp with an offset is exact; without one it is local time of the event country', (t) => {
  t.is(parseDhlTimestamp('2024-03-01T10:15:00+01:00'), Date.UTC(2024, 2, 1, 9, 15));
  t.is(parseDhlTimestamp('2024-03-01T10:15:00Z'), Date.UTC(2024, 2, 1, 10, 15));
  t.is(parseDhlTimestamp('2024-03-01T10:15:00.250-0500'), Date.UTC(2024, 2, 1, 15, 15, 0, 250));
  // Winter (CET, +1) and summer (CEST, +2) in Germany; GMT/BST in Britain.
  t.is(parseDhlTimestamp('2024-03-01T10:15:00', 'DE'), Date.UTC(2024, 2, 1, 9, 15));
  t.is(parseDhlTimestamp('2024-07-01T10:15:00', 'de'), Date.UTC(2024, 6, 1, 8, 15));
  t.is(parseDhlTimestamp('2024-07-01T10:15:00', 'GB'), Date.UTC(2024, 6, 1, 9, 15));
  t.is(parseDhlTimestamp('2024-03-01 10:15', 'NL'), Date.UTC(2024, 2, 1, 9, 15));
});

test('without an offset and without a single-zone country the timestamp is read as UTC', (t) => {
  t.is(parseDhlTimestamp('2024-03-01T10:15:00'), Date.UTC(2024, 2, 1, 10, 15));
  t.is(parseDhlTimestamp('2024-03-01T10:15:00', 'US'), Date.UTC(2024, 2, 1, 10, 15));
  t.is(parseDhlTimestamp('yesterday'), null);
});

const answer = {
  shipments: [
    {
      id: '00340434161094042557',
      service: 'parcel-de',
      status: {
        timestamp: '2024-03-01T10:15:00',
        location: { address: { addressLocality: 'Paris' } },
        statusCode: 'transit',
        status: 'The shipment has been loaded onto the delivery vehicle',
        remark: 'extra',
      },
      events: [
        { timestamp: '2024-03-01T10:15:00+01:00', location: { address: { countryCode: 'FR', postalCode: '75001', addressLocality: 'Paris' } }, statusCode: 'transit', status: 'The shipment has been loaded onto the delivery vehicle', description: 'Out for delivery' },
        { timestamp: '2024-02-29T20:00:00+01:00', location: { address: { countryCode: 'DE', addressLocality: 'Bonn' } }, statusCode: 'transit', status: 'The shipment has been processed in the parcel center of origin' },
        { timestamp: '2024-02-29T20:00:00+01:00', location: { address: { countryCode: 'DE', addressLocality: 'Bonn' } }, statusCode: 'transit', status: 'The shipment has been processed in the parcel center of origin' },
        { timestamp: '2024-02-29T09:00:00Z', statusCode: 'pre-transit', status: 'The instruction data for this shipment have been provided by the sender to DHL electronically' },
        { statusCode: 'transit', status: 'no time, no record' },
      ],
    },
  ],
};

test('an answer becomes one record per observation, oldest first, with raw text, description and location', (t) => {
  const r = parseDhlTracking('00340434161094042557', answer);
  t.true(r.found);
  t.is(r.statusCode, 'transit');
  t.deepEqual(r.events, [
    { source: 'dhl', status: 'info_received', rawStatus: 'pre-transit: The instruction data for this shipment have been provided by the sender to DHL electronically', description: null, location: null, occurredAt: Date.UTC(2024, 1, 29, 9) },
    { source: 'dhl', status: 'in_transit', rawStatus: 'transit: The shipment has been processed in the parcel center of origin', description: null, location: 'Bonn, DE', occurredAt: Date.UTC(2024, 1, 29, 19) },
    { source: 'dhl', status: 'out_for_delivery', rawStatus: 'transit: The shipment has been loaded onto the delivery vehicle', description: 'Out for delivery', location: 'Paris, FR', occurredAt: Date.UTC(2024, 2, 1, 9, 15) },
  ]);
});

test('the status block counts only when no event is the same observation (no second record of one observation)', (t) => {
  const onlyStatus = parseDhlTracking('X1', { shipments: [{ id: 'X1', status: { timestamp: '2024-03-01T10:15:00Z', statusCode: 'delivered', status: 'Delivered' } }] });
  t.deepEqual(onlyStatus.events.map((e) => e.rawStatus), ['delivered: Delivered']);
  const withEvent = parseDhlTracking('X1', {
    shipments: [{ id: 'X1', status: { timestamp: '2024-03-01T10:15:00Z', statusCode: 'delivered', status: 'Delivered' }, events: [{ timestamp: '2024-03-01T11:15:00+01:00', statusCode: 'delivered', status: 'Delivered', location: { address: { countryCode: 'NL', addressLocality: 'Utrecht' } } }] }],
  });
  t.is(withEvent.events.length, 1);
  t.is(withEvent.events[0]!.location, 'Utrecht, NL');
  const laterStatus = parseDhlTracking('X1', {
    shipments: [{ id: 'X1', status: { timestamp: '2024-03-02T10:15:00Z', statusCode: 'delivered', status: 'Delivered' }, events: [{ timestamp: '2024-03-01T10:15:00Z', statusCode: 'transit', status: 'Sorted' }] }],
  });
  t.deepEqual(laterStatus.events.map((e) => e.rawStatus), ['transit: Sorted', 'delivered: Delivered'], 'a status newer than every event is an observation of its own');
});

test('an offset-less status block with only a town is read in the zone of the event, origin or destination of that town', (t) => {
  const r = parseDhlTracking('X2', {
    shipments: [{ id: 'X2', destination: { address: { countryCode: 'FR', addressLocality: 'Paris' } }, status: { timestamp: '2024-03-01T10:15:00', location: { address: { addressLocality: 'Paris' } }, statusCode: 'transit', status: 'Sorted' } }],
  });
  t.is(r.events[0]!.occurredAt, Date.UTC(2024, 2, 1, 9, 15));
  t.is(r.events[0]!.location, 'Paris', 'the location text stays as DHL wrote it');
});

test('the same observation gives the same dedupe key whether or not DHL sent postal codes', (t) => {
  const withPostal = parseDhlTracking('00340434161094042557', answer).events;
  const stripped = structuredClone(answer);
  for (const e of stripped.shipments[0]!.events) delete (e.location?.address as { postalCode?: string } | undefined)?.postalCode;
  const withoutPostal = parseDhlTracking('00340434161094042557', stripped).events;
  t.deepEqual(withoutPostal.map(eventDedupeKey), withPostal.map(eventDedupeKey));
});

test('of several shipments, the one with the number asked for wins; none means not found', (t) => {
  const r = parseDhlTracking('JJD 0002', { shipments: [{ id: 'JJD0001', events: [{ timestamp: '2024-01-01T00:00:00Z', statusCode: 'transit', status: 'a' }] }, { id: 'JJD0002', events: [{ timestamp: '2024-01-01T00:00:00Z', statusCode: 'delivered', status: 'b' }] }] });
  t.is(r.events[0]!.rawStatus, 'delivered: b');
  t.deepEqual(parseDhlTracking('Z', { shipments: [] }), { trackingNumber: 'Z', found: false, events: [], statusCode: null });
});

test('a 429 is the daily quota when its text or a long Retry-After says so, else the per-second limit', (t) => {
  const now = Date.UTC(2024, 2, 1, 22, 0, 0, 400);
  t.deepEqual(readRateLimit('1', 'Too Many Requests', now), { scope: 'second', waitMs: 1000 });
  t.deepEqual(readRateLimit(undefined, 'Too Many Requests', now), { scope: 'second', waitMs: 600 });
  t.deepEqual(readRateLimit(undefined, 'Daily quota exceeded; resets at 00:00 GMT', now), { scope: 'day', waitMs: nextGmtMidnight(now) - now });
  t.deepEqual(readRateLimit('7200', 'Too Many Requests', now), { scope: 'day', waitMs: 7_200_000 });
  t.is(nextGmtMidnight(now), Date.UTC(2024, 2, 2));
});
