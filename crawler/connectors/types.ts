import type { ShipmentStatus } from '../../models/shipment.ts';

/** How every connector calls its provider; each connector documents its own defaults. */
export interface ProviderCallOptions {
  /** Called once per HTTP request sent, whatever its answer (retries included): the caller's count of calls. */
  onRequest?: () => void;
  timeoutMs?: number;
  /** In-place retries of a 5xx or network error before the job itself is retried. */
  retries?: number;
  /** First in-place retry delay; later ones back off. */
  retryMinDelayMs?: number;
  /** Stops in-place retries (at shutdown). */
  signal?: AbortSignal;
}

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
