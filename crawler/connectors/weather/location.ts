import { normaliseLocation } from '../../../lib/postal-code.ts';

export { normaliseLocation };

/**
 * A weather location is (country, postal code), normalised (shared contract: weather.md, "One
 * location = (country, postal code), normalised"): many shipments share one, and the engine
 * fetches weather per location, so two spellings of one postal code must be one key.
 */

/** Where a shipment goes, as far as weather is concerned. */
export interface WeatherLocation {
  /** ISO 3166-1 alpha-2. */
  country: string;
  postalCode: string;
  /** Helps a provider tell apart postal codes that several countries or towns share. */
  city?: string | null;
}

/** One string per location, for maps and logs: "NL 1012 AB". */
export function locationKey(location: { country: string; postalCode: string }): string {
  const n = normaliseLocation(location.country, location.postalCode);
  return `${n.country} ${n.postalCode}`;
}
