/**
 * The providers' published response schemas, written as zod from their OpenAPI documents, for
 * the answers shipsync reads: bol Retailer API v10 (`retailer.json` "v10 - Retailer API", as
 * picqer/bol-retailer-php-client `src/OpenApi/retailer.json` carries it), DHL Shipment Tracking –
 * Unified (1.3.1, 1.3.2, utapi 1.4.1 and 1.5.8, CaptnCodr/dhl-cli `Data/`) and Open-Meteo
 * (`openapi/forecast.yml`, open-meteo/open-meteo). Property names, types, enums and `required`
 * are the documents'; objects are strict, so a field a simulator invents (or misspells) fails
 * too. Where a spec version differs, the schema takes the union of what the versions allow.
 *
 * Not copies of the documents: only the parts the connectors read, or that the simulators send.
 */
import { z } from 'zod';

// ---------------------------------------------------------------- shared formats

/** OpenAPI `format: date-time` (RFC 3339): a time with seconds and an offset, `Z` or `±hh:mm`. */
const dateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'is not an RFC 3339 date-time');
/** OpenAPI `format: date`. */
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'is not a date');

// ---------------------------------------------------------------- bol Retailer API v10

/** `ReducedShipmentOrder` (required: orderId). */
const bolReducedShipmentOrder = z.object({ orderId: z.string(), orderPlacedDateTime: dateTime.optional() }).strict();

/**
 * `ReducedShipment` (required: order, shipmentId, shipmentItems, shipmentReference, transport).
 * `shipmentReference` is optional here: bol's demo data omits it on some shipments although the
 * schema requires it (contract bol-retailer-v10.md §2, from 123lens/bol-retailer-api's fixtures),
 * and the simulator copies that on purpose.
 */
export const bolReducedShipment = z
  .object({
    shipmentId: z.string(),
    shipmentDateTime: dateTime.optional(),
    shipmentReference: z.string().optional(),
    order: bolReducedShipmentOrder,
    shipmentItems: z.array(z.object({ orderItemId: z.string(), ean: z.string() }).strict()),
    transport: z.object({ transportId: z.string().optional() }).strict(),
  })
  .strict();

/** `ShipmentsResponse` (required: shipments); past the end bol answers `{}` (contract §2), which the simulator does too. */
export const bolShipmentsResponse = z.union([z.object({ shipments: z.array(bolReducedShipment) }).strict(), z.object({}).strict()]);

/** What `ShipmentDetails` and `BillingDetails` share: a person at an address (required: city, countryCode, firstName, houseNumber, salutation, streetName, surname, zipCode). */
const bolPersonAtAddress = {
  salutation: z.enum(['MALE', 'FEMALE', 'UNKNOWN']),
  firstName: z.string(),
  surname: z.string(),
  streetName: z.string(),
  houseNumber: z.string(),
  houseNumberExtension: z.string().optional(),
  extraAddressInformation: z.string().optional(),
  zipCode: z.string(),
  city: z.string(),
  countryCode: z.string(),
  company: z.string().optional(),
};

/** `ShipmentDetails`. */
export const bolShipmentDetails = z
  .object({
    ...bolPersonAtAddress,
    pickupPointName: z.string().optional(),
    email: z.string().optional(),
    deliveryPhoneNumber: z.string().optional(),
    language: z.enum(['nl', 'nl-BE', 'fr', 'fr-BE']).optional(),
  })
  .strict();

/** `BillingDetails` (required as ShipmentDetails, plus email). */
const bolBillingDetails = z
  .object({ ...bolPersonAtAddress, email: z.string(), vatNumber: z.string().optional(), kvkNumber: z.string().optional(), orderReference: z.string().optional() })
  .strict();

/** `ShipmentItem` (required: orderItemId, quantity, unitPrice) with `ShipmentFulfilment` (required: method), `OrderOffer`, `OrderProduct`. */
const bolShipmentItem = z
  .object({
    orderItemId: z.string(),
    fulfilment: z
      .object({ method: z.enum(['FBR', 'FBB']), distributionParty: z.enum(['RETAILER', 'BOL']).optional(), latestDeliveryDate: date.optional() })
      .strict()
      .optional(),
    offer: z.object({ offerId: z.string().optional(), reference: z.string().optional() }).strict().optional(),
    product: z.object({ ean: z.string(), title: z.string().optional() }).strict().optional(),
    quantity: z.number().int(),
    quantityShipped: z.number().int().optional(),
    unitPrice: z.number(),
    commission: z.number().optional(),
  })
  .strict();

