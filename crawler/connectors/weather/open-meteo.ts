import { z } from 'zod';
import { PermanentError, RateLimitedError, TransientError } from '../../../lib/errors.ts';
import { parseJson, type HttpAnswer } from '../../../lib/http.ts';
import { normaliseLocation, type WeatherLocation } from './location.ts';
import type { ProviderCallOptions } from '../types.ts';
import { callWithRetries } from './request.ts';
import type { WeatherClient, WeatherObservation } from './types.ts';
import { wmoConditionText } from './wmo.ts';

/**
 * Open-Meteo's current weather (shared contract: weather.md), used when no weatherapi key is set.
 * It needs coordinates, so a location is geocoded first
 * (`GET {geocoding}/v1/search?name=&count=1&countryCode=`), then
 * `GET {forecast}/v1/forecast?latitude=&longitude=&current=…&timezone=auto`.
 *
 * Geocoding results are cached for the life of the process ("a place does not move"), places
 * the geocoder does not know included; failed look-ups are not cached. The cache is shared by
 * every client of the process (a worker builds a client per job), keyed by geocoding URL,
 * country and search term, and bounded (least recently used out first).
 */

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export class GeocodeCache {
  private readonly entries = new Map<string, Promise<GeoPoint | null>>();

  constructor(private readonly maxEntries = 50_000) {}

  /** The cached answer for `key`, or `load()`'s (shared by concurrent callers; dropped if it fails). */
  lookup(key: string, load: () => Promise<GeoPoint | null>): Promise<GeoPoint | null> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = load();
    this.entries.set(key, pending);
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return pending;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The process-wide geocoding cache. */
export const processGeocodeCache = new GeocodeCache();

export interface OpenMeteoOptions extends ProviderCallOptions {
  forecastUrl: string;
  geocodingUrl: string;
  cache?: GeocodeCache;
  clock?: () => number;
}

const geocodingAnswer = z.object({
  // Open-Meteo leaves `results` out altogether when nothing matches.
  results: z.array(z.object({ latitude: z.number(), longitude: z.number() }).passthrough()).optional(),
});

const forecastAnswer = z.object({
  utc_offset_seconds: z.number().default(0),
  // Humidity and wind are asked for (CURRENT_VARIABLES) but may be null for a point without data.
  current: z
    .object({ time: z.string(), temperature_2m: z.number(), weather_code: z.number(), relative_humidity_2m: z.number().nullish(), wind_speed_10m: z.number().nullish() })
    .passthrough(),
});

const problemAnswer = z.object({ error: z.literal(true), reason: z.string() });

export const CURRENT_VARIABLES = 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code';

/**
 * What to ask the geocoder for a location, best first. Open-Meteo's geocoder knows postal codes
 * by the part that names an area: NL's four digits, GB's outward code, CA's first three
 * characters, a US ZIP without +4. The city, when known, is the fallback.
 */
export function geocodingTerms(location: WeatherLocation): string[] {
  const { country, postalCode } = normaliseLocation(location.country, location.postalCode);
  let area = postalCode;
  if (country === 'NL') area = /^(\d{4})/.exec(postalCode)?.[1] ?? postalCode;
  else if (country === 'GB' || country === 'CA') area = postalCode.split(' ')[0] ?? postalCode;
  const terms = area.length >= 2 ? [area] : [];
  const city = location.city?.trim().replace(/\s+/g, ' ');
  if (city && city.length >= 2 && !terms.includes(city)) terms.push(city);
  return terms;
}

export function createOpenMeteoClient(opts: OpenMeteoOptions): WeatherClient {
  const cache = opts.cache ?? processGeocodeCache;
  const clock = opts.clock ?? Date.now;

  const geocodeTerm = (country: string, term: string) =>
    cache.lookup(`${opts.geocodingUrl}\n${country}\n${term.toLowerCase()}`, () =>
      callWithRetries(opts, 'Open-Meteo geocoding', { url: new URL('/v1/search', opts.geocodingUrl).toString(), searchParams: { name: term, count: '1', countryCode: country, language: 'en', format: 'json' } }, (answer) => {
        refuseProblems(answer, 'Open-Meteo geocoding', clock);
        const parsed = geocodingAnswer.safeParse(parseJson(answer.body));
        if (!parsed.success) throw new TransientError('Open-Meteo geocoding answered a body shipsync cannot read');
        const first = parsed.data.results?.[0];
        return first ? { latitude: first.latitude, longitude: first.longitude } : null;
      }),
    );

  return {
    async current(location) {
      const { country } = normaliseLocation(location.country, location.postalCode);
      let point: GeoPoint | null = null;
      for (const term of geocodingTerms(location)) {
        point = await geocodeTerm(country, term);
        if (point) break;
      }
      if (!point) return null;
      const { latitude, longitude } = point;
      return callWithRetries(
        opts,
        'Open-Meteo',
        { url: new URL('/v1/forecast', opts.forecastUrl).toString(), searchParams: { latitude: String(latitude), longitude: String(longitude), current: CURRENT_VARIABLES, timezone: 'auto' } },
        (answer): WeatherObservation => {
          refuseProblems(answer, 'Open-Meteo', clock);
          const parsed = forecastAnswer.safeParse(parseJson(answer.body));
          if (!parsed.success) throw new TransientError('Open-Meteo answered a forecast body shipsync cannot read');
          const { current, utc_offset_seconds } = parsed.data;
          // `time` is local wall time of the point ("2024-03-01T11:45", timezone=auto): the offset makes it an instant.
          const wall = Date.parse(`${current.time}Z`);
          return {
            tempC: current.temperature_2m,
            // km/h: Open-Meteo's default `wind_speed_unit`, which the request leaves as it is.
            humidityPct: current.relative_humidity_2m ?? null,
            windKph: current.wind_speed_10m ?? null,
            condition: wmoConditionText(current.weather_code),
            observedAt: Number.isNaN(wall) ? clock() : wall - utc_offset_seconds * 1000,
            provider: 'open-meteo',
          };
        },
      );
    },
  };
}

/** 429 and 4xx answers (`{"error":true,"reason":"…"}`) become the worker's errors; a 200 passes. */
function refuseProblems(answer: HttpAnswer, provider: string, clock: () => number): void {
  if (answer.status === 200) return;
  const problem = problemAnswer.safeParse(parseJson(answer.body));
  const reason = problem.success ? problem.data.reason : `HTTP ${answer.status}`;
  if (answer.status === 429) {
    const waitMs = openMeteoWaitMs(reason, clock());
    throw new RateLimitedError(`${provider} answered 429 (${reason}); retry in ${Math.ceil(waitMs / 1000)} s`, waitMs, { details: { provider: 'open-meteo' } });
  }
  throw new PermanentError(`${provider} answered ${answer.status}: ${reason}`, { details: { provider: 'open-meteo', provider_status: answer.status } });
}

/**
 * How long an Open-Meteo 429 asks to wait, from its reason (no Retry-After is sent): the
 * minutely limit until the next minute, the hourly one until the next hour, the daily one until
 * 00:00 UTC; a reason we do not recognise waits a minute.
 */
export function openMeteoWaitMs(reason: string, nowMs: number): number {
  const until = (periodMs: number) => periodMs - (nowMs % periodMs);
  if (/daily|tomorrow|\bday\b/i.test(reason)) return until(86_400_000);
  if (/hourly|\bhour\b/i.test(reason)) return until(3_600_000);
  return until(60_000);
}
