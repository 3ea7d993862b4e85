import { z } from 'zod';
import { DELIVERY_STATUSES, DELIVERY_TRIGGERS } from '../models/webhook-deliveries.ts';
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES } from '../models/webhooks.ts';
import { IdParams } from './schemas.ts';
import { isoTimestamp, nullableTimestamp, idParam, queryInt, queryOneOf, text } from './schema-parts.ts';

/**
 * Webhook request and response schemas, in the style of api/schemas.ts (whose `parseRequest`
 * the routes use): every `reason` reads after its field name.
 */


const webhookUrl = text('a string')
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => URL.canParse(v), 'must be an absolute URL, such as https://example.com/hooks/shipsync')
  .openapi({
    format: 'uri',
    example: 'https://example.com/hooks/shipsync',
    description: 'Where events are POSTed: https, and a public address (checked again at every delivery). Redirects are not followed.',
  });

const eventType = z.enum(WEBHOOK_EVENT_TYPES, {
  errorMap: (issue) => (issue.code === 'invalid_type' ? { message: 'must be a string' } : { message: `must be one of: ${WEBHOOK_EVENT_TYPES.join(', ')}` }),
});

const events = z
  .array(eventType, { invalid_type_error: 'must be an array of event types', required_error: 'is required' })
  .min(1, 'must name at least one event type')
  .max(WEBHOOK_EVENT_TYPES.length * 2, 'has too many entries')
  .transform((list) => [...new Set(list)])
  .openapi({ description: 'The event types to receive.', example: ['shipment.status_changed', 'sync.failed'] });

const description = text('a string').trim().max(500, 'must be at most 500 characters').nullable();
const active = z.boolean({ invalid_type_error: 'must be true or false' });

export const CreateWebhookBody = z
  .object({
    url: webhookUrl,
    events,
    description: description.optional(),
    active: active.optional().openapi({ description: 'Default true.' }),
  })
  .strict()
  .openapi('CreateWebhook');

export const UpdateWebhookBody = z
  .object({
    url: webhookUrl.optional(),
    events: events.optional(),
    description: description.optional(),
    active: active.optional().openapi({ description: 'true enables a webhook again (also one that delivery disabled) and clears its failure run.' }),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'must change at least one of: url, events, description, active' })
  .openapi('UpdateWebhook', { description: 'At least one field.' });

export const RotateSecretBody = z
  .object({
    expire_previous_after_seconds: z
      .number({ invalid_type_error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(0, 'must be at least 0')
      .max(7 * 86_400, 'must be at most 604800 (7 days)')
      .optional()
      .openapi({ description: 'How long the previous secret still signs too (every message then carries both signatures). Default 86400; 0 drops it at once (a leaked secret).' }),
  })
  .strict()
  .openapi('RotateWebhookSecret');

export const DeliveryParams = IdParams.extend({
  delivery_id: idParam(),
}).openapi({ param: { in: 'path' } });

export const DELIVERY_LIST_MAX_LIMIT = 100;

export const DeliveryListQuery = z
  .object({
    status: queryOneOf([...DELIVERY_STATUSES]).optional(),
    limit: queryInt(1, DELIVERY_LIST_MAX_LIMIT)
      .optional()
      .openapi({ param: { description: 'Page size, default 50.' } }),
    cursor: z
      .string({ invalid_type_error: 'must appear once in the query string' })
      .min(1, 'must not be empty')
      .max(128, 'is not a cursor this API made')
      .optional()
      .openapi({ param: { description: 'The next_cursor of the previous page, with the same filters.' } }),
  })
  .strict();

const webhookShape = {
  id: z.number().int(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(eventType),
  active: z.boolean(),
  disabled_reason: z.string().nullable().openapi({ description: 'Why delivery disabled the webhook (a 410, or a run of failures); null when a person did, or when active.' }),
  disabled_at: nullableTimestamp,
  consecutive_failures: z.number().int().openapi({ description: 'Failed deliveries in a row; 0 after a success.' }),
  previous_secret_expires_at: nullableTimestamp.openapi({ description: 'During a secret rotation: until when the previous secret also signs.' }),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
};

export const Webhook = z.object(webhookShape).strict().openapi('Webhook');

/** Its own object rather than an extension of Webhook: `allOf` with additionalProperties false would refuse every field. */
export const WebhookWithSecret = z
  .object({
    ...webhookShape,
    secret: z
      .string()
      .openapi({ description: 'The signing secret (`whsec_` + base64). Shown only in this answer: store it now.', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
  })
  .strict()
  .openapi('WebhookWithSecret');

export const WebhookList = z.object({ data: z.array(Webhook) }).strict().openapi('WebhookList');

export const WebhookDelivery = z
  .object({
    id: z.number().int(),
    webhook_id: z.number().int(),
    event_id: z.string().openapi({ description: 'The message id: the body\'s `id` and the `webhook-id` header, the same on every attempt.' }),
    event_type: z.string().openapi({ description: `An event type, or \`${TEST_EVENT_TYPE}\`.` }),
    attempt: z.number().int().openapi({ description: 'The attempt number for this event and webhook, from 1.' }),
    trigger: z.enum(DELIVERY_TRIGGERS).openapi({ description: '`event`: automatic; `manual`: a re-send; `test`: the test button.' }),
    status: z.enum(DELIVERY_STATUSES),
    status_code: z.number().int().nullable().openapi({ description: 'The receiver\'s HTTP status; null when it gave none (timeout, refused connection).' }),
    duration_ms: z.number().int().nullable(),
    error: z.string().nullable(),
    scheduled_at: nullableTimestamp.openapi({ description: 'For a pending delivery: when it is due (one waiting on a slow or failing receiver may go later).' }),
    next_attempt_at: nullableTimestamp.openapi({ description: 'For a failed delivery: when the next attempt is due; null when none follows.' }),
    created_at: isoTimestamp,
    attempted_at: nullableTimestamp,
  })
  .strict()
  .openapi('WebhookDelivery');

export const WebhookDeliveryList = z
  .object({
    data: z.array(WebhookDelivery),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next (older) page; null on the last page.' }),
  })
  .strict()
  .openapi('WebhookDeliveryList');

export const WebhookTestResult = z
  .object({
    delivery_id: z.number().int(),
    event_id: z.string(),
    success: z.boolean().openapi({ description: 'The receiver answered 2xx.' }),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
  })
  .strict()
  .openapi('WebhookTestResult');
