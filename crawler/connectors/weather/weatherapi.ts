import { z } from 'zod';
import { AuthError, PermanentError, RateLimitedError, TransientError } from '../../../lib/errors.ts';
import { parseJson, type HttpAnswer } from '../../../lib/http.ts';
import { normaliseLocation, type WeatherLocation } from './location.ts';
import type { ProviderCallOptions } from '../types.ts';
import { callWithRetries } from './request.ts';
import type { WeatherClient, WeatherObservation } from './types.ts';

/**
 * weatherapi.com's current weather (shared contract: weather.md): `GET /v1/current.json?key=&q=&aqi=no`.
 * European postal codes alone are ambiguous, so the query is "<postal code> <city>, <country
 * name>" (or "<postal code>, <country name>" without a city).
 *
 * Errors: 1006 (no matching location) → null; 1002/2006 (missing or invalid key) and 2008
 * (disabled key) → AuthError; 2007 (monthly quota spent) → RateLimitedError with a 6-hour wait.
 * The quota only comes back with the next calendar month, days away, but a job that waits that
 * long is a job nobody watches: six hours keeps the retries rare (four a day per location) and
 * picks up an upgraded plan or a new key the same day.
 */

export const QUOTA_RETRY_MS = 6 * 3_600_000;

export interface WeatherApiOptions extends ProviderCallOptions {
  url: string;
  key: string;
  clock?: () => number;
}

const answerSchema = z.object({
  current: z.object({
    temp_c: z.number(),
    humidity: z.number().nullish(),
    wind_kph: z.number().nullish(),
    condition: z.object({ text: z.string() }),
    last_updated_epoch: z.number().optional(),
  }),
});

const errorSchema = z.object({ error: z.object({ code: z.number(), message: z.string().optional() }) });

const countryNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** "1012 AB Amsterdam, Netherlands" / "10115, Germany". */
export function weatherApiQuery(location: WeatherLocation): string {
  const { country, postalCode } = normaliseLocation(location.country, location.postalCode);
  let countryName = country;
  try {
    countryName = countryNames.of(country) ?? country;
  } catch {
    // Not a region code Intl knows: send it as it is.
  }
  const city = location.city?.trim().replace(/\s+/g, ' ');
  return city ? `${postalCode} ${city}, ${countryName}` : `${postalCode}, ${countryName}`;
}

export function createWeatherApiClient(opts: WeatherApiOptions): WeatherClient {
  const clock = opts.clock ?? Date.now;
  return {
    current(location) {
      const q = weatherApiQuery(location);
      return callWithRetries(opts, 'weatherapi.com', { url: new URL('/v1/current.json', opts.url).toString(), searchParams: { key: opts.key, q, aqi: 'no' } }, (answer) =>
        classify(answer, clock),
      );
    },
  };
}

function classify(answer: HttpAnswer, clock: () => number): WeatherObservation | null {
  const body = parseJson(answer.body);
  if (answer.status === 200) {
    const parsed = answerSchema.safeParse(body);
    if (!parsed.success) throw new TransientError(`weatherapi.com answered 200 with a body shipsync cannot read`);
    const c = parsed.data.current;
    return { tempC: c.temp_c, humidityPct: c.humidity ?? null, windKph: c.wind_kph ?? null, condition: c.condition.text, observedAt: c.last_updated_epoch ? c.last_updated_epoch * 1000 : clock(), provider: 'weatherapi' };
  }
  const error = errorSchema.safeParse(body);
  const code = error.success ? error.data.error.code : undefined;
  const message = error.success ? (error.data.error.message ?? '') : `HTTP ${answer.status}`;
  const details = { provider: 'weatherapi', provider_status: answer.status, provider_code: code };
  if (code === 1006) return null;
  if (code === 2007) {
    throw new RateLimitedError(`weatherapi.com: the key's monthly quota is spent (2007 ${message}); trying again in 6 h`, QUOTA_RETRY_MS, { details });
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new AuthError(`weatherapi.com refused the key (${answer.status}, code ${code ?? '?'}: ${message}). Set WEATHERAPI_KEY to a valid, enabled key (weatherapi.com → My account), or unset it to use Open-Meteo, and restart the workers.`, { details });
  }
  if (answer.status === 429) throw new RateLimitedError(`weatherapi.com answered 429: ${message}`, 60_000, { details });
  throw new PermanentError(`weatherapi.com answered ${answer.status} (code ${code ?? '?'}): ${message}`, { details });
}
