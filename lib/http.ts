import { errors, getGlobalDispatcher, type Dispatcher } from 'undici';
import { NetworkError } from './errors.ts';
import { providerRateLimited, providerRateRemaining, providerRequestDuration, providerRequests, statusClass } from './metrics.ts';

/**
 * The one HTTP call every connector makes: no retries (retry policy belongs to the caller,
 * which must route each retry through its rate limiter), no redirects, and no throwing on HTTP
 * status (a 401 or 429 is an answer to read, not an exception).
 *
 * It runs on undici: with many shops a worker makes thousands of provider calls a second, and
 * undici's keep-alive pool costs a fraction of the CPU per call of a higher-level client (about a
 * tenth of got's per call, measured against a local server). A whole answer is collected by a
 * dispatch handler rather than through `request()`'s body stream: that stream, its promise
 * wrappers and listeners were about 40% of the client's CPU per call.
 */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpRequest {
  /** Who is called (`bol`, `dhl`, `open-meteo`, ...): the label of the provider metrics. */
  provider?: string;
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  searchParams?: Record<string, string | number>;
  body?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A network failure (no HTTP answer at all): always worth a retry. Every call is counted here,
 * the one place all connectors pass through, by provider and status class, with its 429s and the
 * provider's `X-RateLimit-Remaining`.
 */
export async function send(req: HttpRequest): Promise<HttpAnswer> {
  const provider = req.provider ?? 'other';
  const endTimer = providerRequestDuration.startTimer({ provider });
  try {
    const answer = await request(req);
    endTimer();
    providerRequests.inc({ provider, status_class: statusClass(answer.status) });
    if (answer.status === 429) providerRateLimited.inc({ provider });
    const remaining = headerValue(answer.headers['x-ratelimit-remaining']);
    if (remaining !== undefined && Number.isFinite(Number(remaining))) providerRateRemaining.set({ provider }, Number(remaining));
    return answer;
  } catch (err) {
    if (err instanceof NetworkError) providerRequests.inc({ provider, status_class: 'network' });
    throw err;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function request(req: HttpRequest): Promise<HttpAnswer> {
  const method = req.method ?? 'GET';
  try {
    return await dispatchWhole(req, method);
  } catch (err) {
    throw asNetworkError(err, `${method} ${new URL(req.url).pathname}`);
  }
}

/**
 * One request whose answer is read whole into a string, on undici's shared keep-alive pool, with
 * the same timeouts as `dispatch`. An abort of `req.signal` ends it, sent or not.
 */
function dispatchWhole(req: HttpRequest, method: 'GET' | 'POST'): Promise<HttpAnswer> {
  const { signal } = req;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new errors.RequestAbortedError());
    let controller: Dispatcher.DispatchController | undefined;
    const onAbort = () => controller?.abort(new errors.RequestAbortedError());
    const settle = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    let status = 0;
    let headers: HttpAnswer['headers'] = {};
    const chunks: Buffer[] = [];
    const opts = dispatchOptions(req, method);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctl) {
        controller = ctl;
        if (signal?.aborted) ctl.abort(new errors.RequestAbortedError());
      },
      onResponseStart(_ctl, statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
      },
      onResponseData(_ctl, chunk) {
        chunks.push(chunk);
      },
      onResponseEnd() {
        settle();
        resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
      },
      onResponseError(_ctl, err) {
        settle();
        reject(err);
      },
    };
    try {
      getGlobalDispatcher().dispatch(opts, handler);
    } catch (err) {
      // A request undici refuses outright (a bad header): nothing was sent.
      settle();
      reject(err);
    }
  });
}

/** One streamed request on undici's shared keep-alive pool, with the same options as `dispatchWhole`. */
function dispatch(req: HttpRequest, method: 'GET' | 'POST'): Promise<Dispatcher.ResponseData> {
  return getGlobalDispatcher().request({ ...dispatchOptions(req, method), signal: req.signal });
}

/** Where and how a request goes. `timeoutMs` bounds the wait for the answer's headers and each silence while its body arrives. */
function dispatchOptions(req: HttpRequest, method: 'GET' | 'POST'): Dispatcher.DispatchOptions {
  const timeoutMs = req.timeoutMs ?? 30_000;
  const url = new URL(withSearchParams(req.url, req.searchParams));
  return { origin: url.origin, path: url.pathname + url.search, method, headers: req.headers, body: req.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
}

function withSearchParams(url: string, searchParams: HttpRequest['searchParams']): string {
  if (!searchParams) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(searchParams)) u.searchParams.set(k, String(v));
  return u.toString();
}

/** No HTTP answer (refused, reset, timed out, aborted): a NetworkError. A wrong argument stays what it is. */
function asNetworkError(err: unknown, what: string): unknown {
  if (err instanceof errors.InvalidArgumentError || !(err instanceof Error)) return err;
  return new NetworkError(`${what}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, err);
}

export function parseJson(body: string): unknown {
  try {
    return body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** An answer whose body is read as it arrives (a large file), never held whole. */
export interface HttpStreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer>;
  /** Stops reading and closes the connection. */
  close(): void;
}

/** A GET whose body streams; like `send`, no retries, no redirects, no throwing on status. `timeoutMs` bounds each silence. */
export async function openStream(req: Omit<HttpRequest, 'method' | 'body'>): Promise<HttpStreamAnswer> {
  const provider = req.provider ?? 'other';
  let res: Dispatcher.ResponseData;
  try {
    res = await dispatch(req, 'GET');
  } catch (err) {
    providerRequests.inc({ provider, status_class: 'network' });
    throw asNetworkError(err, `GET ${new URL(req.url).pathname}`);
  }
  providerRequests.inc({ provider, status_class: statusClass(res.statusCode) });
  return { status: res.statusCode, headers: res.headers, body: res.body, close: () => res.body.destroy() };
}