export const BOL_TRANSPORT_EVENT_CODES = [
  'PRE_ANNOUNCED', 'AT_TRANSPORTER', 'IN_TRANSIT', 'DELIVERED_AT_NEIGHBOURS', 'DELIVERED_AT_CUSTOMER', 'PICKED_UP_AT_PICK_UP_POINT', 'AT_PICK_UP_POINT', 'RETURNED_TO_SENDER', 'INBOUND_COLLECT',
] as const;

/** `ShipmentTransport` (nothing required) with `TransportEvent` (required: eventCode, eventDateTime). */
const bolShipmentTransport = z
  .object({
    transportId: z.string().optional(),
    transporterCode: z.string().optional(),
    trackAndTrace: z.string().optional(),
    shippingLabelId: z.string().optional(),
    transportEvents: z.array(z.object({ eventCode: z.enum(BOL_TRANSPORT_EVENT_CODES), eventDateTime: dateTime }).strict()).optional(),
  })
  .strict();

/** `Shipment` (required: order, shipmentId, shipmentItems, shipmentReference; the last optional as for ReducedShipment). */
export const bolShipment = z
  .object({
    shipmentId: z.string(),
    shipmentDateTime: dateTime.optional(),
    shipmentReference: z.string().optional(),
    pickupPoint: z.boolean().optional(),
    order: bolReducedShipmentOrder,
    shipmentDetails: bolShipmentDetails.optional(),
    billingDetails: bolBillingDetails.optional(),
    shipmentItems: z.array(bolShipmentItem),
    transport: bolShipmentTransport.optional(),
  })
  .strict();

// ---------------------------------------------------------------- DHL Shipment Tracking – Unified

/** `SupportingTimestamp`: a date-time or a date; DHL writes offsets with one-digit hours too (1.5.8's note: `+2:00`) or none. */
const dhlTimestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{1,2}:?\d{2})?)?$/, 'is not a DHL timestamp');

/** `SecuredAddress` / `SupportingPlace.address`. */
const dhlAddress = z
  .object({
    '@policy': z.enum(['none', 'postal-code']).optional(),
    addressLocality: z.string().optional(),
    addressLocalityServicing: z.string().optional(),
    addressRegion: z.string().optional(),
    countryCode: z.string().regex(/^[A-Z]{2}$/).optional(),
    postalCode: z.string().optional(),
    streetAddress: z.string().optional(),
    addressLine: z.string().optional(),
  })
  .strict();

const dhlPlace = z.object({ address: dhlAddress.optional(), servicePoint: z.object({ url: z.string().optional(), label: z.string().optional() }).strict().optional() }).strict();

export const DHL_STATUS_CODES = ['delivered', 'failure', 'pre-transit', 'transit', 'unknown'] as const;

/** `TrackingShipmentStatus` (1.5.8 requires timestamp and statusCode) and `TrackingShipmentEvent` (the same plus pieceIds). */
export const dhlEvent = z
  .object({
    timestamp: dhlTimestamp,
    location: dhlPlace.optional(),
    statusCode: z.enum(DHL_STATUS_CODES),
    status: z.string().optional(),
    statusDetailed: z.string().optional(),
    description: z.string().optional(),
    remark: z.string().optional(),
    nextSteps: z.string().optional(),
    pieceIds: z.array(z.string()).optional(),
  })
  .strict();

export const DHL_SERVICES = [
  'dgf', 'dsc', 'ecommerce', 'ecommerce-apac', 'ecommerce-europe', 'ecommerce-ppl', 'ecommerce-iberia', 'express', 'freight',
  'parcel-de', 'parcel-nl', 'parcel-pl', 'parcel-uk', 'post-de', 'post-international', 'sameday', 'svb',
] as const;

