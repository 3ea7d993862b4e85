/**
 * Options of the DHL simulator, their defaults and their checks. Defaults are DHL's initial
 * service level (contract dhl-tracking.md, "Limits"): 1 call per second and 250 per day per key.
 */

export interface DhlSandboxKey {
  key: string;
  /** Calls per second (sliding window of 1000 ms); default 1. */
  perSecond?: number;
  /** Calls per GMT day; default 250. */
  perDay?: number;
}

export interface DhlSandboxOptions {
  /** Default: one key `demo-dhl-key` at 1/s and 250/day. */
  apiKeys?: DhlSandboxKey[];
  /** Added to every tracking answer, after the request was counted (default 0). */
  latencyMs?: number;
  /** 0..1: fraction of accepted calls answered 500 text/html or 503, from a seeded PRNG (default 0). */
  serverErrorRate?: number;
  /** Seed of generated timelines, timestamp formats and injected faults (default 1). */
  seed?: number;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Epoch ms now (default Date.now): limits, the GMT day and event visibility follow it, so tests can run simulated time. */
  clock?: () => number;
  /** Send `Retry-After` with 429s (default true; DHL only says it *may*). */
  sendRetryAfter?: boolean;
}

export type DhlSandboxRuntimeOptions = Partial<Pick<DhlSandboxOptions, 'latencyMs' | 'serverErrorRate' | 'sendRetryAfter'>>;

export interface ResolvedKey {
  key: string;
  perSecond: number;
  perDay: number;
}

export interface ResolvedRuntime {
  latencyMs: number;
  serverErrorRate: number;
  sendRetryAfter: boolean;
}

export const DEFAULT_DHL_API_KEY = 'demo-dhl-key';
export const DEFAULT_PER_SECOND = 1;
export const DEFAULT_PER_DAY = 250;

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`DHL sandbox: ${message}`);
}

export function resolveKeys(keys: DhlSandboxKey[] | undefined): ResolvedKey[] {
  const list = keys ?? [{ key: DEFAULT_DHL_API_KEY }];
  check(list.length > 0, 'apiKeys must list at least one key');
  return list.map((k) => {
    check(typeof k.key === 'string' && k.key.length > 0, 'every API key must be a non-empty string');
    const perSecond = k.perSecond ?? DEFAULT_PER_SECOND;
    const perDay = k.perDay ?? DEFAULT_PER_DAY;
    check(Number.isInteger(perSecond) && perSecond >= 1, `perSecond of ${k.key} must be an integer >= 1`);
    check(Number.isInteger(perDay) && perDay >= 1, `perDay of ${k.key} must be an integer >= 1`);
    return { key: k.key, perSecond, perDay };
  });
}

export function applyRuntimeOptions(current: ResolvedRuntime, patch: DhlSandboxRuntimeOptions): ResolvedRuntime {
  const next = { ...current };
  if (patch.latencyMs !== undefined) {
    check(Number.isFinite(patch.latencyMs) && patch.latencyMs >= 0, 'latencyMs must be >= 0');
    next.latencyMs = patch.latencyMs;
  }
  if (patch.serverErrorRate !== undefined) {
    check(patch.serverErrorRate >= 0 && patch.serverErrorRate <= 1, 'serverErrorRate must be within 0..1');
    next.serverErrorRate = patch.serverErrorRate;
  }
  if (patch.sendRetryAfter !== undefined) next.sendRetryAfter = patch.sendRetryAfter;
  return next;
}

export function resolveRuntime(opts: DhlSandboxOptions): ResolvedRuntime {
  return applyRuntimeOptions({ latencyMs: 0, serverErrorRate: 0, sendRetryAfter: true }, opts);
}

function number(env: NodeJS.ProcessEnv, name: string, check: (n: number) => boolean, expected: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) throw new RangeError(`${name}="${raw}": expected ${expected}`);
  return value;
}

/**
 * For `tsx sandbox/server.ts`: SANDBOX_DHL_PORT, SANDBOX_DHL_API_KEY, SANDBOX_DHL_PER_SECOND,
 * SANDBOX_DHL_PER_DAY, and the shared SANDBOX_HOST, SANDBOX_SEED, SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE.
 */
export function dhlOptionsFromEnv(env: NodeJS.ProcessEnv): DhlSandboxOptions {
  const isInt = (min: number) => (n: number) => Number.isInteger(n) && n >= min;
  const options: DhlSandboxOptions = {};
  const port = number(env, 'SANDBOX_DHL_PORT', (n) => isInt(0)(n) && n <= 65_535, 'a port number');
  const perSecond = number(env, 'SANDBOX_DHL_PER_SECOND', isInt(1), 'an integer >= 1');
  const perDay = number(env, 'SANDBOX_DHL_PER_DAY', isInt(1), 'an integer >= 1');
  const seed = number(env, 'SANDBOX_SEED', isInt(-2_147_483_648), 'an integer');
  const latencyMs = number(env, 'SANDBOX_LATENCY_MS', (n) => n >= 0, 'a number >= 0');
  const errorRate = number(env, 'SANDBOX_ERROR_RATE', (n) => n >= 0 && n <= 1, 'a number in 0..1');
  if (port !== undefined) options.port = port;
  if (env.SANDBOX_HOST) options.host = env.SANDBOX_HOST;
  if (seed !== undefined) options.seed = seed;
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  if (errorRate !== undefined) options.serverErrorRate = errorRate;
  options.apiKeys = [{ key: env.SANDBOX_DHL_API_KEY || DEFAULT_DHL_API_KEY, ...(perSecond !== undefined ? { perSecond } : {}), ...(perDay !== undefined ? { perDay } : {}) }];
  return options;
}
