/**
 * The DHL Shipment Tracking – Unified wire format as the simulator serves it (shared contract:
 * dhl-tracking.md, from DHL's OpenAPI 1.3.1). Optional fields are left out rather than sent as null.
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
  description?: string;
}

export interface DhlWireShipment {
  id: string;
  service: string;
  origin?: { address: DhlAddress };
  destination?: { address: DhlAddress };
  /** The latest event again. */
  status: DhlWireEvent;
  details: { totalNumberOfPieces: number; pieceIds: string[]; proofOfDeliverySignedAvailable?: boolean };
  /** Newest first, as DHL lists them. */
  events: DhlWireEvent[];
}

export interface DhlWireAnswer {
  shipments: DhlWireShipment[];
}
