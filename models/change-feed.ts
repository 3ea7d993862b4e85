import type { Knex } from 'knex';
import { dialectOf } from './db.ts';
import type { ShipmentStatus } from './shipment.ts';

/**
 * The shipments change feed as the clock's readers follow it (scheduler/follow-shipments.ts):
 * shipments in (`updated_at`, `id`) order after a position, and each reader's position in
 * `clock_cursors`.
 */

export interface ShipmentChange {
  id: number;
  carrier: string | null;
  tracking_number: string | null;
  status: ShipmentStatus;
  receiver_country: string | null;
  receiver_postal_code: string | null;
  receiver_city: string | null;
  location_id: number | null;
  updated_at: number;
}

/** Where a reader stands: the last (`updated_at`, `id`) it read. */
export interface FeedPosition {
  position: number;
  lastId: number;
}

const COLUMNS = ['id', 'carrier', 'tracking_number', 'status', 'receiver_country', 'receiver_postal_code', 'receiver_city', 'location_id', 'updated_at'];

/** Up to `limit` shipments changed after `after`, oldest change first, read from `shipments_updated_idx`. */
export async function findShipmentChanges(knex: Knex, after: FeedPosition, limit: number): Promise<ShipmentChange[]> {
  const rows = (await knex
    .select(COLUMNS.map((c) => `shipments.${c}`))
    .from(feedTable(knex))
    .where((w) => w.where('shipments.updated_at', '>', after.position).orWhere((o) => o.where('shipments.updated_at', after.position).andWhere('shipments.id', '>', after.lastId)))
    .orderBy([
      { column: 'shipments.updated_at', order: 'asc' },
      { column: 'shipments.id', order: 'asc' },
    ])
    .limit(limit)) as ShipmentChange[];
  return rows.map((r) => ({ ...r, id: Number(r.id), updated_at: Number(r.updated_at), location_id: r.location_id === null ? null : Number(r.location_id) }));
}

function feedTable(knex: Knex): Knex.Raw {
  return dialectOf(knex) === 'mysql'
    ? knex.raw('?? FORCE INDEX (??)', ['shipments', 'shipments_updated_idx'])
    : knex.raw('?? INDEXED BY ??', ['shipments', 'shipments_updated_idx']);
}

/** Reader `name`'s saved position, or undefined before its first save. */
export async function findFeedPosition(knex: Knex, name: string): Promise<FeedPosition | undefined> {
  const saved = (await knex('clock_cursors').where({ name }).first()) as { position: number | string; last_id: number | string } | undefined;
  return saved ? { position: Number(saved.position), lastId: Number(saved.last_id) } : undefined;
}

export async function saveFeedPosition(knex: Knex, name: string, at: FeedPosition): Promise<void> {
  const row = { name, position: at.position, last_id: at.lastId, updated_at: Date.now() };
  await knex('clock_cursors').insert(row).onConflict('name').merge(['position', 'last_id', 'updated_at']);
}
