/**
 * Postal-code areas the weather simulator knows, coarse but real: every NL (4 digits + letters)
 * and BE (4 digits) code falls in an area, DE (5 digits) by its two-digit Leitregion, FR by
 * département, GB by postcode area, US by ZIP prefix. An area is a town with its coordinates;
 * each postal code gets a point near it (a stable offset), so two codes of one town are two
 * points but one code is always the same point for both providers. Anything else is unknown
 * (weatherapi 1006, empty geocoding results).
 */
import { z } from 'zod';
import { hash32 } from '../prng.ts';
import postalAreas from './postal-areas.json' with { type: 'json' };

export type CountryCode = 'NL' | 'BE' | 'DE' | 'FR' | 'GB' | 'US';

export interface Place {
  name: string;
  region: string;
  country: CountryCode;
  lat: number;
  lon: number;
  /** IANA zone id (one of ZONES in zones.ts). */
  tz: string;
}

/** A resolved postal code: the area's town, the code's own point, and the code as written for geocoding. */
export interface PostalPlace extends Place {
  postalCode: string;
}

export const COUNTRY_NAMES: Readonly<Record<CountryCode, { name: string; aliases: readonly string[] }>> = {
  NL: { name: 'Netherlands', aliases: ['netherlands', 'the netherlands', 'nederland', 'holland'] },
  BE: { name: 'Belgium', aliases: ['belgium', 'belgie', 'belgië', 'belgique'] },
  DE: { name: 'Germany', aliases: ['germany', 'deutschland'] },
  FR: { name: 'France', aliases: ['france'] },
  GB: { name: 'United Kingdom', aliases: ['united kingdom', 'uk', 'great britain', 'england', 'scotland', 'wales'] },
  US: { name: 'United States of America', aliases: ['united states', 'united states of america', 'usa', 'us'] },
};

export function countryByName(name: string): CountryCode | null {
  const n = name.trim().toLowerCase().replace(/\s+/g, ' ');
  for (const [code, entry] of Object.entries(COUNTRY_NAMES) as [CountryCode, (typeof COUNTRY_NAMES)[CountryCode]][]) {
    if (entry.aliases.includes(n) || code.toLowerCase() === n) return code;
  }
  return null;
}

const rangeRows = z.array(z.tuple([z.number(), z.string(), z.string(), z.number(), z.number()]));
const keyedAreas = z.record(z.tuple([z.string(), z.string(), z.number(), z.number()]));

/**
 * The areas, per country (postal-areas.json), as [from, name, region, lat, lon] rows or
 * { key: [name, region, lat, lon] }:
 * - NL: an area runs from its first 4-digit code to the next row's;
 * - BE: the same with BE's 4-digit codes;
 * - DE by the first two digits (Leitregion); 00, 05, 43 and 62 are not in use;
 * - FR by département (first two digits): the big ones only;
 * - GB by postcode area (the letters of the outward code);
 * - US by ZIP prefix (first three digits), as NL, each row with its zone.
 */
const { NL, BE, DE, FR, GB, US } = z
  .object({ NL: rangeRows, BE: rangeRows, DE: keyedAreas, FR: keyedAreas, GB: keyedAreas, US: z.array(z.tuple([...rangeRows.element.items, z.string()])) })
  .parse(postalAreas);

const TZ: Readonly<Record<Exclude<CountryCode, 'US'>, string>> = {
  NL: 'Europe/Amsterdam', BE: 'Europe/Brussels', DE: 'Europe/Berlin', FR: 'Europe/Paris', GB: 'Europe/London',
};

function byRange<T extends readonly [number, ...unknown[]]>(rows: readonly T[], n: number): T | undefined {
  let found: T | undefined;
  for (const row of rows) if (row[0] <= n) found = row;
  return found;
}

