import type { Knex } from 'knex';

/**
 * The statements of `locations`: the receiver places whose weather is cached, one per
 * normalised (country, postal code). Terminology (contract weather.md):
 * - due: `next_fetch_at` has passed; a new location is due at once;
 * - dormant: `next_fetch_at` is NULL because every shipment going there is final;
 * - claim: a fetch under way (`fetch_started_at`), so a redelivered job does not ask again;
 * - lease: the plan moves `next_fetch_at` ahead before it enqueues, so the next minute does not.
 */

/** Weather for a location is fetched at most this often (the parcelLab rule of record). */
export const WEATHER_MIN_INTERVAL_MS = 2 * 3_600_000;

export interface NewLocationRow {
  country: string;
  postal_code: string;
  city: string | null;
  next_fetch_at: number;
  created_at: number;
  updated_at: number;
}

export interface LocationRow {
  id: number;
  country: string;
  postal_code: string;
  city: string | null;
  fetched_at: number | null;
}

/** What a weather fetch writes when it settles: an observation, or a failure and when to try again. */
export interface LocationFetchPatch {
  temp_c?: number | null;
  humidity_pct?: number | null;
  wind_kph?: number | null;
  condition?: string | null;
  provider?: string | null;
  observed_at?: number | null;
  fetched_at?: number;
  next_fetch_at: number;
  fetch_started_at: null;
  last_error: string | null;
  updated_at: number;
}

/** Inserts the locations not stored yet; one already stored (same country and postal code) is left as it is. */
export async function insertLocations(knex: Knex, rows: NewLocationRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await knex('locations').insert(rows.slice(i, i + 500)).onConflict(['country', 'postal_code']).ignore();
  }
}

/** The locations of one country with these postal codes (at most 500). */
export async function findLocationsByPostalCode(knex: Knex, country: string, postalCodes: string[]): Promise<{ id: number; country: string; postal_code: string }[]> {
  const rows: { id: number; country: string; postal_code: string }[] = await knex('locations').select('id', 'country', 'postal_code').where({ country }).whereIn('postal_code', postalCodes);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** Wakes dormant locations: due at once if never fetched, else 2 hours after their last fetch. */
export async function wakeLocations(knex: Knex, locationIds: number[], now: number): Promise<void> {
  await knex('locations')
    .whereIn('id', locationIds)
    .whereNull('next_fetch_at')
    .update({ next_fetch_at: knex.raw('CASE WHEN fetched_at IS NULL THEN ? ELSE fetched_at + ? END', [now, WEATHER_MIN_INTERVAL_MS]), updated_at: now });
}

/** Up to `limit` due locations, oldest due first. */
export async function findDueLocationIds(knex: Knex, now: number, limit: number): Promise<number[]> {
  const due: { id: number | string }[] = await knex('locations')
    .select('id')
    .whereNotNull('next_fetch_at')
    .andWhere('next_fetch_at', '<=', now)
    .orderBy([{ column: 'next_fetch_at' }, { column: 'id' }])
    .limit(limit);
  return due.map((r) => Number(r.id));
}

/** Puts due locations to sleep (`next_fetch_at` NULL) until a new shipment goes there. */
export async function makeLocationsDormant(knex: Knex, locationIds: number[], now: number): Promise<void> {
  await knex('locations').whereIn('id', locationIds).andWhere('next_fetch_at', '<=', now).update({ next_fetch_at: null, updated_at: now });
}

/** Moves a due location's `next_fetch_at` to `untilMs`; returns 0 when it was no longer due (another plan leased it). */
export async function leaseLocation(knex: Knex, locationId: number, now: number, untilMs: number): Promise<number> {
  return knex('locations').where({ id: locationId }).andWhere('next_fetch_at', '<=', now).update({ next_fetch_at: untilMs, updated_at: now });
}

/**
 * Claims a location for one fetch: only if its last fetch is `WEATHER_MIN_INTERVAL_MS` old and
 * no other fetch started within `leaseMs`. Returns whether this call claimed it.
 */
export async function claimLocationFetch(knex: Knex, locationId: number, now: number, leaseMs: number): Promise<boolean> {
  const claimed = await knex('locations')
    .where({ id: locationId })
    .andWhere((w) => w.whereNull('fetched_at').orWhere('fetched_at', '<=', now - WEATHER_MIN_INTERVAL_MS))
    .andWhere((w) => w.whereNull('fetch_started_at').orWhere('fetch_started_at', '<=', now - leaseMs))
    .update({ fetch_started_at: now, updated_at: now });
  return claimed > 0;
}

export async function findLocation(knex: Knex, locationId: number): Promise<LocationRow> {
  return (await knex('locations').where({ id: locationId }).first()) as LocationRow;
}

/** Writes the outcome of a fetch and releases its claim. */
export async function settleLocationFetch(knex: Knex, locationId: number, patch: LocationFetchPatch): Promise<void> {
  await knex('locations').where({ id: locationId }).update(patch);
}
