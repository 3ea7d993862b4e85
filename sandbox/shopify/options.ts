/**
 * Options of the Shopify simulator, their defaults and checks, and how `SANDBOX_SHOPIFY_*`
 * variables set them. Defaults are Shopify's published values: a 2,000-point bucket refilling at
 * 100 points/s (the Standard plan's rate), 1,000 points per query, tokens of 86,399 s (client
 * credentials) and 3,600 s (expiring offline) with 90-day refresh tokens.
 */
import { commonOptionsFromEnv, envInt, envNumber } from '../env.ts';
import { applyLatencyAndErrorRate, type SandboxServerOptions } from '../runtime-options.ts';
import { DEFAULT_AUTH, type ResolvedAuth, type ShopAuthOptions } from './auth.ts';

export interface ShopLimits {
  /** Points per second the bucket refills (default 100). */
  restoreRate?: number;
  /** Bucket size (default 2000). */
  bucketSize?: number;
  /** Most a single query may cost (default 1000). */
  maxQueryCost?: number;
}

export interface ShopSpec extends ShopLimits {
  /** The shop's subdomain: `demo-shop` for demo-shop.myshopify.com. */
  shop: string;
  /** Orders to generate (default 200). */
  orders?: number;
  /** Seed of the shop's data (default: the sandbox seed mixed with the shop name). */
  seed?: number;
  auth?: ShopAuthOptions;
}

export interface ShopifySandboxOptions extends SandboxServerOptions, ShopLimits {
  /** The shop started with the sandbox (default `demo-shop`). */
  demoShop?: string;
  /** The demo shop's order count (default 200). */
  orders?: number;
  /** Further shops started with the sandbox. */
  shops?: ShopSpec[];
  /** Auth options applied to every shop unless the shop says otherwise. */
  auth?: ShopAuthOptions;
  /** Bulk operations write this many objects per second (default 2000). */
  bulkObjectsPerSecond?: number;
  /** A bulk operation takes at least this long (default 300 ms). */
  bulkMinMs?: number;
  /** Orders are created over the 60 days before this instant (default: start of the current UTC day). */
  referenceTimeMs?: number;
  /** The sandbox clock (default Date.now): bucket refill, token expiry and bulk progress follow it. */
  clock?: () => number;
}

export type ShopifySandboxRuntimeOptions = Pick<ShopifySandboxOptions, 'latencyMs' | 'serverErrorRate' | 'bulkObjectsPerSecond' | 'bulkMinMs'>;

export interface ResolvedRuntime {
  latencyMs: number;
  serverErrorRate: number;
  bulkObjectsPerSecond: number;
  bulkMinMs: number;
}

export const DEFAULT_SHOP = 'demo-shop';
export const DEFAULT_LIMITS: Required<ShopLimits> = { restoreRate: 100, bucketSize: 2000, maxQueryCost: 1000 };
export const DEFAULT_ORDERS = 200;

export function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`Shopify sandbox: ${message}`);
}

const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;

export function checkShopName(shop: string): void {
  check(/^[a-z0-9][a-z0-9-]{0,59}$/.test(shop), `shop "${shop}" must be a myshopify subdomain (lower-case letters, digits, dashes)`);
}

export function resolveLimits(base: Required<ShopLimits>, patch: ShopLimits): Required<ShopLimits> {
  const out = { ...base };
  for (const key of ['restoreRate', 'bucketSize', 'maxQueryCost'] as const) {
    const value = patch[key];
    if (value === undefined) continue;
    check(positive(value), `${key} must be > 0`);
    out[key] = value;
  }
  return out;
}

