/** DHL's statusCode + text → canonical status (contract status-mapping.md), and carrier codes → connectors. */
import test from 'ava';
import { resolveCarrier } from '../../crawler/connectors/carriers.ts';
import { mapBolEventCode, mapDhlStatus } from '../../crawler/status-mapping.ts';
import type { ShipmentStatus } from '../../models/shipment.ts';

const cases: [statusCode: string, text: string, expected: ShipmentStatus | null][] = [
  ['pre-transit', 'The instruction data for this shipment have been provided by the sender to DHL electronically', 'info_received'],
  ['transit', 'The shipment has been processed in the parcel center of origin', 'in_transit'],
  ['transit', 'The shipment has been picked up', 'in_transit'],
  ['transit', 'The shipment has been loaded onto the delivery vehicle', 'out_for_delivery'],
  ['transit', 'Shipment is out for delivery', 'out_for_delivery'],
  ['transit', 'With delivery courier', 'out_for_delivery'],
  ['transit', 'Die Sendung wurde in das Zustellfahrzeug geladen.', 'out_for_delivery'],
  ['transit', 'De bezorger is onderweg', 'out_for_delivery'],
  ['transit', 'The shipment is ready for pickup at the parcel shop', 'available_for_pickup'],
  ['transit', 'The shipment is available for pick-up at the DHL ServicePoint', 'available_for_pickup'],
  ['transit', 'Die Sendung liegt in der Filiale zur Abholung bereit.', 'available_for_pickup'],
  ['transit', 'Je pakket ligt klaar bij het DHL ServicePoint', 'available_for_pickup'],
  ['delivered', 'The shipment has been delivered', 'delivered'],
  ['delivered', 'The shipment has been picked up from the parcel shop by the recipient', 'delivered'],
  ['failure', 'The shipment could not be delivered A delivery attempt failed: the recipient was not at home.', 'attempt_fail'],
  ['failure', 'The recipient was not present; a notification card has been left', 'attempt_fail'],
  ['failure', 'Zustellversuch erfolglos: Empfänger nicht angetroffen', 'attempt_fail'],
  ['failure', 'Niet thuis, tweede bezorgpoging morgen', 'attempt_fail'],
  ['failure', 'The shipment could not be delivered because the address is incorrect', 'exception'],
  ['failure', 'The shipment has been damaged', 'exception'],
  ['unknown', 'The shipment data has not been received yet', null],
];

test('every DHL status text maps to the canonical status the contract gives it', (t) => {
  for (const [code, text, expected] of cases) t.is(mapDhlStatus(code, text), expected, `${code}: ${text}`);
});

test('DHL status codes are read case- and space-insensitively; an unknown code maps to nothing', (t) => {
  t.is(mapDhlStatus(' Transit ', 'The shipment has been loaded onto the delivery vehicle'), 'out_for_delivery');
  t.is(mapDhlStatus('DELIVERED', null), 'delivered');
  t.is(mapDhlStatus('transit', undefined), 'in_transit');
  t.is(mapDhlStatus('failure', ''), 'exception');
  t.is(mapDhlStatus('teleported', 'The shipment has been beamed up'), null);
});

test('the bol mapping is untouched by the DHL additions', (t) => {
  t.is(mapBolEventCode('AT_PICK_UP_POINT'), 'available_for_pickup');
  t.is(mapBolEventCode('NOT_A_CODE'), null);
});

test('carrier codes of every source resolve to the DHL connector, case-insensitively', (t) => {
  for (const code of ['DHL', 'dhl', 'DHLFORYOU', 'DhlForYou', 'DHL_DE', 'DHL-GLOBAL-MAIL', 'DHL-SD', 'DHL Express', 'DHL Paket', 'dhl paket', ' DHL ']) {
    t.is(resolveCarrier(code), 'dhl', code);
  }
});

test('carriers without a connector resolve to null, so they are not polled', (t) => {
  for (const code of ['TNT', 'PostNL', 'DPD-NL', 'UPS', 'GLS', 'BPOST_BE', 'DHLX', 'NOT DHL', '', null]) t.is(resolveCarrier(code), null, String(code));
});
