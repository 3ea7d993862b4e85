/**
 * The DHL Shipment Tracking – Unified wire format as the simulator serves it (shared contract:
 * dhl-tracking.md; DHL's OpenAPI 1.3.1–1.3.2, 1.4.1 and 1.5.8: `TrackingShipments`,
 * `TrackingShipment`, `TrackingShipmentEvent`, `ProblemDetail`). Optional fields are left out
 * rather than sent as null; tests/conformance/ checks the answers against schemas of the spec.
 */

export type DhlStatusCode = 'pre-transit' | 'transit' | 'delivered' | 'failure' | 'unknown';
export const DHL_STATUS_CODES: readonly DhlStatusCode[] = ['pre-transit', 'transit', 'delivered', 'failure', 'unknown'];

export interface DhlAddress {
  countryCode?: string;
  postalCode?: string;
  addressLocality?: string;
}

export interface DhlWireEvent {
  /** ISO 8601; sometimes without an offset (then the local time of the event's location). */
  timestamp: string;
  location?: { address: DhlAddress };
  statusCode: DhlStatusCode;
  status: string;
  /** DHL 1.5.8: a finer status text than `status`. */
  statusDetailed?: string;
  description?: string;
  /** A note on the status (a failed attempt's reason, customs) and what happens next. */
  remark?: string;
  nextSteps?: string;
  /** The pieces the event is about (multi-piece shipments). */
  pieceIds?: string[];
}

export interface DhlProofOfDelivery {
  timestamp: string;
  documentUrl: string;
  signed?: { familyName?: string };
}

export interface DhlWireShipment {
  id: string;
  service: string;
  origin?: { address: DhlAddress };
  destination?: { address: DhlAddress };
  /** The latest event again; optional in DHL's schema (a shipment registered `withoutStatus` leaves it out). */
  status?: DhlWireEvent;
  /** Until delivery: DHL's estimate, a time or a window (in the destination's local time, with its offset). */
  estimatedTimeOfDelivery?: string;
  estimatedDeliveryTimeFrame?: { estimatedFrom: string; estimatedThrough: string };
  details: { totalNumberOfPieces: number; pieceIds: string[]; proofOfDeliverySignedAvailable?: boolean; proofOfDelivery?: DhlProofOfDelivery };
  /** Newest first, as DHL lists them. */
  events: DhlWireEvent[];
}

export interface DhlWireAnswer {
  /** Paging links, sent when the shipments fill more than one page (`limit`, default 5). */
  url?: string;
  firstUrl?: string;
  prevUrl?: string;
  nextUrl?: string;
  lastUrl?: string;
  shipments: DhlWireShipment[];
}