/** The postal code's own point: the area's town moved by a stable offset of up to ~3-4 km. */
function pointOf(country: CountryCode, code: string, lat: number, lon: number): { lat: number; lon: number } {
  const h = hash32(`${country} ${code}`);
  return { lat: round(lat + ((h % 41) - 20) * 0.0015, 4), lon: round(lon + (((h >>> 8) % 41) - 20) * 0.0025, 4) };
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * A postal code as people write it → its place, or null. The point depends only on the part of
 * the code that names an area (NL's four digits, GB's outward code, a US ZIP's five digits), so
 * "1012 AB" and "1012" are one point: what Open-Meteo's geocoding finds for "1012" is where
 * weatherapi puts "1012 AB Amsterdam".
 */
export function placeOfPostalCode(country: CountryCode, raw: string): PostalPlace | null {
  const code = raw.trim().toUpperCase().replace(/\s+/g, ' ');
  const make = (key: string, name: string, region: string, lat: number, lon: number, tz: string): PostalPlace => ({
    name, region, country, tz, postalCode: key, ...pointOf(country, key, lat, lon),
  });
  switch (country) {
    case 'NL': {
      const m = /^(\d{4})(?: ?([A-Z]{2}))?$/.exec(code);
      if (!m || Number(m[1]) < 1000) return null;
      const row = byRange(NL, Number(m[1]))!;
      return make(m[1]!, row[1], row[2], row[3], row[4], TZ.NL);
    }
    case 'BE': {
      const m = /^(\d{4})$/.exec(code);
      if (!m || Number(m[1]) < 1000) return null;
      const row = byRange(BE, Number(m[1]))!;
      return make(m[1]!, row[1], row[2], row[3], row[4], TZ.BE);
    }
    case 'DE':
    case 'FR': {
      const m = /^(\d{5})$/.exec(code);
      const row = m ? (country === 'DE' ? DE : FR)[m[1]!.slice(0, 2)] : undefined;
      return m && row ? make(m[1]!, row[0], row[1], row[2], row[3], TZ[country]) : null;
    }
    case 'GB': {
      const m = /^([A-Z]{1,2})(\d[A-Z\d]?)(?: ?(\d[A-Z]{2}))?$/.exec(code);
      const row = m ? GB[m[1]!] : undefined;
      return m && row ? make(`${m[1]}${m[2]}`, row[0], row[1], row[2], row[3], TZ.GB) : null;
    }
    case 'US': {
      const m = /^(\d{5})(?:-\d{4})?$/.exec(code);
      const row = m ? byRange(US, Number(m[1]!.slice(0, 3))) : undefined;
      return m && row ? make(m[1]!, row[1], row[2], row[3], row[4], row[5]) : null;
    }
  }
}

/** Every town once per country (its first row), for searches by name. */
export function allTowns(): Place[] {
  const out = new Map<string, Place>();
  const add = (p: Place) => {
    const key = `${p.country} ${p.name.toLowerCase()}`;
    if (!out.has(key)) out.set(key, p);
  };
  for (const r of NL) add({ name: r[1], region: r[2], country: 'NL', lat: r[3], lon: r[4], tz: TZ.NL });
  for (const r of BE) add({ name: r[1], region: r[2], country: 'BE', lat: r[3], lon: r[4], tz: TZ.BE });
  for (const r of Object.values(DE)) add({ name: r[0], region: r[1], country: 'DE', lat: r[2], lon: r[3], tz: TZ.DE });
  for (const r of Object.values(FR)) add({ name: r[0], region: r[1], country: 'FR', lat: r[2], lon: r[3], tz: TZ.FR });
  for (const r of Object.values(GB)) add({ name: r[0], region: r[1], country: 'GB', lat: r[2], lon: r[3], tz: TZ.GB });
  for (const r of US) add({ name: r[1], region: r[2], country: 'US', lat: r[3], lon: r[4], tz: r[5] });
  return [...out.values()];
}

const TOWNS = allTowns();

/** Towns whose name equals `name` (case- and accent-insensitively), optionally in one country. */
export function townsNamed(name: string, country?: CountryCode): Place[] {
  const wanted = fold(name);
  return TOWNS.filter((t) => fold(t.name) === wanted && (!country || t.country === country));
}

/** The known town nearest to a point: names weatherapi's answer for "lat,lon" and picks the zone for timezone=auto. */
export function nearestTown(lat: number, lon: number): Place {
  let best = TOWNS[0]!;
  let bestD = Infinity;
  for (const t of TOWNS) {
    const d = (t.lat - lat) ** 2 + ((t.lon - lon) * Math.cos((lat * Math.PI) / 180)) ** 2;
    if (d < bestD) {
      best = t;
      bestD = d;
    }
  }
  return best;
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim().replace(/\s+/g, ' ');
}
