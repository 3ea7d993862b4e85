import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DeletionView, ErrorBody, IdParams } from './schemas.ts';
import {
  CreateImportQuery,
  CreateProductBody,
  DeleteAllProductsBody,
  ImportList,
  ImportListQuery,
  ImportView,
  ProductFilterQuery,
  ProductList,
  ProductListQuery,
  ProductView,
  ReplaceProductBody,
  ShipmentExportQuery,
  UpdateProductBody,
} from './import-schemas.ts';

/** The import, product and export routes of the OpenAPI document (api/openapi.ts calls this with its `route`). */
type Route = (method: RouteConfig['method'], path: string, config: Omit<RouteConfig, 'method' | 'path'>) => unknown;

const json = (schema: z.ZodTypeAny) => ({ content: { 'application/json': { schema } } });
const error = (description: string): ResponseConfig => ({ description, ...json(ErrorBody) });
const body = (schema: z.ZodTypeAny) => ({ required: true, ...json(schema) });
const csv = (description: string): ResponseConfig => ({ description, content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } } });
const CSV_NOTE = 'UTF-8 with a byte-order mark, CRLF records; text cells starting with = + - @ (a spreadsheet formula) are prefixed with \'.';

export function registerImportPaths(route: Route): void {
  route('post', '/imports', {
    summary: 'Upload a CSV file to import',
    description:
      'The file is the body (`Content-Type: text/csv`) or the `file` field of a multipart/form-data form. It is streamed to storage and the answer comes once it is stored; ' +
      'workers then process it in batches. A bad row is reported with its line and reason and the rest imports. Follow it at /imports/{id} or /imports/{id}/events.',
    request: {
      query: CreateImportQuery,
      body: {
        required: true,
        content: {
          'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
          'multipart/form-data': { schema: z.object({ file: z.string().openapi({ format: 'binary' }) }) },
        },
      },
    },
    responses: {
      '202': { description: 'The queued import.', ...json(ImportView) },
      '413': error('The file is larger than the upload limit (`payload_too_large`).'),
      '415': error('The body is not a CSV file (`unsupported_media_type`).'),
      '422': error('The file is empty or its header lacks a column the type needs (`invalid_file`).'),
      '503': error('The import could not be queued (`import_not_started`).'),
    },
  });
  route('get', '/imports', {
    summary: 'Recent imports, newest first',
    request: { query: ImportListQuery },
    responses: { '200': { description: 'Imports (without their row errors).', ...json(ImportList) } },
  });
  route('get', '/imports/{id}', {
    summary: 'One import: status, counts and the first row errors',
    request: { params: IdParams },
    responses: { '200': { description: 'The import.', ...json(ImportView) }, '404': error('No such import.') },
  });
  route('get', '/imports/{id}/errors.csv', {
    summary: 'Every row error of an import, as CSV',
    description: `Columns line, record, reason, row (the row as it was read). ${CSV_NOTE}`,
    request: { params: IdParams },
    responses: { '200': csv('The row errors, in file order.'), '404': error('No such import.') },
  });
  route('get', '/imports/{id}/events', {
    summary: 'Follow an import as Server-Sent Events',
    description: '`event: progress` with the import now, again on every change, then `event: done` when it succeeded or failed (the stream ends). Works with a browser EventSource.',
    request: { params: IdParams },
    responses: { '200': { description: 'text/event-stream of Import objects.', content: { 'text/event-stream': { schema: z.string() } } }, '404': error('No such import.') },
  });

  route('get', '/products', {
    summary: 'List products, by id',
    description: 'Filters are substrings, ignoring case, combined with AND. Page with `next_cursor`, keeping the same filters.',
    request: { query: ProductListQuery },
    responses: { '200': { description: 'One page.', ...json(ProductList) } },
  });
  route('post', '/products', {
    summary: 'Create a product',
    request: { body: body(CreateProductBody) },
    responses: { '201': { description: 'The product.', ...json(ProductView) }, '409': error('Another product has this SKU, in any case (`sku_taken`).'), '413': error('The body is larger than 1 MB.') },
  });
  route('delete', '/products', {
    summary: 'Delete every product, as a job',
    description:
      'Only with `{"confirm":"delete all products"}`. Workers delete the products that exist now in batches, each product with a product.deleted event; ' +
      'follow the deletion at /deletions/{id} or /deletions/{id}/events. Until it finishes, the product routes and product imports answer 409 `catalogue_being_deleted`. ' +
      'Asking again meanwhile answers the same deletion.',
    request: { body: body(DeleteAllProductsBody) },
    responses: { '202': { description: 'The deletion.', ...json(DeletionView) }, '503': error('The deletion could not be queued (`deletion_not_started`).') },
  });
  route('get', '/products/export.csv', {
    summary: 'The catalogue as CSV (name, sku, description, active), streamed',
    description: `The same filters as the list. The file imports back with POST /imports?type=products. ${CSV_NOTE}`,
    request: { query: ProductFilterQuery },
    responses: { '200': csv('The products, by id.') },
  });
  route('get', '/products/{id}', {
    summary: 'One product',
    request: { params: IdParams },
    responses: { '200': { description: 'The product.', ...json(ProductView) }, '404': error('No such product.') },
  });
  route('put', '/products/{id}', {
    summary: 'Replace a product',
    request: { params: IdParams, body: body(ReplaceProductBody) },
    responses: { '200': { description: 'The product.', ...json(ProductView) }, '404': error('No such product.'), '409': error('Another product has this SKU (`sku_taken`).') },
  });
  route('patch', '/products/{id}', {
    summary: 'Change some fields of a product',
    request: { params: IdParams, body: body(UpdateProductBody) },
    responses: { '200': { description: 'The product.', ...json(ProductView) }, '404': error('No such product.'), '409': error('Another product has this SKU (`sku_taken`).') },
  });
  route('delete', '/products/{id}', {
    summary: 'Delete a product',
    request: { params: IdParams },
    responses: { '204': { description: 'Deleted.' }, '404': error('No such product.') },
  });

  route('get', '/shipments/export.csv', {
    summary: 'Shipments as CSV, streamed',
    description: `Every shipment the list would answer for the same filters, in the same order, without paging. ${CSV_NOTE}`,
    request: { query: ShipmentExportQuery },
    responses: { '200': csv('The shipments.') },
  });
}
