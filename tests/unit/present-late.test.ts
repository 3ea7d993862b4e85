import test from 'ava';
import { presentShipmentSummary, presentShipmentWithExtras } from '../../api/present.ts';
import type { ShipmentSummaryRow } from '../../models/shipment-queries.ts';

// Promised for an hour after the epoch: late at any real Date.now(), not at `now` below.
const row = { id: 1, shop_id: 1, source: 'bol', status: 'in_transit', promised_delivery_at: 3_600_000, created_at: 0, updated_at: 0 } as unknown as ShipmentSummaryRow;

test('a whole shipment judges lateness at the time it is given, as the list row does', (t) => {
  t.false(presentShipmentSummary(row, 1_000).late);
  t.false(presentShipmentWithExtras(row, undefined, 1_000).late);
  t.true(presentShipmentWithExtras(row, undefined, 7_200_000).late);
  // BIGINT as mysql2 may hand it over.
  t.true(presentShipmentWithExtras({ ...row, promised_delivery_at: '3600000' as unknown as number }, undefined, 7_200_000).late);
});
