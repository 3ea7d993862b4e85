import type { Knex } from 'knex';
import type { Logger } from '../config/logger.ts';
import type { Queue } from '../lib/queue/port.ts';
import { enqueue } from '../crawler/jobs.ts';
import { linkLocations } from '../crawler/sync/locations.ts';
import { findDueLocationIds, leaseLocation, makeLocationsDormant } from '../models/locations.ts';
import { findActiveLocationIds } from '../models/shipments.ts';
import { followShipmentChanges } from './follow-shipments.ts';

/**
 * The minute's weather plan (contract weather.md):
 * 1. Link: shipments that changed since the last plan get their location; a location seen for
 *    the first time is due at once, so a new destination has weather within a minute or two.
 * 2. Pick the due locations, oldest due first, at most `maxPerMinute`. One whose shipments are
 *    all final goes dormant instead (no more refreshes until a new shipment goes there).
 * 3. Lease and enqueue: each picked location's `next_fetch_at` moves `leaseMs` ahead before its
 *    `weather.fetch` job is published, so the next minute does not publish it again; the job
 *    sets the real next due time (2 hours after a fetch, sooner after a failure).
 */

export interface WeatherPlanDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  /** Locations enqueued per minute at most (default 200; Open-Meteo allows 600 calls a minute). */
  maxPerMinute?: number;
  leaseMs?: number;
}

const LEASE_MS = 10 * 60_000;

export async function planWeather(deps: WeatherPlanDeps, now: number): Promise<{ enqueued: number; dormant: number }> {
  const { knex } = deps;
  await followShipmentChanges(knex, 'weather.locations', (rows) => linkLocations(knex, rows, now));

  const ids = await findDueLocationIds(knex, now, deps.maxPerMinute ?? 200);
  if (ids.length === 0) return { enqueued: 0, dormant: 0 };
  const active = await findActiveLocationIds(knex, ids);
  const dormant = ids.filter((id) => !active.has(id));
  const fetch = ids.filter((id) => active.has(id));
  if (dormant.length > 0) await makeLocationsDormant(knex, dormant, now);
  let enqueued = 0;
  for (const id of fetch) {
    const leased = await leaseLocation(knex, id, now, now + (deps.leaseMs ?? LEASE_MS));
    if (leased === 0) continue;
    await enqueue(deps.queue, 'weather.fetch', { location_id: id });
    enqueued += 1;
  }
  if (enqueued > 0 || dormant.length > 0) deps.logger.info({ enqueued, dormant: dormant.length }, 'weather fetches planned');
  return { enqueued, dormant: dormant.length };
}
