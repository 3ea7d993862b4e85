import { retryTransient } from '../../../lib/retry.ts';
import { AuthError, NetworkError, PermanentError, RateLimitedError, ShutdownError, TransientError } from '../../../lib/errors.ts';
import { send, parseJson, type HttpAnswer } from '../../../lib/http.ts';
import type { RateLimiter } from '../../../lib/rate-limiter.ts';
import type { ProviderCallOptions, ShipmentRecord } from '../types.ts';
import { parseRateHeaders, parseRetryAfterMs, parsePublishedLimits, type BolEndpoint } from './limits.ts';
import { parseShipmentDetail, parseShipmentsPage, type ReducedShipment } from './parse.ts';
import type { BolTokens } from './token.ts';

/**
 * The bol Retailer API v10 shipments connector (shared contract: bol-retailer-v10.md).
 * Every request goes through the shop's rate limiter, including retries. The error classes it
 * raises are the worker's retry policy: 429 → RateLimitedError (waits, costs no attempt),
 * 5xx/network after in-place retries → RetryableError, refused credentials → AuthError.
 */

export const MEDIA_TYPE = 'application/vnd.retailer.v10+json';
export const PAGE_SIZE = 50;
export type FulfilmentMethod = 'FBR' | 'FBB';

/** Call options: `onRequest` counts the run's `requests_made`; 4 retries by default. */
export interface BolClientOptions extends ProviderCallOptions {
  apiUrl: string;
  tokens: BolTokens;
  limiter: RateLimiter;
  onRequest: () => void;
}

export interface BolClient {
  listShipments(method: FulfilmentMethod, page: number): Promise<ReducedShipment[]>;
  /** null when bol no longer knows the shipment (404). */
  getShipment(shipmentId: string): Promise<ShipmentRecord | null>;
}

export function createBolClient(opts: BolClientOptions): BolClient {
  const call = (endpoint: BolEndpoint, path: string, searchParams?: Record<string, string | number>) =>
    retryTransient(() => callOnce(opts, endpoint, path, searchParams), {
      retries: opts.retries ?? 4,
      minDelayMs: opts.retryMinDelayMs ?? 250,
      maxDelayMs: 4_000,
      signal: opts.signal,
    });

  return {
    async listShipments(method, page) {
      const answer = await call('list', '/retailer/shipments', { page, 'fulfilment-method': method });
      return parseShipmentsPage(jsonOf(answer));
    },
    async getShipment(shipmentId) {
      const answer = await call('detail', `/retailer/shipments/${encodeURIComponent(shipmentId)}`);
      if (answer.status === 404) return null;
      return parseShipmentDetail(jsonOf(answer));
    },
  };
}


/**
 * One request with its token handling. The token is read when the request leaves, not when it
 * joins the limiter's queue: a request that waited behind others must not carry a token that
 * expired meanwhile. A 401 "JWT expired" refreshes the shop's token (one refresh shared by every
 * request in flight, see BolTokens) and sends again; any other 401 gets one refresh, then counts
 * as refused credentials.
 */
async function callOnce(opts: BolClientOptions, endpoint: BolEndpoint, path: string, searchParams?: Record<string, string | number>): Promise<HttpAnswer> {
  for (let refreshes = 0; ; refreshes++) {
    const { answer, token } = await sendLimited(opts, endpoint, path, searchParams);
    if (answer.status === 401 && refreshes < (isJwtExpired(answer) ? MAX_EXPIRY_REFRESHES : 1)) {
      await opts.tokens.refresh(token);
      continue;
    }
    return classify(answer, path);
  }
}

/** A token can expire again while a long crawl goes on; a refused one cannot be fixed by asking again. */
const MAX_EXPIRY_REFRESHES = 3;

function isJwtExpired(answer: HttpAnswer): boolean {
  // picqer's client and bol's own answers (contract §1): the marker is "JWT expired" in `detail`.
  return /JWT expired/i.test(answer.body);
}

async function sendLimited(opts: BolClientOptions, endpoint: BolEndpoint, path: string, searchParams?: Record<string, string | number>): Promise<{ answer: HttpAnswer; token: string }> {
  if (opts.signal?.aborted) throw new ShutdownError();
  let token = '';
  const answer = await opts.limiter
    .schedule(endpoint, async () => {
      if (opts.signal?.aborted) throw new ShutdownError();
      token = await opts.tokens.current();
      opts.onRequest();
      return send({
        provider: 'bol',
        url: new URL(path, opts.apiUrl).toString(),
        headers: { authorization: `Bearer ${token}`, accept: MEDIA_TYPE },
        searchParams,
        timeoutMs: opts.timeoutMs,
        // No abort signal here on purpose: at shutdown a request already sent is let finish,
        // so its answer is kept instead of being asked for again by the next worker.
      });
    })
    .catch((err: unknown) => {
      if (err instanceof NetworkError) throw new TransientError(err.message);
      if (err instanceof ShutdownError || opts.signal?.aborted) throw new ShutdownError();
      throw err;
    });
  opts.limiter.observe(endpoint, parseRateHeaders(answer.headers));
  if (answer.status === 429) {
    const waitMs = parseRetryAfterMs(answer.headers['retry-after']) ?? parseRateHeaders(answer.headers).resetMs ?? 5_000;
    opts.limiter.blockUntil(endpoint, Date.now() + waitMs);
    throw new RateLimitedError(`bol answered 429 on ${endpoint}; retry in ${Math.ceil(waitMs / 1000)} s`, waitMs);
  }
  return { answer, token };
}

function classify(answer: HttpAnswer, path: string): HttpAnswer {
  const { status } = answer;
  if ((status >= 200 && status < 300) || status === 404) return answer;
  const problem = jsonOf(answer, true) as { detail?: string; title?: string; violations?: unknown } | undefined;
  const what = problem?.detail ?? problem?.title ?? `HTTP ${status}`;
  if (status === 401 || status === 403) {
    throw new AuthError(`bol refused access to ${path} (${status}: ${what}). Check that the shop's API credentials are valid and the bol account is active, then replace them with PATCH /shops/:id.`, {
        details: { provider_status: status },
      });
  }
  if (status >= 500 || status === 408) throw new TransientError(`bol answered ${status} on ${path}`);
  throw new PermanentError(`bol answered ${status} on ${path}: ${what}`, { details: problem?.violations });
}

function jsonOf(answer: HttpAnswer, lenient = false): unknown {
  const body = parseJson(answer.body);
  if (body === undefined && !lenient) throw new TransientError(`bol answered ${answer.status} with a body that is not JSON`);
  return body;
}

/** bol's published limits; null when the list cannot be read (then documented figures and headers serve). */
export async function fetchPublishedLimits(apiUrl: string, onRequest: () => void, signal?: AbortSignal) {
  try {
    onRequest();
    const answer = await send({ provider: 'bol', url: new URL('/retailer/public/ratelimits', apiUrl).toString(), headers: { accept: 'application/json' }, signal, timeoutMs: 10_000 });
    if (answer.status !== 200) return null;
    return parsePublishedLimits(parseJson(answer.body));
  } catch {
    return null;
  }
}
