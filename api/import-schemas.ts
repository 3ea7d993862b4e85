import { z } from 'zod';
import { FEED_EVENTS, IMPORT_STATUSES, IMPORT_TYPES } from '../models/imports.ts';
import { PRODUCT_NAME_MAX, PRODUCT_SKU_MAX } from '../models/products.ts';
import { ShipmentListQuery } from './schemas.ts';
import { isValidTimeZone } from '../crawler/imports/timestamps.ts';
import { isoTimestamp, nullableTimestamp, queryInt, queryOneOf, queryText } from './schema-parts.ts';

/**
 * Request and response schemas of imports, products and CSV exports, in the style of
 * api/schemas.ts (which extends zod with `.openapi`): they feed the OpenAPI document, and the
 * tests parse real answers with them.
 */


// ---------------------------------------------------------------- imports

export const CreateImportQuery = z
  .object({
    type: z
      .enum(IMPORT_TYPES, {
        errorMap: (issue) => ({ message: issue.code === 'invalid_type' && issue.received === 'undefined' ? 'is required' : `must be one of: ${IMPORT_TYPES.join(', ')}` }),
      })
      .openapi({ param: { description: '`products` (name,sku,description[,active]), `shipments` (parcelLab shipment list), `status_feed` (partner status report).' } }),
    event: queryOneOf([...FEED_EVENTS])
      .optional()
      .openapi({ param: { description: 'status_feed only, required there: the event kind of every row of the file.' } }),
    timezone: queryText()
      .min(1, 'must not be empty')
      .max(64, 'must be at most 64 characters')
      .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Dubai or Europe/Amsterdam')
      .optional()
      .openapi({ param: { description: 'status_feed only: the IANA zone of timestamps written without one (default STATUS_FEED_TIMEZONE).' } }),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.type === 'status_feed' && q.event === undefined) ctx.addIssue({ code: 'custom', path: ['event'], message: `is required for a status_feed: one of ${FEED_EVENTS.join(', ')}` });
    if (q.type !== 'status_feed' && q.event !== undefined) ctx.addIssue({ code: 'custom', path: ['event'], message: 'applies to status_feed imports only' });
    if (q.type !== 'status_feed' && q.timezone !== undefined) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'applies to status_feed imports only' });
  });

const RowErrorShape = z
  .object({
    line: z.number().int().openapi({ description: 'Physical line where the row starts; the header is line 1.' }),
    record: z.number().int().openapi({ description: 'Row number, counting records (a quoted field may span lines); the first row after the header is 1.' }),
    reason: z.string(),
  })
  .strict();

export const ImportView = z
  .object({
    id: z.number().int(),
    type: z.enum(IMPORT_TYPES),
    status: z.enum(IMPORT_STATUSES),
    filename: z.string().nullable(),
    size_bytes: z.number().int(),
    event: z.enum(FEED_EVENTS).nullable(),
    timezone: z.string().nullable(),
    rows_total: z.number().int().nullable().openapi({ description: 'Counted at upload, exact once the import finished.' }),
    rows_processed: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int().openapi({ description: 'Rows equal to what was stored: re-importing a file changes nothing.' }),
    failed_rows: z.number().int(),
    unmapped_statuses: z.record(z.number().int()).openapi({ description: 'Raw statuses no mapping rule knows, with how many rows had them.' }),
    errors: z.array(RowErrorShape).openapi({ description: 'The first row errors; GET /imports/{id}/errors.csv has them all.' }),
    error: z.string().nullable().openapi({ description: 'Why the whole import failed, if it did.' }),
    created_at: isoTimestamp,
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
    updated_at: isoTimestamp,
  })
  .strict()
  .openapi('Import');

export const ImportListQuery = z.object({ limit: queryInt(1, 100).optional() }).strict();
export const ImportList = z.object({ data: z.array(ImportView) }).strict().openapi('ImportList');

// ---------------------------------------------------------------- products

const sku = z
  .string({ invalid_type_error: 'must be a string', required_error: 'is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(PRODUCT_SKU_MAX, `must be at most ${PRODUCT_SKU_MAX} characters`)
  .openapi({ description: 'Unique, compared case-insensitively; shown as last written.', example: 'ABC-1' });
const productName = z
  .string({ invalid_type_error: 'must be a string', required_error: 'is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(PRODUCT_NAME_MAX, `must be at most ${PRODUCT_NAME_MAX} characters`);
const description = z
  .string({ invalid_type_error: 'must be a string or null' })
  .refine((v) => v.length <= 16_383 || Buffer.byteLength(v) <= 65_535, 'must be at most 65,535 bytes')
  .nullable();
const active = z.boolean({ invalid_type_error: 'must be true or false' });

export const CreateProductBody = z
  .object({ sku, name: productName, description: description.optional(), active: active.optional() })
  .strict()
  .openapi('CreateProduct', { description: '`active` defaults to true, `description` to null.' });

export const ReplaceProductBody = CreateProductBody.openapi('ReplaceProduct', { description: 'The whole product: a field left out takes its default (`description` null, `active` true).' });

export const UpdateProductBody = z
  .object({ sku: sku.optional(), name: productName.optional(), description: description.optional(), active: active.optional() })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'must change at least one of: sku, name, description, active' })
  .openapi('UpdateProduct');

export const DeleteAllProductsBody = z
  .object({
    confirm: z.literal('delete all products', {
      errorMap: () => ({ message: 'must be "delete all products": this deletes the whole catalogue' }),
    }),
  })
  .strict()
  .openapi('DeleteAllProducts');

export const ProductView = z
  .object({
    id: z.number().int(),
    sku: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    active: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .strict()
  .openapi('Product');

const substring = (what: string) =>
  queryText()
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters')
    .optional()
    .openapi({ param: { description: `Products whose ${what} contains this text, ignoring case.` } });

export const ProductFilterQuery = z
  .object({
    sku: substring('SKU'),
    name: substring('name'),
    description: substring('description'),
    active: queryOneOf(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .openapi({ param: { description: '`true` or `false`.' } }),
  })
  .strict();

export const ProductListQuery = ProductFilterQuery.extend({
  limit: queryInt(1, 500).optional().openapi({ param: { description: 'Page size, default 50.' } }),
  cursor: queryText()
    .min(1, 'must not be empty')
    .max(512, 'is not a cursor this API made')
    .optional()
    .openapi({ param: { description: 'The next_cursor of the previous page, with the same filters.' } }),
}).strict();

export const ProductList = z
  .object({ data: z.array(ProductView), next_cursor: z.string().nullable() })
  .strict()
  .openapi('ProductList');


// ---------------------------------------------------------------- exports

export const ShipmentExportQuery = ShipmentListQuery.omit({ limit: true, cursor: true }).strict();
