/**
 * A Shopify Admin API simulator (see README.md): many shops on one port under a path prefix, so
 * `SHOPIFY_API_URL=<url>/{shop}` reaches `/{shop}/admin/oauth/access_token` and
 * `/{shop}/admin/api/{version}/graphql.json` as on `{shop}.myshopify.com`. Bulk files are served
 * from absolute URLs under `/bulk-files/`. Everything is in memory; `stats()` tells a test what a
 * client did.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { jsonReply, readBody, sleep, writeReply } from '../http.ts';
import { startHttpServer } from '../http-server.ts';
import { hash32, SeededRandom } from '../prng.ts';
import type { SandboxControls } from '../runtime-options.ts';
import { ShopTokens, type ResolvedAuth, type ShopAuthOptions, type ShopCredentials } from './auth.ts';
import { CostBucket } from './bucket.ts';
import { BulkOperations, type FailBulkPlan } from './bulk.ts';
import { NOT_FOUND_BODY } from './errors.ts';
import { handleGraphql, type GraphqlShop } from './graphql-endpoint.ts';
import {
  applyRuntimeOptions, check, checkShopName, DEFAULT_LIMITS, DEFAULT_ORDERS, DEFAULT_SHOP, defaultAuth, resolveAuth, resolveLimits,
  resolveRuntime, type ShopifySandboxOptions, type ShopifySandboxRuntimeOptions, type ShopLimits, type ShopSpec,
} from './options.ts';
import type { SandboxFulfillment, SandboxFulfillmentEvent, SandboxOrder } from './records.ts';
import { copyShopStats, emptyShopStats, type ShopifySandboxStats, type ShopifyShopStats } from './stats.ts';
import { OrderStore } from './store.ts';

export { shopCredentials, type ShopCredentials, type ShopAuthOptions } from './auth.ts';
export type { ShopifySandboxOptions, ShopifySandboxRuntimeOptions, ShopSpec, ShopLimits } from './options.ts';
export { shopifyOptionsFromEnv, DEFAULT_SHOP } from './options.ts';
export type { ShopifySandboxStats, ShopifyShopStats } from './stats.ts';
export type * from './records.ts';
export type { FailBulkPlan, BulkErrorCode } from './bulk.ts';

/** One row per fulfillment: what a sync of the shop should end up holding. */
export interface ExpectedFulfillment {
  id: string;
  orderId: string;
  orderName: string;
  orderUpdatedAtMs: number;
  status: SandboxFulfillment['status'];
  displayStatus: SandboxFulfillment['displayStatus'];
  company: string | null;
  number: string | null;
  url: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  inTransitAtMs: number | null;
  deliveredAtMs: number | null;
  estimatedDeliveryAtMs: number | null;
  zip: string;
  city: string;
  countryCode: string;
  phone: string | null;
  events: readonly SandboxFulfillmentEvent[];
}

export interface ShopSettings extends ShopLimits {
  auth?: ShopAuthOptions;
}

export interface ShopifySandbox extends SandboxControls<ShopifySandboxStats, ShopifySandboxRuntimeOptions> {
  /** http://127.0.0.1:PORT; SHOPIFY_API_URL is `${url}/{shop}`. */
  url: string;
  /** `${url}/{shop}`, the value for SHOPIFY_API_URL. */
  apiUrlTemplate: string;
  /** The shops served, by subdomain. */
  shops(): string[];
  addShop(spec: ShopSpec): ShopCredentials;
  setShopOptions(shop: string, patch: ShopSettings): void;
  credentials(shop: string): ShopCredentials;
  /** Ground truth (live records: read, do not change). */
  shopOrders(shop: string): readonly SandboxOrder[];
  expectedFulfillments(shop: string): ExpectedFulfillment[];
  /** Edits n orders now (newer updatedAt plus a new fulfillment or event); returns them. */
  editOrders(shop: string, n: number): SandboxOrder[];
  /** The running (or next) bulk query operation of the shop fails after `afterObjects` lines. */
  failBulk(shop: string, plan: FailBulkPlan): void;
  /** Every token of the shop stops working (static and the initial offline pair too). */
  revokeTokens(shop: string): void;
  /** Empties the shop's bucket (the next query waits for the refill). */
  drainBucket(shop: string): void;
  /** The URL of a bulk operation's complete JSONL file. */
  bulkFileUrl(shop: string, id: string): string | undefined;
}

interface ShopState extends GraphqlShop {
  name: string;
  store: OrderStore;
  bulk: BulkOperations;
  auth: ResolvedAuth;
  limits: Required<ShopLimits>;
}

const FAULT_SEED_SALT = 0x5a0f_17a5;
const API_VERSION = /^(\d{4}-(0[1-9]|1[0-2])|unstable)$/;

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}

