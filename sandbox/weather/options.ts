/**
 * Options of the weather simulator, their defaults and their checks. Defaults follow the
 * contract (weather.md): weatherapi's free plan of about 100,000 calls a month per key;
 * Open-Meteo's 600 calls a minute, 5,000 an hour and 10,000 a day per client.
 */
import { commonOptionsFromEnv, envInt } from '../env.ts';
import { applyLatencyAndErrorRate, type SandboxServerOptions } from '../runtime-options.ts';

/** `seed` drives the simulated weather and the injected faults. */
export interface WeatherSandboxOptions extends SandboxServerOptions {
  /** weatherapi.com keys that work (default ['demo-weather-key']). */
  weatherApiKeys?: string[];
  /** Keys weatherapi knows but has disabled: 403 code 2008. */
  disabledWeatherApiKeys?: string[];
  /** weatherapi calls per key per calendar month (UTC) before 403 code 2007 (default 100,000). */
  monthlyQuota?: number;
  /** Open-Meteo calls (forecast points and geocoding searches) per client per sliding minute (default 600). */
  openMeteoPerMinute?: number;
  /** ... per sliding hour (default 5,000). */
  openMeteoPerHour?: number;
  /** ... per sliding day (default 10,000). */
  openMeteoPerDay?: number;
  /** Epoch ms now (default Date.now): the weather's hour, quotas and limit windows follow it. */
  clock?: () => number;
}

export type WeatherSandboxRuntimeOptions = Partial<
  Pick<WeatherSandboxOptions, 'latencyMs' | 'serverErrorRate' | 'monthlyQuota' | 'openMeteoPerMinute' | 'openMeteoPerHour' | 'openMeteoPerDay'>
>;

export interface ResolvedWeatherRuntime {
  latencyMs: number;
  serverErrorRate: number;
  monthlyQuota: number;
  openMeteoPerMinute: number;
  openMeteoPerHour: number;
  openMeteoPerDay: number;
}

export const DEFAULT_WEATHER_API_KEY = 'demo-weather-key';

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`weather sandbox: ${message}`);
}

const positiveInt = (name: string, v: number) => check(Number.isInteger(v) && v >= 1, `${name} must be an integer >= 1`);

export function applyWeatherRuntime(current: ResolvedWeatherRuntime, patch: WeatherSandboxRuntimeOptions): ResolvedWeatherRuntime {
  const next = { ...current };
  applyLatencyAndErrorRate(next, patch, check);
  for (const name of ['monthlyQuota', 'openMeteoPerMinute', 'openMeteoPerHour', 'openMeteoPerDay'] as const) {
    const v = patch[name];
    if (v !== undefined) {
      positiveInt(name, v);
      next[name] = v;
    }
  }
  return next;
}

export function resolveWeatherRuntime(opts: WeatherSandboxOptions): ResolvedWeatherRuntime {
  return applyWeatherRuntime(
    { latencyMs: 0, serverErrorRate: 0, monthlyQuota: 100_000, openMeteoPerMinute: 600, openMeteoPerHour: 5_000, openMeteoPerDay: 10_000 },
    opts,
  );
}

/**
 * For `tsx sandbox/server.ts`: SANDBOX_WEATHER_PORT, SANDBOX_WEATHER_API_KEY,
 * SANDBOX_WEATHER_MONTHLY_QUOTA, SANDBOX_OPEN_METEO_PER_MINUTE, and the shared SANDBOX_HOST,
 * SANDBOX_SEED, SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE.
 */
export function weatherOptionsFromEnv(env: NodeJS.ProcessEnv): WeatherSandboxOptions {
  const options: WeatherSandboxOptions = commonOptionsFromEnv(env, 'SANDBOX_WEATHER_PORT');
  options.weatherApiKeys = [env.SANDBOX_WEATHER_API_KEY || DEFAULT_WEATHER_API_KEY];
  const quota = envInt(env, 'SANDBOX_WEATHER_MONTHLY_QUOTA', 1);
  const perMinute = envInt(env, 'SANDBOX_OPEN_METEO_PER_MINUTE', 1);
  if (quota !== undefined) options.monthlyQuota = quota;
  if (perMinute !== undefined) options.openMeteoPerMinute = perMinute;
  return options;
}
