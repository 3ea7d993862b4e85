import type { Knex } from 'knex';
import type { SecretBox } from '../lib/secret-box.ts';
import { BaseModel } from './base.ts';
import { dialectOf, foundOrFail } from './db.ts';
import { EVENT_TYPES, type EventType } from './event-types.ts';

/**
 * Webhooks: subscriber URLs that receive signed event notifications (Standard Webhooks).
 * Terminology:
 * - event: one row of the outbox (`domain_events`), e.g. `shipment.status_changed`;
 * - message: one event as one webhook receives it: a JSON body `{"id","type","created_at","data"}`
 *   whose `id` is also the `webhook-id` header, the same on every attempt;
 * - delivery: one attempt to POST a message to a webhook (`webhook_deliveries`, the delivery log,
 *   see webhook-deliveries.ts);
 * - failure run: a webhook's failed attempts in a row (`consecutive_failures` since `failing_since`);
 * - circuit: while `blocked_until` lies ahead, event deliveries to the webhook wait.
 */

/** What a webhook can subscribe to; `webhook.test` is only ever sent by the test button. */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES;
export const TEST_EVENT_TYPE = 'webhook.test';

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

export function isActive(webhook: Pick<Webhook, 'active'>): boolean {
  // SQLite answers booleans as 0/1.
  return Boolean(Number(webhook.active));
}

/** The secrets to sign with now: the current one, and the previous one while a rotation lasts. */
export function signingSecrets(webhook: Webhook, box: SecretBox, now = Date.now()): string[] {
  const secrets = [box.open(webhook.secret_sealed)];
  if (webhook.previous_secret_sealed && (webhook.previous_secret_expires_at ?? 0) > now) secrets.push(box.open(webhook.previous_secret_sealed));
  return secrets;
}

/** Every webhook, oldest first. */
export async function findWebhooks(knex: Knex): Promise<Webhook[]> {
  return Webhook.query(knex).orderBy('id');
}

export async function findWebhook(knex: Knex, id: number): Promise<Webhook | undefined> {
  return Webhook.query(knex).findById(id);
}

export async function findWebhookOrFail(knex: Knex, id: number): Promise<Webhook> {
  return foundOrFail(await findWebhook(knex, id), 'webhook', id);
}

/**
 * The webhook's row, locked (on MySQL) until the transaction ends, so that attempts finishing
 * together move its failure run one after the other.
 */
export async function findWebhookForUpdate(trx: Knex.Transaction, id: number): Promise<Webhook | undefined> {
  const q = Webhook.query(trx).findById(id);
  if (dialectOf(trx) === 'mysql') q.forUpdate();
  return q;
}

export interface NewWebhook {
  url: string;
  description: string | null;
  events: EventType[];
  active: boolean;
  disabled_at: number | null;
  secret_key_id: string;
  secret_sealed: string;
}

export async function insertWebhook(knex: Knex, webhook: NewWebhook): Promise<Webhook> {
  return Webhook.query(knex).insertAndFetch(webhook);
}

/** The columns a person may change (PATCH /webhooks/:id), and what enabling or disabling resets. */
export type WebhookChanges = Partial<
  Pick<Webhook, 'url' | 'description' | 'events' | 'disabled_reason' | 'disabled_at' | 'consecutive_failures' | 'failing_since' | 'blocked_until'> & { active: boolean }
>;

/** Returns how many rows changed (0: no such webhook). */
export async function updateWebhook(knex: Knex, id: number, changes: WebhookChanges, now = Date.now()): Promise<number> {
  const { events, ...columns } = changes;
  return knex('webhooks')
    .where({ id })
    .update({ ...columns, ...(events !== undefined ? { events: JSON.stringify(events) } : {}), updated_at: now });
}

/** Its delivery log goes with it (foreign key cascade). Returns how many rows went (0: no such webhook). */
export async function deleteWebhook(knex: Knex, id: number): Promise<number> {
  return knex('webhooks').where({ id }).delete();
}

/**
 * Replaces the signing secret of `webhook` as read, if no other rotation came first (compare-and-set
 * on the sealed secret); the replaced secret keeps signing for `keepPreviousMs` (0: not at all).
 * Returns whether this rotation won.
 */
export async function rotateWebhookSecret(
  knex: Knex,
  webhook: Pick<Webhook, 'id' | 'secret_key_id' | 'secret_sealed'>,
  current: { keyId: string; sealed: string },
  keepPreviousMs: number,
  now = Date.now(),
): Promise<boolean> {
  const keep = keepPreviousMs > 0;
  const changed = await knex('webhooks')
    .where({ id: webhook.id, secret_sealed: webhook.secret_sealed })
    .update({
      secret_key_id: current.keyId,
      secret_sealed: current.sealed,
      previous_secret_key_id: keep ? webhook.secret_key_id : null,
      previous_secret_sealed: keep ? webhook.secret_sealed : null,
      previous_secret_expires_at: keep ? now + keepPreviousMs : null,
      updated_at: now,
    });
  return changed > 0;
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

/** The active webhooks' ids by the event types they subscribe to. */
export async function findSubscribersByEventType(knex: Knex | Knex.Transaction): Promise<Map<string, number[]>> {
  const webhooks: { id: number; events: string }[] = await knex('webhooks').select('id', 'events').where({ active: true });
  const subscribers = new Map<string, number[]>();
  for (const w of webhooks) {
    for (const type of JSON.parse(w.events) as string[]) subscribers.set(type, [...(subscribers.get(type) ?? []), Number(w.id)]);
  }
  return subscribers;
}

/**
 * Takes the probe of a webhook whose circuit wait is over: moves `blocked_until` from the value
 * read to `probeUntil`, if no other delivery did first. Returns whether this one won.
 */
export async function claimCircuitProbe(knex: Knex, webhook: Pick<Webhook, 'id' | 'blocked_until'>, probeUntil: number): Promise<boolean> {
  const won = await knex('webhooks').where({ id: webhook.id, blocked_until: webhook.blocked_until }).update({ blocked_until: probeUntil });
  return won > 0;
}

/** A success ends the webhook's failure run and closes its circuit. */
export async function endFailureRun(knex: Knex, id: number, now = Date.now()): Promise<void> {
  await knex('webhooks').where({ id }).update({ consecutive_failures: 0, failing_since: null, blocked_until: null, updated_at: now });
}

/** A failed attempt's mark on the webhook: the failure run's new length, the circuit, and a reason to disable it, if any. */
export interface FailureRun {
  consecutiveFailures: number;
  failingSince: number;
  blockedUntil: number | null;
  disabledReason: string | null;
}

export async function recordFailureRun(knex: Knex, id: number, run: FailureRun, now = Date.now()): Promise<void> {
  await knex('webhooks')
    .where({ id })
    .update({
      consecutive_failures: run.consecutiveFailures,
      failing_since: run.failingSince,
      blocked_until: run.blockedUntil,
      ...(run.disabledReason !== null ? { active: false, disabled_reason: run.disabledReason.slice(0, 1000), disabled_at: now } : {}),
      updated_at: now,
    });
}
