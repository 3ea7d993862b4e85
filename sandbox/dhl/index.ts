/**
 * A DHL Shipment Tracking – Unified simulator (shared contract: dhl-tracking.md):
 * `GET /track/shipments?trackingNumber=…` with a `DHL-API-Key`, DHL's per-key limits (calls per
 * second and per GMT day) with problem+json 429s, 401 for a missing or wrong key, 404 for a
 * number DHL does not know (yet). Shipments are timelines registered by a test (`addShipment`)
 * or generated (`generateShipment`); events appear as the sandbox clock passes their time, so a
 * test with a simulated clock sees shipments move. Everything is in memory; `stats()` tells a
 * test what a client did.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonReply, sleep, writeReply, type Reply } from '../http.ts';
import { startHttpServer } from '../http-server.ts';
import type { SandboxControls } from '../runtime-options.ts';
import { SeededRandom } from '../prng.ts';
import { SlidingWindowLimiter } from '../rate-window.ts';
import { DAY_MS } from '../time.ts';
import { generateTimeline } from './generate.ts';
import {
  applyRuntimeOptions, resolveKeys, resolveRuntime,
  type DhlSandboxOptions, type DhlSandboxRuntimeOptions, type ResolvedKey,
} from './options.ts';
import { badRequest, htmlServerError, notFound, problem, serviceUnavailable, tooManyPerDay, tooManyPerSecond, unauthorized } from './problems.ts';
import { DhlStatsRecorder, type DhlSandboxStats } from './stats.ts';
import { DHL_DEFAULT_LIMIT, DhlShipmentStore, type DhlShipmentExtras, type DhlTimelineEvent } from './store.ts';

export type { DhlSandboxOptions, DhlSandboxKey, DhlSandboxRuntimeOptions } from './options.ts';
export { DEFAULT_DHL_API_KEY, dhlOptionsFromEnv } from './options.ts';
export type { DhlSandboxStats, DhlKeyStats } from './stats.ts';
export type { DhlTimelineEvent, DhlShipmentExtras } from './store.ts';
export type * from './wire.ts';
export { DHL_TEXTS } from './generate.ts';

export interface DhlSandbox extends SandboxControls<DhlSandboxStats, DhlSandboxRuntimeOptions> {
  /** http://127.0.0.1:PORT, to use as DHL_API_URL. */
  url: string;
  /**
   * Registers a shipment and its future timeline: events become visible when clock() passes
   * their time. `extras` sets the service and the origin/destination addresses DHL reports.
   */
  addShipment(trackingNumber: string, timeline: DhlTimelineEvent[], extras?: DhlShipmentExtras): void;
  /**
   * A plausible generated timeline (pre-transit → transit → out for delivery → delivered,
   * sometimes a failed attempt, a parcel-shop pickup or an address problem) starting at
   * `startAt`, registered like addShipment and returned. Same seed and number → same timeline.
   */
  generateShipment(trackingNumber: string, startAt: number): DhlTimelineEvent[];
  /** Starts a new quota day for every key now (as 00:00 GMT does by itself). */
  resetDay(): void;
}

/** Separate stream for faults, so turning error injection on does not change the generated data. */
const FAULT_SEED_SALT = 0x0d41_fa17;

