/**
 * Options of the DHL simulator, their defaults and their checks. Defaults are DHL's initial
 * service level (contract dhl-tracking.md, "Limits"): 1 call per second and 250 per day per key.
 */
import { commonOptionsFromEnv, envInt } from '../env.ts';
import { applyLatencyAndErrorRate, type SandboxServerOptions } from '../runtime-options.ts';

export interface DhlSandboxKey {
  key: string;
  /** Calls per second (sliding window of 1000 ms); default 1. */
  perSecond?: number;
  /** Calls per GMT day; default 250. */
  perDay?: number;
}

/**
 * `seed` drives the generated timelines, their timestamp formats and the injected faults;
 * serverErrorRate draws only among calls the limits accepted.
 */
export interface DhlSandboxOptions extends SandboxServerOptions {
  /** Default: one key `demo-dhl-key` at 1/s and 250/day. */
  apiKeys?: DhlSandboxKey[];
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
  applyLatencyAndErrorRate(next, patch, check);
  if (patch.sendRetryAfter !== undefined) next.sendRetryAfter = patch.sendRetryAfter;
  return next;
}

export function resolveRuntime(opts: DhlSandboxOptions): ResolvedRuntime {
  return applyRuntimeOptions({ latencyMs: 0, serverErrorRate: 0, sendRetryAfter: true }, opts);
}

/**
 * For `tsx sandbox/server.ts`: SANDBOX_DHL_PORT, SANDBOX_DHL_API_KEY, SANDBOX_DHL_PER_SECOND,
 * SANDBOX_DHL_PER_DAY, and the shared SANDBOX_HOST, SANDBOX_SEED, SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE.
 */
export function dhlOptionsFromEnv(env: NodeJS.ProcessEnv): DhlSandboxOptions {
  const options: DhlSandboxOptions = commonOptionsFromEnv(env, 'SANDBOX_DHL_PORT');
  const perSecond = envInt(env, 'SANDBOX_DHL_PER_SECOND', 1);
  const perDay = envInt(env, 'SANDBOX_DHL_PER_DAY', 1);
  options.apiKeys = [{ key: env.SANDBOX_DHL_API_KEY || DEFAULT_DHL_API_KEY, ...(perSecond !== undefined ? { perSecond } : {}), ...(perDay !== undefined ? { perDay } : {}) }];
  return options;
}
