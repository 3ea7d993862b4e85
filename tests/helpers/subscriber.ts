import type { Knex } from 'knex';
import type { EventType } from '../../models/event-types.ts';
import { insertWebhook } from '../../models/webhooks.ts';

/**
 * An active webhook subscribed to `events` whose circuit stays open for a day: the outbox keeps
 * the change events it subscribes to (see keptEventTypes in models/domain-events.ts), and nothing
 * is ever sent to it, so a test can read what was recorded without a receiver. Its secret is never
 * opened: an open circuit is checked before signing.
 */
export async function parkedSubscriber(knex: Knex, events: EventType[]): Promise<number> {
  const now = Date.now();
  const webhook = await insertWebhook(knex, {
    url: 'https://hooks.example.com/shipsync',
    description: 'parked test subscriber',
    events,
    active: true,
    disabled_at: null,
    secret_key_id: 'unused',
    secret_sealed: 'unused',
  });
  await knex('webhooks').where({ id: webhook.id }).update({ consecutive_failures: 1, failing_since: now, blocked_until: now + 24 * 3_600_000 });
  return webhook.id;
}
