import { retryTransient } from '../../../lib/retry.ts';
import { ZodError } from 'zod';
import { AuthError, NetworkError, PermanentError, RateLimitedError, RetryableError, TransientError } from '../../../lib/errors.ts';
import { send, parseJson, type HttpAnswer } from '../../../lib/http.ts';
import type { ProviderCallOptions } from '../types.ts';
import { readRateLimit } from './limits.ts';
import { normaliseNumber, notFoundTracking, parseDhlAnswerPage, trackingOfShipments, type DhlAnswerPage, type DhlTracking } from './parse.ts';

export type { DhlTracking } from './parse.ts';

/**
 * The DHL Shipment Tracking – Unified connector (shared contract: dhl-tracking.md): one call,
 * `GET /track/shipments?trackingNumber=…` with the deployment's `DHL-API-Key`.
 *
 * It does not pace itself: the key's limits (1/s, 250/day) hold across every worker, so the
 * caller decides when a poll may go out. The errors it raises are the worker's retry policy:
 * 429 → RateLimitedError (its `details.scope` says whether the second or the day ran out),
 * 401/403 → AuthError, 5xx/network → retried in place, then RetryableError, other 4xx →
 * PermanentError. 404 is an answer, not an error: `{ found: false }`.
 */

/**
 * Call options: every request, retries included, spends quota. Defaults: 2 retries, the first
 * after 1000 ms (sooner would only meet the 1 call/s limit).
 */
export interface DhlClientOptions extends ProviderCallOptions {
  /** The key's pace for a poll's further calls (see CarrierCallOptions); without it, one call per poll. */
  paceFurtherCall?: <T>(call: () => Promise<T>) => Promise<T | undefined>;
  apiUrl: string;
  apiKey: string;
  /** Epoch ms now (default Date.now); the next 00:00 GMT of a daily-quota 429 is counted from it. */
  clock?: () => number;
}

export interface DhlClient {
  /**
   * DHL's view of one shipment. `recipientPostalCode` is sent along when given: parcel-de and
   * parcel-nl return full data only with it. 404 → `{ found: false, events: [] }`.
   */
  track(trackingNumber: string, opts?: { recipientPostalCode?: string }): Promise<DhlTracking>;
}


/**
 * Calls one poll may make at most: its first page and up to three more (further pages of a
 * multi-piece answer, or the divisions DHL names in `possibleAdditionalShipmentsUrl`). Each spends
 * the key's quota like any call, which is why they are few and go through the key's pace.
 */
export const MAX_CALLS_PER_POLL = 4;

