import type { Knex } from 'knex';
import { Model } from 'objection';
import { findEvent } from './domain-events.ts';
import { deleteRowsById } from './db.ts';
import { TEST_EVENT_TYPE } from './webhooks.ts';

/**
 * The delivery log: one row per attempt to POST a message to a webhook (see webhooks.ts for the
 * terms). A pending row is an attempt still to make; its `scheduled_at` is when its job is due,
 * and the sweep publishes again a pending row whose job is long overdue. A finished attempt is
 * never changed again: the next attempt is a new row with `attempt` + 1.
 */

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DELIVERY_TRIGGERS = ['event', 'manual', 'test'] as const;
export type DeliveryTrigger = (typeof DELIVERY_TRIGGERS)[number];

/** One delivery attempt (the log row is its own history: no updated_at). */
export class WebhookDelivery extends Model {
  static override tableName = 'webhook_deliveries';

  id!: number;
  webhook_id!: number;
  event_id!: number | null;
  message_id!: string;
  event_type!: string;
  event_created_at!: number;
  attempt!: number;
  trigger!: DeliveryTrigger;
  status!: DeliveryStatus;
  status_code!: number | null;
  duration_ms!: number | null;
  error!: string | null;
  scheduled_at!: number | null;
  next_attempt_at!: number | null;
  attempted_at!: number | null;
  created_at!: number;
}

/** The message id (`webhook-id`, body `id`) of an outbox event. */
export function messageIdOf(eventId: number): string {
  return `evt_${eventId}`;
}

/**
 * The message body. `dataJson` is spliced in as stored, so every attempt sends the same bytes
 * (and a receiver that hashes bodies sees the same hash).
 */
export function messageBody(m: { id: string; type: string; createdAt: number; dataJson: string }): string {
  return `{"id":${JSON.stringify(m.id)},"type":${JSON.stringify(m.type)},"created_at":${JSON.stringify(new Date(Number(m.createdAt)).toISOString())},"data":${m.dataJson}}`;
}

/** The data of a `webhook.test` message, rebuilt identically for a re-send. */
export function testEventData(webhookId: number): string {
  return JSON.stringify({ webhook_id: Number(webhookId), message: 'A test event from shipsync: your endpoint is reachable and can verify signatures.' });
}

/** The body of the message a delivery row carries, or null when its event is gone. */
export async function loadMessageBody(knex: Knex, delivery: WebhookDelivery): Promise<string | null> {
  if (delivery.event_id === null) {
    if (delivery.event_type !== TEST_EVENT_TYPE) return null;
    return messageBody({ id: delivery.message_id, type: TEST_EVENT_TYPE, createdAt: delivery.event_created_at, dataJson: testEventData(delivery.webhook_id) });
  }
  const event = await findEvent(knex, delivery.event_id);
  if (!event) return null;
  return messageBody({ id: delivery.message_id, type: event.type, createdAt: event.created_at, dataJson: event.data });
}

export async function findDelivery(knex: Knex, id: number): Promise<WebhookDelivery | undefined> {
  return WebhookDelivery.query(knex).findById(id);
}

/** A delivery of the given webhook (undefined when it belongs to another one). */
export async function findWebhookDelivery(knex: Knex, webhookId: number, id: number): Promise<WebhookDelivery | undefined> {
  return WebhookDelivery.query(knex).findOne({ id, webhook_id: webhookId });
}

/** Up to `limit` deliveries of a webhook, newest first, older than `beforeId` when given. */
export async function findDeliveriesPage(knex: Knex, webhookId: number, page: { limit: number; status?: DeliveryStatus; beforeId?: number }): Promise<WebhookDelivery[]> {
  const query = WebhookDelivery.query(knex).where('webhook_id', webhookId).orderBy('id', 'desc').limit(page.limit);
  if (page.status) query.where('status', page.status);
  if (page.beforeId !== undefined) query.where('id', '<', page.beforeId);
  return query;
}

/** The highest attempt number logged for one message to one webhook, or null when none is. */
export async function findLastAttemptNumber(knex: Knex, webhookId: number, messageId: string): Promise<number | null> {
  const last = (await knex('webhook_deliveries').max({ attempt: 'attempt' }).where({ webhook_id: webhookId, message_id: messageId }).first()) as { attempt: number | null } | undefined;
  return last?.attempt ?? null;
}

/** A delivery row to write: a pending attempt (`scheduled_at` set) or, for the test button, one already made. */
export interface NewDelivery {
  webhook_id: number;
  event_id: number | null;
  message_id: string;
  event_type: string;
  event_created_at: number;
  attempt: number;
  trigger: DeliveryTrigger;
  status: DeliveryStatus;
  scheduled_at?: number | null;
  status_code?: number | null;
  duration_ms?: number | null;
  error?: string | null;
  attempted_at?: number | null;
  created_at: number;
}

