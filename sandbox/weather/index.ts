/**
 * One simulator for both weather providers of the weather contract (weather.md), so one URL
 * serves as WEATHERAPI_URL, OPEN_METEO_URL and OPEN_METEO_GEOCODING_URL:
 * - weatherapi.com: `GET /v1/current.json?key=&q=&aqi=no`, keys, a monthly quota per key (403 2007);
 * - Open-Meteo: `GET /v1/forecast` (one point or comma lists → an array) and the geocoding
 *   `GET /v1/search`, with per-client limits per minute, hour and day (429).
 * Weather is a pure function of (point, hour of the sandbox clock); places are the postal-code
 * areas of places.ts. Everything is in memory; `stats()` tells a test what a client did.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonReply, sleep, writeReply, type Reply } from '../http.ts';
import { startHttpServer } from '../http-server.ts';
import type { SandboxControls } from '../runtime-options.ts';
import { SeededRandom } from '../prng.ts';
import { DAY_MS, HOUR_MS } from '../time.ts';
import { forecastReply, openMeteoError, parseForecast, searchReply } from './open-meteo.ts';
import {
  applyWeatherRuntime, DEFAULT_WEATHER_API_KEY, resolveWeatherRuntime,
  type WeatherSandboxOptions, type WeatherSandboxRuntimeOptions,
} from './options.ts';
import { WeatherStatsRecorder, type WeatherSandboxStats } from './stats.ts';
import { currentReply, resolveQuery, weatherApiError } from './weatherapi.ts';

export type { WeatherSandboxOptions, WeatherSandboxRuntimeOptions } from './options.ts';
export { DEFAULT_WEATHER_API_KEY, weatherOptionsFromEnv } from './options.ts';
export type { WeatherSandboxStats, WeatherCallLogEntry, WeatherApiName } from './stats.ts';
export { simulatedWeather, type SimulatedWeather } from './weather.ts';
export { placeOfPostalCode, type PostalPlace, type CountryCode } from './places.ts';

export interface WeatherSandbox extends SandboxControls<WeatherSandboxStats, WeatherSandboxRuntimeOptions> {
  /** http://127.0.0.1:PORT: WEATHERAPI_URL, OPEN_METEO_URL and OPEN_METEO_GEOCODING_URL at once. */
  url: string;
}

/** A geocoding search as the stats and the call log name it: "<countryCode or *> <name>". */
function searchKey(url: URL): string {
  return `${url.searchParams.get('countryCode')?.toUpperCase() || '*'} ${url.searchParams.get('name') ?? ''}`;
}

/** Separate stream for faults, so turning error injection on does not change the weather. */
const FAULT_SEED_SALT = 0x3e47_fa17;

/** Arrival times within the longest window, for limits that one call can count several times against. */
class CallLog {
  private times: number[] = [];

  /** Whether `cost` more calls fit under every limit at `nowMs`; records them if so. */
  take(cost: number, limits: readonly { capacity: number; windowMs: number; name: string }[], nowMs: number): { allowed: true } | { allowed: false; name: string } {
    const longest = Math.max(...limits.map((l) => l.windowMs));
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= nowMs - longest) drop++;
    if (drop > 0) this.times.splice(0, drop);
    for (const l of limits) {
      let inWindow = 0;
      for (let i = this.times.length - 1; i >= 0 && this.times[i]! > nowMs - l.windowMs; i--) inWindow++;
      if (inWindow + cost > l.capacity) return { allowed: false, name: l.name };
    }
    for (let i = 0; i < cost; i++) this.times.push(nowMs);
    return { allowed: true };
  }
}

const LIMIT_REASONS: Readonly<Record<string, string>> = {
  minute: 'Minutely API request limit exceeded. Please try again in one minute.',
  hour: 'Hourly API request limit exceeded. Please try again in the next hour.',
  day: 'Daily API request limit exceeded. Please try again tomorrow.',
};

