import type { ShipmentStatus } from './shipment.ts';

/**
 * The plain records providers' answers become before they are stored: a platform connector
 * returns `ShipmentRecord`s, a carrier connector or a file import `TrackingEventRecord`s, and
 * crawler/sync/ turns them into rows. They live beside the models, not in crawler/, because
 * what a record holds is what a row can hold.
 */

/** What a platform connector returns for one shipment; `sync/` turns it into rows. */
export interface ShipmentRecord {
  platformId: string;
  orderId: string | null;
  reference: string | null;
  fulfilmentMethod: string | null;
  shippedAt: number | null;
  carrier: string | null;
  trackingNumber: string | null;
  receiver: {
    postalCode: string | null;
    city: string | null;
    country: string | null;
    phone: string | null;
    /** The receiver's name as the platform gives it (bol's first + surname, Shopify's address name). */
    name?: string | null;
  };
  items: ShipmentItemRecord[];
  events: TrackingEventRecord[];
  /** The carrier's public tracking page, when the platform gives one (Shopify's trackingInfo.url). */
  trackingUrl?: string | null;
  /** When the order was placed (bol order.orderPlacedDateTime, Shopify order.createdAt). */
  orderPlacedAt?: number | null;
  /**
   * The delivery promised to the customer (bol fulfilment.latestDeliveryDate, Shopify
   * estimatedDeliveryAt); a date-only promise is the end of that day in the shop's zone.
   */
  promisedDeliveryAt?: number | null;
  /** The pickup point the parcel goes to instead of the door, when it does. */
  pickupPoint?: { code: string | null; name: string | null } | null;
  /** bol's transport id and shipping label id; null elsewhere. */
  transportId?: string | null;
  shippingLabelId?: string | null;
  /** Who delivers: bol's distributionParty (RETAILER, BOL), or null. */
  distributionParty?: string | null;
}

export interface ShipmentItemRecord {
  key: string;
  ean: string | null;
  sku: string | null;
  title: string | null;
  quantity: number;
  quantityShipped: number | null;
  unitPrice: number | null;
}

export interface TrackingEventRecord {
  source: string;
  /** Canonical status, or null when no mapping rule knows `rawStatus`. */
  status: ShipmentStatus | null;
  rawStatus: string;
  description: string | null;
  location: string | null;
  occurredAt: number;
}
