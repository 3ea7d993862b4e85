/**
 * The weather simulator over real HTTP: weatherapi.com's current.json (shape, keys, quota, error
 * codes), Open-Meteo's forecast (one point or several) and geocoding (postal codes), Open-Meteo's
 * limits, and weather that is a pure function of place and hour. Time is simulated.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { startWeatherSandbox, type WeatherSandbox, type WeatherSandboxOptions } from '../../sandbox/weather/index.ts';
import { startOnTestClock } from './helpers.ts';

const KEY = 'demo-weather-key';
const T0 = Date.UTC(2024, 2, 1, 10, 50, 0);

const weather = (t: ExecutionContext, opts: WeatherSandboxOptions = {}) => startOnTestClock(t, startWeatherSandbox, T0, opts);

async function get(sb: WeatherSandbox, path: string, params: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.url}${path}?${new URLSearchParams(params)}`);
  return { status: res.status, body: await res.json() };
}

const current = (sb: WeatherSandbox, q: string, key = KEY) => get(sb, '/v1/current.json', { key, q, aqi: 'no' });

// ---------------------------------------------------------------- weatherapi.com

test('weatherapi answers current.json in its shape for "<postal code> <city>, <country>"', async (t) => {
  const { sb } = await weather(t);
  const { status, body } = await current(sb, '1012 AB Amsterdam, Netherlands');
  t.is(status, 200);
  t.like(body.location, { name: 'Amsterdam', region: 'Noord-Holland', country: 'Netherlands', tz_id: 'Europe/Amsterdam', localtime_epoch: T0 / 1000, localtime: '2024-03-01 11:50' });
  t.is(typeof body.location.lat, 'number');
  t.is(body.current.last_updated_epoch, Date.UTC(2024, 2, 1, 10, 45) / 1000);
  t.is(body.current.last_updated, '2024-03-01 11:45');
  t.is(typeof body.current.temp_c, 'number');
  t.is(body.current.temp_f, Math.round((body.current.temp_c * 9 / 5 + 32) * 10) / 10);
  t.deepEqual(Object.keys(body.current.condition).sort(), ['code', 'icon', 'text']);
  for (const key of ['is_day', 'wind_kph', 'wind_dir', 'pressure_mb', 'precip_mm', 'humidity', 'cloud', 'feelslike_c', 'vis_km', 'uv', 'gust_kph']) t.true(key in body.current, key);
  t.deepEqual(sb.stats().weatherapi.byQuery, { '1012 AB Amsterdam, Netherlands': 1 });
});

test('weatherapi knows the postal-code areas of NL, BE, DE, FR, GB and US in the forms the contract lists', async (t) => {
  const { sb } = await weather(t);
  const expected: [string, string][] = [
    ['1012AB, Netherlands', 'Amsterdam'],
    ['9711 Groningen, The Netherlands', 'Groningen'],
    ['3011, Netherlands', 'Rotterdam'],
    ['2000 Antwerpen, Belgium', 'Antwerpen'],
    ['4000, Belgium', 'Liège'],
    ['10115 Berlin, Germany', 'Berlin'],
    ['80331, Germany', 'München'],
    ['75001 Paris, France', 'Paris'],
    ['SW1A 1AA, United Kingdom', 'London'],
    ['M1 1AE', 'Manchester'],
    ['10001', 'New York'],
    ['94103, United States', 'San Francisco'],
    ['Utrecht, Netherlands', 'Utrecht'],
    ['Gent', 'Gent'],
    ['52.37,4.9', 'Amsterdam'],
  ];
  for (const [q, name] of expected) {
    const { status, body } = await current(sb, q);
    t.is(status, 200, q);
    t.is(body.location?.name, name, q);
  }
});

test('an unknown place is 400 code 1006; a missing q is 1003', async (t) => {
  const { sb } = await weather(t);
  for (const q of ['00000, Germany', '12345, Narnia', 'Atlantis', '0999, Netherlands', '62000, Germany']) {
    const { status, body } = await current(sb, q);
    t.is(status, 400, q);
    t.deepEqual(body, { error: { code: 1006, message: 'No matching location found.' } }, q);
  }
  const missing = await get(sb, '/v1/current.json', { key: KEY });
  t.is(missing.status, 400);
  t.is(missing.body.error.code, 1003);
  t.is(sb.stats().weatherapi.notFound, 5);
});

test('keys: missing → 401 1002, unknown → 401 2006, disabled → 403 2008', async (t) => {
  const { sb } = await weather(t, { weatherApiKeys: ['good'], disabledWeatherApiKeys: ['old'] });
  t.deepEqual(await current(sb, '10115, Germany', ''), { status: 401, body: { error: { code: 1002, message: 'API key is invalid or not provided.' } } });
  t.deepEqual(await current(sb, '10115, Germany', 'nope'), { status: 401, body: { error: { code: 2006, message: 'API key provided is invalid' } } });
  t.deepEqual(await current(sb, '10115, Germany', 'old'), { status: 403, body: { error: { code: 2008, message: 'API key has been disabled.' } } });
  t.is((await current(sb, '10115, Germany', 'good')).status, 200);
  t.deepEqual(sb.stats().weatherapi.thisMonthByKey, { good: 1 });
});

test('the monthly quota answers 403 2007 until the next calendar month', async (t) => {
  const { sb, clock } = await weather(t, { monthlyQuota: 2 });
  clock.now = Date.UTC(2024, 2, 31, 23, 0);
  t.is((await current(sb, '10115, Germany')).status, 200);
  t.is((await current(sb, '1000, Belgium')).status, 200);
  const over = await current(sb, '10115, Germany');
  t.deepEqual(over, { status: 403, body: { error: { code: 2007, message: 'API key has exceeded calls per month quota.' } } });
  t.is(sb.stats().weatherapi.quotaExceeded, 1);
  clock.now = Date.UTC(2024, 3, 1, 0, 0);
  t.is((await current(sb, '10115, Germany')).status, 200);
  sb.setOptions({ monthlyQuota: 1 });
  t.is((await current(sb, '10115, Germany')).status, 403);
});

// ---------------------------------------------------------------- Open-Meteo

test('Open-Meteo forecast answers one point as an object with the asked current variables', async (t) => {
  const { sb } = await weather(t);
  const { status, body } = await get(sb, '/v1/forecast', { latitude: '48.86', longitude: '2.34', current: 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code', timezone: 'auto' });
  t.is(status, 200);
  t.like(body, { latitude: 48.86, longitude: 2.34, timezone: 'Europe/Paris', utc_offset_seconds: 3600, timezone_abbreviation: 'CET' });
  t.deepEqual(Object.keys(body.current), ['time', 'interval', 'temperature_2m', 'relative_humidity_2m', 'wind_speed_10m', 'weather_code']);
  t.is(body.current.time, '2024-03-01T11:45');
  t.is(body.current.interval, 900);
  t.is(body.current_units.temperature_2m, '°C');
  t.true(Number.isInteger(body.current.weather_code));
  t.deepEqual(sb.stats().openMeteo.byPoint, { '48.86,2.34': 1 });
});

test('Open-Meteo forecast takes comma lists and answers an array; without timezone it speaks GMT', async (t) => {
  const { sb } = await weather(t);
  const { status, body } = await get(sb, '/v1/forecast', { latitude: '52.37,51.05,40.71', longitude: '4.9,3.72,-74.01', current: 'temperature_2m,weather_code' });
  t.is(status, 200);
  t.true(Array.isArray(body));
  t.is(body.length, 3);
  for (const point of body) t.like(point, { timezone: 'GMT', utc_offset_seconds: 0, current: { time: '2024-03-01T10:45' } });
  t.is(sb.stats().openMeteo.forecast, 1);
  t.deepEqual(sb.stats().openMeteo.byPoint, { '52.37,4.9': 1, '51.05,3.72': 1, '40.71,-74.01': 1 });
});

test('Open-Meteo forecast refuses bad parameters with 400 {error, reason}', async (t) => {
  const { sb } = await weather(t);
  const cases: Record<string, string>[] = [
    { latitude: '91', longitude: '4', current: 'temperature_2m' },
    { latitude: '52,53', longitude: '4', current: 'temperature_2m' },
    { latitude: '52', longitude: '4', current: 'temperature_2m,sunshine_colour' },
    { latitude: '52', longitude: '4', timezone: 'Mars/Olympus' },
    { longitude: '4' },
  ];
  for (const params of cases) {
    const { status, body } = await get(sb, '/v1/forecast', params);
    t.is(status, 400, JSON.stringify(params));
    t.is(body.error, true);
    t.is(typeof body.reason, 'string');
  }
});

test('geocoding finds postal codes with their postcodes, towns by name, and nothing (no results key) for the unknown', async (t) => {
  const { sb } = await weather(t);
  const nl = await get(sb, '/v1/search', { name: '1012', count: '1', countryCode: 'NL' });
  t.is(nl.status, 200);
  t.is(nl.body.results.length, 1);
  t.like(nl.body.results[0], { name: 'Amsterdam', country_code: 'NL', postcodes: ['1012'], timezone: 'Europe/Amsterdam' });
  const de = await get(sb, '/v1/search', { name: '10115', count: '1', countryCode: 'DE' });
  t.like(de.body.results[0], { name: 'Berlin', country_code: 'DE', postcodes: ['10115'] });
  const gb = await get(sb, '/v1/search', { name: 'SW1A', count: '1', countryCode: 'GB' });
  t.like(gb.body.results[0], { name: 'London', postcodes: ['SW1A'] });
  const town = await get(sb, '/v1/search', { name: 'Liège', count: '1', countryCode: 'BE' });
  t.like(town.body.results[0], { name: 'Liège', country_code: 'BE' });
  const ambiguous = await get(sb, '/v1/search', { name: '3000' });
  t.deepEqual(ambiguous.body.results.map((r: { country_code: string }) => r.country_code), ['NL', 'BE'], 'a code two countries use, without countryCode');
  for (const name of ['05000', 'Atlantis', 'x']) {
    const none = await get(sb, '/v1/search', { name, count: '1', countryCode: 'DE' });
    t.is(none.status, 200);
    t.false('results' in none.body, name);
  }
  t.is(sb.stats().openMeteo.geocoding, 8);
  t.is(sb.stats().openMeteo.byName['NL 1012'], 1);
});

test('Open-Meteo limits per minute answer 429 {error, reason} until the window moves on', async (t) => {
  const { sb, clock } = await weather(t, { openMeteoPerMinute: 3 });
  const call = () => get(sb, '/v1/forecast', { latitude: '52.37', longitude: '4.9', current: 'temperature_2m' });
  for (let i = 0; i < 3; i++) t.is((await call()).status, 200);
  const over = await call();
  t.is(over.status, 429);
  t.deepEqual(over.body, { error: true, reason: 'Minutely API request limit exceeded. Please try again in one minute.' });
  t.is((await get(sb, '/v1/search', { name: '1012', countryCode: 'NL' })).status, 429, 'geocoding shares the limit');
  clock.now += 60_000;
  t.is((await call()).status, 200);
  t.is(sb.stats().tooManyRequests, 2);
});

test('a call for several points counts as several calls; hourly and daily limits hold too', async (t) => {
  const { sb, clock } = await weather(t, { openMeteoPerMinute: 100, openMeteoPerHour: 4, openMeteoPerDay: 6 });
  const many = await get(sb, '/v1/forecast', { latitude: '52,53,54', longitude: '4,5,6' });
  t.is(many.status, 200);
  t.is((await get(sb, '/v1/forecast', { latitude: '52,53', longitude: '4,5' })).status, 429);
  const hourly = await get(sb, '/v1/forecast', { latitude: '52', longitude: '4' });
  t.is(hourly.status, 200);
  t.like((await get(sb, '/v1/forecast', { latitude: '52', longitude: '4' })).body, { reason: 'Hourly API request limit exceeded. Please try again in the next hour.' });
  clock.now += 3_600_000;
  t.is((await get(sb, '/v1/forecast', { latitude: '52,53', longitude: '4,5' })).status, 200);
  t.like((await get(sb, '/v1/forecast', { latitude: '52', longitude: '4' })).body, { reason: 'Daily API request limit exceeded. Please try again tomorrow.' });
});

// ---------------------------------------------------------------- the weather itself

test('weather is fixed per place and hour, the same from both providers, and moves with the hour', async (t) => {
  const { sb, clock } = await weather(t);
  const geo = (await get(sb, '/v1/search', { name: '10115', count: '1', countryCode: 'DE' })).body.results[0];
  const point = { latitude: String(geo.latitude), longitude: String(geo.longitude), current: 'temperature_2m,weather_code', timezone: 'auto' };
  const om = (await get(sb, '/v1/forecast', point)).body.current;
  const wa = (await current(sb, '10115 Berlin, Germany')).body.current;
  t.is(wa.temp_c, om.temperature_2m, 'both providers see the same weather at one point');
  clock.now += 5 * 60_000;
  t.is((await current(sb, '10115, Germany')).body.current.temp_c, wa.temp_c, 'same hour, same weather');
  const temps = new Set<number>();
  for (let h = 0; h < 12; h++) {
    clock.now = T0 + h * 3_600_000;
    temps.add((await get(sb, '/v1/forecast', point)).body.current.temperature_2m);
  }
  t.true(temps.size > 3, 'the weather changes over the day');
});

test('serverErrorRate answers 5xx, and setOptions turns it off', async (t) => {
  const { sb } = await weather(t, { serverErrorRate: 1 });
  t.true((await current(sb, '10115, Germany')).status >= 500);
  t.true((await get(sb, '/v1/forecast', { latitude: '52', longitude: '4' })).status >= 500);
  t.is(sb.stats().injectedServerErrors, 2);
  sb.setOptions({ serverErrorRate: 0 });
  t.is((await current(sb, '10115, Germany')).status, 200);
});

test('stats log every call with its sandbox time, for rate checks over simulated hours', async (t) => {
  const { sb, clock } = await weather(t);
  await current(sb, '10115, Germany');
  clock.now += 7_200_000;
  await get(sb, '/v1/search', { name: '1012', countryCode: 'NL' });
  t.deepEqual(sb.stats().log, [
    { at: T0, api: 'weatherapi', query: '10115, Germany', status: 200 },
    { at: T0 + 7_200_000, api: 'geocoding', query: 'NL 1012', status: 200 },
  ]);
  sb.resetStats();
  t.deepEqual(sb.stats().log, []);
});