export function resolveAuth(base: ResolvedAuth, patch: ShopAuthOptions | undefined): ResolvedAuth {
  const out = { ...base };
  if (!patch) return out;
  for (const key of ['clientCredentialsLifetimeSeconds', 'offlineAccessTokenLifetimeSeconds', 'refreshTokenLifetimeSeconds'] as const) {
    const value = patch[key];
    if (value === undefined) continue;
    check(Number.isInteger(value) && value > 0, `auth.${key} must be a positive integer`);
    out[key] = value;
  }
  for (const key of ['clientCredentials', 'staticToken', 'offline'] as const) if (patch[key] !== undefined) out[key] = patch[key];
  if (patch.scope !== undefined) out.scope = patch.scope;
  return out;
}

export function defaultAuth(opts: ShopifySandboxOptions): ResolvedAuth {
  return resolveAuth(DEFAULT_AUTH, opts.auth);
}

export function applyRuntimeOptions(current: ResolvedRuntime, patch: ShopifySandboxRuntimeOptions): ResolvedRuntime {
  const next = { ...current };
  if (patch.bulkObjectsPerSecond !== undefined) {
    check(positive(patch.bulkObjectsPerSecond), 'bulkObjectsPerSecond must be > 0');
    next.bulkObjectsPerSecond = patch.bulkObjectsPerSecond;
  }
  if (patch.bulkMinMs !== undefined) {
    check(Number.isFinite(patch.bulkMinMs) && patch.bulkMinMs >= 0, 'bulkMinMs must be >= 0');
    next.bulkMinMs = patch.bulkMinMs;
  }
  applyLatencyAndErrorRate(next, patch, check);
  return next;
}

export function resolveRuntime(opts: ShopifySandboxOptions): ResolvedRuntime {
  return applyRuntimeOptions({ latencyMs: 0, serverErrorRate: 0, bulkObjectsPerSecond: 2000, bulkMinMs: 300 }, opts);
}

/** SANDBOX_SHOPIFY_* and the common SANDBOX_SEED, SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE, SANDBOX_HOST. */
export function shopifyOptionsFromEnv(env: NodeJS.ProcessEnv): ShopifySandboxOptions {
  const options: ShopifySandboxOptions = commonOptionsFromEnv(env, 'SANDBOX_SHOPIFY_PORT');
  const orders = envInt(env, 'SANDBOX_SHOPIFY_ORDERS', 0);
  const restoreRate = envNumber(env, 'SANDBOX_SHOPIFY_RESTORE_RATE', (n) => n > 0, 'a number > 0');
  const bucketSize = envNumber(env, 'SANDBOX_SHOPIFY_BUCKET_SIZE', (n) => n > 0, 'a number > 0');
  const perSecond = envNumber(env, 'SANDBOX_SHOPIFY_BULK_OBJECTS_PER_SECOND', (n) => n > 0, 'a number > 0');
  const minMs = envInt(env, 'SANDBOX_SHOPIFY_BULK_MIN_MS', 0);
  const cc = envInt(env, 'SANDBOX_SHOPIFY_TOKEN_LIFETIME_SECONDS', 1);
  const offline = envInt(env, 'SANDBOX_SHOPIFY_OFFLINE_TOKEN_LIFETIME_SECONDS', 1);
  const refresh = envInt(env, 'SANDBOX_SHOPIFY_REFRESH_TOKEN_LIFETIME_SECONDS', 1);
  if (env.SANDBOX_SHOPIFY_SHOP) options.demoShop = env.SANDBOX_SHOPIFY_SHOP;
  if (orders !== undefined) options.orders = orders;
  if (restoreRate !== undefined) options.restoreRate = restoreRate;
  if (bucketSize !== undefined) options.bucketSize = bucketSize;
  if (perSecond !== undefined) options.bulkObjectsPerSecond = perSecond;
  if (minMs !== undefined) options.bulkMinMs = minMs;
  const auth: ShopAuthOptions = {};
  if (cc !== undefined) auth.clientCredentialsLifetimeSeconds = cc;
  if (offline !== undefined) auth.offlineAccessTokenLifetimeSeconds = offline;
  if (refresh !== undefined) auth.refreshTokenLifetimeSeconds = refresh;
  if (Object.keys(auth).length > 0) options.auth = auth;
  return options;
}
