import { randomBytes } from 'node:crypto';
import { AppError, ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.ts';
import { enqueue } from '../../crawler/jobs.ts';
import { checkDestination, STRICT_POLICY, UnsafeDestinationError, type AddressPolicy } from '../../lib/ssrf.ts';
import { createWebhookSender, generateSecret } from '../../lib/standard-webhooks.ts';
import { iso } from '../../models/db.ts';
import {
  deleteDelivery,
  findDelivery,
  findDeliveriesPage,
  findLastAttemptNumber,
  findWebhookDelivery,
  insertDelivery,
  messageBody,
  testEventData,
  type WebhookDelivery,
} from '../../models/webhook-deliveries.ts';
import {
  deleteWebhook,
  findWebhookOrFail,
  findWebhooks,
  insertWebhook,
  isActive,
  rotateWebhookSecret,
  signingSecrets,
  TEST_EVENT_TYPE,
  updateWebhook,
  type Webhook,
  type WebhookChanges,
} from '../../models/webhooks.ts';
import type { ApiDeps, ApiWebhookSettings } from '../context.ts';
import type { ApiRouter } from '../context.ts';
import { parseRequest } from '../schemas.ts';
import { CreateWebhookBody, DeliveryListQuery, DeliveryParams, RotateSecretBody, UpdateWebhookBody } from '../webhook-schemas.ts';
import { pathId } from './params.ts';

/** The webhook settings the API needs: the address policy (config), and the test button's timeout. */
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_PREVIOUS_SECRET_SECONDS = 86_400;
const DEFAULT_DELIVERY_PAGE = 50;

/**
 * Webhook subscriptions, their signing secrets (shown once, on create and rotate; stored sealed;
 * never logged), the test button and the delivery log with re-sends. Deliveries themselves run
 * in the workers (crawler/webhooks/); the API only writes a pending row and enqueues, except for
 * the test button, whose point is an answer now.
 */
export function webhookRoutes(router: ApiRouter, deps: ApiDeps): void {
  const settings = (): ApiWebhookSettings => deps.webhooks ?? STRICT_POLICY;

  router.get('/webhooks', async (ctx) => {
    const webhooks = await findWebhooks(deps.knex);
    ctx.body = { data: webhooks.map((w) => presentWebhook(w)) };
  });

  router.post('/webhooks', async (ctx) => {
    const body = parseRequest(CreateWebhookBody, ctx.request.body);
    await checkUrl(body.url, settings());
    const secret = generateSecret();
    const { keyId, sealed } = deps.secretBox.seal(secret);
    const active = body.active ?? true;
    const webhook = await insertWebhook(deps.knex, {
      url: body.url,
      description: body.description ?? null,
      events: body.events,
      active,
      disabled_at: active ? null : Date.now(),
      secret_key_id: keyId,
      secret_sealed: sealed,
    });
    ctx.status = 201;
    ctx.set('Location', `/webhooks/${webhook.id}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ...presentWebhook(webhook), secret };
  });

  router.get('/webhooks/:id', async (ctx) => {
    ctx.body = presentWebhook(await findWebhookOrFail(deps.knex, pathId(ctx)));
  });

  router.patch('/webhooks/:id', async (ctx) => {
    const id = pathId(ctx);
    const body = parseRequest(UpdateWebhookBody, ctx.request.body);
    const webhook = await findWebhookOrFail(deps.knex, id);
    if (body.url !== undefined) await checkUrl(body.url, settings());
    const now = Date.now();
    const patch: WebhookChanges = {};
    if (body.url !== undefined) patch.url = body.url;
    if (body.events !== undefined) patch.events = body.events;
    if (body.description !== undefined) patch.description = body.description;
    if (body.active === true) {
      // Enabling starts afresh: no failure run, no closed circuit, no reason left over.
      Object.assign(patch, { active: true, disabled_reason: null, disabled_at: null, consecutive_failures: 0, failing_since: null, blocked_until: null });
    } else if (body.active === false && isActive(webhook)) {
      Object.assign(patch, { active: false, disabled_reason: null, disabled_at: now });
    }
    const changed = await updateWebhook(deps.knex, id, patch, now);
    if (changed === 0) throw new NotFoundError('webhook', id);
    ctx.body = presentWebhook(await findWebhookOrFail(deps.knex, id));
  });

  router.delete('/webhooks/:id', async (ctx) => {
    const id = pathId(ctx);
    // Its delivery log goes with it (foreign key cascade); jobs still queued find no row and end.
    const deleted = await deleteWebhook(deps.knex, id);
    if (deleted === 0) throw new NotFoundError('webhook', id);
    ctx.status = 204;
  });

  router.post('/webhooks/:id/rotate-secret', async (ctx) => {
    const id = pathId(ctx);
    const body = parseRequest(RotateSecretBody, ctx.request.body ?? {});
    const webhook = await findWebhookOrFail(deps.knex, id);
    const now = Date.now();
    const keepPreviousMs = (body.expire_previous_after_seconds ?? DEFAULT_PREVIOUS_SECRET_SECONDS) * 1_000;
    const secret = generateSecret();
    const current = deps.secretBox.seal(secret);
    // The secret being replaced keeps signing alongside the new one until it expires.
    const rotated = await rotateWebhookSecret(deps.knex, webhook, current, keepPreviousMs, now);
    if (!rotated) throw new ConflictError('rotation_in_progress', 'The secret was rotated by another request at the same time; read the webhook and try again.');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ...presentWebhook(await findWebhookOrFail(deps.knex, id)), secret };
  });

  router.post('/webhooks/:id/test', async (ctx) => {
    const webhook = await findWebhookOrFail(deps.knex, pathId(ctx));
    const createdAt = Date.now();
    const messageId = `evt_test_${randomBytes(12).toString('hex')}`;
    const body = messageBody({ id: messageId, type: TEST_EVENT_TYPE, createdAt, dataJson: testEventData(webhook.id) });
    const sender = createWebhookSender(settings());
    let result;
    try {
      // A test goes out even to a disabled webhook (that is how to check a fix), and changes
      // nothing of its failure run: it is a person looking, not a delivery.
      result = await sender.post({ url: webhook.url, messageId, body, secrets: signingSecrets(webhook, deps.secretBox), timeoutMs: settings().timeoutMs ?? DEFAULT_TIMEOUT_MS });
    } finally {
      sender.close();
    }
    const deliveryId = await insertDelivery(deps.knex, {
      webhook_id: webhook.id,
      event_id: null,
      message_id: messageId,
      event_type: TEST_EVENT_TYPE,
      event_created_at: createdAt,
      attempt: 1,
      trigger: 'test',
      status: result.ok ? 'succeeded' : 'failed',
      status_code: result.statusCode,
      duration_ms: result.durationMs,
      error: result.error?.slice(0, 1000) ?? null,
      created_at: createdAt,
      attempted_at: createdAt,
    });
    ctx.body = {
      delivery_id: deliveryId,
      event_id: messageId,
      success: result.ok,
      status_code: result.statusCode,
      duration_ms: result.durationMs,
      error: result.error,
    };
  });

  router.get('/webhooks/:id/deliveries', async (ctx) => {
    const id = pathId(ctx);
    const q = parseRequest(DeliveryListQuery, ctx.query);
    await findWebhookOrFail(deps.knex, id);
    const limit = q.limit ?? DEFAULT_DELIVERY_PAGE;
    const beforeId = q.cursor !== undefined ? decodeDeliveryCursor(q.cursor, q.status) : undefined;
    const rows = await findDeliveriesPage(deps.knex, id, { limit: limit + 1, status: q.status, beforeId });
    const page = rows.slice(0, limit);
    ctx.body = {
      data: page.map(presentDelivery),
      next_cursor: rows.length > limit ? encodeDeliveryCursor(Number(page[page.length - 1]!.id), q.status) : null,
    };
  });

  router.post('/webhooks/:id/deliveries/:delivery_id/retry', async (ctx) => {
    const params = parseRequest(DeliveryParams, ctx.params);
    const webhook = await findWebhookOrFail(deps.knex, params.id);
    const original = await findWebhookDelivery(deps.knex, webhook.id, params.delivery_id);
    if (!original) throw new NotFoundError('delivery', params.delivery_id);
    if (!isActive(webhook)) {
      throw new ConflictError('webhook_disabled', 'The webhook is disabled: enable it with PATCH /webhooks/:id {"active": true}, then re-send.', {
        webhook_id: webhook.id,
        disabled_reason: webhook.disabled_reason,
      });
    }
    if (original.status === 'pending') throw new ConflictError('delivery_pending', 'This delivery has not been attempted yet: it is queued.', { delivery_id: original.id });
    const now = Date.now();
    const lastAttempt = await findLastAttemptNumber(deps.knex, webhook.id, original.message_id);
    const retryId = await insertDelivery(deps.knex, {
      webhook_id: webhook.id,
      event_id: original.event_id,
      message_id: original.message_id,
      event_type: original.event_type,
      event_created_at: original.event_created_at,
      attempt: Number(lastAttempt ?? original.attempt) + 1,
      trigger: 'manual',
      status: 'pending',
      scheduled_at: now,
      created_at: now,
    });
    try {
      await enqueue(deps.deliveryQueue ?? deps.queue, 'webhook.deliver', { delivery_id: retryId, webhook_id: webhook.id, manual: true, scheduled_at: now });
    } catch (err) {
      await deleteDelivery(deps.knex, retryId);
      ctx.state.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'webhook re-send could not be queued');
      throw new AppError('retry_not_queued', 'The re-send could not be queued; try again.', { status: 503, expose: true });
    }
    ctx.status = 202;
    ctx.body = presentDelivery((await findDelivery(deps.knex, retryId))!);
  });
}

/** The public shape of a webhook: never a secret. */
function presentWebhook(w: Webhook, now = Date.now()) {
  return {
    id: Number(w.id),
    url: w.url,
    description: w.description,
    events: w.events,
    active: isActive(w),
    disabled_reason: w.disabled_reason,
    disabled_at: iso(w.disabled_at),
    consecutive_failures: Number(w.consecutive_failures),
    previous_secret_expires_at: w.previous_secret_sealed && (w.previous_secret_expires_at ?? 0) > now ? iso(w.previous_secret_expires_at) : null,
    created_at: iso(w.created_at)!,
    updated_at: iso(w.updated_at)!,
  };
}

/** The public shape of a delivery: its message id is the `event_id` receivers see. */
function presentDelivery(d: WebhookDelivery) {
  return {
    id: Number(d.id),
    webhook_id: Number(d.webhook_id),
    event_id: d.message_id,
    event_type: d.event_type,
    attempt: Number(d.attempt),
    trigger: d.trigger,
    status: d.status,
    status_code: d.status_code === null ? null : Number(d.status_code),
    duration_ms: d.duration_ms === null ? null : Number(d.duration_ms),
    error: d.error,
    scheduled_at: d.status === 'pending' ? iso(d.scheduled_at) : null,
    next_attempt_at: iso(d.next_attempt_at),
    created_at: iso(d.created_at)!,
    attempted_at: iso(d.attempted_at),
  };
}

/** Refuses a URL the address policy does not allow, as a 422 naming the field. */
async function checkUrl(url: string, policy: AddressPolicy): Promise<void> {
  try {
    await checkDestination(url, policy);
  } catch (err) {
    if (err instanceof UnsafeDestinationError) {
      throw new UnprocessableError('url_refused', `The webhook URL ${err.message}.`, { field: 'url', reason: err.message });
    }
    throw err;
  }
}

function encodeDeliveryCursor(id: number, status: string | undefined): string {
  return Buffer.from(JSON.stringify({ v: 1, id, s: status ?? null })).toString('base64url');
}

function decodeDeliveryCursor(cursor: string, status: string | undefined): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; id?: unknown; s?: unknown };
    if (parsed.v === 1 && Number.isSafeInteger(parsed.id) && (parsed.s ?? null) === (status ?? null)) return parsed.id as number;
  } catch {
    // falls through to the 400
  }
  const reason = 'is not a cursor this API made for these filters; pass the next_cursor of a previous page unchanged, with the same filters';
  throw new AppError('invalid_cursor', `The cursor ${reason}.`, { status: 400, details: [{ field: 'cursor', reason }] });
}