/** 1.3.2 `supermodelIoLogisticsTrackingProofOfDelivery`. */
const dhlProofOfDelivery = z
  .object({
    timestamp: dhlTimestamp.optional(),
    signatureUrl: z.string().optional(),
    documentUrl: z.string().optional(),
    signed: z.object({ familyName: z.string().optional(), givenName: z.string().optional(), name: z.string().optional() }).strict().optional(),
  })
  .strict();

/** `TrackingShipment` (nothing required). */
export const dhlShipment = z
  .object({
    '@ttl': z.number().int().min(2_592_000).max(31_536_000).optional(),
    id: z.string().optional(),
    service: z.enum(DHL_SERVICES).optional(),
    division: z.string().optional(),
    origin: dhlPlace.optional(),
    destination: dhlPlace.optional(),
    // 1.5.8 makes it a TrackingShipmentStatus (no pieceIds); 1.3.x a Shipment Event (with them).
    status: dhlEvent.optional(),
    pickUpDate: z.string().optional(),
    estimatedTimeOfDelivery: dhlTimestamp.optional(),
    estimatedDeliveryTimeFrame: z.object({ estimatedFrom: dhlTimestamp.optional(), estimatedThrough: dhlTimestamp.optional() }).strict().optional(),
    estimatedTimeOfDeliveryRemark: z.string().optional(),
    serviceUrl: z.string().optional(),
    rerouteUrl: z.string().optional(),
    returnFlag: z.boolean().optional(),
    details: z
      .object({
        proofOfDeliverySignedAvailable: z.boolean().optional(),
        proofOfDelivery: dhlProofOfDelivery.optional(),
        totalNumberOfPieces: z.number().int().optional(),
        pieceIds: z.array(z.string()).optional(),
        loadingMeters: z.number().optional(),
      })
      .strict()
      .optional(),
    events: z.array(dhlEvent).optional(),
  })
  .strict();

/** `TrackingShipments` (nothing required). */
export const dhlTrackingShipments = z
  .object({
    url: z.string().optional(),
    prevUrl: z.string().optional(),
    nextUrl: z.string().optional(),
    firstUrl: z.string().optional(),
    lastUrl: z.string().optional(),
    shipments: z.array(dhlShipment).optional(),
    possibleAdditionalShipmentsUrl: z.array(z.string()).optional(),
  })
  .strict();

/** `ProblemDetail`. */
export const dhlProblem = z
  .object({ type: z.string().optional(), title: z.string().optional(), status: z.number().optional(), detail: z.string().optional(), instance: z.string().optional() })
  .strict();

// ---------------------------------------------------------------- Open-Meteo forecast

/** The `current` variables of forecast.yml's 200 `current` object, and `interval`. */
const OPEN_METEO_CURRENT = [
  'temperature_2m', 'relative_humidity_2m', 'apparent_temperature', 'is_day', 'precipitation', 'rain', 'showers', 'snowfall', 'weather_code',
  'cloud_cover', 'pressure_msl', 'surface_pressure', 'wind_speed_10m', 'wind_direction_10m', 'wind_gusts_10m',
] as const;
const INTEGER_CURRENT = new Set(['is_day', 'weather_code']);

/** One point of forecast.yml's 200 answer (an array of them for several points). */
export const openMeteoForecastPoint = z
  .object({
    latitude: z.number(),
    longitude: z.number(),
    elevation: z.number().optional(),
    generationtime_ms: z.number().optional(),
    utc_offset_seconds: z.number().int().optional(),
    timezone: z.string().optional(),
    timezone_abbreviation: z.string().optional(),
    current: z
      .object({
        time: z.string(),
        interval: z.number().int().optional(),
        ...Object.fromEntries(OPEN_METEO_CURRENT.map((v) => [v, (INTEGER_CURRENT.has(v) ? z.number().int() : z.number()).optional()])),
      })
      .strict()
      .optional(),
    // Units are strings per variable; Open-Meteo also names the unit of `interval` ("seconds").
    current_units: z.record(z.string()).optional(),
  })
  .strict();

export const openMeteoForecast = z.union([openMeteoForecastPoint, z.array(openMeteoForecastPoint)]);

/** forecast.yml's 400 (and the 429 of its limits, the same shape). */
export const openMeteoError = z.object({ error: z.boolean(), reason: z.string() }).strict();
