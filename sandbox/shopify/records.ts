/**
 * The simulated shop's data as the resolvers read it: plain records with epoch-ms instants and
 * Shopify GIDs. They are the ground truth tests compare a client's results with.
 */

export type FulfillmentEventStatus =
  | 'ATTEMPTED_DELIVERY' | 'CARRIER_PICKED_UP' | 'CONFIRMED' | 'DELAYED' | 'DELIVERED' | 'FAILURE'
  | 'IN_TRANSIT' | 'LABEL_PRINTED' | 'LABEL_PURCHASED' | 'OUT_FOR_DELIVERY' | 'READY_FOR_PICKUP';

export type FulfillmentDisplayStatus = FulfillmentEventStatus | 'FULFILLED' | 'CANCELED' | 'NOT_DELIVERED';

export type CountryCode = 'NL' | 'BE' | 'DE';

export interface SandboxAddress {
  id: string;
  firstName: string;
  lastName: string;
  name: string;
  address1: string;
  address2: string | null;
  zip: string;
  city: string;
  province: string | null;
  country: string;
  countryCodeV2: CountryCode;
  phone: string | null;
}

export interface SandboxLineItem {
  id: string;
  sku: string;
  name: string;
  title: string;
  quantity: number;
  variantId: string;
  variantTitle: string;
  /** Decimal string, e.g. "24.50". */
  unitPrice: string;
}

export interface SandboxTrackingInfo {
  company: string;
  number: string;
  url: string;
}

export interface SandboxFulfillmentEvent {
  id: string;
  status: FulfillmentEventStatus;
  happenedAtMs: number;
  createdAtMs: number;
  message: string | null;
  city: string | null;
  province: string | null;
  country: string | null;
  zip: string | null;
  estimatedDeliveryAtMs: number | null;
}

export interface SandboxFulfillmentLineItem {
  id: string;
  quantity: number;
  lineItemId: string;
}

export interface SandboxFulfillment {
  id: string;
  orderId: string;
  name: string;
  status: 'SUCCESS' | 'CANCELLED';
  displayStatus: FulfillmentDisplayStatus;
  createdAtMs: number;
  updatedAtMs: number;
  inTransitAtMs: number | null;
  deliveredAtMs: number | null;
  estimatedDeliveryAtMs: number | null;
  trackingInfo: SandboxTrackingInfo[];
  /** Oldest first (ids grow with time). */
  events: SandboxFulfillmentEvent[];
  lineItems: SandboxFulfillmentLineItem[];
}

export interface SandboxOrder {
  id: string;
  /** The numeric part of the GID (orders sort by it for sortKey ID). */
  legacyId: number;
  /** 1001, 1002, …: the name is "#" + number. */
  number: number;
  name: string;
  createdAtMs: number;
  updatedAtMs: number;
  processedAtMs: number;
  email: string;
  phone: string | null;
  shippingAddress: SandboxAddress;
  lineItems: SandboxLineItem[];
  fulfillments: SandboxFulfillment[];
}

export function gid(type: string, id: number): string {
  return `gid://shopify/${type}/${id}`;
}

/** The type and number of a GID, or undefined when it is not one. */
export function parseGid(value: string): { type: string; id: number } | undefined {
  const match = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?.*)?$/.exec(value);
  if (!match?.[1] || !match[2]) return undefined;
  return { type: match[1], id: Number(match[2]) };
}
