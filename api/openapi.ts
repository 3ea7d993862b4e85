import { OpenApiGeneratorV3, OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  CreateShopBody,
  DeletionView,
  ErrorBody,
  Health,
  IdParams,
  ShipmentDetail,
  ShipmentList,
  ShipmentListQuery,
  Shop,
  ShopList,
  StartSyncBody,
  SyncListQuery,
  SyncRun,
  SyncRunList,
  UpdateShopBody,
} from './schemas.ts';
import { registerWebhookPaths } from './webhook-openapi.ts';
import { registerImportPaths } from './import-openapi.ts';

/**
 * The OpenAPI 3.0 document of every route, generated from the same zod schemas the routes parse
 * requests with (api/schemas.ts). tests/api/openapi.test.ts checks that every route of the router
 * is documented and that real answers match the documented response schemas.
 */

type Method = RouteConfig['method'];

const json = (schema: z.ZodTypeAny) => ({ content: { 'application/json': { schema } } });
const error = (description: string): ResponseConfig => ({ description, ...json(ErrorBody) });

/** The error answers every authenticated route can give. */
const COMMON_ERRORS: Record<string, ResponseConfig> = {
  '400': error('Bad input: `details` is `[{field, reason}]` for `validation_failed`; also `invalid_json`, `invalid_cursor`.'),
  '401': error('Missing or wrong bearer token (`unauthorized`).'),
};

function buildDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'The API_TOKEN of the server: `Authorization: Bearer <API_TOKEN>`.',
  });
  const secured = [{ [bearer.name]: [] }];

  const route = (method: Method, path: string, config: Omit<RouteConfig, 'method' | 'path'>, opts: { public?: boolean } = {}) =>
    registry.registerPath({
      method,
      path,
      ...(opts.public ? { security: [] } : { security: secured }),
      ...config,
      responses: { ...(opts.public ? {} : COMMON_ERRORS), ...config.responses },
    });

  const body = (schema: z.ZodTypeAny) => ({ required: true, ...json(schema) });

  route(
    'get',
    '/health',
    {
      summary: 'Liveness of the API and what it depends on',
      responses: { '200': { description: 'The database and the queue answer.', ...json(Health) }, '503': { description: 'The database or the queue does not answer.', ...json(Health) } },
    },
    { public: true },
  );

  route('get', '/openapi.json', {
    summary: 'This document',
    responses: { '200': { description: 'The OpenAPI 3.0 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
  });

  route('get', '/metrics', {
    summary: 'Metrics in the Prometheus text format',
    description: 'Takes the API token or METRICS_TOKEN. Jobs, queues, provider calls, sync runs, imports, webhook deliveries, HTTP requests and the Node process; the README lists them.',
    responses: { '200': { description: 'Prometheus exposition text (version 0.0.4).', content: { 'text/plain': { schema: { type: 'string' } } } } },
  });

  route('get', '/shops', { summary: 'List shops, by id', responses: { '200': { description: 'Every shop.', ...json(ShopList) } } });
  route('post', '/shops', {
    summary: 'Connect a shop',
    description: 'Checks the credentials by asking the platform for a token first. Credentials are stored sealed and never answered back.',
    request: { body: body(CreateShopBody) },
    responses: {
      '201': { description: 'The shop.', ...json(Shop) },
      '413': error('The body is larger than 1 MB.'),
      '422': error('The platform refused the credentials (`credentials_refused`).'),
      '503': error('The platform could not be reached to check the credentials (`provider_unavailable`).'),
    },
  });
  route('get', '/shops/{id}', {
    summary: 'One shop',
    request: { params: IdParams },
    responses: { '200': { description: 'The shop.', ...json(Shop) }, '404': error('No such shop.') },
  });
  route('patch', '/shops/{id}', {
    summary: 'Rename, pause or resume a shop, change its interval, or replace its credentials',
    description: 'New credentials are checked with the platform like on creation; accepted credentials make a shop whose credentials were refused active again.',
    request: { params: IdParams, body: body(UpdateShopBody) },
    responses: {
      '200': { description: 'The shop.', ...json(Shop) },
      '404': error('No such shop.'),
      '409': error('The shop\'s credentials were refused: send new credentials to change its status (`credentials_refused`).'),
      '413': error('The body is larger than 1 MB.'),
      '422': error('The platform refused the credentials (`credentials_refused`).'),
      '503': error('The platform could not be reached to check the credentials (`provider_unavailable`).'),
    },
  });
  route('delete', '/shops/{id}', {
    summary: 'Delete a shop with its credentials, sync runs and shipments, as a job',
    description:
      'Workers delete its shipments in batches, then the shop. Until then the shop reads `deleting`, takes no changes and no syncs (409); ' +
      'follow the deletion at /deletions/{id} or /deletions/{id}/events. Asking again meanwhile answers the same deletion.',
    request: { params: IdParams },
    responses: { '202': { description: 'The deletion.', ...json(DeletionView) }, '404': error('No such shop.'), '503': error('The deletion could not be queued (`deletion_not_started`).') },
  });
  route('get', '/deletions/{id}', {
    summary: 'A big delete (the catalogue, or a shop) with its progress',
    request: { params: IdParams },
    responses: { '200': { description: 'The deletion.', ...json(DeletionView) }, '404': error('No such deletion.') },
  });
  route('get', '/deletions/{id}/events', {
    summary: 'Follow a deletion (Server-Sent Events)',
    description: '`event: progress` with the deletion (as GET /deletions/{id}) at once and whenever it changes, then `event: done` when it succeeded or failed, and the stream ends.',
    request: { params: IdParams },
    responses: { '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, '404': error('No such deletion.') },
  });

  route('post', '/shops/{id}/syncs', {
    summary: 'Start a sync run of the shop\'s shipments',
    request: { params: IdParams, body: body(StartSyncBody) },
    responses: {
      '202': { description: 'The queued sync run; follow it at /syncs/{id} or /syncs/{id}/events.', ...json(SyncRun) },
      '404': error('No such shop.'),
      '409': error('A sync of this shop is queued or running (`sync_already_running`), an incremental sync has no finished initial sync before it (`initial_sync_required`), or the shop is paused or its credentials were refused (`shop_not_active`).'),
      '503': error('The sync run could not be queued (`sync_not_started`).'),
    },
  });
  route('get', '/shops/{id}/syncs', {
    summary: 'The shop\'s sync runs, newest first',
    request: { params: IdParams, query: SyncListQuery },
    responses: { '200': { description: 'Up to `limit` (default and maximum 50) sync runs.', ...json(SyncRunList) }, '404': error('No such shop.') },
  });
  route('get', '/syncs/{id}', {
    summary: 'One sync run with its live counts',
    request: { params: IdParams },
    responses: { '200': { description: 'The sync run.', ...json(SyncRun) }, '404': error('No such sync run.') },
  });
  route('get', '/syncs/{id}/events', {
    summary: 'Follow a sync run (Server-Sent Events)',
    description:
      '`event: progress` with the sync run (JSON, as GET /syncs/{id}) at once and whenever it changes, then `event: done` when it succeeded or failed, and the stream ends. ' +
      '`event: deleted` if the run is deleted meanwhile. Close your EventSource on `done`.',
    request: { params: IdParams },
    responses: {
      '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      '404': error('No such sync run.'),
    },
  });

  route('get', '/shipments', {
    summary: 'List shipments',
    description:
      'Newest first (by id). With `updated_since`, oldest change first (by updated_at, then id): a change feed. ' +
      'Filters combine with AND. Page with `next_cursor`, keeping the same filters. ' +
      'A look-up by `tracking_number` (with `carrier`, by code or name), `reference` or `phone` (any form) answers whole shipments: items, tracking timeline and weather.',
    request: { query: ShipmentListQuery },
    responses: { '200': { description: 'One page.', ...json(ShipmentList) } },
  });
  route('get', '/shipments/{id}', {
    summary: 'One shipment with its items, tracking timeline and weather',
    request: { params: IdParams },
    responses: { '200': { description: 'The shipment.', ...json(ShipmentDetail) }, '404': error('No such shipment.') },
  });

  registerWebhookPaths(route);
  registerImportPaths(route);

  const generator = new OpenApiGeneratorV3(registry.definitions);
  return generator.generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'shipsync API',
      version: '0.1.0',
      description: 'Shipments, tracking and sync runs of connected shops. JSON, snake_case; errors are `{"error":{"code","message","details"}}`.',
    },
    security: secured,
  });
}

let cached: ReturnType<typeof buildDocument> | undefined;

/** The document; built once, it only depends on the code. */
export function openApiDocument(): ReturnType<typeof buildDocument> {
  cached ??= buildDocument();
  return cached;
}
