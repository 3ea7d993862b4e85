import { DELETION_STATUSES, DELETION_TARGETS } from '../models/deletions.ts';
import { z, type ZodError, type ZodTypeAny } from 'zod';
import { ValidationError, type FieldIssue } from '../lib/errors.ts';
import { registeredPlatforms } from '../crawler/connectors/platforms.ts';
import { SHIPMENT_STATUSES } from '../models/shipment.ts';
import { SHIPMENT_ATTENTIONS, SHIPMENT_LIST_MAX_LIMIT } from '../models/shipment-queries.ts';
import { phoneKey } from '../models/phone-key.ts';
import { SYNC_STATUSES, SYNC_TYPES } from '../models/sync-runs.ts';
import { isoTimestamp, nullableTimestamp, idParam, queryInt, queryOneOf, queryText, text } from './schema-parts.ts';

/**
 * Request schemas (what each route accepts) and response schemas (what it answers). Both feed
 * the OpenAPI document (api/openapi.ts), and the tests parse real answers with the response
 * schemas, so the document cannot drift from the routes unnoticed.
 *
 * Every `reason` reads after its field name: `name` "must be 1 to 200 characters".
 */

/** Parses one part of a request; a failure is a 400 naming each field and what is wrong with it. */
export function parseRequest<S extends ZodTypeAny>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(fieldIssuesOf(parsed.error));
  return parsed.data;
}

export function fieldIssuesOf(error: ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const field = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: field ? `${field}.${key}` : key, reason: 'is not a known field' }));
    }
    if (issue.code === 'invalid_type' && issue.received === 'undefined') return [{ field: field || 'body', reason: 'is required' }];
    if (issue.code === 'invalid_type' && field === '') return [{ field: 'body', reason: `must be a JSON object, not ${issue.received}` }];
    return [{ field: field || 'body', reason: issue.message }];
  });
}

// ---------------------------------------------------------------- building blocks



