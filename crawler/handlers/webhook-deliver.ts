import { webhookDeliveries } from '../../lib/metrics.ts';
import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import { ShutdownError } from '../../lib/errors.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { PostResult, WebhookSender } from '../../lib/standard-webhooks.ts';
import {
  failPendingDelivery,
  findDelivery,
  insertDelivery,
  loadMessageBody,
  recordDeliveryAttempt,
  rescheduleDelivery,
  type WebhookDelivery,
} from '../../models/webhook-deliveries.ts';
import { claimCircuitProbe, endFailureRun, findWebhook, findWebhookForUpdate, isActive, recordFailureRun, signingSecrets, type Webhook } from '../../models/webhooks.ts';
import type { JobContext, RetryLater } from '../consume.ts';
import type { JobPayload } from '../jobs.ts';
import type { InFlightDeliveries } from '../webhooks/in-flight-deliveries.ts';
import { retryDelayMs, type WebhookOptions } from '../webhooks/options.ts';

export interface WebhookDeliverDeps {
  knex: Knex;
  secretBox: SecretBox;
  logger: Logger;
  options: WebhookOptions;
  sender: WebhookSender;
  inFlight: InFlightDeliveries;
}

type Payload = JobPayload<'webhook.deliver'>;

/** The longest a deferred delivery waits before looking again whether a slow receiver has room. */
const MAX_DEFER_MS = 30_000;

/**
 * One attempt of one pending delivery (see crawler/webhooks/options.ts for the schedule, the
 * circuit and the disabling rule). Never sleeps: every wait is the queue's delayed retry.
 *
 * - the webhook's circuit is open, or the receiver is slow and this worker has no slot for it:
 *   the job comes back later; nothing is sent, no attempt counted. Decided from this worker's
 *   memory first, so a backlog waiting on a dead receiver costs no database reads;
 * - the row is not pending any more: a duplicate job, nothing to do;
 * - the webhook is disabled: the row fails with that reason, nothing is sent;
 * - otherwise POST, log the attempt and update the webhook's failure run in one transaction;
 *   a failed event delivery writes the next pending attempt there too and comes back with it.
 */
export async function handleWebhookDeliver(deps: WebhookDeliverDeps, payload: Payload, ctx: JobContext): Promise<void | RetryLater> {
  const { options, inFlight } = deps;
  // A manual re-send is a person asking now: it skips the circuit (and may close it).
  const knownBlockedUntil = payload.manual ? 0 : inFlight.blockedUntil(payload.webhook_id);
  if (knownBlockedUntil > Date.now()) return deferUntilCircuit(deps, payload, knownBlockedUntil);
  // The slot is taken here, synchronously, so deliveries arriving together cannot all pass.
  const done = inFlight.tryStart(payload.webhook_id, options);
  if (!done) {
    // Waits grow with each deferral, so a long backlog for a slow receiver costs few requeues.
    const deferrals = payload.deferrals ?? 0;
    const waitMs = Math.min(MAX_DEFER_MS, Math.max(100, options.slowAfterMs) * 2 ** Math.min(deferrals, 10));
    return defer(deps, payload, waitMs + jitterMs(waitMs));
  }
  let released = false;
  const release = () => {
    if (!released) done();
    released = true;
  };
  let ready: Ready | RetryLater | null;
  let result: PostResult;
  try {
    ready = await prepare(deps, payload);
    if (ready === null || 'retryAfterMs' in ready) return ready ?? undefined;
    result = await deps.sender.post({
      url: ready.webhook.url,
      messageId: ready.delivery.message_id,
      body: ready.body,
      secrets: signingSecrets(ready.webhook, deps.secretBox),
      timeoutMs: options.timeoutMs,
      signal: ctx.signal,
    });
  } finally {
    release();
  }
  const { delivery, webhook } = ready;
  // Shutdown cut the request: the job goes back as it is and the row stays pending.
  if (result.aborted) throw new ShutdownError();
  inFlight.record(webhook.id, result.durationMs);

  const next = await recordAttempt(deps, webhook, delivery, result);
  webhookDeliveries.inc({ outcome: result.ok ? 'succeeded' : next ? 'failed' : 'given_up' });
  // Never the URL (it can hold a token) nor the body; a child logger only when there is a line to write.
  if (!result.ok) {
    deps.logger.info(
      { webhook_id: webhook.id, delivery_id: delivery.id, event: delivery.message_id, attempt: delivery.attempt, status_code: result.statusCode, duration_ms: result.durationMs, error: result.error, next_delivery_id: next?.id ?? null },
      'webhook delivery failed',
    );
  }
  if (next) return { retryAfterMs: next.delayMs, countAttempt: false, payload: { delivery_id: next.id, webhook_id: webhook.id, scheduled_at: Date.now() + next.delayMs } };
}

