import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ErrorBody, IdParams } from './schemas.ts';
import {
  CreateWebhookBody,
  DeliveryListQuery,
  DeliveryParams,
  RotateSecretBody,
  UpdateWebhookBody,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookList,
  WebhookTestResult,
  WebhookWithSecret,
} from './webhook-schemas.ts';

/** The webhook routes of the OpenAPI document (api/openapi.ts calls this with its `route`). */
type Route = (method: RouteConfig['method'], path: string, config: Omit<RouteConfig, 'method' | 'path'>) => unknown;

const json = (schema: z.ZodTypeAny) => ({ content: { 'application/json': { schema } } });
const error = (description: string): ResponseConfig => ({ description, ...json(ErrorBody) });
const body = (schema: z.ZodTypeAny) => ({ required: true, ...json(schema) });

const SIGNING =
  'Every delivery is a POST of `{"id","type","created_at","data"}` with the Standard Webhooks headers `webhook-id` (the event id, the same on every attempt: de-duplicate on it), ' +
  '`webhook-timestamp` (seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the base64-decoded part of the secret after whsec_>`; ' +
  'during a rotation, two space-separated signatures). A 2xx within 15 s is success.';

export function registerWebhookPaths(route: Route): void {
  const urlRefused = error('The URL is not https, or reaches a private, loopback, link-local or metadata address (`url_refused`).');

  route('get', '/webhooks', { summary: 'List webhooks, by id', responses: { '200': { description: 'Every webhook, without secrets.', ...json(WebhookList) } } });
  route('post', '/webhooks', {
    summary: 'Subscribe a URL to events',
    description: `Answers the signing secret once; it is never shown again (rotate it to get a new one). ${SIGNING}`,
    request: { body: body(CreateWebhookBody) },
    responses: { '201': { description: 'The webhook with its secret.', ...json(WebhookWithSecret) }, '413': error('The body is larger than 1 MB.'), '422': urlRefused },
  });
  route('get', '/webhooks/{id}', {
    summary: 'One webhook',
    request: { params: IdParams },
    responses: { '200': { description: 'The webhook, without its secret.', ...json(Webhook) }, '404': error('No such webhook.') },
  });
  route('patch', '/webhooks/{id}', {
    summary: 'Change a webhook\'s URL, events or description, or disable or enable it',
    request: { params: IdParams, body: body(UpdateWebhookBody) },
    responses: {
      '200': { description: 'The webhook.', ...json(Webhook) },
      '404': error('No such webhook.'),
      '413': error('The body is larger than 1 MB.'),
      '422': urlRefused,
    },
  });
  route('delete', '/webhooks/{id}', {
    summary: 'Delete a webhook and its delivery log',
    request: { params: IdParams },
    responses: { '204': { description: 'Deleted; queued deliveries are dropped.' }, '404': error('No such webhook.') },
  });
  route('post', '/webhooks/{id}/rotate-secret', {
    summary: 'Replace the signing secret',
    description: 'Answers the new secret once. The previous secret keeps signing too (two signatures per message) until `previous_secret_expires_at`, so receivers can switch without losing events.',
    request: { params: IdParams, body: { required: false, ...json(RotateSecretBody) } },
    responses: {
      '200': { description: 'The webhook with its new secret.', ...json(WebhookWithSecret) },
      '404': error('No such webhook.'),
      '409': error('Another rotation of this webhook happened at the same time (`rotation_in_progress`).'),
    },
  });
  route('post', '/webhooks/{id}/test', {
    summary: 'Send a webhook.test event now',
    description: 'Sends at once, even to a disabled webhook, and answers with what the receiver did. Logged as a `test` delivery; it does not count towards disabling.',
    request: { params: IdParams },
    responses: { '200': { description: 'What the receiver answered (also when it failed: see `success`).', ...json(WebhookTestResult) }, '404': error('No such webhook.') },
  });
  route('get', '/webhooks/{id}/deliveries', {
    summary: 'The delivery log: every attempt, newest first',
    request: { params: IdParams, query: DeliveryListQuery },
    responses: { '200': { description: 'One page of attempts.', ...json(WebhookDeliveryList) }, '404': error('No such webhook.') },
  });
  route('post', '/webhooks/{id}/deliveries/{delivery_id}/retry', {
    summary: 'Send a delivery\'s event again',
    description: 'Queues one more attempt of the same event (same `webhook-id`), now, past any backoff. Follow it in the delivery log.',
    request: { params: DeliveryParams },
    responses: {
      '202': { description: 'The queued attempt.', ...json(WebhookDelivery) },
      '404': error('No such webhook or delivery.'),
      '409': error('The webhook is disabled (`webhook_disabled`), or the delivery has not been attempted yet (`delivery_pending`).'),
      '503': error('The re-send could not be queued (`retry_not_queued`).'),
    },
  });
}
