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
  };
  items: ShipmentItemRecord[];
  events: TrackingEventRecord[];
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
