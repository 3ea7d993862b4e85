/**
 * What the sandbox saw, so a test can prove what a client did: how often each endpoint was
 * hit and answered what, which pages and details were fetched how often, and how hard each
 * client pushed against its rate limits.
 */
import { WindowPeakTracker, type WindowLimit } from '../rate-window.ts';
import type { FulfilmentMethod } from './wire.ts';

export type BolEndpoint = 'token' | 'list' | 'detail' | 'ratelimits' | 'other';
export type LimitedEndpoint = 'list' | 'detail';

export interface RequestCount {
  /** Requests that arrived, whatever they were answered. */
  requests: number;
  /** Of those, answered 200. */
  ok: number;
}

export interface WindowPeak {
  /** Configured limit at the time stats() was read. */
  capacity: number;
  windowMs: number;
  /** Most requests (accepted or answered 429) that arrived in any windowMs interval: > capacity means the client overran its limit. */
  maxInWindow: number;
  /** Most requests accepted in any windowMs interval (never above capacity unless the limit was lowered at run time). */
  maxAcceptedInWindow: number;
}

export interface BolSandboxStats {
  /** Requests per endpoint, every answer included. */
  requests: Record<BolEndpoint, number>;
  /** Answers per HTTP status code ("200", "429", …), all endpoints. */
  statuses: Record<string, number>;
  /** Answers per endpoint and status code. */
  statusesByEndpoint: Record<BolEndpoint, Record<string, number>>;
  /** 429s served. */
  tooManyRequests: { total: number; list: number; detail: number };
  /** Faults injected by serverErrorRate: 500 text/html and 503 Problem. */
  injectedServerErrors: { total: number; status500: number; status503: number };
  /** 401 "Expired JWT" answers served. */
  jwtExpired: number;
  tokensIssued: number;
  tokensIssuedByClient: Record<string, number>;
  /** GET /retailer/shipments/{id} per shipment id (unknown ids included). */
  detailByShipmentId: Record<string, RequestCount>;
  /** GET /retailer/shipments per fulfilment method and page number (order-id queries excluded). */
  listByPage: Record<FulfilmentMethod, Record<string, RequestCount>>;
  /** Per client id: sliding-window peaks of the rate-limited endpoints. */
  windows: Record<string, Record<LimitedEndpoint, WindowPeak>>;
  /**
   * Answers (200) of a page or a shipment that the same client had been answered before: data
   * fetched twice. Per client, because every client (each shop) crawls the same store.
   */
  repeated: { total: number; list: number; detail: number; byClient: Record<string, { list: number; detail: number }> };
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function emptyEndpointMap<T>(make: () => T): Record<BolEndpoint, T> {
  return { token: make(), list: make(), detail: make(), ratelimits: make(), other: make() };
}

export class StatsRecorder {
  private data!: Omit<BolSandboxStats, 'windows'>;
  private readonly arrivals = new WindowPeakTracker();
  private readonly accepted = new WindowPeakTracker();
  private readonly clientsSeen = new Set<string>();
  /** `<client>\n<endpoint>\n<page or shipment>` of every 200 served. */
  private readonly answered = new Set<string>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.data = {
      requests: emptyEndpointMap(() => 0),
      statuses: {},
      statusesByEndpoint: emptyEndpointMap(() => ({})),
      tooManyRequests: { total: 0, list: 0, detail: 0 },
      injectedServerErrors: { total: 0, status500: 0, status503: 0 },
      jwtExpired: 0,
      tokensIssued: 0,
      tokensIssuedByClient: {},
      detailByShipmentId: {},
      listByPage: { FBR: {}, FBB: {} },
      repeated: { total: 0, list: 0, detail: 0, byClient: {} },
    };
    this.answered.clear();
    this.arrivals.clear();
    this.accepted.clear();
    this.clientsSeen.clear();
  }

  request(endpoint: BolEndpoint): void {
    this.data.requests[endpoint] += 1;
  }

  status(endpoint: BolEndpoint, status: number): void {
    bump(this.data.statuses, String(status));
    bump(this.data.statusesByEndpoint[endpoint], String(status));
  }

  tokenIssued(clientId: string): void {
    this.data.tokensIssued += 1;
    bump(this.data.tokensIssuedByClient, clientId);
  }

  jwtExpired(): void {
    this.data.jwtExpired += 1;
  }

  /** A request reached the rate limiter: recorded whether it was accepted or not. */
  limiterArrival(clientId: string, endpoint: LimitedEndpoint, windowMs: number, nowMs: number, accepted: boolean): void {
    this.clientsSeen.add(clientId);
    this.arrivals.record(`${clientId}\n${endpoint}`, windowMs, nowMs);
    if (accepted) this.accepted.record(`${clientId}\n${endpoint}`, windowMs, nowMs);
    else {
      this.data.tooManyRequests.total += 1;
      this.data.tooManyRequests[endpoint] += 1;
    }
  }

  /** A page (`FBR:3`) or a shipment was answered 200 to `clientId`. */
  answeredOk(clientId: string, endpoint: LimitedEndpoint, resource: string): void {
    const key = `${clientId}\n${endpoint}\n${resource}`;
    if (!this.answered.has(key)) {
      this.answered.add(key);
      return;
    }
    const { repeated } = this.data;
    repeated.total += 1;
    repeated[endpoint] += 1;
    (repeated.byClient[clientId] ??= { list: 0, detail: 0 })[endpoint] += 1;
  }

  injected(status: 500 | 503): void {
    this.data.injectedServerErrors.total += 1;
    if (status === 500) this.data.injectedServerErrors.status500 += 1;
    else this.data.injectedServerErrors.status503 += 1;
  }

  detailRequest(shipmentId: string): RequestCount {
    const entry = (this.data.detailByShipmentId[shipmentId] ??= { requests: 0, ok: 0 });
    entry.requests += 1;
    return entry;
  }

  listRequest(method: FulfilmentMethod, page: number): RequestCount {
    const entry = (this.data.listByPage[method][String(page)] ??= { requests: 0, ok: 0 });
    entry.requests += 1;
    return entry;
  }

  /** A deep copy, so a test can keep one snapshot and compare it with a later one. */
  snapshot(limits: Record<LimitedEndpoint, WindowLimit>): BolSandboxStats {
    const windows: BolSandboxStats['windows'] = {};
    for (const clientId of this.clientsSeen) {
      const peak = (endpoint: LimitedEndpoint): WindowPeak => ({
        capacity: limits[endpoint].capacity,
        windowMs: limits[endpoint].windowMs,
        maxInWindow: this.arrivals.peak(`${clientId}\n${endpoint}`),
        maxAcceptedInWindow: this.accepted.peak(`${clientId}\n${endpoint}`),
      });
      windows[clientId] = { list: peak('list'), detail: peak('detail') };
    }
    return structuredClone({ ...this.data, windows });
  }
}
