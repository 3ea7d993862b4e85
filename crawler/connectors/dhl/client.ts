import { retryTransient } from '../../../lib/retry.ts';
import { ZodError } from 'zod';
import { AuthError, NetworkError, PermanentError, RateLimitedError, RetryableError, TransientError } from '../../../lib/errors.ts';
import { send, parseJson, type HttpAnswer } from '../../../lib/http.ts';
import type { ProviderCallOptions } from '../types.ts';
import { readRateLimit } from './limits.ts';
import { notFoundTracking, parseDhlTracking, type DhlTracking } from './parse.ts';

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


export function createDhlClient(opts: DhlClientOptions): DhlClient {
  const clock = opts.clock ?? Date.now;
  return {
    async track(trackingNumber, trackOpts = {}) {
      const number = trackingNumber.trim();
      if (number === '') throw new PermanentError('DHL tracking needs a tracking number; got an empty one.');
      if (!opts.apiKey) throw missingKey();
      const searchParams: Record<string, string> = { trackingNumber: number };
      if (trackOpts.recipientPostalCode?.trim()) searchParams.recipientPostalCode = trackOpts.recipientPostalCode.trim();

      const answer = await retryTransient(() => callOnce(opts, searchParams, clock), {
        retries: opts.retries ?? 2,
        minDelayMs: opts.retryMinDelayMs ?? 1_000,
        maxDelayMs: 8_000,
        signal: opts.signal,
      });

      if (answer.status === 404) return notFoundTracking(trackingNumber);
      const body = parseJson(answer.body);
      if (body === undefined) throw new RetryableError(`DHL answered ${answer.status} with a body that is not JSON`);
      try {
        return parseDhlTracking(trackingNumber, body);
      } catch (err) {
        if (err instanceof ZodError) {
          throw new PermanentError(`DHL answered a tracking body shipsync cannot read: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { cause: err });
        }
        throw err;
      }
    },
  };
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
