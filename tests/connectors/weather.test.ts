/**
 * The weather connectors against the weather simulator over real HTTP: weatherapi.com when a key
 * is set, Open-Meteo (geocoding + forecast) otherwise; normalised locations; the geocoding cache;
 * unknown places; and the errors that are the worker's retry policy.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createWeatherClient, GeocodeCache, type WeatherClient } from '../../crawler/connectors/weather/index.ts';
import { QUOTA_RETRY_MS } from '../../crawler/connectors/weather/weatherapi.ts';
import { AuthError, PermanentError, RateLimitedError, RetryableError } from '../../lib/errors.ts';
import { startWeatherSandbox, type WeatherSandbox, type WeatherSandboxOptions } from '../../sandbox/weather/index.ts';

const KEY = 'demo-weather-key';
const T0 = Date.UTC(2024, 2, 1, 10, 50, 0);

interface Env {
  sb: WeatherSandbox;
  clock: { now: number };
  requests: () => number;
  client: WeatherClient;
}

async function setup(t: ExecutionContext, provider: 'weatherapi' | 'open-meteo', opts: WeatherSandboxOptions = {}, key = KEY): Promise<Env> {
  const clock = { now: T0 };
  const sb = await startWeatherSandbox({ clock: () => clock.now, ...opts });
  t.teardown(() => sb.close());
  let requests = 0;
  const client = createWeatherClient({
    weatherApiUrl: sb.url,
    ...(provider === 'weatherapi' ? { weatherApiKey: key } : {}),
    openMeteoUrl: sb.url,
    openMeteoGeocodingUrl: sb.url,
    onRequest: () => void requests++,
    clock: () => clock.now,
    retryMinDelayMs: 10,
    geocodeCache: new GeocodeCache(),
  });
  return { sb, clock, requests: () => requests, client };
}

const AMSTERDAM = { country: 'nl', postalCode: '1012ab', city: 'Amsterdam' };

// ---------------------------------------------------------------- weatherapi.com

test('with a key, weatherapi is asked "<postal code> <city>, <country>" for the normalised location', async (t) => {
  const env = await setup(t, 'weatherapi');
  const obs = await env.client.current(AMSTERDAM);
  t.truthy(obs);
  t.is(obs!.provider, 'weatherapi');
  t.is(typeof obs!.tempC, 'number');
  t.true(obs!.condition.length > 0);
  t.is(obs!.observedAt, Date.UTC(2024, 2, 1, 10, 45), "the provider's observation time, not ours");
  t.deepEqual(env.sb.stats().weatherapi.byQuery, { '1012 AB Amsterdam, Netherlands': 1 });
  t.is(env.sb.stats().openMeteo.forecast + env.sb.stats().openMeteo.geocoding, 0, 'Open-Meteo is not asked');
  t.is(env.requests(), 1);
});

test('weatherapi without a city asks "<postal code>, <country>"', async (t) => {
  const env = await setup(t, 'weatherapi');
  t.truthy(await env.client.current({ country: 'DE', postalCode: '10115' }));
  t.truthy(await env.client.current({ country: 'UK', postalCode: 'sw1a1aa', city: null }));
  t.deepEqual(Object.keys(env.sb.stats().weatherapi.byQuery), ['10115, Germany', 'SW1A 1AA, United Kingdom']);
});

test('a place weatherapi does not know (1006) is null, not an error', async (t) => {
  const env = await setup(t, 'weatherapi');
  t.is(await env.client.current({ country: 'DE', postalCode: '05000' }), null);
  t.is(env.requests(), 1);
});

test('the monthly quota (403 2007) is a RateLimitedError of 6 hours', async (t) => {
  const env = await setup(t, 'weatherapi', { monthlyQuota: 1 });
  await env.client.current(AMSTERDAM);
  const err = await t.throwsAsync(env.client.current(AMSTERDAM), { instanceOf: RateLimitedError });
  t.is(err!.retryAfterMs, QUOTA_RETRY_MS);
  t.is(QUOTA_RETRY_MS, 6 * 3_600_000);
  t.like(err!.details, { provider: 'weatherapi', provider_code: 2007 });
  t.is(env.requests(), 2, 'no retry in place');
});

test('a refused key (401 2006) or a disabled one (403 2008) is an AuthError that says what to set', async (t) => {
  const wrong = await setup(t, 'weatherapi', {}, 'wrong-key');
  const e1 = await t.throwsAsync(wrong.client.current(AMSTERDAM), { instanceOf: AuthError });
  t.regex(e1!.message, /WEATHERAPI_KEY/);
  t.like(e1!.details, { provider_code: 2006 });
  const disabled = await setup(t, 'weatherapi', { disabledWeatherApiKeys: ['old-key'] }, 'old-key');
  const e2 = await t.throwsAsync(disabled.client.current(AMSTERDAM), { instanceOf: AuthError });
  t.like(e2!.details, { provider_code: 2008 });
  t.is(wrong.requests() + disabled.requests(), 2);
});

test('weatherapi 5xx answers are retried in place, then a RetryableError', async (t) => {
  const env = await setup(t, 'weatherapi', { serverErrorRate: 1 });
  await t.throwsAsync(env.client.current(AMSTERDAM), { instanceOf: RetryableError });
  t.is(env.requests(), 3);
});

// ---------------------------------------------------------------- Open-Meteo

test('without a key, Open-Meteo is used: geocoding, then the forecast at the point found', async (t) => {
  const env = await setup(t, 'open-meteo');
  const obs = await env.client.current(AMSTERDAM);
  t.truthy(obs);
  t.is(obs!.provider, 'open-meteo');
  t.is(obs!.observedAt, Date.UTC(2024, 2, 1, 10, 45), 'local time plus the offset is the instant');
  const stats = env.sb.stats();
  t.deepEqual(stats.openMeteo.byName, { 'NL 1012': 1 });
  t.is(stats.openMeteo.forecast, 1);
  t.is(stats.weatherapi.requests, 0);
  t.is(env.requests(), 2);
});

test('both providers report the same weather for one place, with their own condition texts', async (t) => {
  const wa = await setup(t, 'weatherapi');
  const om = await setup(t, 'open-meteo');
  for (const location of [AMSTERDAM, { country: 'DE', postalCode: '10115' }, { country: 'BE', postalCode: '9000', city: 'Gent' }, { country: 'FR', postalCode: '75001' }, { country: 'US', postalCode: '10001' }]) {
    const a = await wa.client.current(location);
    const b = await om.client.current(location);
    t.is(a!.tempC, b!.tempC, JSON.stringify(location));
    t.is(a!.observedAt, b!.observedAt);
  }
});

test('the geocoding cache: a second look-up of a place makes no geocoding request', async (t) => {
  const env = await setup(t, 'open-meteo');
  await env.client.current(AMSTERDAM);
  await env.client.current({ country: 'NL', postalCode: '1012 AB', city: 'Amsterdam' });
  await env.client.current({ country: 'NL', postalCode: '1012 XK' });
  const stats = env.sb.stats();
  t.is(stats.openMeteo.geocoding, 1, 'one postal area, one geocoding call');
  t.is(stats.openMeteo.forecast, 3, 'the weather itself is fetched each time');
  t.is(env.requests(), 4);
});

test('the default cache is shared by every client of the process', async (t) => {
  const clock = { now: T0 };
  const sb = await startWeatherSandbox({ clock: () => clock.now });
  t.teardown(() => sb.close());
  const make = () => createWeatherClient({ weatherApiUrl: sb.url, openMeteoUrl: sb.url, clock: () => clock.now });
  await make().current({ country: 'BE', postalCode: '2000', city: 'Antwerpen' });
  await make().current({ country: 'be', postalCode: ' 2000 ', city: 'Antwerpen' });
  t.is(sb.stats().openMeteo.geocoding, 1, 'the same URL serves geocoding by default when it is not the public Open-Meteo host');
  t.is(sb.stats().openMeteo.forecast, 2);
});

test('an unknown postal code falls back to the city; a place nobody knows is null and is not asked again', async (t) => {
  const env = await setup(t, 'open-meteo');
  const fallback = await env.client.current({ country: 'DE', postalCode: '05000', city: 'Leipzig' });
  t.truthy(fallback);
  t.deepEqual(env.sb.stats().openMeteo.byName, { 'DE 05000': 1, 'DE Leipzig': 1 });
  t.is(await env.client.current({ country: 'DE', postalCode: '05001' }), null);
  t.is(await env.client.current({ country: 'DE', postalCode: '05001' }), null);
  t.is(env.sb.stats().openMeteo.byName['DE 05001'], 1, 'not found is cached too');
  t.is(env.sb.stats().openMeteo.forecast, 1);
});

test('an Open-Meteo 429 is a RateLimitedError until the next minute, and a failed geocoding is not cached', async (t) => {
  const env = await setup(t, 'open-meteo', { openMeteoPerMinute: 1 });
  env.clock.now = Date.UTC(2024, 2, 1, 10, 50, 20);
  const err = await t.throwsAsync(env.client.current(AMSTERDAM), { instanceOf: RateLimitedError });
  t.is(err!.retryAfterMs, 40_000, 'geocoding passed, the forecast hit the minutely limit');
  t.regex(err!.message, /Minutely/);
  env.clock.now += 60_000;
  t.truthy(await env.client.current(AMSTERDAM));
  t.is(env.sb.stats().openMeteo.geocoding, 1);

  const berlin = { country: 'DE', postalCode: '10115' };
  env.clock.now += 1_000;
  await t.throwsAsync(env.client.current(berlin), { instanceOf: RateLimitedError }, 'geocoding refused');
  env.clock.now += 60_000;
  await t.throwsAsync(env.client.current(berlin), { instanceOf: RateLimitedError }, 'geocoding answered, forecast refused');
  t.is(env.sb.stats().openMeteo.byName['DE 10115'], 2, 'the refused geocoding is asked again');
  env.clock.now += 60_000;
  t.truthy(await env.client.current(berlin));
  t.is(env.sb.stats().openMeteo.byName['DE 10115'], 2, 'the answered one is not');
});

test('Open-Meteo 5xx answers are retried in place, then a RetryableError; a success on retry is invisible', async (t) => {
  const env = await setup(t, 'open-meteo', { serverErrorRate: 1 });
  await t.throwsAsync(env.client.current(AMSTERDAM), { instanceOf: RetryableError });
  t.is(env.requests(), 3);
  const flaky = await setup(t, 'open-meteo', { serverErrorRate: 0.4, seed: 5 });
  for (let i = 0; i < 3; i++) t.truthy(await flaky.client.current({ country: 'NL', postalCode: `${3011 + i} AB` }));
  t.true(flaky.sb.stats().injectedServerErrors > 0);
});

test('a forecast the provider refuses as invalid is a PermanentError', async (t) => {
  const env = await setup(t, 'open-meteo');
  const cache = new GeocodeCache();
  // A geocoder answering an impossible point: the forecast refuses it with 400.
  await cache.lookup(`${env.sb.url}\nNL\n1012`, async () => ({ latitude: 123, longitude: 4 }));
  const client = createWeatherClient({ weatherApiUrl: env.sb.url, openMeteoUrl: env.sb.url, geocodeCache: cache, clock: () => env.clock.now });
  await t.throwsAsync(client.current(AMSTERDAM), { instanceOf: PermanentError });
});
