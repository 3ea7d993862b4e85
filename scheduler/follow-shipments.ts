import type { Knex } from 'knex';
import { dialectOf } from '../models/db.ts';
import type { ShipmentStatus } from '../models/shipment.ts';

/**
 * The clock follows the shipments change feed (`updated_at`, `id` ascending, the same order as
 * `GET /shipments?updated_since=`) to see new and changed shipments whatever wrote them: a
 * sync page, a file import, a tracking poll. Each reader keeps its own position in
 * `clock_cursors`.
 *
 * A writer stamps `updated_at` before its transaction commits, so a row can appear slightly
 * behind a position already read. The saved position therefore never passes `slackMs` before
 * the wall clock (`updated_at` is written with the wall clock): rows changed in the last
 * `slackMs` are read again by the next call, which is harmless because every reader's work is an
 * idempotent upsert, and bounded by the write rate of those few minutes.
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

const COLUMNS = ['id', 'carrier', 'tracking_number', 'status', 'receiver_country', 'receiver_postal_code', 'receiver_city', 'location_id', 'updated_at'];

export interface FollowOptions {
  pageSize?: number;
  /** Pages read per call at most; the rest waits for the next fire. */
  maxPages?: number;
  slackMs?: number;
}

/** Reads the changes after reader `name`'s position, one page at a time, and moves the position. Returns rows read. */
export async function followShipmentChanges(knex: Knex, name: string, onPage: (rows: ShipmentChange[]) => Promise<void>, opts: FollowOptions = {}): Promise<number> {
  const pageSize = opts.pageSize ?? 1_000;
  const maxPages = opts.maxPages ?? 10;
  const slackMs = opts.slackMs ?? 120_000;
  const saved = (await knex('clock_cursors').where({ name }).first()) as { position: number | string; last_id: number | string } | undefined;
  // First run: from the beginning, so shipments stored before the clock existed count too.
  let position = saved ? Number(saved.position) : -1;
  let lastId = saved ? Number(saved.last_id) : -1;
  const horizon = Date.now() - slackMs;
  let read = 0;
  for (let page = 0; page < maxPages; page += 1) {
    const rows = (await knex
      .select(COLUMNS.map((c) => `shipments.${c}`))
      .from(feedTable(knex))
      .where((w) => w.where('shipments.updated_at', '>', position).orWhere((o) => o.where('shipments.updated_at', position).andWhere('shipments.id', '>', lastId)))
      .orderBy([
        { column: 'shipments.updated_at', order: 'asc' },
        { column: 'shipments.id', order: 'asc' },
      ])
      .limit(pageSize)) as ShipmentChange[];
    if (rows.length === 0) break;
    const normalised = rows.map((r) => ({ ...r, id: Number(r.id), updated_at: Number(r.updated_at), location_id: r.location_id === null ? null : Number(r.location_id) }));
    await onPage(normalised);
    read += rows.length;
    const last = normalised.at(-1)!;
    position = last.updated_at;
    lastId = last.id;
    if (rows.length < pageSize) break;
  }
  // Never save a position later than the horizon: what was read past it is read again next time.
  const next = position > horizon ? { position: horizon, lastId: -1 } : { position, lastId };
  const moved = !saved || next.position > Number(saved.position) || (next.position === Number(saved.position) && next.lastId > Number(saved.last_id));
  if (moved && next.position >= 0) {
    const row = { name, position: next.position, last_id: next.lastId, updated_at: Date.now() };
    await knex('clock_cursors').insert(row).onConflict('name').merge(['position', 'last_id', 'updated_at']);
  }
  return read;
}

function feedTable(knex: Knex): Knex.Raw {
  return dialectOf(knex) === 'mysql'
    ? knex.raw('?? FORCE INDEX (??)', ['shipments', 'shipments_updated_idx'])
    : knex.raw('?? INDEXED BY ??', ['shipments', 'shipments_updated_idx']);
}