interface Ready {
  delivery: WebhookDelivery;
  webhook: Webhook;
  body: string;
}

/** Reads what the attempt needs; null when there is nothing to send, a RetryLater when the circuit says wait. */
async function prepare(deps: WebhookDeliverDeps, payload: Payload): Promise<Ready | RetryLater | null> {
  const { knex, options } = deps;
  const delivery = await findDelivery(knex, payload.delivery_id);
  if (!delivery || delivery.status !== 'pending') return null;
  const webhook = await findWebhook(knex, delivery.webhook_id);
  if (!webhook) return null;
  if (!isActive(webhook)) {
    await failPendingDelivery(knex, delivery.id, `Not sent: the webhook is disabled${webhook.disabled_reason ? ` (${webhook.disabled_reason})` : ''}.`);
    return null;
  }
  deps.inFlight.noteCircuit(webhook.id, webhook.blocked_until === null ? 0 : Number(webhook.blocked_until));
  if (delivery.trigger === 'event' && webhook.blocked_until !== null) {
    const now = Date.now();
    const blockedUntil = Number(webhook.blocked_until);
    if (blockedUntil > now) return deferUntilCircuit(deps, payload, blockedUntil);
    // The wait is over: one delivery probes the receiver, the rest wait for its answer. The
    // probe holds the circuit for one timeout, so a probe whose worker died is taken over.
    const probeUntil = now + options.timeoutMs + 1_000;
    if (!(await claimCircuitProbe(knex, webhook, probeUntil))) return deferUntilCircuit(deps, payload, probeUntil);
  }
  const body = await loadMessageBody(knex, delivery);
  if (body === null) {
    await failPendingDelivery(knex, delivery.id, 'Not sent: the event is no longer stored.');
    return null;
  }
  return { delivery, webhook, body };
}

function deferUntilCircuit(deps: WebhookDeliverDeps, payload: Payload, blockedUntil: number): Promise<RetryLater> {
  const waitMs = Math.max(0, blockedUntil - Date.now());
  return defer(deps, payload, waitMs + jitterMs(Math.max(waitMs, 1_000)));
}

/**
 * Nothing sent: the job comes back after `waitMs`. The row's `scheduled_at` (which the job
 * carries) is moved only when the sweep would otherwise soon take the job for lost: a backlog
 * of deferred deliveries costs queue messages, not a database write each.
 */
async function defer(deps: WebhookDeliverDeps, payload: Payload, waitMs: number): Promise<RetryLater> {
  const delayMs = Math.max(1, Math.round(waitMs));
  const dueAt = Date.now() + delayMs;
  let scheduledAt = payload.scheduled_at;
  if (scheduledAt === undefined || dueAt - scheduledAt > deps.options.sweepAfterMs / 2) {
    await rescheduleDelivery(deps.knex, payload.delivery_id, dueAt);
    scheduledAt = dueAt;
  }
  return { retryAfterMs: delayMs, countAttempt: false, payload: { ...payload, scheduled_at: scheduledAt, deferrals: (payload.deferrals ?? 0) + 1 } };
}

/** Up to a tenth of the wait (at most 2 s), so deferred deliveries do not all come back at once. */
function jitterMs(waitMs: number): number {
  return Math.random() * Math.min(2_000, waitMs / 10);
}

/**
 * Logs the attempt and moves the webhook's failure run, in one transaction; for a failed event
 * delivery still inside its retry window, writes the next pending attempt and returns it.
 */
