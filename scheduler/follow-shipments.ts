import type { Knex } from 'knex';
import { findFeedPosition, findShipmentChanges, saveFeedPosition, type ShipmentChange } from '../models/change-feed.ts';

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
  const saved = await findFeedPosition(knex, name);
  // First run: from the beginning, so shipments stored before the clock existed count too.
  let position = saved ? saved.position : -1;
  let lastId = saved ? saved.lastId : -1;
  const horizon = Date.now() - slackMs;
  let read = 0;
  for (let page = 0; page < maxPages; page += 1) {
    const rows = await findShipmentChanges(knex, { position, lastId }, pageSize);
    if (rows.length === 0) break;
    await onPage(rows);
    read += rows.length;
    const last = rows.at(-1)!;
    position = last.updated_at;
    lastId = last.id;
    if (rows.length < pageSize) break;
  }
  // Never save a position later than the horizon: what was read past it is read again next time.
  const next = position > horizon ? { position: horizon, lastId: -1 } : { position, lastId };
  const moved = !saved || next.position > saved.position || (next.position === saved.position && next.lastId > saved.lastId);
  if (moved && next.position >= 0) await saveFeedPosition(knex, name, next);
  return read;
}
