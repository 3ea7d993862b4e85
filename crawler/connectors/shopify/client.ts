import { AuthError, NetworkError, PermanentError, RateLimitedError, ShutdownError, TransientError } from '../../../lib/errors.ts';
import { parseJson, send, type HttpAnswer } from '../../../lib/http.ts';
import { retryTransient } from '../../../lib/retry.ts';
import type { ProviderCallOptions } from '../types.ts';
import type { CostPacer, ThrottleStatus } from './cost.ts';
import { graphqlUrl } from './credentials.ts';
import type { ShopifyTokens } from './token.ts';

/**
 * The GraphQL Admin API, one query at a time under the shop's cost pacer (cost.ts). The error
 * classes it raises are the worker's retry policy: THROTTLED → RateLimitedError (waits for the
 * refill, costs no attempt), 5xx and network after in-place retries → RetryableError, refused
 * credentials or a closed shop → AuthError (the shop is paused with the reason), a query Shopify
 * cannot run → PermanentError.
 */

export interface ShopifyClientOptions extends ProviderCallOptions {
  base: string;
  tokens: ShopifyTokens;
  pacer: CostPacer;
  onRequest: () => void;
}

export interface QueryCall {
  /** The query's shape, for its learnt cost: one name per query text. */
  shape: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Items its page asks for (`first`, ids), 0 for none: the requested cost grows with them. */
  items: number;
}

interface Cost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

interface GraphqlBody {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { cost?: Cost };
}

export interface ShopifyClient {
  query<T>(call: QueryCall): Promise<T>;
}

export function createShopifyClient(opts: ShopifyClientOptions): ShopifyClient {
  return {
    query<T>(call: QueryCall) {
      return retryTransient(() => queryOnce<T>(opts, call), { retries: opts.retries ?? 4, minDelayMs: opts.retryMinDelayMs ?? 250, maxDelayMs: 4_000, signal: opts.signal });
    },
  };
}

/** One query, with one token renewal on a 401. */
async function queryOnce<T>(opts: ShopifyClientOptions, call: QueryCall): Promise<T> {
  for (let renewals = 0; ; renewals++) {
    const { answer, token } = await sendPaced(opts, call);
    if (answer.status === 401 && renewals < 1) {
      await opts.tokens.refused(token, reasonOf(answer));
      continue;
    }
    return readAnswer<T>(opts, call, answer);
  }
}

async function sendPaced(opts: ShopifyClientOptions, call: QueryCall): Promise<{ answer: HttpAnswer; token: string }> {
  if (opts.signal?.aborted) throw new ShutdownError();
  let token = '';
  try {
    const answer = await opts.pacer.run(
      opts.pacer.estimate(call.shape, call.items),
      async () => {
        // Read when the call leaves, not when it started waiting: a token can expire meanwhile.
        token = await opts.tokens.current();
        opts.onRequest();
        return send({
          provider: 'shopify',
          method: 'POST',
          url: graphqlUrl(opts.base),
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-shopify-access-token': token },
          body: JSON.stringify({ query: call.query, variables: call.variables ?? {} }),
          timeoutMs: opts.timeoutMs,
        });
      },
      opts.signal,
    );
    return { answer, token };
  } catch (err) {
    // No answer at all is already a TransientError, retried in place, even at shutdown.
    if (err instanceof NetworkError) throw err;
    if (opts.signal?.aborted) throw new ShutdownError();
    throw err;
  }
}

function readAnswer<T>(opts: ShopifyClientOptions, call: QueryCall, answer: HttpAnswer): T {
  const { status } = answer;
  if (status === 401 || status === 402 || status === 403 || status === 404 || status === 423) {
    const why = reasonOf(answer);
    const what: Record<number, string> = {
      401: "Shopify refused the shop's access token",
      402: 'The Shopify shop is frozen (unpaid)',
      403: "The app may not read this shop's orders",
      404: 'Shopify does not know this shop',
      423: 'The Shopify shop is locked',
    };
    throw new AuthError(`${what[status]} (${why}). Check the shop domain and the app's access (read_orders) and replace the credentials with PATCH /shops/:id.`, {
      details: { provider_status: status, provider_reason: why },
    });
  }
  if (status === 429) throw new RateLimitedError('Shopify answered 429', retryAfterMs(answer) ?? 1_000);
  if (status >= 500 || status === 408) throw new TransientError(`Shopify answered ${status}`);
  const body = parseJson(answer.body) as GraphqlBody | undefined;
  if (status !== 200 || body === undefined) throw new PermanentError(`Shopify answered ${status} to ${call.shape}: ${answer.body.slice(0, 300)}`);

  const cost = body.extensions?.cost;
  opts.pacer.observe(cost?.throttleStatus);
  if (cost) opts.pacer.learn(call.shape, cost.requestedQueryCost, call.items);
  const errors = body.errors ?? [];
  if (errors.some((e) => e.extensions?.code === 'THROTTLED')) {
    const waitMs = opts.pacer.waitMs(cost?.requestedQueryCost ?? opts.pacer.ceiling());
    throw new RateLimitedError(`Shopify throttled ${call.shape}; the bucket refills in ${Math.ceil(waitMs / 1000)} s`, waitMs);
  }
  if (errors.some((e) => e.extensions?.code === 'ACCESS_DENIED')) {
    throw new AuthError(`The app may not read this shop's orders (${errors[0]!.message}). Grant it the read_orders scope and replace the credentials with PATCH /shops/:id.`, {
      details: { provider_status: 200, provider_reason: errors[0]!.message },
    });
  }
  if (errors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) throw new TransientError(`Shopify failed ${call.shape}: ${errors[0]!.message}`);
  if (errors.length > 0 || body.data === undefined || body.data === null) {
    throw new PermanentError(`Shopify refused ${call.shape}: ${errors.map((e) => e.message).join('; ') || 'no data'}`);
  }
  return body.data as T;
}

function reasonOf(answer: HttpAnswer): string {
  const body = parseJson(answer.body) as { errors?: unknown } | undefined;
  return typeof body?.errors === 'string' ? body.errors : `HTTP ${answer.status}`;
}

function retryAfterMs(answer: HttpAnswer): number | undefined {
  const v = answer.headers['retry-after'];
  const seconds = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
