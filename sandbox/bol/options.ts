/**
 * Options of the bol sandbox, their defaults and their checks. Defaults are bol's published
 * production values (contract §1: expires_in 299; §4: shipments list 25/min, detail 50/min).
 */
import type { WindowLimit } from '../rate-window.ts';
import { applyLatencyAndErrorRate, type SandboxServerOptions } from '../runtime-options.ts';

export interface BolSandboxClient {
  clientId: string;
  clientSecret: string;
  /** false: tokens are still issued, but API calls answer 403 "Account is not active…" (contract §1). */
  active?: boolean;
}

export interface BolSandboxLimits {
  list?: WindowLimit;
  detail?: WindowLimit;
}

/** latencyMs and serverErrorRate apply to the list and detail calls, not to POST /token. */
export interface BolSandboxOptions extends SandboxServerOptions {
  /** How many shipments to generate (default 120); about 80% FBR, 20% FBB. */
  shipments?: number;
  /** Default: one active client demo-client / demo-secret. */
  clients?: BolSandboxClient[];
  /** expires_in announced by POST /token (default 299). */
  tokenLifetimeSeconds?: number;
  /** When set, tokens die this many ms after issue whatever expires_in said (forces "JWT expired" mid-crawl). */
  earlyExpiryMs?: number;
  /** Per client id and endpoint; defaults list 25 per 60000 ms, detail 50 per 60000 ms. */
  limits?: BolSandboxLimits;
  /**
   * Generated shipment dates span the 3 months before this instant (default: the start of the
   * current UTC day, so a seed gives identical data all day long).
   */
  referenceTimeMs?: number;
}

export type BolSandboxRuntimeOptions = Pick<
  BolSandboxOptions,
  'latencyMs' | 'serverErrorRate' | 'earlyExpiryMs' | 'tokenLifetimeSeconds' | 'limits'
>;

export interface ResolvedRuntimeOptions {
  tokenLifetimeSeconds: number;
  earlyExpiryMs: number | undefined;
  limits: { list: WindowLimit; detail: WindowLimit };
  latencyMs: number;
  serverErrorRate: number;
}

export const DEFAULT_CLIENTS: readonly BolSandboxClient[] = [{ clientId: 'demo-client', clientSecret: 'demo-secret' }];
export const DEFAULT_LIMITS = { list: { capacity: 25, windowMs: 60_000 }, detail: { capacity: 50, windowMs: 60_000 } } as const;

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`bol sandbox: ${message}`);
}

function checkLimit(name: string, limit: WindowLimit): WindowLimit {
  check(Number.isInteger(limit.capacity) && limit.capacity >= 1, `limits.${name}.capacity must be an integer >= 1`);
  check(Number.isFinite(limit.windowMs) && limit.windowMs > 0, `limits.${name}.windowMs must be > 0`);
  return { capacity: limit.capacity, windowMs: limit.windowMs };
}

/** Applies a patch of run-time options onto the current ones, checking every value. */
export function applyRuntimeOptions(current: ResolvedRuntimeOptions, patch: BolSandboxRuntimeOptions): ResolvedRuntimeOptions {
  const next: ResolvedRuntimeOptions = { ...current, limits: { ...current.limits } };
  if (patch.tokenLifetimeSeconds !== undefined) {
    check(Number.isInteger(patch.tokenLifetimeSeconds) && patch.tokenLifetimeSeconds > 0, 'tokenLifetimeSeconds must be a positive integer');
    next.tokenLifetimeSeconds = patch.tokenLifetimeSeconds;
  }
  // An explicit `earlyExpiryMs: undefined` switches early expiry off again.
  if ('earlyExpiryMs' in patch) {
    const ms = patch.earlyExpiryMs;
    check(ms === undefined || (Number.isFinite(ms) && ms >= 0), 'earlyExpiryMs must be >= 0');
    next.earlyExpiryMs = ms;
  }
  if (patch.limits?.list) next.limits.list = checkLimit('list', patch.limits.list);
  if (patch.limits?.detail) next.limits.detail = checkLimit('detail', patch.limits.detail);
  applyLatencyAndErrorRate(next, patch, check);
  return next;
}

export function resolveRuntimeOptions(opts: BolSandboxOptions): ResolvedRuntimeOptions {
  const defaults: ResolvedRuntimeOptions = {
    tokenLifetimeSeconds: 299,
    earlyExpiryMs: undefined,
    limits: { list: { ...DEFAULT_LIMITS.list }, detail: { ...DEFAULT_LIMITS.detail } },
    latencyMs: 0,
    serverErrorRate: 0,
  };
  return applyRuntimeOptions(defaults, {
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds,
    ...(opts.earlyExpiryMs !== undefined ? { earlyExpiryMs: opts.earlyExpiryMs } : {}),
    limits: opts.limits,
    latencyMs: opts.latencyMs,
    serverErrorRate: opts.serverErrorRate,
  });
}

export function checkStartOptions(opts: BolSandboxOptions): void {
  check(opts.seed === undefined || Number.isInteger(opts.seed), 'seed must be an integer');
  check(opts.shipments === undefined || (Number.isInteger(opts.shipments) && opts.shipments >= 0), 'shipments must be an integer >= 0');
  const clients = opts.clients ?? DEFAULT_CLIENTS;
  check(new Set(clients.map((c) => c.clientId)).size === clients.length, 'client ids must be unique');
  check(clients.every((c) => c.clientId.length > 0 && !c.clientId.includes(':')), 'a client id must be non-empty and contain no ":"');
}