export function createDhlClient(opts: DhlClientOptions): DhlClient {
  const clock = opts.clock ?? Date.now;
  const page = async (searchParams: Record<string, string>): Promise<DhlAnswerPage | null> => {
    const answer = await retryTransient(() => callOnce(opts, searchParams, clock), {
      retries: opts.retries ?? 2,
      minDelayMs: opts.retryMinDelayMs ?? 1_000,
      maxDelayMs: 8_000,
      signal: opts.signal,
    });
    if (answer.status === 404) return null;
    const body = parseJson(answer.body);
    if (body === undefined) throw new RetryableError(`DHL answered ${answer.status} with a body that is not JSON`);
    try {
      return parseDhlAnswerPage(body);
    } catch (err) {
      if (err instanceof ZodError) {
        throw new PermanentError(`DHL answered a tracking body shipsync cannot read: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { cause: err });
      }
      throw err;
    }
  };
  return {
    async track(trackingNumber, trackOpts = {}) {
      const number = trackingNumber.trim();
      if (number === '') throw new PermanentError('DHL tracking needs a tracking number; got an empty one.');
      if (!opts.apiKey) throw missingKey();
      const searchParams: Record<string, string> = { trackingNumber: number };
      if (trackOpts.recipientPostalCode?.trim()) searchParams.recipientPostalCode = trackOpts.recipientPostalCode.trim();

      const first = await page(searchParams);
      if (!first) return notFoundTracking(trackingNumber);
      const shipments = [...first.shipments];
      const further = opts.paceFurtherCall;
      let calls = 1;
      // Further pages: asked of the same endpoint at the offset the answer names, never at the
      // URL itself (the key must not go wherever an answer points; DHL's examples are not even
      // well-formed URLs).
      let next = first.nextUrl;
      while (next && further && calls < MAX_CALLS_PER_POLL) {
        const offset = offsetOf(next) ?? shipments.length;
        const more = await further(() => page({ ...searchParams, offset: String(offset), limit: String(DHL_PAGE_LIMIT) }));
        calls += 1;
        if (!more || more.shipments.length === 0) break;
        shipments.push(...more.shipments);
        next = more.nextUrl;
      }
      // Another division may hold the number when none of these shipments is it.
      if (further && !shipments.some((s) => s.id && normaliseNumber(s.id) === normaliseNumber(number))) {
        for (const service of first.possibleAdditionalShipmentsUrl.map(serviceOf).filter((v): v is string => v !== null)) {
          if (calls >= MAX_CALLS_PER_POLL) break;
          const other = await further(() => page({ ...searchParams, service }));
          calls += 1;
          const found = other?.shipments.filter((s) => s.id && normaliseNumber(s.id) === normaliseNumber(number)) ?? [];
          if (found.length > 0) {
            shipments.unshift(...found);
            break;
          }
        }
      }
      return trackingOfShipments(trackingNumber, shipments);
    },
  };
}

/** DHL's default page size (`limit`), asked for explicitly on later pages. */
const DHL_PAGE_LIMIT = 5;

function offsetOf(url: string): number | null {
  const m = /[?&]offset=(\d+)/.exec(url);
  return m ? Number(m[1]) : null;
}

function serviceOf(url: string): string | null {
  const m = /[?&]service=([a-z-]+)/i.exec(url);
  return m ? m[1]!.toLowerCase() : null;
}


async function callOnce(opts: DhlClientOptions, searchParams: Record<string, string>, clock: () => number): Promise<HttpAnswer> {
  opts.onRequest?.();
  let answer: HttpAnswer;
  try {
    answer = await send({
      provider: 'dhl',
      url: new URL('/track/shipments', opts.apiUrl).toString(),
      headers: { 'DHL-API-Key': opts.apiKey, accept: 'application/json' },
      searchParams,
      timeoutMs: opts.timeoutMs,
    });
  } catch (err) {
    if (err instanceof NetworkError) throw new TransientError(`DHL could not be reached: ${err.message}`);
    throw err;
  }
  return classify(answer, clock);
}

function classify(answer: HttpAnswer, clock: () => number): HttpAnswer {
  const { status } = answer;
  if ((status >= 200 && status < 300) || status === 404) return answer;
  const problem = parseJson(answer.body) as { title?: unknown; detail?: unknown } | undefined;
  const title = typeof problem?.title === 'string' ? problem.title : '';
  const detail = typeof problem?.detail === 'string' ? problem.detail : '';
  const what = [title, detail].filter(Boolean).join(': ') || `HTTP ${status}`;
  if (status === 429) {
    const now = clock();
    const limit = readRateLimit(answer.headers['retry-after'], `${title} ${detail}`, now);
    throw new RateLimitedError(
        `DHL answered 429 (${limit.scope === 'day' ? 'daily quota of the API key used up' : 'more than the calls per second the API key allows'}); retry in ${Math.ceil(limit.waitMs / 1000)} s`,
        limit.waitMs,
        { details: { provider: 'dhl', scope: limit.scope, retry_at: now + limit.waitMs } },
      );
  }
  if (status === 401 || status === 403) {
    throw new AuthError(
        `DHL refused the API key (${status}: ${what}). Set DHL_API_KEY to a key subscribed to the "Shipment Tracking - Unified" API (developer.dhl.com → My Apps) and restart the workers.`,
        { details: { provider: 'dhl', provider_status: status } },
      );
  }
  if (status >= 500 || status === 408) throw new TransientError(`DHL answered ${status} on /track/shipments`);
  throw new PermanentError(`DHL answered ${status} on /track/shipments: ${what}`, { details: { provider: 'dhl', provider_status: status } });
}

function missingKey(): AuthError {
  return new AuthError('DHL tracking needs an API key: set DHL_API_KEY to a key for the "Shipment Tracking - Unified" API (developer.dhl.com → My Apps) and restart the workers.', {
    details: { provider: 'dhl' },
  });
}
