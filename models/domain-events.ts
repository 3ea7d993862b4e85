import type { Knex } from 'knex';

/**
 * Things that happened, as subscribers hear about them. Written with `recordEvents` inside the
 * transaction of the change itself (the outbox pattern); delivering them is someone else's job.
 */
export const EVENT_TYPES = [
  'product.created',
  'product.updated',
  'product.deleted',
  'shipment.created',
  'shipment.status_changed',
  'sync.succeeded',
  'sync.failed',
  'import.succeeded',
  'import.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface DomainEvent {
  type: EventType;
  /** snake_case JSON, as the API speaks. */
  data: Record<string, unknown>;
}

export async function recordEvents(db: Knex | Knex.Transaction, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  const now = Date.now();
  // Chunked: a sync page or an import batch can change many shipments at once.
  for (let i = 0; i < events.length; i += 500) {
    await db('domain_events').insert(events.slice(i, i + 500).map((e) => ({ type: e.type, data: JSON.stringify(e.data), created_at: now, dispatched_at: null })));
  }
}
