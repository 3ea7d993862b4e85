/**
 * Reads simulator options from environment variables (for `tsx sandbox/server.ts`). Bad values
 * fail loudly: a sandbox silently running with defaults would make a test run meaningless.
 */
import type { WindowLimit } from './rate-window.ts';
import type { BolSandboxOptions } from './bol/index.ts';
import type { SandboxServerOptions } from './runtime-options.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "25/60s", "5/500ms", "50/1m", "25/min" → { capacity, windowMs }. */
export function parseLimitSpec(spec: string): WindowLimit {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|min|m|h)\s*$/.exec(spec);
  const unit = match?.[3];
  if (!match?.[1] || !unit) throw new RangeError(`invalid limit "${spec}": expected CAPACITY/WINDOW like 25/60s, 5/500ms or 50/1m`);
  const capacity = Number(match[1]);
  const windowMs = Number(match[2] ?? '1') * (UNIT_MS[unit] ?? NaN);
  if (capacity < 1 || !(windowMs > 0)) throw new RangeError(`invalid limit "${spec}": capacity and window must be > 0`);
  return { capacity, windowMs };
}

/** The number in variable `name`; undefined when unset or blank, a RangeError when not `ok`. */
export function envNumber(env: NodeJS.ProcessEnv, name: string, ok: (n: number) => boolean, expected: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !ok(value)) throw new RangeError(`${name}="${raw}": expected ${expected}`);
  return value;
}

export const isInt = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

/** The integer >= `min` in variable `name`, like envNumber. */
export function envInt(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  return envNumber(env, name, isInt(min), `an integer >= ${min}`);
}

/**
 * The simulator's own port variable `portName`, and the shared SANDBOX_HOST, SANDBOX_SEED,
 * SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE: the options every simulator reads the same way, each
 * set only when its variable is.
 */
export function commonOptionsFromEnv(env: NodeJS.ProcessEnv, portName: string): SandboxServerOptions {
  const options: SandboxServerOptions = {};
  const port = envNumber(env, portName, (n) => isInt(0)(n) && n <= 65_535, 'a port number');
  const seed = envNumber(env, 'SANDBOX_SEED', isInt(-2_147_483_648), 'an integer');
  const latencyMs = envNumber(env, 'SANDBOX_LATENCY_MS', (n) => n >= 0, 'a number >= 0');
  const errorRate = envNumber(env, 'SANDBOX_ERROR_RATE', (n) => n >= 0 && n <= 1, 'a number in 0..1');
  if (port !== undefined) options.port = port;
  if (env.SANDBOX_HOST) options.host = env.SANDBOX_HOST;
  if (seed !== undefined) options.seed = seed;
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  if (errorRate !== undefined) options.serverErrorRate = errorRate;
  return options;
}

/** SANDBOX_PORT, SANDBOX_SHIPMENTS, SANDBOX_TOKEN_LIFETIME_SECONDS, SANDBOX_LIST_LIMIT, SANDBOX_DETAIL_LIMIT and the common ones. */
export function bolOptionsFromEnv(env: NodeJS.ProcessEnv): BolSandboxOptions {
  const options: BolSandboxOptions = commonOptionsFromEnv(env, 'SANDBOX_PORT');
  const shipments = envInt(env, 'SANDBOX_SHIPMENTS', 0);
  const lifetime = envInt(env, 'SANDBOX_TOKEN_LIFETIME_SECONDS', 1);
  if (shipments !== undefined) options.shipments = shipments;
  if (lifetime !== undefined) options.tokenLifetimeSeconds = lifetime;
  const list = env.SANDBOX_LIST_LIMIT ? parseLimitSpec(env.SANDBOX_LIST_LIMIT) : undefined;
  const detail = env.SANDBOX_DETAIL_LIMIT ? parseLimitSpec(env.SANDBOX_DETAIL_LIMIT) : undefined;
  if (list || detail) options.limits = { ...(list ? { list } : {}), ...(detail ? { detail } : {}) };
  return options;
}