/** "bytes=N-" or "bytes=N-M" → [start, endInclusive] within size; null when unsatisfiable; undefined when absent. */
function byteRange(header: string | undefined, size: number): [number, number] | null | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m?.[1]) return undefined;
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || end < start) return null;
  return [start, end];
}

function writeBuffer(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
  res.end(body);
}

export async function startShopifySandbox(opts: ShopifySandboxOptions = {}): Promise<ShopifySandbox> {
  check(opts.seed === undefined || Number.isInteger(opts.seed), 'seed must be an integer');
  let runtime = resolveRuntime(opts);
  const clock = opts.clock ?? Date.now;
  const seed = opts.seed ?? 1;
  const referenceTimeMs = opts.referenceTimeMs ?? startOfUtcDay(clock());
  const baseAuth = defaultAuth(opts);
  const baseLimits = resolveLimits(DEFAULT_LIMITS, opts);
  const faults = new SeededRandom((seed ^ FAULT_SEED_SALT) >>> 0);
  const shops = new Map<string, ShopState>();
  const closing = new AbortController();
  let publicUrl = '';

  function addShop(spec: ShopSpec): ShopCredentials {
    checkShopName(spec.shop);
    check(!shops.has(spec.shop), `shop "${spec.shop}" exists already`);
    check(spec.orders === undefined || (Number.isInteger(spec.orders) && spec.orders >= 0), 'orders must be an integer >= 0');
    const limits = resolveLimits(baseLimits, spec);
    const auth = resolveAuth(baseAuth, spec.auth);
    const nowMs = clock();
    const shopSeed = spec.seed ?? ((seed ^ hash32(spec.shop)) >>> 0);
    const store = new OrderStore(shopSeed, spec.orders ?? DEFAULT_ORDERS, referenceTimeMs);
    const bulk = new BulkOperations(spec.shop, () => ({ objectsPerSecond: runtime.bulkObjectsPerSecond, minMs: runtime.bulkMinMs }), () => publicUrl, shopSeed % 100_000);
    const tokens = new ShopTokens(spec.shop, auth, nowMs);
    shops.set(spec.shop, {
      name: spec.shop,
      store,
      bulk,
      auth,
      limits,
      tokens,
      bucket: new CostBucket(limits.bucketSize, limits.restoreRate, nowMs),
      stats: emptyShopStats(),
      maxQueryCost: limits.maxQueryCost,
      context: { shop: spec.shop, domain: `${spec.shop}.myshopify.com`, store, bulk },
    });
    return tokens.credentials;
  }

  function shopState(shop: string): ShopState {
    const state = shops.get(shop);
    if (!state) throw new RangeError(`Shopify sandbox: no shop "${shop}"`);
    return state;
  }

  addShop({ shop: opts.demoShop ?? DEFAULT_SHOP, orders: opts.orders ?? DEFAULT_ORDERS });
  for (const spec of opts.shops ?? []) addShop(spec);

  function serveFile(req: IncomingMessage, res: ServerResponse, url: URL, nowMs: number): void {
    const m = /^\/bulk-files\/([a-z0-9-]+)\/([a-z0-9-]+)\.jsonl$/.exec(url.pathname);
    const state = m?.[1] ? shops.get(m[1]) : undefined;
    const file = state && m?.[2] ? state.bulk.file(m[2], url.searchParams.get('X-Goog-Signature'), nowMs) : undefined;
    if (state) state.stats.fileRequests += 1;
    if (!file) {
      // What a storage bucket answers for an unknown or badly signed object.
      writeBuffer(res, 403, Buffer.from('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>'), {
        'Content-Type': 'application/xml; charset=UTF-8',
      });
      return;
    }
    const size = file.body.length;
    const range = byteRange(req.headers.range, size);
    const headers = { 'Content-Type': 'application/jsonl', 'Accept-Ranges': 'bytes' };
    if (range === null) {
      writeBuffer(res, 416, Buffer.alloc(0), { ...headers, 'Content-Range': `bytes */${size}` });
    } else if (range) {
      writeBuffer(res, 206, file.body.subarray(range[0], range[1] + 1), { ...headers, 'Content-Range': `bytes ${range[0]}-${range[1]}/${size}` });
    } else {
      writeBuffer(res, 200, file.body, headers);
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Everything is decided at arrival: latency must not move a request into another bucket state.
    const nowMs = clock();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (req.method === 'GET' && url.pathname.startsWith('/bulk-files/')) {
      serveFile(req, res, url, nowMs);
      return;
    }
    const m = /^\/([a-z0-9-]+)(?:\.myshopify\.com)?\/admin\/(?:oauth\/access_token|api\/([^/]+)\/graphql\.json)$/.exec(url.pathname);
    const state = m?.[1] ? shops.get(m[1]) : undefined;
    const requestId = randomUUID();
    if (!m || !state) {
      writeReply(res, jsonReply(404, NOT_FOUND_BODY, 'application/json', { 'X-Request-Id': requestId }));
      return;
    }
    if (req.method !== 'POST') {
      writeReply(res, jsonReply(405, { errors: 'Method Not Allowed' }, 'application/json', { Allow: 'POST', 'X-Request-Id': requestId }));
      return;
    }
    const body = await readBody(req, 1024 * 1024);
    const version = m[2];
    if (version === undefined) {
      const reply = state.tokens.handleTokenRequest(req.headers['content-type'], body, nowMs, state.stats.tokens);
      writeReply(res, { ...reply, headers: { ...reply.headers, 'Cache-Control': 'no-store', 'X-Request-Id': requestId } });
      return;
    }
    if (!API_VERSION.test(version)) {
      writeReply(res, jsonReply(404, NOT_FOUND_BODY, 'application/json', { 'X-Request-Id': requestId }));
      return;
    }
    const header = req.headers['x-shopify-access-token'];
    const reply = handleGraphql(
      state,
      { accessToken: Array.isArray(header) ? header[0] : header, contentType: req.headers['content-type'], body },
      nowMs,
      faults,
      runtime.serverErrorRate,
    );
    state.stats.bulkOperations = state.bulk.created;
    await sleep(runtime.latencyMs, closing.signal);
    writeReply(res, { ...reply, headers: { ...reply.headers, 'X-Shopify-API-Version': version, 'X-Request-Id': requestId } });
  }

  const server = await startHttpServer(opts, onRequest, (err) => jsonReply(500, { errors: [{ message: `Sandbox failure: ${String(err)}` }] }));
  publicUrl = server.url;

  return {
    url: publicUrl,
    apiUrlTemplate: `${publicUrl}/{shop}`,
    shops: () => [...shops.keys()],
    addShop,
    setShopOptions(shop, patch) {
      const state = shopState(shop);
      state.limits = resolveLimits(state.limits, patch);
      state.maxQueryCost = state.limits.maxQueryCost;
      state.bucket.reconfigure(patch.bucketSize, patch.restoreRate, clock());
      if (patch.auth) {
        state.auth = resolveAuth(state.auth, patch.auth);
        state.tokens.setAuth(state.auth);
      }
    },
    credentials: (shop) => shopState(shop).tokens.credentials,
    shopOrders: (shop) => shopState(shop).store.list(),
    expectedFulfillments(shop) {
      return shopState(shop).store.list().flatMap((o) =>
        o.fulfillments.map((f): ExpectedFulfillment => ({
          id: f.id,
          orderId: o.id,
          orderName: o.name,
          orderUpdatedAtMs: o.updatedAtMs,
          status: f.status,
          displayStatus: f.displayStatus,
          company: f.trackingInfo[0]?.company ?? null,
          number: f.trackingInfo[0]?.number ?? null,
          url: f.trackingInfo[0]?.url ?? null,
          createdAtMs: f.createdAtMs,
          updatedAtMs: f.updatedAtMs,
          inTransitAtMs: f.inTransitAtMs,
          deliveredAtMs: f.deliveredAtMs,
          estimatedDeliveryAtMs: f.estimatedDeliveryAtMs,
          zip: o.shippingAddress.zip,
          city: o.shippingAddress.city,
          countryCode: o.shippingAddress.countryCodeV2,
          phone: o.shippingAddress.phone,
          events: f.events,
        })),
      );
    },
    editOrders(shop, n) {
      check(Number.isInteger(n) && n >= 0, 'editOrders(shop, n) needs an integer n >= 0');
      return shopState(shop).store.edit(n, clock());
    },
    failBulk: (shop, plan) => shopState(shop).bulk.failBulk(plan, clock()),
    revokeTokens: (shop) => shopState(shop).tokens.revokeAll(),
    drainBucket: (shop) => shopState(shop).bucket.drain(clock()),
    bulkFileUrl: (shop, id) => shopState(shop).bulk.urlOf(id),
    stats(): ShopifySandboxStats {
      const out: ShopifySandboxStats = {};
      for (const [name, state] of shops) out[name] = copyShopStats({ ...state.stats, bulkOperations: state.bulk.created });
      return out;
    },
    resetStats() {
      for (const state of shops.values()) {
        state.stats = emptyShopStats();
        state.bulk.created = 0;
      }
    },
    setOptions(patch: ShopifySandboxRuntimeOptions) {
      runtime = applyRuntimeOptions(runtime, patch);
    },
    async close() {
      closing.abort();
      await server.close();
    },
  };
}
