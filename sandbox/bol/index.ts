/**
 * A bol.com Retailer API v10 simulator for the shipments crawl: login.bol.com's POST /token and
 * the /retailer/shipments list and detail, with bol's rate limits, token expiry and error bodies
 * (see the bol-retailer-v10 contract). One process can serve as both BOL_LOGIN_URL and
 * BOL_API_URL. Everything is in memory; `stats()` tells a test what a client did.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { jsonReply, readBody, sleep, writeReply, type Reply } from '../http.ts';
import { startHttpServer } from '../http-server.ts';
import type { SandboxControls } from '../runtime-options.ts';
import { SeededRandom } from '../prng.ts';
import { SlidingWindowLimiter } from '../rate-window.ts';
import { DAY_MS } from '../time.ts';
import { handleApiRequest } from './gateway.ts';
import { ShipmentFactory, type SandboxShipment } from './generate.ts';
import {
  applyRuntimeOptions, checkStartOptions, DEFAULT_CLIENTS, resolveRuntimeOptions,
  type BolSandboxOptions, type BolSandboxRuntimeOptions,
} from './options.ts';
import { rateLimitRules } from './ratelimits-endpoint.ts';
import { StatsRecorder, type BolSandboxStats } from './stats.ts';
import { ShipmentStore } from './store.ts';
import { handleTokenRequest } from './token-endpoint.ts';
import { TokenStore } from './tokens.ts';

export type { BolSandboxOptions, BolSandboxClient, BolSandboxLimits, BolSandboxRuntimeOptions } from './options.ts';
export type { SandboxShipment } from './generate.ts';
export type { BolSandboxStats, BolEndpoint, LimitedEndpoint, RequestCount, WindowPeak } from './stats.ts';
export type * from './wire.ts';
export { RETAILER_V10_MEDIA_TYPE, SHIPMENTS_PAGE_SIZE } from './wire.ts';

export interface BolSandbox extends SandboxControls<BolSandboxStats, BolSandboxRuntimeOptions> {
  /** http://127.0.0.1:PORT: token at POST /token, API under /retailer/… */
  url: string;
  /** Ground truth, newest first (grows with addShipments). */
  readonly shipments: readonly SandboxShipment[];
  /** Generates n shipments newer than all existing ones; they go on top of the list. Returns them newest first. */
  addShipments(n: number): SandboxShipment[];
}

/** Generated history spans this much before the reference time: just inside bol's 3-month window (contract §2). */
const HISTORY_SPAN_MS = 88 * DAY_MS;
/** Separate stream for faults, so turning error injection on does not change the generated data. */
const FAULT_SEED_SALT = 0x5eed_fa17;

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export async function startBolSandbox(opts: BolSandboxOptions = {}): Promise<BolSandbox> {
  checkStartOptions(opts);
  let runtime = resolveRuntimeOptions(opts);
  const seed = opts.seed ?? 1;
  const clients = (opts.clients ?? DEFAULT_CLIENTS).map((c) => ({ ...c }));
  const activeClients = new Map(clients.map((c) => [c.clientId, c.active !== false]));
  const referenceTimeMs = opts.referenceTimeMs ?? startOfUtcDay(Date.now());

  const factory = new ShipmentFactory(seed);
  const store = new ShipmentStore();
  const initialCount = opts.shipments ?? 120;
  store.prepend(factory.build(factory.instants(initialCount, referenceTimeMs - HISTORY_SPAN_MS, referenceTimeMs), referenceTimeMs));

  const tokens = new TokenStore();
  const limiter = new SlidingWindowLimiter();
  const stats = new StatsRecorder();
  const faults = new SeededRandom((seed ^ FAULT_SEED_SALT) >>> 0);
  const closing = new AbortController();
  // Every request in its latency sleep listens for the close: with many clients, many at once.
  setMaxListeners(0, closing.signal);
  let publicUrl = '';

  const gateway = {
    options: () => runtime,
    activeClients,
    tokens,
    limiter,
    faults,
    stats,
    store,
    get publicUrl() {
      return publicUrl;
    },
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Everything is decided with the arrival time: latency must not move a request into another window.
    const nowMs = Date.now();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');

    if (url.pathname === '/token') {
      stats.request('token');
      const body = await readBody(req);
      const outcome = handleTokenRequest(
        { method: req.method ?? 'GET', query: url.searchParams, authorization: req.headers.authorization, contentType: req.headers['content-type'], body },
        clients,
        tokens,
        runtime.tokenLifetimeSeconds,
        nowMs,
      );
      if (outcome.issuedTo) stats.tokenIssued(outcome.issuedTo);
      stats.status('token', outcome.reply.status);
      writeReply(res, { ...outcome.reply, headers: { ...outcome.reply.headers, 'X-Request-ID': randomUUID() } });
      return;
    }

    if (url.pathname === '/retailer/public/ratelimits') {
      stats.request('ratelimits');
      const reply: Reply =
        req.method === 'GET'
          ? jsonReply(200, rateLimitRules(runtime.limits), 'application/json', { 'X-Request-ID': randomUUID() })
          : jsonReply(405, { title: 'Method Not Allowed', status: 405 }, 'application/json', { Allow: 'GET', 'X-Request-ID': randomUUID() });
      stats.status('ratelimits', reply.status);
      writeReply(res, reply);
      return;
    }

    const { reply, endpoint } = handleApiRequest(
      gateway,
      { method: req.method ?? 'GET', url, authorization: req.headers.authorization, accept: req.headers.accept },
      nowMs,
    );
    if (endpoint === 'list' || endpoint === 'detail') await sleep(runtime.latencyMs, closing.signal);
    writeReply(res, reply);
  }

  const server = await startHttpServer(opts, onRequest, (err) => jsonReply(500, { title: 'Sandbox failure', status: 500, detail: String(err) }));
  publicUrl = server.url;

  return {
    url: publicUrl,
    get shipments() {
      return store.list();
    },
    addShipments(n: number): SandboxShipment[] {
      if (!Number.isInteger(n) || n < 0) throw new RangeError('bol sandbox: addShipments(n) needs an integer n >= 0');
      if (n === 0) return [];
      const newestMs = store.newest()?.shippedAtMs ?? referenceTimeMs - DAY_MS;
      // Spread the new shipments between the newest one and now, at least a second apart.
      const untilMs = Math.max(Date.now(), newestMs + n * 1000);
      const instants: number[] = [];
      for (let i = 1; i <= n; i++) {
        const at = Math.floor((newestMs + ((untilMs - newestMs) * i) / n) / 1000) * 1000;
        instants.push(Math.max(at, (instants[instants.length - 1] ?? newestMs) + 1000));
      }
      const added = factory.build(instants, Date.now());
      store.prepend(added);
      return added;
    },
    stats: () => stats.snapshot(runtime.limits),
    resetStats: () => stats.reset(),
    setOptions(patch: BolSandboxRuntimeOptions): void {
      runtime = applyRuntimeOptions(runtime, patch);
    },
    async close(): Promise<void> {
      closing.abort();
      await server.close();
    },
  };
}
