import type { Knex } from 'knex';
import { NotFoundError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { Model } from 'objection';
import { BaseModel } from './base.ts';
import { EVENT_TYPES, type EventType } from './domain-events.ts';
import { iso } from './db.ts';

/**
 * Webhooks: subscriber URLs that receive signed event notifications (Standard Webhooks).
 * Terminology:
 * - event: one row of the outbox (`domain_events`), e.g. `shipment.status_changed`;
 * - message: one event as one webhook receives it: a JSON body `{"id","type","created_at","data"}`
 *   whose `id` is also the `webhook-id` header, the same on every attempt;
 * - delivery: one attempt to POST a message to a webhook (`webhook_deliveries`, the delivery log).
 */

/** What a webhook can subscribe to; `webhook.test` is only ever sent by the test button. */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES;
export const TEST_EVENT_TYPE = 'webhook.test';
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DELIVERY_TRIGGERS = ['event', 'manual', 'test'] as const;
export type DeliveryTrigger = (typeof DELIVERY_TRIGGERS)[number];

export class Webhook extends BaseModel {
  static override tableName = 'webhooks';
  static override jsonAttributes = ['events'];

  id!: number;
  url!: string;
  description!: string | null;
  events!: EventType[];
  active!: boolean | number;
  disabled_reason!: string | null;
  disabled_at!: number | null;
  secret_key_id!: string;
  secret_sealed!: string;
  previous_secret_key_id!: string | null;
  previous_secret_sealed!: string | null;
  previous_secret_expires_at!: number | null;
  consecutive_failures!: number;
  failing_since!: number | null;
  blocked_until!: number | null;
}

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

export function isActive(webhook: Pick<Webhook, 'active'>): boolean {
  // SQLite answers booleans as 0/1.
  return Boolean(Number(webhook.active));
}

export async function findWebhookOrFail(knex: Knex, id: number): Promise<Webhook> {
  const webhook = await Webhook.query(knex).findById(id);
  if (!webhook) throw new NotFoundError('webhook', id);
  return webhook;
}

/** The secrets to sign with now: the current one, and the previous one while a rotation lasts. */
export function signingSecrets(webhook: Webhook, box: SecretBox, now = Date.now()): string[] {
  const secrets = [box.open(webhook.secret_sealed)];
  if (webhook.previous_secret_sealed && (webhook.previous_secret_expires_at ?? 0) > now) secrets.push(box.open(webhook.previous_secret_sealed));
  return secrets;
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
  const event: { id: number; type: string; data: string; created_at: number } | undefined = await knex('domain_events').where({ id: delivery.event_id }).first();
  if (!event) return null;
  return messageBody({ id: delivery.message_id, type: event.type, createdAt: event.created_at, dataJson: event.data });
}

/** The public shape of a webhook: never a secret. */
export function presentWebhook(w: Webhook, now = Date.now()) {
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

export function presentDelivery(d: WebhookDelivery) {
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

/** Re-seals every webhook secret still sealed with an older key (SECRETS_KEY rotation). Returns how many webhooks changed. */
export async function resealWebhookSecrets(knex: Knex, box: SecretBox): Promise<number> {
  const stale = await Webhook.query(knex).where('secret_key_id', '!=', box.keyId).orWhere('previous_secret_key_id', '!=', box.keyId);
  for (const w of stale) {
    const current = box.seal(box.open(w.secret_sealed));
    const previous = w.previous_secret_sealed ? box.seal(box.open(w.previous_secret_sealed)) : null;
    await knex('webhooks')
      .where({ id: w.id, secret_sealed: w.secret_sealed })
      .update({ secret_key_id: current.keyId, secret_sealed: current.sealed, previous_secret_key_id: previous?.keyId ?? null, previous_secret_sealed: previous?.sealed ?? null });
  }
  return stale.length;
}
