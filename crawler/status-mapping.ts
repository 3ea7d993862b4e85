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

/**
 * DHL Shipment Tracking `statusCode` (+ its `status`/`description` text) → canonical status
 * (shared contract: status-mapping.md, dhl-tracking.md). DHL's five codes cannot tell
 * out-for-delivery or ready-for-pickup apart from transit, nor a failed delivery attempt from
 * any other failure, so the finer status comes from the text. `text` is the event's `status`
 * and `description` joined; English is DHL's default answer language, and the German and Dutch
 * phrasings of parcel-de / parcel-nl are recognised too.
 *
 * `unknown` maps to null: kept with its raw text, it does not move the status. The contract's
 * "`unknown` with no events → pending" therefore holds by itself: a shipment DHL knows only as
 * `unknown` keeps the status it has, `pending` for a new one. (An explicit `pending` event would
 * be wrong: the current status is the latest event by time, so it could move a shipment that
 * another source already has in transit back to pending.)
 */
const DHL_READY_FOR_PICKUP =
  /\b(ready|available) for (pick ?-?up|collection)\b|\bcan (now )?be (picked up|collected)\b|\bawaiting (pick ?-?up|collection)\b|abholbereit|zur abholung bereit|ligt klaar|klaar (om|voor) (op te halen|afhalen)/i;
const DHL_OUT_FOR_DELIVERY =
  /\bout for delivery\b|\bloaded onto the delivery vehicle\b|\bwith (the )?delivery courier\b|\bon (its|the) way to the recipient\b|in zustellung|zustellfahrzeug|wordt vandaag bezorgd|(bezorger|chauffeur) is onderweg/i;
const DHL_DELIVERY_ATTEMPT =
  /\bdelivery attempt|\battempted delivery\b|\battempt to deliver\b|\bcould not be delivered\b(?!.*\baddress\b)|\brecipient (was )?(not (at home|present|available)|absent)\b|\bnot at home\b|\bnotification card\b|zustellversuch|nicht angetroffen|benachrichtigungskarte|niet thuis|bezorgpoging|niet (aanwezig|bezorgd)/i;

export function mapDhlStatus(statusCode: string, text: string | null | undefined): ShipmentStatus | null {
  const t = text ?? '';
  switch (statusCode.trim().toLowerCase()) {
    case 'pre-transit':
      return 'info_received';
    case 'transit':
      if (DHL_READY_FOR_PICKUP.test(t)) return 'available_for_pickup';
      if (DHL_OUT_FOR_DELIVERY.test(t)) return 'out_for_delivery';
      return 'in_transit';
    case 'delivered':
      return 'delivered';
    case 'failure':
      return DHL_DELIVERY_ATTEMPT.test(t) ? 'attempt_fail' : 'exception';
    default:
      // `unknown`, or a code DHL adds later: recorded with its raw text, no status move.
      return null;
  }
}

/**
 * parcelLab shipment-list statuses → canonical (status-mapping.md). Spellings drift between
 * copies (`in-transit`, `in_transit`), so the raw text is compared lower-cased with `_` and
 * spaces read as `-`. `inbound-scan` and `scanned` are depot scans: the parcel is moving, so
 * `in_transit`. `delivery` is the parcel on its delivery round: `out_for_delivery`.
 */
const PARCELLAB_STATUS: Record<string, ShipmentStatus> = {
  'in-transit': 'in_transit',
  transit: 'in_transit',
  'inbound-scan': 'in_transit',
  scanned: 'in_transit',
  delivery: 'out_for_delivery',
};

export function mapParcelLabStatus(raw: string): ShipmentStatus | null {
  return PARCELLAB_STATUS[raw.trim().toLowerCase().replace(/[\s_]+/g, '-')] ?? null;
}

/**
 * Partner status feeds (shared/data/zywa-card-status): one file per event kind, so the kind
 * the file was uploaded as is the event's raw status. A delivery exception is a failed delivery
 * attempt (its comment says why).
 */
export const STATUS_FEED_EVENT_STATUS = {
  pickup: 'in_transit',
  delivery_exception: 'attempt_fail',
  delivered: 'delivered',
  returned: 'returned',
} as const satisfies Record<string, ShipmentStatus>;

/**
 * Shopify `FulfillmentEventStatus` (and the same words in a fulfillment's `displayStatus`) →
 * canonical (status-mapping.md). Not in the contract's table: `CARRIER_PICKED_UP` (the carrier has
 * the parcel: it moves) and `DELAYED` (still on its way, later than promised) are `in_transit`;
 * the raw status keeps the difference. Display-only words (`FULFILLED`, `SUBMITTED`, …) map to null.
 */
const SHOPIFY_EVENT_STATUS: Record<string, ShipmentStatus> = {
  LABEL_PURCHASED: 'info_received',
  LABEL_PRINTED: 'info_received',
  CONFIRMED: 'info_received',
  CARRIER_PICKED_UP: 'in_transit',
  IN_TRANSIT: 'in_transit',
  DELAYED: 'in_transit',
  OUT_FOR_DELIVERY: 'out_for_delivery',
  READY_FOR_PICKUP: 'available_for_pickup',
  ATTEMPTED_DELIVERY: 'attempt_fail',
  DELIVERED: 'delivered',
  PICKED_UP: 'delivered',
  FAILURE: 'exception',
};

export function mapShopifyEventStatus(status: string): ShipmentStatus | null {
  return SHOPIFY_EVENT_STATUS[status.trim().toUpperCase()] ?? null;
}
