import type { Knex } from 'knex';

/**
 * The statements of `tracking_events`: a shipment's timeline, one row per observation, unique
 * by `(shipment_id, dedupe_key)` so the same observation stored twice is stored once.
 */

/** A tracking event as stored (crawler/sync/shipments.ts makes them from records). */
export interface TrackingEventRow {
  shipment_id: number;
  source: string;
  status: string | null;
  raw_status: string;
  description: string | null;
  location: string | null;
  occurred_at: number;
  dedupe_key: string;
  created_at: number;
}

/** The event an outbox entry names as the cause of a status change (`occurred_at` in epoch ms). */
export interface DecidingEventRow {
  status: string;
  raw_status: string;
  description: string | null;
  location: string | null;
  source: string;
  occurred_at: number;
}

/** Inserts events; one already stored (same shipment and dedupe key) is left as it is. */
export async function insertTrackingEvents(trx: Knex.Transaction, rows: TrackingEventRow[]): Promise<void> {
  // Chunked: a step of a few hundred shipments carries thousands of events, and SQLite's multi-row
  // insert is a compound SELECT of at most 500 terms.
  for (let i = 0; i < rows.length; i += 500) {
    await trx('tracking_events').insert(rows.slice(i, i + 500)).onConflict(['shipment_id', 'dedupe_key']).ignore();
  }
}

/** Which `(shipment_id, dedupe_key)` pairs among these shipments and keys are stored already. */
export async function findStoredEventKeys(trx: Knex.Transaction, shipmentIds: number[], dedupeKeys: string[]): Promise<{ shipment_id: number; dedupe_key: string }[]> {
  const rows: { shipment_id: number; dedupe_key: string }[] = await trx('tracking_events').select('shipment_id', 'dedupe_key').whereIn('shipment_id', shipmentIds).whereIn('dedupe_key', dedupeKeys);
  return rows.map((r) => ({ shipment_id: Number(r.shipment_id), dedupe_key: r.dedupe_key }));
}

/**
 * The tracking event each shipment's current status comes from: its latest status event by
 * time (the one at `status_at`; of two at the same time, the later stored).
 */
export async function findDecidingEvents(trx: Knex.Transaction, shipmentIds: number[]): Promise<Map<number, DecidingEventRow>> {
  const found = new Map<number, DecidingEventRow>();
  if (shipmentIds.length === 0) return found;
  const rows: ({ shipment_id: number } & DecidingEventRow)[] = await trx('tracking_events as e')
    .join('shipments as s', function () {
      this.on('s.id', '=', 'e.shipment_id').andOn('s.status_at', '=', 'e.occurred_at');
    })
    .select('e.shipment_id', 'e.status', 'e.raw_status', 'e.description', 'e.location', 'e.source', 'e.occurred_at')
    .whereIn('s.id', shipmentIds)
    .whereNotNull('e.status')
    .orderBy('e.id', 'desc');
  for (const e of rows) {
    const id = Number(e.shipment_id);
    if (found.has(id)) continue;
    found.set(id, { status: e.status, raw_status: e.raw_status, description: e.description, location: e.location, source: e.source, occurred_at: Number(e.occurred_at) });
  }
  return found;
}

/** Which of `shipmentIds` have any event (with a status or not) that happened at or after `sinceMs`. */
export async function findShipmentIdsWithEventsSince(knex: Knex, shipmentIds: number[], sinceMs: number): Promise<Set<number>> {
  const rows: { shipment_id: number | string }[] = await knex('tracking_events').distinct('shipment_id').whereIn('shipment_id', shipmentIds).andWhere('occurred_at', '>=', sinceMs);
  return new Set(rows.map((r) => Number(r.shipment_id)));
}