/** Writes one delivery row and returns its id. */
export async function insertDelivery(knex: Knex, delivery: NewDelivery): Promise<number> {
  const [id] = await knex('webhook_deliveries').insert(delivery);
  return Number(id);
}

/**
 * Writes the first attempts of events just claimed (in the claiming transaction) and returns
 * their ids. The events were unclaimed until now, so every first attempt of them is one of these.
 */
export async function insertFirstAttempts(trx: Knex.Transaction, deliveries: NewDelivery[]): Promise<{ id: number; webhookId: number }[]> {
  if (deliveries.length === 0) return [];
  for (let i = 0; i < deliveries.length; i += 500) await trx('webhook_deliveries').insert(deliveries.slice(i, i + 500));
  const eventIds = [...new Set(deliveries.map((d) => d.event_id))].filter((id): id is number => id !== null);
  const inserted: { id: number; webhook_id: number }[] = await trx('webhook_deliveries')
    .select('id', 'webhook_id')
    .whereIn('event_id', eventIds)
    .where({ attempt: 1, trigger: 'event' })
    .orderBy('id');
  return inserted.map((r) => ({ id: Number(r.id), webhookId: Number(r.webhook_id) }));
}

export async function deleteDelivery(knex: Knex, id: number): Promise<void> {
  await knex('webhook_deliveries').where({ id }).delete();
}

/** Moves a pending delivery's `scheduled_at` (when its job is due). */
export async function rescheduleDelivery(knex: Knex, id: number, scheduledAt: number): Promise<void> {
  await knex('webhook_deliveries').where({ id, status: 'pending' }).update({ scheduled_at: scheduledAt });
}

/** Pending deliveries whose job was due before `dueBefore`, most overdue first. */
export async function findOverdueDeliveries(knex: Knex, dueBefore: number, limit = 500): Promise<Pick<WebhookDelivery, 'id' | 'webhook_id' | 'scheduled_at' | 'trigger'>[]> {
  return knex('webhook_deliveries').select('id', 'webhook_id', 'scheduled_at', 'trigger').where('status', 'pending').where('scheduled_at', '<', dueBefore).orderBy('scheduled_at').limit(limit);
}

/**
 * Takes an overdue delivery to publish it again: a compare-and-set of `scheduled_at` from the
 * value read to `scheduledAt`, so of several sweeping workers one wins. Returns whether this one did.
 */
export async function claimOverdueDelivery(knex: Knex, delivery: Pick<WebhookDelivery, 'id' | 'scheduled_at'>, scheduledAt: number): Promise<boolean> {
  const won = await knex('webhook_deliveries').where({ id: delivery.id, status: 'pending', scheduled_at: delivery.scheduled_at }).update({ scheduled_at: scheduledAt });
  return won === 1;
}

/** Ends a pending delivery as failed without an attempt (nothing was sent), saying why. */
export async function failPendingDelivery(knex: Knex, id: number, error: string): Promise<void> {
  await knex('webhook_deliveries').where({ id, status: 'pending' }).update({ status: 'failed', error, scheduled_at: null });
}

/** What one attempt came to, as the log keeps it. */
export interface AttemptOutcome {
  status: 'succeeded' | 'failed';
  statusCode: number | null;
  durationMs: number | null;
  attemptedAt: number;
  error: string | null;
  /** When the next attempt is due (a failed event delivery that is retried). */
  nextAttemptAt?: number | null;
}

/** Logs the attempt on its pending row. Returns false when the row was not pending any more (another job recorded it). */
export async function recordDeliveryAttempt(knex: Knex, id: number, outcome: AttemptOutcome): Promise<boolean> {
  const changed = await knex('webhook_deliveries')
    .where({ id, status: 'pending' })
    .update({
      status_code: outcome.statusCode,
      duration_ms: outcome.durationMs,
      attempted_at: outcome.attemptedAt,
      scheduled_at: null,
      status: outcome.status,
      error: outcome.error === null ? null : outcome.error.slice(0, 1000),
      ...(outcome.nextAttemptAt !== undefined ? { next_attempt_at: outcome.nextAttemptAt } : {}),
    });
  return changed > 0;
}

/**
 * Deletes up to `limit` finished attempts with `status` created before `beforeMs` (never a
 * pending one); returns how many. Oldest first along the `(created_at, id)` index, then by
 * primary key in one short statement, so the deliveries being written are never locked.
 */
export async function pruneDeliveryLog(knex: Knex, status: Exclude<DeliveryStatus, 'pending'>, beforeMs: number, limit: number): Promise<number> {
  const rows: { id: number | string }[] = await knex('webhook_deliveries').select('id').where('created_at', '<', beforeMs).where('status', status).orderBy('created_at').orderBy('id').limit(limit);
  return deleteRowsById(knex, 'webhook_deliveries', rows, (q) => q.where('status', status));
}
