import type { Knex } from 'knex';
import { deleteRowsById, dialectOf } from './db.ts';
import { isOutcomeEvent, type EventType } from './event-types.ts';
import { findSubscribersByEventType } from './webhooks.ts';

/**
 * Things that happened, as subscribers hear about them. Written with `recordEvents` inside the
 * transaction of the change itself (the outbox pattern); delivering them is someone else's job.
 */
export interface DomainEvent {
  type: EventType;
  /** snake_case JSON, as the API speaks. */
  data: Record<string, unknown>;
}

/** Whether the outbox keeps an event of a type: see `keptEventTypes`. */
export type KeptEventTypes = (type: EventType) => boolean;

/**
 * Which events the outbox keeps now: every outcome event (`isOutcomeEvent`), and each change event
 * some active webhook subscribes to. A change nobody listens for is not kept: every stored shipment
 * and product would otherwise leave a row (with the whole record as its body) for the relay to
 * claim and the pruning to delete, for no reader. A webhook hears of the changes committed after
 * it was created, as the relay only ever fans out to the webhooks active when it claims an event.
 * A caller that builds costly bodies asks first and passes the answer to `recordEvents`.
 */
export async function keptEventTypes(db: Knex | Knex.Transaction): Promise<KeptEventTypes> {
  const subscribers = await findSubscribersByEventType(db);
  return (type) => isOutcomeEvent(type) || subscribers.has(type);
}

/** Writes the events the outbox keeps (`kept`, or `keptEventTypes` asked now). */
export async function recordEvents(db: Knex | Knex.Transaction, all: DomainEvent[], kept?: KeptEventTypes): Promise<void> {
  if (all.length === 0) return;
  const keep = kept ?? (all.every((e) => isOutcomeEvent(e.type)) ? isOutcomeEvent : await keptEventTypes(db));
  const events = all.filter((e) => keep(e.type));
  if (events.length === 0) return;
  const now = Date.now();
  // Chunked: a sync page or an import batch can change many shipments at once.
  for (let i = 0; i < events.length; i += 500) {
    await db('domain_events').insert(events.slice(i, i + 500).map((e) => ({ type: e.type, data: JSON.stringify(e.data), created_at: now, dispatched_at: null })));
  }
}

/** An outbox event as the relay fans it out. */
export interface PendingEvent {
  id: number;
  type: string;
  created_at: number;
}

/** Another relay set `dispatched_at` on some of the events read first: the transaction must roll back. */
export class ClaimLostError extends Error {
  constructor() {
    super('another relay claimed some of these events first');
  }
}

/**
 * Claims up to `limit` undispatched events, oldest first, by setting `dispatched_at` where it is
 * still NULL; throws ClaimLostError when that does not change every row read. On MySQL the read
 * skips rows other relays hold locked (`FOR UPDATE SKIP LOCKED`), so relays take disjoint
 * batches; run it in the transaction that writes the events' pending deliveries.
 */
export async function claimNewEvents(trx: Knex.Transaction, limit: number, now = Date.now()): Promise<PendingEvent[]> {
  const q = trx('domain_events').select('id', 'type', 'created_at').whereNull('dispatched_at').orderBy('id').limit(limit);
  if (dialectOf(trx) === 'mysql') q.forUpdate().skipLocked();
  const events: PendingEvent[] = await q;
  if (events.length === 0) return events;
  const marked = await trx('domain_events')
    .whereIn(
      'id',
      events.map((e) => Number(e.id)),
    )
    .whereNull('dispatched_at')
    .update({ dispatched_at: now });
  if (marked !== events.length) throw new ClaimLostError();
  return events;
}

/** One stored event, its `data` as the JSON text written. */
export async function findEvent(knex: Knex, id: number): Promise<{ id: number; type: string; data: string; created_at: number } | undefined> {
  return knex('domain_events').where({ id }).first();
}

/**
 * Deletes up to `limit` events created before `beforeMs` that were dispatched and that no pending
 * or failed delivery attempt still reads its body from (a failed one can be re-sent while it is
 * kept); returns how many. Oldest first along the
 * `(created_at, id)` index, then by primary key in one short statement: new events (the other
 * end of the table) are never locked.
 */
export async function pruneDispatchedEvents(knex: Knex, beforeMs: number, limit: number): Promise<number> {
  const rows: { id: number | string }[] = await knex('domain_events as e')
    .select('e.id')
    .where('e.created_at', '<', beforeMs)
    .whereNotNull('e.dispatched_at')
    .whereNotExists(knex('webhook_deliveries as d').select(knex.raw('1')).whereRaw('d.event_id = e.id').whereIn('d.status', ['pending', 'failed']))
    .orderBy('e.created_at')
    .orderBy('e.id')
    .limit(limit);
  return deleteRowsById(knex, 'domain_events', rows, (q) => q.whereNotNull('dispatched_at'));
}
