import type { ShipmentStatus } from '../models/shipment.ts';

/**
 * bol `transportEvents[].eventCode` → canonical status (shared contract: status-mapping.md).
 * A code no rule knows maps to null: the event is still stored with its raw text, but it
 * does not move the shipment's current status.
 */
const BOL_EVENT_STATUS: Record<string, ShipmentStatus> = {
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

export function mapBolEventCode(code: string): ShipmentStatus | null {
  return BOL_EVENT_STATUS[code.trim().toUpperCase()] ?? null;
}
