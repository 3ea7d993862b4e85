import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import { AuthError, RateLimitedError } from '../../lib/errors.ts';
import type { WeatherClient } from '../connectors/weather/index.ts';
import type { JobPayload } from '../jobs.ts';
import type { JobContext } from '../consume.ts';
import { withAnswersInHand } from '../answers-in-hand.ts';
import { claimLocationFetch, findLocation, settleLocationFetch, WEATHER_MIN_INTERVAL_MS, type LocationFetchPatch } from '../../models/locations.ts';

export interface FetchWeatherDeps {
  knex: Knex;
  logger: Logger;
  weather: WeatherClient;
  /** Epoch ms; tests pass a controlled time. */
  now: () => number;
  /** After a failed fetch, the clock tries the location again this much later (default 15 min). */
  retryAfterMs?: number;
}

/** A fetch that started this long ago and never finished (its worker died) no longer blocks another. */
const FETCH_LEASE_MS = 5 * 60_000;
/** A place the provider does not know is asked again a day later. */
const UNKNOWN_PLACE_RETRY_MS = 24 * 3_600_000;

/**
 * Fetches one location's current weather, at most once per 2 hours however often the job is
 * delivered: the job first claims the location (`fetch_started_at`), only if its last fetch is
 * 2 hours old and no other fetch is under way.
 *
 * A failure does not go back to the queue: the last observation stays with its `fetched_at`,
 * and the location is due again `retryAfterMs` later (or after the provider's Retry-After),
 * when the clock picks it up. Retrying through the clock keeps the per-location call rate
 * bounded whatever the provider does.
 */
export async function handleWeatherFetch(deps: FetchWeatherDeps, payload: JobPayload<'weather.fetch'>, ctx: Pick<JobContext, 'signal'>): Promise<void> {
  const { knex } = deps;
  const now = deps.now();
  if (!(await claimLocationFetch(knex, payload.location_id, now, FETCH_LEASE_MS))) return;
  const location = await findLocation(knex, payload.location_id);
  const log = deps.logger.child({ location_id: payload.location_id, location: `${location.country} ${location.postal_code}` });

  // The provider has been asked: its answer is written even if the write loses a lock conflict
  // with the clock's plan, the database is briefly unreachable or the connection breaks (a
  // redelivered job would find the location claimed and do nothing, so the answer would be lost
  // and the place asked again when the claim runs out). The write sets whole values, so running
  // it again after a connection lost at its commit is harmless whether or not that one landed.
  const settle = (patch: LocationFetchPatch) => withAnswersInHand(() => settleLocationFetch(knex, payload.location_id, patch), { signal: ctx.signal, log, what: 'weather write' });

  let observation;
  try {
    observation = await deps.weather.current({ country: location.country, postalCode: location.postal_code, city: location.city });
  } catch (err) {
    const retryMs = Math.max(deps.retryAfterMs ?? 15 * 60_000, err instanceof RateLimitedError ? err.retryAfterMs : 0);
    const message = err instanceof Error ? err.message : String(err);
    await settle({ fetch_started_at: null, next_fetch_at: now + retryMs, last_error: message.slice(0, 2_000), updated_at: deps.now() });
    if (err instanceof AuthError) log.error({ err: message }, 'the weather provider refused the key; weather stays as it was');
    else log.warn({ err: message, retry_in_ms: retryMs }, 'weather fetch failed; the last observation stays');
    return;
  }
  const done = deps.now();
  if (!observation) {
    await settle({ fetch_started_at: null, next_fetch_at: now + UNKNOWN_PLACE_RETRY_MS, last_error: 'The weather provider does not know this place.', updated_at: done });
    log.info('the weather provider does not know this place');
    return;
  }
  await settle({
    temp_c: observation.tempC,
    humidity_pct: observation.humidityPct,
    wind_kph: observation.windKph,
    condition: observation.condition,
    provider: observation.provider,
    observed_at: observation.observedAt,
    fetched_at: now,
    next_fetch_at: now + WEATHER_MIN_INTERVAL_MS,
    fetch_started_at: null,
    last_error: null,
    updated_at: done,
  });
}