async function recordAttempt(
  deps: WebhookDeliverDeps,
  seen: Webhook,
  delivery: WebhookDelivery,
  result: PostResult,
): Promise<{ id: number; delayMs: number } | null> {
  const webhookId = seen.id;
  if (result.ok && Number(seen.consecutive_failures) === 0 && seen.blocked_until === null) {
    // The common case, a success to a healthy webhook: one statement, no failure run to end.
    deps.inFlight.noteCircuit(webhookId, 0);
    await recordDeliveryAttempt(deps.knex, delivery.id, { status: 'succeeded', statusCode: result.statusCode, durationMs: result.durationMs, attemptedAt: Date.now(), error: null });
    return null;
  }
  return deps.knex.transaction(async (trx) => {
    const now = Date.now();
    const attempt = { statusCode: result.statusCode, durationMs: result.durationMs, attemptedAt: now };
    const webhook = await findWebhookForUpdate(trx, webhookId);

    if (result.ok) {
      const changed = await recordDeliveryAttempt(trx, delivery.id, { ...attempt, status: 'succeeded', error: null });
      // Most deliveries succeed to a healthy webhook: write its row only when there is a failure run to end.
      deps.inFlight.noteCircuit(webhookId, 0);
      if (changed && webhook && (Number(webhook.consecutive_failures) > 0 || webhook.blocked_until !== null)) await endFailureRun(trx, webhookId, now);
      return null;
    }

    const circuit = await countFailure(deps, trx, webhook, result, now);
    const { next, note } = delivery.trigger === 'event' ? await scheduleNextAttempt(trx, deps.options, delivery, circuit, now) : { next: null, note: '' };
    const changed = await recordDeliveryAttempt(trx, delivery.id, { ...attempt, status: 'failed', error: (result.error ?? 'Failed.') + note, nextAttemptAt: next ? now + next.delayMs : null });
    // Another delivery of this same job recorded it first: its outcome stands, ours rolls back.
    if (!changed) throw new DuplicateAttempt();
    return next;
  }).catch((err: unknown) => {
    if (err instanceof DuplicateAttempt) return null;
    throw err;
  });
}

/**
 * A failed attempt lengthens the webhook's failure run: its circuit opens for the retry delay,
 * and a 410, or failures for long enough, disable it with the reason.
 */
async function countFailure(deps: WebhookDeliverDeps, trx: Knex.Transaction, webhook: Webhook | undefined, result: PostResult, now: number): Promise<{ active: boolean; disabledNow: boolean }> {
  if (!webhook || !isActive(webhook)) return { active: false, disabledNow: false };
  const { options } = deps;
  const failures = Number(webhook.consecutive_failures) + 1;
  const failingSince = webhook.failing_since === null ? now : Number(webhook.failing_since);
  let disable: string | null = null;
  if (result.statusCode === 410) {
    disable = 'The receiver answered 410 Gone: it no longer wants these events. Fix the URL or enable the webhook again.';
  } else if (failures >= options.disableAfterFailures && now - failingSince >= options.disableAfterMs) {
    disable = `Disabled after ${failures} failed deliveries in a row over ${formatDuration(now - failingSince)}; the last: ${result.error ?? 'Failed.'}`;
  }
  const blockedUntil = disable ? null : now + retryDelayMs(failures, options);
  deps.inFlight.noteCircuit(webhook.id, blockedUntil ?? 0);
  await recordFailureRun(trx, webhook.id, { consecutiveFailures: failures, failingSince, blockedUntil, disabledReason: disable }, now);
  return { active: !disable, disabledNow: disable !== null };
}

/**
 * The next attempt of an event's delivery, as a pending row, unless the webhook is disabled or
 * the event would be older than `maxAgeMs` by then; `note` says why there is none.
 */
async function scheduleNextAttempt(
  trx: Knex.Transaction,
  options: WebhookOptions,
  delivery: WebhookDelivery,
  circuit: { active: boolean; disabledNow: boolean },
  now: number,
): Promise<{ next: { id: number; delayMs: number } | null; note: string }> {
  const delayMs = retryDelayMs(delivery.attempt, options);
  if (!circuit.active) return { next: null, note: circuit.disabledNow ? ' The webhook was disabled: no further attempts.' : ' The webhook is disabled: no further attempts.' };
  if (now + delayMs - Number(delivery.event_created_at) > options.maxAgeMs) {
    return { next: null, note: ` Given up after ${delivery.attempt} attempts over ${formatDuration(now - Number(delivery.event_created_at))}.` };
  }
  const id = await insertDelivery(trx, {
    webhook_id: delivery.webhook_id,
    event_id: delivery.event_id,
    message_id: delivery.message_id,
    event_type: delivery.event_type,
    event_created_at: delivery.event_created_at,
    attempt: delivery.attempt + 1,
    trigger: 'event',
    status: 'pending',
    scheduled_at: now + delayMs,
    created_at: now,
  });
  return { next: { id, delayMs }, note: '' };
}

class DuplicateAttempt extends Error {}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}
