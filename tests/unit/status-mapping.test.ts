import test from 'ava';
import { mapBolEventCode } from '../../crawler/status-mapping.ts';
import type { ShipmentStatus } from '../../models/shipment.ts';

/**
 * The bol column of the contract's table (status-mapping.md), row by row as the contract writes
 * it: a canonical status and the transport event codes that map to it.
 */
const CONTRACT_ROWS: [status: ShipmentStatus, eventCodes: string[]][] = [
  ['info_received', ['PRE_ANNOUNCED']],
  ['in_transit', ['AT_TRANSPORTER', 'IN_TRANSIT', 'INBOUND_COLLECT']],
  ['available_for_pickup', ['AT_PICK_UP_POINT']],
  ['delivered', ['DELIVERED_AT_CUSTOMER', 'DELIVERED_AT_NEIGHBOURS', 'PICKED_UP_AT_PICK_UP_POINT']],
  ['returned', ['RETURNED_TO_SENDER']],
];

test('bol transport event codes map to the canonical statuses of the contract', (t) => {
  for (const [status, codes] of CONTRACT_ROWS) for (const code of codes) t.is(mapBolEventCode(code), status, code);
});

test('an unknown code maps to nothing rather than to a guess', (t) => {
  t.is(mapBolEventCode('LOST_IN_SPACE'), null);
});
