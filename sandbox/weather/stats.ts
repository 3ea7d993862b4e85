/**
 * What the weather simulator saw, so a test can prove what a client did: weatherapi calls per
 * query string and per key, Open-Meteo forecast calls per point and geocoding searches per
 * name, 429s, and a time-stamped log of every call (sandbox clock) for rate checks over time.
 */

export type WeatherApiName = 'weatherapi' | 'forecast' | 'geocoding';

export interface WeatherCallLogEntry {
  /** Sandbox clock at arrival (epoch ms). */
  at: number;
  api: WeatherApiName;
  /** weatherapi: q; forecast: "lat,lon[;lat,lon…]"; geocoding: "<countryCode or *> <name>". */
  query: string;
  status: number;
}

export interface WeatherSandboxStats {
  weatherapi: {
    /** Every call to /v1/current.json, whatever its answer. */
    requests: number;
    ok: number;
    /** 400 code 1006. */
    notFound: number;
    /** 403 code 2007. */
    quotaExceeded: number;
    /** Calls per `q` exactly as sent. */
    byQuery: Record<string, number>;
    /** Calls counted against each key's monthly quota this month. */
    thisMonthByKey: Record<string, number>;
  };
  openMeteo: {
    /** Calls to /v1/forecast. */
    forecast: number;
    /** Calls to /v1/search. */
    geocoding: number;
    /** Forecasts per point "lat,lon" (numbers as sent, e.g. "52.3702,4.8952"); a multi-point call counts for each. */
    byPoint: Record<string, number>;
    /** Geocoding searches per "<countryCode or *> <name>". */
    byName: Record<string, number>;
  };
  /** Open-Meteo 429s. */
  tooManyRequests: number;
  injectedServerErrors: number;
  /** The last 10,000 calls, oldest first. */
  log: WeatherCallLogEntry[];
}

const LOG_LIMIT = 10_000;

export class WeatherStatsRecorder {
  data!: Omit<WeatherSandboxStats, 'weatherapi'> & { weatherapi: Omit<WeatherSandboxStats['weatherapi'], 'thisMonthByKey'> };

  constructor() {
    this.reset();
  }

  reset(): void {
    this.data = {
      weatherapi: { requests: 0, ok: 0, notFound: 0, quotaExceeded: 0, byQuery: {} },
      openMeteo: { forecast: 0, geocoding: 0, byPoint: {}, byName: {} },
      tooManyRequests: 0,
      injectedServerErrors: 0,
      log: [],
    };
  }

  count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }

  logCall(entry: WeatherCallLogEntry): void {
    this.data.log.push(entry);
    if (this.data.log.length > LOG_LIMIT) this.data.log.splice(0, this.data.log.length - LOG_LIMIT);
  }

  snapshot(thisMonthByKey: Record<string, number>): WeatherSandboxStats {
    return structuredClone({ ...this.data, weatherapi: { ...this.data.weatherapi, thisMonthByKey } });
  }
}