export async function startWeatherSandbox(opts: WeatherSandboxOptions = {}): Promise<WeatherSandbox> {
  let runtime = resolveWeatherRuntime(opts);
  const seed = opts.seed ?? 1;
  const clock = opts.clock ?? Date.now;
  const keys = new Set(opts.weatherApiKeys ?? [DEFAULT_WEATHER_API_KEY]);
  const disabled = new Set(opts.disabledWeatherApiKeys ?? []);
  const monthly = new Map<string, { month: string; count: number }>();
  const openMeteoClients = new Map<string, CallLog>();
  const stats = new WeatherStatsRecorder();
  const faults = new SeededRandom((seed ^ FAULT_SEED_SALT) >>> 0);
  const closing = new AbortController();

  const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);
  const usedThisMonth = (key: string, nowMs: number) => {
    const m = monthly.get(key);
    return m && m.month === monthOf(nowMs) ? m.count : 0;
  };
  const injectFault = (): boolean => {
    if (!(faults.float() < runtime.serverErrorRate)) return false;
    stats.data.injectedServerErrors += 1;
    return true;
  };

  function weatherApi(url: URL, nowMs: number): Reply {
    const s = stats.data.weatherapi;
    s.requests += 1;
    const q = url.searchParams.get('q');
    if (q !== null) stats.count(s.byQuery, q);
    const key = url.searchParams.get('key') ?? '';
    if (!key) return weatherApiError(401, 1002, 'API key is invalid or not provided.');
    if (disabled.has(key)) return weatherApiError(403, 2008, 'API key has been disabled.');
    if (!keys.has(key)) return weatherApiError(401, 2006, 'API key provided is invalid');
    if (usedThisMonth(key, nowMs) >= runtime.monthlyQuota) {
      s.quotaExceeded += 1;
      return weatherApiError(403, 2007, 'API key has exceeded calls per month quota.');
    }
    monthly.set(key, { month: monthOf(nowMs), count: usedThisMonth(key, nowMs) + 1 });
    if (injectFault()) return faults.chance(0.5) ? weatherApiError(500, 9999, 'Internal application error.') : jsonReply(503, { error: { code: 9999, message: 'Service unavailable.' } });
    if (!q?.trim()) return weatherApiError(400, 1003, 'Parameter q is missing.');
    const resolved = resolveQuery(q);
    if (!resolved) {
      s.notFound += 1;
      return weatherApiError(400, 1006, 'No matching location found.');
    }
    s.ok += 1;
    return currentReply(seed, resolved, nowMs);
  }

  function openMeteoLimited(client: string, cost: number, nowMs: number): Reply | null {
    let log = openMeteoClients.get(client);
    if (!log) openMeteoClients.set(client, (log = new CallLog()));
    const decision = log.take(
      cost,
      [
        { name: 'minute', capacity: runtime.openMeteoPerMinute, windowMs: 60_000 },
        { name: 'hour', capacity: runtime.openMeteoPerHour, windowMs: HOUR_MS },
        { name: 'day', capacity: runtime.openMeteoPerDay, windowMs: DAY_MS },
      ],
      nowMs,
    );
    if (decision.allowed) return null;
    stats.data.tooManyRequests += 1;
    return openMeteoError(429, LIMIT_REASONS[decision.name]!);
  }

  function forecast(url: URL, client: string, nowMs: number): Reply {
    stats.data.openMeteo.forecast += 1;
    const parsed = parseForecast(url.searchParams);
    if ('points' in parsed) for (const p of parsed.points) stats.count(stats.data.openMeteo.byPoint, `${p.lat},${p.lon}`);
    // Open-Meteo counts a call for several points as several calls.
    const limited = openMeteoLimited(client, 'points' in parsed ? parsed.points.length : 1, nowMs);
    if (limited) return limited;
    if (injectFault()) return openMeteoError(faults.chance(0.5) ? 500 : 503, 'Internal server error');
    if ('reason' in parsed) return openMeteoError(400, parsed.reason);
    return forecastReply(seed, parsed, nowMs);
  }

  function search(url: URL, client: string, nowMs: number): Reply {
    stats.data.openMeteo.geocoding += 1;
    stats.count(stats.data.openMeteo.byName, searchKey(url));
    const limited = openMeteoLimited(client, 1, nowMs);
    if (limited) return limited;
    if (injectFault()) return openMeteoError(faults.chance(0.5) ? 500 : 503, 'Internal server error');
    if (!url.searchParams.has('name')) return openMeteoError(400, "Parameter 'name' is required");
    return searchReply(url.searchParams);
  }

  function decide(req: IncomingMessage, nowMs: number): { reply: Reply; api: 'weatherapi' | 'forecast' | 'geocoding' | null; query: string } {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const client = req.socket.remoteAddress ?? 'client';
    const get = req.method === 'GET';
    switch (url.pathname) {
      case '/v1/current.json':
        return { reply: get ? weatherApi(url, nowMs) : weatherApiError(405, 1005, 'API request url is invalid.'), api: 'weatherapi', query: url.searchParams.get('q') ?? '' };
      case '/v1/forecast':
        return {
          reply: get ? forecast(url, client, nowMs) : openMeteoError(405, 'Method not allowed'),
          api: 'forecast',
          query: `${url.searchParams.get('latitude') ?? ''};${url.searchParams.get('longitude') ?? ''}`,
        };
      case '/v1/search':
        return {
          reply: get ? search(url, client, nowMs) : openMeteoError(405, 'Method not allowed'),
          api: 'geocoding',
          query: searchKey(url),
        };
      default:
        return { reply: openMeteoError(404, `Not Found: ${url.pathname}`), api: null, query: '' };
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume(); // no request body is read: drain it so the connection can be reused
    // Decided at arrival: latency must not move a call into another window or hour.
    const nowMs = clock();
    const { reply, api, query } = decide(req, nowMs);
    if (api) stats.logCall({ at: nowMs, api, query, status: reply.status });
    await sleep(runtime.latencyMs, closing.signal);
    writeReply(res, reply);
  }

  const server = await startHttpServer(
    opts,
    onRequest,
    (err) => jsonReply(500, { error: true, reason: `Sandbox failure: ${String(err)}` }),
  );

  return {
    url: server.url,
    stats: () => {
      const now = clock();
      return stats.snapshot(Object.fromEntries([...keys].map((k) => [k, usedThisMonth(k, now)])));
    },
    resetStats: () => stats.reset(),
    setOptions(patch) {
      runtime = applyWeatherRuntime(runtime, patch);
    },
    async close() {
      closing.abort();
      await server.close();
    },
  };
}
