import test from 'ava';
import { mapBolEventCode } from '../../crawler/status-mapping.ts';
import type { ShipmentStatus } from '../../models/shipment.ts';

test('bol transport event codes map to the canonical statuses of the contract', (t) => {
  const expected: Record<string, ShipmentStatus> = {
    PRE_ANNOUNCED: 'info_received',
    AT_TRANSPORTER: 'in_transit',
    IN_TRANSIT: 'in_transit',
    INBOUND_COLLECT: 'in_transit',
    AT_PICK_UP_POINT: 'available_for_pickup',
    DELIVERED_AT_CUSTOMER: 'delivered',
    DELIVERED_AT_NEIGHBOURS: 'delivered',
    PICKED_UP_AT_PICK_UP_POINT: 'delivered',
    RETURNED_TO_SENDER: 'returned',
  };
  for (const [code, status] of Object.entries(expected)) t.is(mapBolEventCode(code), status, code);
});

test('an unknown code maps to nothing rather than to a guess', (t) => {
  t.is(mapBolEventCode('LOST_IN_SPACE'), null);
});
