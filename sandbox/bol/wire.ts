/**
 * The bol Retailer API v10 wire format as the simulator serves it (contract §2 and §3, bol's
 * OpenAPI "v10 - Retailer API"). Optional fields are optional here because bol omits them,
 * rather than sending null.
 */

export const RETAILER_V10_MEDIA_TYPE = 'application/vnd.retailer.v10+json';
export const PROBLEM_TYPE_URI = 'https://api.bol.com/problems';
/** Fixed page size of GET /retailer/shipments (contract §2: "a page size of 50"). */
export const SHIPMENTS_PAGE_SIZE = 50;

export type FulfilmentMethod = 'FBR' | 'FBB';
export const FULFILMENT_METHODS: readonly FulfilmentMethod[] = ['FBR', 'FBB'];

export interface OrderRef {
  orderId: string;
  orderPlacedDateTime: string;
}

export interface ReducedShipment {
  shipmentId: string;
  shipmentDateTime: string;
  /** Required by the schema, yet omitted on some shipments (contract §2). */
  shipmentReference?: string;
  order: OrderRef;
  shipmentItems: { orderItemId: string; ean: string }[];
  /** The only transport field in the list (contract §2). */
  transport: { transportId: string };
}

export interface ShipmentsResponse {
  shipments: ReducedShipment[];
}

export type Salutation = 'MALE' | 'FEMALE' | 'UNKNOWN';
export type Language = 'nl' | 'nl-BE' | 'fr' | 'fr-BE';

/** Who a shipment goes to or is billed to. */
export interface Person {
  salutation: Salutation;
  firstName: string;
  surname: string;
}

/** A postal address as bol writes NL and BE addresses (contract §3). */
export interface PostalAddress {
  streetName: string;
  houseNumber: string;
  houseNumberExtension?: string;
  extraAddressInformation?: string;
  zipCode: string;
  city: string;
  countryCode: 'NL' | 'BE';
}

/** What shipmentDetails and billingDetails both carry: a person at an address. */
interface CustomerDetails extends Person, PostalAddress {
  email: string;
  company?: string;
}

export interface ShipmentDetails extends CustomerDetails {
  pickupPointName?: string;
  deliveryPhoneNumber?: string;
  language: Language;
}

export interface BillingDetails extends CustomerDetails {
  vatNumber?: string;
  kvkNumber?: string;
  orderReference?: string;
}

export interface ShipmentItem {
  orderItemId: string;
  fulfilment: { method: FulfilmentMethod; distributionParty: 'RETAILER' | 'BOL'; latestDeliveryDate: string };
  offer: { offerId: string; reference?: string };
  product: { ean: string; title: string };
  quantity: number;
  quantityShipped: number;
  unitPrice: number;
  commission: number;
}

export type TransportEventCode =
  | 'PRE_ANNOUNCED'
  | 'AT_TRANSPORTER'
  | 'IN_TRANSIT'
  | 'DELIVERED_AT_NEIGHBOURS'
  | 'DELIVERED_AT_CUSTOMER'
  | 'PICKED_UP_AT_PICK_UP_POINT'
  | 'AT_PICK_UP_POINT'
  | 'RETURNED_TO_SENDER'
  | 'INBOUND_COLLECT';

export interface ShipmentTransport {
  transportId: string;
  transporterCode?: string;
  trackAndTrace?: string;
  shippingLabelId?: string;
  transportEvents?: { eventCode: TransportEventCode; eventDateTime: string }[];
}

export interface Shipment {
  shipmentId: string;
  pickupPoint: boolean;
  shipmentDateTime: string;
  shipmentReference?: string;
  order: OrderRef;
  shipmentDetails: ShipmentDetails;
  billingDetails: BillingDetails;
  shipmentItems: ShipmentItem[];
  transport: ShipmentTransport;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: 'RETAILER';
}

export interface RateLimitRule {
  path: string;
  methods: string[];
  maxCapacity: number;
  timeToLive: number;
  timeUnit: 'SECONDS' | 'MINUTES' | 'HOURS';
  /** Simulator extension, present only when the window is not a whole number of seconds. */
  timeToLiveMs?: number;
}