export async function startDhlSandbox(opts: DhlSandboxOptions = {}): Promise<DhlSandbox> {
  const keys = new Map<string, ResolvedKey>(resolveKeys(opts.apiKeys).map((k) => [k.key, k]));
  let runtime = resolveRuntime(opts);
  const seed = opts.seed ?? 1;
  const clock = opts.clock ?? Date.now;
  const store = new DhlShipmentStore(seed);
  const perSecond = new SlidingWindowLimiter();
  const daily = new Map<string, { day: number; count: number }>();
  const stats = new DhlStatsRecorder();
  const faults = new SeededRandom((seed ^ FAULT_SEED_SALT) >>> 0);
  const closing = new AbortController();

  const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
  const usedToday = (key: string, nowMs: number) => {
    const d = daily.get(key);
    return d && d.day === dayOf(nowMs) ? d.count : 0;
  };

  function decide(req: IncomingMessage, nowMs: number): Reply {
    stats.request();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname !== '/track/shipments') return problem(404, 'Not Found', `No resource at ${url.pathname}.`);
    if (req.method !== 'GET') return problem(405, 'Method Not Allowed', `${req.method} is not supported here.`, { Allow: 'GET' });

    const header = req.headers['dhl-api-key'];
    const given = (Array.isArray(header) ? header[0] : header)?.trim();
    const key = given ? keys.get(given) : undefined;
    if (!key) return unauthorized(Boolean(given));

    const trackingNumber = url.searchParams.get('trackingNumber')?.trim() || null;
    const entry = stats.keyed(key.key, trackingNumber, nowMs);

    // The daily quota first: once it is spent, a per-second Retry-After of 1 s would only invite more calls.
    if (usedToday(key.key, nowMs) >= key.perDay) {
      stats.tooMany(entry);
      const untilMidnightS = Math.ceil(((dayOf(nowMs) + 1) * DAY_MS - nowMs) / 1000);
      return tooManyPerDay(key.perDay, Math.max(1, untilMidnightS), runtime.sendRetryAfter);
    }
    const second = perSecond.take(key.key, { capacity: key.perSecond, windowMs: 1000 }, nowMs);
    if (!second.allowed) {
      stats.tooMany(entry);
      return tooManyPerSecond(key.perSecond, Math.max(1, Math.ceil(second.retryAfterMs / 1000)), runtime.sendRetryAfter);
    }
    daily.set(key.key, { day: dayOf(nowMs), count: usedToday(key.key, nowMs) + 1 });

    // One draw per accepted call, so a seed gives the same fault sequence.
    if (faults.float() < runtime.serverErrorRate) {
      stats.injected();
      return faults.chance(0.5) ? htmlServerError() : serviceUnavailable();
    }
    if (!trackingNumber) return badRequest('Missing required query parameter: trackingNumber.');
    const offset = pagingNumber(url.searchParams.get('offset'), 0);
    const limit = pagingNumber(url.searchParams.get('limit'), DHL_DEFAULT_LIMIT);
    if (offset === null || limit === null || limit < 1) return badRequest('offset and limit must be whole numbers (limit at least 1).');
    const answer = store.answer(trackingNumber, nowMs, url.searchParams.get('recipientPostalCode') ?? undefined, { offset, limit });
    if (!answer) {
      entry.notFound += 1;
      return notFound(trackingNumber);
    }
    entry.ok += 1;
    return jsonReply(200, answer, 'application/json', { 'Content-Language': 'en' });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume(); // no request body is read: drain it so the connection can be reused
    // Decided at arrival: latency must not move a call into another second or day.
    const reply = decide(req, clock());
    await sleep(runtime.latencyMs, closing.signal);
    writeReply(res, reply);
  }

  const server = await startHttpServer(
    opts,
    onRequest,
    (err) => jsonReply(500, { title: 'Sandbox failure', status: 500, detail: String(err) }, 'application/problem+json'),
  );

  return {
    url: server.url,
    addShipment(trackingNumber, timeline, extras) {
      if (!trackingNumber.trim()) throw new RangeError('DHL sandbox: addShipment needs a tracking number');
      store.put(trackingNumber, timeline, extras);
    },
    generateShipment(trackingNumber, startAt) {
      const { timeline, extras } = generateTimeline(seed, trackingNumber, startAt);
      store.put(trackingNumber, timeline, extras);
      return timeline.map((e) => ({ ...e, ...(e.location ? { location: { ...e.location } } : {}) }));
    },
    stats: () => stats.snapshot((key) => usedToday(key, clock()), [...keys.keys()]),
    resetStats: () => stats.reset(),
    resetDay() {
      const today = dayOf(clock());
      for (const key of keys.keys()) daily.set(key, { day: today, count: 0 });
    },
    setOptions(patch) {
      runtime = applyRuntimeOptions(runtime, patch);
    },
    async close() {
      closing.abort();
      await server.close();
    },
  };
}

/** A paging parameter: absent → `fallback`, a whole number ≥ 0 → itself, anything else → null (a 400). */
function pagingNumber(value: string | null, fallback: number): number | null {
  if (value === null || value.trim() === '') return fallback;
  return /^\d{1,6}$/.test(value.trim()) ? Number(value) : null;
}
