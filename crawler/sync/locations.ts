import type { Knex } from 'knex';
import { normaliseLocation } from '../../lib/postal-code.ts';
import { findLocationsByPostalCode, insertLocations, wakeLocations } from '../../models/locations.ts';
import { FINAL_STATUSES, type ShipmentStatus } from '../../models/shipment.ts';
import { setShipmentsLocation } from '../../models/shipments.ts';

/**
 * Locations: the receiver places whose weather is cached, one per normalised (country, postal
 * code) however many shipments go there (contract weather.md). Shipments point at theirs with
 * `location_id`. Terminology:
 * - due: `next_fetch_at` has passed; a new location is due at once;
 * - dormant: `next_fetch_at` is NULL because every shipment going there is final. A new
 *   shipment to a dormant location wakes it (due at once, or 2 hours after its last fetch).
 */

export interface ShipmentPlace {
  id: number;
  status: ShipmentStatus;
  receiver_country: string | null;
  receiver_postal_code: string | null;
  receiver_city: string | null;
  location_id: number | null;
}

/** The key of a shipment's location, or null when it has no country or postal code. */
export function placeOf(s: Pick<ShipmentPlace, 'receiver_country' | 'receiver_postal_code'>): { country: string; postalCode: string } | null {
  const country = s.receiver_country?.trim();
  const postal = s.receiver_postal_code?.trim();
  if (!country || !postal) return null;
  const n = normaliseLocation(country, postal);
  if (n.country.length !== 2 || n.postalCode === '' || n.postalCode.length > 16) return null;
  return n;
}

/**
 * Gives each shipment its location (creating locations seen for the first time), and wakes the
 * dormant locations of shipments that are not final. Idempotent.
 */
export async function linkLocations(knex: Knex, shipments: ShipmentPlace[], now: number): Promise<void> {
  const keyed = shipments.map((s) => ({ s, place: placeOf(s) })).filter((x): x is { s: ShipmentPlace; place: { country: string; postalCode: string } } => x.place !== null);
  if (keyed.length === 0) return;
  const byKey = new Map<string, { country: string; postal_code: string; city: string | null }>();
  for (const { s, place } of keyed) {
    const k = `${place.country}\u0000${place.postalCode}`;
    if (!byKey.has(k)) byKey.set(k, { country: place.country, postal_code: place.postalCode, city: s.receiver_city?.trim().slice(0, 128) || null });
  }
  const fresh = [...byKey.values()].map((l) => ({ ...l, next_fetch_at: now, created_at: now, updated_at: now }));
  await insertLocations(knex, fresh);
  const idOf = new Map<string, number>();
  const countries = [...new Set(fresh.map((l) => l.country))];
  for (const country of countries) {
    const postals = fresh.filter((l) => l.country === country).map((l) => l.postal_code);
    for (let i = 0; i < postals.length; i += 500) {
      for (const r of await findLocationsByPostalCode(knex, country, postals.slice(i, i + 500))) idOf.set(`${r.country}\u0000${r.postal_code}`, r.id);
    }
  }

  const moves = new Map<number, number[]>();
  const active = new Set<number>();
  for (const { s, place } of keyed) {
    const locationId = idOf.get(`${place.country}\u0000${place.postalCode}`);
    if (locationId === undefined) continue;
    if (s.location_id !== locationId) moves.set(locationId, [...(moves.get(locationId) ?? []), s.id]);
    if (!FINAL_STATUSES.includes(s.status)) active.add(locationId);
  }
  // Not a change a client follows: updated_at stays as it is.
  for (const [locationId, ids] of moves) {
    for (let i = 0; i < ids.length; i += 500) await setShipmentsLocation(knex, ids.slice(i, i + 500), locationId);
  }
  const wake = [...active];
  for (let i = 0; i < wake.length; i += 500) await wakeLocations(knex, wake.slice(i, i + 500), now);
}