const boundedText = (min: number, max: number) =>
  text('a string')
    .trim()
    .min(min, min === 1 ? `must not be empty` : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`);


const queryFilter = (max: number) =>
  queryText().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);


// ---------------------------------------------------------------- path parameters

export const IdParams = z
  .object({
    id: idParam(),
  })
  .openapi({ param: { in: 'path' } });

// ---------------------------------------------------------------- shops

/**
 * The shop bodies for platforms named `names`, with `credentials` as the schema of the
 * `credentials` field. The documented bodies below take the registered connectors' own credential
 * schemas; the shop routes take any object there and check it with the shop's platform.
 */
export function shopBodySchemas(names: string[], credentials: ZodTypeAny) {
  const platform = z.enum(names as [string, ...string[]], { errorMap: () => ({ message: `must be one of: ${names.join(', ')}` }) });
  const create = z
    .object({
      name: boundedText(1, 200),
      platform,
      credentials,
      sync_interval_minutes: syncIntervalMinutes.optional(),
    })
    .strict();
  const update = z
    .object({
      name: boundedText(1, 200).optional(),
      credentials: credentials.optional(),
      status: z.enum(['active', 'paused'], { errorMap: () => ({ message: 'must be "active" or "paused"' }) }).optional(),
      sync_interval_minutes: syncIntervalMinutes.optional(),
    })
    .strict()
    .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'must change at least one of: name, credentials, status, sync_interval_minutes' });
  return { create, update };
}

const syncIntervalMinutes = z
  .number({ invalid_type_error: 'must be a number of minutes' })
  .int('must be a whole number of minutes')
  .min(1, 'must be at least 1')
  .max(1440, 'must be at most 1440 (one day)');

const platformNames = registeredPlatforms().map((c) => c.name);
const credentialSchemas = registeredPlatforms().map((c) => c.credentials as ZodTypeAny);

export const ShopCredentialsInput = (credentialSchemas.length === 1 ? credentialSchemas[0]! : z.union(credentialSchemas as [ZodTypeAny, ZodTypeAny, ...ZodTypeAny[]])).openapi(
  'ShopCredentials',
  { description: 'The platform API credentials (bol: client id and secret). Write-only: never answered back.' },
);

const documentedShopBodies = shopBodySchemas(platformNames, ShopCredentialsInput);
export const CreateShopBody = documentedShopBodies.create.openapi('CreateShop');
export const UpdateShopBody = documentedShopBodies.update.openapi('UpdateShop', { description: 'At least one field. New credentials are checked with the platform first.' });

export const Shop = z
  .object({
    id: z.number().int(),
    name: z.string(),
    platform: z.enum(platformNames as [string, ...string[]]),
    status: z.enum(['active', 'paused', 'credentials_refused', 'deleting']).openapi({ description: '`deleting`: a deletion (GET /deletions/{id}) is removing it; it answers 409 to changes and syncs.' }),
    status_reason: z.string().nullable().openapi({ description: 'Why the shop is not active, in words a person can act on.' }),
    sync_interval_minutes: z.number().int(),
    has_credentials: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
    last_synced_at: nullableTimestamp,
  })
  .strict()
  .openapi('Shop');

export const ShopList = z.object({ data: z.array(Shop) }).strict().openapi('ShopList');

// ---------------------------------------------------------------- sync runs

export const StartSyncBody = z
  .object({ type: z.enum(SYNC_TYPES, { errorMap: () => ({ message: `must be one of: ${SYNC_TYPES.join(', ')}` }) }) })
  .strict()
  .openapi('StartSync');

export const SyncListQuery = z.object({ limit: queryInt(1, 50).optional() }).strict();

/** What long work (a sync run, a deletion) shows of how it ended and when it moved. */
const workOutcome = {
  error: z.string().nullable(),
  created_at: isoTimestamp,
  started_at: nullableTimestamp,
  finished_at: nullableTimestamp,
  updated_at: isoTimestamp,
};

export const SyncRun = z
  .object({
    id: z.number().int(),
    shop_id: z.number().int(),
    stream: z.enum(['shipments']),
    type: z.enum(SYNC_TYPES),
    status: z.enum(SYNC_STATUSES),
    pages_fetched: z.number().int(),
    records_upserted: z.number().int(),
    requests_made: z.number().int(),
    ...workOutcome,
  })
  .strict()
  .openapi('SyncRun');

export const SyncRunList = z.object({ data: z.array(SyncRun) }).strict().openapi('SyncRunList');

// ---------------------------------------------------------------- shipments

export const ShipmentListQuery = z
  .object({
    shop_id: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
    status: queryOneOf([...SHIPMENT_STATUSES])
      .optional()
      .openapi({ param: { description: 'Canonical shipment status.' } }),
    carrier: queryFilter(64)
      .optional()
      .openapi({
        param: {
          description:
            'Carrier by code or name, case-insensitively: `tnt` finds the bol transporter code `TNT`, `postnl` finds `TNT` and `PostNL`, `dhl` finds `DHL`, `DHLFORYOU` and `DHL_DE`.',
        },
      }),
    tracking_number: queryFilter(128).optional(),
    reference: queryFilter(128).optional(),
    phone: queryFilter(64)
      .refine((p) => phoneKey(p) !== null, 'must contain at least 6 digits')
      .optional()
      .openapi({ param: { description: 'Any way of writing the receiver phone: matched on its last 9 digits.' } }),
    updated_since: queryText()
      .datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone, such as 2026-11-22T10:00:00Z' })
      .transform((v) => Date.parse(v))
      .refine((ms) => Number.isFinite(ms), 'is not a real date')
      .optional()
      .openapi({
        type: 'string',
        format: 'date-time',
        param: { description: 'Only shipments changed at or after this time, oldest change first (a change feed: follow next_cursor).' },
      }),
    attention: queryOneOf([...SHIPMENT_ATTENTIONS])
      .optional()
      .openapi({ param: { description: 'Shipments that need attention. `late`: not final and past the delivery promised to the customer (`promised_delivery_at`).' } }),
    limit: queryInt(1, SHIPMENT_LIST_MAX_LIMIT).optional().openapi({ param: { description: 'Page size, default 50.' } }),
    cursor: queryText()
      .min(1, 'must not be empty')
      .max(512, 'is not a cursor this API made')
      .optional()
      .openapi({ param: { description: 'The next_cursor of the previous page, with the same filters.' } }),
  })
  .strict();

const Receiver = z
  .object({
    postal_code: z.string().nullable(),
    city: z.string().nullable(),
    country: z.string().nullable().openapi({ description: 'ISO 3166-1 alpha-2' }),
    name: z.string().nullable().openapi({ description: 'As the platform gives it (bol: first name and surname).' }),
  })
  .strict();

const PickupPoint = z
  .object({
    code: z.string().nullable().openapi({ description: 'The pickup point\'s code, when the platform gives one (bol does not).' }),
    name: z.string().nullable().openapi({ example: 'Albert Heijn: UTRECHT' }),
  })
  .strict();

const EstimatedDelivery = z
  .object({
    at: nullableTimestamp.openapi({ description: 'The carrier\'s estimated time of delivery.' }),
    from: nullableTimestamp.openapi({ description: 'Start of the window the carrier gives instead of (or beside) a time.' }),
    to: nullableTimestamp.openapi({ description: 'End of that window.' }),
  })
  .strict();

const shipmentSummaryShape = {
  id: z.number().int(),
  shop_id: z.number().int().nullable().openapi({ description: 'Null for shipments that came from a file.' }),
  source: z.string(),
  platform_id: z.string().nullable(),
  order_id: z.string().nullable(),
  reference: z.string().nullable(),
  fulfilment_method: z.string().nullable(),
  carrier: z.string().nullable(),
  tracking_number: z.string().nullable(),
  status: z.enum(SHIPMENT_STATUSES),
  status_at: nullableTimestamp,
  shipped_at: nullableTimestamp,
  receiver: Receiver,
  order_placed_at: nullableTimestamp.openapi({ description: 'When the customer placed the order.' }),
  promised_delivery_at: nullableTimestamp.openapi({
    description: 'The delivery promised to the customer. bol promises a date (`latestDeliveryDate`): the promise lasts until the end of that day, Europe/Amsterdam (23:59:59.999).',
  }),
  late: z.boolean().openapi({ description: 'Not final and past `promised_delivery_at` (what `attention=late` finds).' }),
  estimated_delivery: EstimatedDelivery.nullable().openapi({ description: 'The carrier\'s estimate, updated by each tracking poll; null when the carrier gave none.' }),
  carrier_remark: z.string().nullable().openapi({ description: 'The carrier\'s note on the current status and what happens next.' }),
  proof_of_delivery_url: z.string().nullable(),
  tracking_url: z.string().nullable().openapi({ description: 'The carrier\'s public tracking page, when the platform gives one.' }),
  pickup_point: PickupPoint.nullable().openapi({ description: 'Where the parcel is to be collected instead of delivered at the door.' }),
  transport_id: z.string().nullable().openapi({ description: 'bol\'s transport id.' }),
  shipping_label_id: z.string().nullable().openapi({ description: 'bol\'s shipping label id.' }),
  distribution_party: z.string().nullable().openapi({ description: 'Who delivers: bol\'s `RETAILER` or `BOL`.' }),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
};

export const ShipmentSummary = z.object(shipmentSummaryShape).strict().openapi('ShipmentSummary');


export const ShipmentItem = z
  .object({
    item_key: z.string(),
    ean: z.string().nullable(),
    sku: z.string().nullable(),
    title: z.string().nullable(),
    quantity: z.number().int(),
    quantity_shipped: z.number().int().nullable(),
    unit_price: z.number().nullable(),
  })
  .strict()
  .openapi('ShipmentItem');

export const TrackingEvent = z
  .object({
    status: z.enum(SHIPMENT_STATUSES).nullable().openapi({ description: 'Canonical status; null when no mapping rule knows raw_status.' }),
    raw_status: z.string(),
    description: z.string().nullable(),
    location: z.string().nullable(),
    source: z.string(),
    occurred_at: isoTimestamp,
  })
  .strict()
  .openapi('TrackingEvent');

export const Weather = z
  .object({
    temp_c: z.number().nullable().openapi({ description: 'Degrees Celsius.' }),
    condition: z.string().nullable().openapi({ description: 'The provider\'s words, in full.', example: 'Patchy light rain with thunder' }),
    fetched_at: isoTimestamp.openapi({ description: 'When shipsync fetched this observation.' }),
    provider: z.string().nullable().openapi({ example: 'open-meteo' }),
    humidity_pct: z.number().nullable().openapi({ description: 'Relative humidity, %.' }),
    wind_kph: z.number().nullable().openapi({ description: 'Wind speed, km/h.' }),
  })
  .strict()
  .openapi('Weather');

export const ShipmentDetail = z
  .object({
    ...shipmentSummaryShape,
    receiver: Receiver.extend({ street: z.string().nullable(), phone: z.string().nullable() }).strict(),
    items: z.array(ShipmentItem),
    events: z.array(TrackingEvent).openapi({ description: 'The tracking timeline, oldest first.' }),
    weather: Weather.nullable().openapi({ description: 'The last weather observation at the receiver location (country + postal code), refreshed at most every 2 hours; null until the first one.' }),
  })
  .strict()
  .openapi('ShipmentDetail');

export const ShipmentList = z
  .object({
    data: z.array(z.union([ShipmentSummary, ShipmentDetail])).openapi({
      description: 'Summaries; with `tracking_number`, `reference` or `phone` (a look-up), whole shipments (ShipmentDetail: items, events, weather), as a look-up needs them.',
    }),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` (with the same filters) for the next page; null on the last page.' }),
  })
  .strict()
  .openapi('ShipmentList');

// ---------------------------------------------------------------- health and errors

export const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.object({ database: z.enum(['ok', 'error']), queue: z.enum(['ok', 'error']) }).strict().optional(),
  })
  .strict()
  .openapi('Health');

export const ErrorBody = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ description: 'Stable, for programs to match on.', example: 'validation_failed' }),
        message: z.string().openapi({ description: 'For people: what is wrong and what to do.' }),
        details: z
          .unknown()
          .openapi({ description: 'For validation_failed: `[{field, reason}]`; otherwise an object or null.' }),
      })
      .strict(),
  })
  .strict()
  .openapi('Error');

// ---------------------------------------------------------------- deletions

export const DeletionView = z
  .object({
    id: z.number().int(),
    target: z.enum(DELETION_TARGETS).openapi({ description: '`products`: the whole catalogue; `shop`: one shop with its shipments, sync runs and credentials.' }),
    shop_id: z.number().int().nullable(),
    status: z.enum(DELETION_STATUSES),
    rows_total: z.number().int().openapi({ description: 'Products, or the shop\'s shipments, when the deletion was asked for.' }),
    rows_deleted: z.number().int(),
    ...workOutcome,
  })
  .strict()
  .openapi('Deletion');
