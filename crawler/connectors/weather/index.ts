import { createOpenMeteoClient, processGeocodeCache, type GeocodeCache } from './open-meteo.ts';
import type { ProviderCallOptions } from '../types.ts';
import type { WeatherClient } from './types.ts';
import { createWeatherApiClient } from './weatherapi.ts';

/**
 * Current weather at a receiver's location (shared contract: weather.md): weatherapi.com when a
 * key is set, else Open-Meteo (geocoding, then forecast). The client does not pace itself or
 * decide how often a location is fetched: the engine fetches each location at most once per 2
 * hours. Errors are the worker's retry policy: quota and 429 → RateLimitedError, refused key →
 * AuthError, 5xx/network after in-place retries → RetryableError; a place the provider does not
 * know is not an error but null.
 */

export type { WeatherClient, WeatherLocation, WeatherObservation } from './types.ts';
export { normaliseLocation, locationKey } from './location.ts';
export { GeocodeCache, processGeocodeCache } from './open-meteo.ts';

/** Call options (`onRequest` also counts geocoding calls): see request.ts for the defaults. */
export interface WeatherClientOptions extends ProviderCallOptions {
  weatherApiUrl: string;
  /** When set (non-empty), weatherapi.com is used; else Open-Meteo. */
  weatherApiKey?: string;
  openMeteoUrl: string;
  /**
   * Open-Meteo's geocoding API. Default: https://geocoding-api.open-meteo.com when openMeteoUrl
   * is Open-Meteo's public host, else openMeteoUrl itself (the sandbox serves both).
   */
  openMeteoGeocodingUrl?: string;
  /** Epoch ms now (default Date.now): waits until the next minute/hour/day are counted from it. */
  clock?: () => number;
  /** Default: the process-wide cache. */
  geocodeCache?: GeocodeCache;
}

export const DEFAULT_OPEN_METEO_GEOCODING_URL = 'https://geocoding-api.open-meteo.com';

export function createWeatherClient(opts: WeatherClientOptions): WeatherClient {
  const call = { onRequest: opts.onRequest, timeoutMs: opts.timeoutMs, retries: opts.retries, retryMinDelayMs: opts.retryMinDelayMs, signal: opts.signal };
  if (opts.weatherApiKey) return createWeatherApiClient({ ...call, url: opts.weatherApiUrl, key: opts.weatherApiKey, clock: opts.clock });
  return createOpenMeteoClient({
    ...call,
    forecastUrl: opts.openMeteoUrl,
    geocodingUrl: opts.openMeteoGeocodingUrl ?? defaultGeocodingUrl(opts.openMeteoUrl),
    cache: opts.geocodeCache ?? processGeocodeCache,
    clock: opts.clock,
  });
}

function defaultGeocodingUrl(openMeteoUrl: string): string {
  const host = URL.canParse(openMeteoUrl) ? new URL(openMeteoUrl).hostname : '';
  return host.endsWith('open-meteo.com') ? DEFAULT_OPEN_METEO_GEOCODING_URL : openMeteoUrl;
}
