import got, { RequestError } from 'got';
import { NetworkError } from './errors.ts';
import { providerRateLimited, providerRateRemaining, providerRequestDuration, providerRequests, statusClass } from './metrics.ts';

/**
 * The one HTTP call every connector makes: no got retries (retry policy belongs to the caller,
 * which must route each retry through its rate limiter) and no throwing on HTTP status
 * (a 401 or 429 is an answer to read, not an exception).
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
  try {
    const res = await got(req.url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      searchParams: req.searchParams,
      body: req.body,
      throwHttpErrors: false,
      retry: { limit: 0 },
      followRedirect: false,
      timeout: { request: req.timeoutMs ?? 30_000 },
      signal: req.signal,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  } catch (err) {
    if (err instanceof RequestError) throw new NetworkError(`${req.method ?? 'GET'} ${new URL(req.url).pathname}: ${err.code ?? err.message}`, err);
    throw err;
  }
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
  const stream = got.stream(req.url, {
    headers: req.headers,
    searchParams: req.searchParams,
    throwHttpErrors: false,
    retry: { limit: 0 },
    followRedirect: false,
    timeout: { response: req.timeoutMs ?? 30_000, socket: req.timeoutMs ?? 30_000 },
    signal: req.signal,
  });
  try {
    const response = await new Promise<{ statusCode: number; headers: HttpAnswer['headers'] }>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    providerRequests.inc({ provider: req.provider ?? 'other', status_class: statusClass(response.statusCode) });
    return { status: response.statusCode, headers: response.headers, body: stream, close: () => stream.destroy() };
  } catch (err) {
    stream.destroy();
    if (err instanceof RequestError) providerRequests.inc({ provider: req.provider ?? 'other', status_class: 'network' });
    if (err instanceof RequestError) throw new NetworkError(`GET ${new URL(req.url).pathname}: ${err.code ?? err.message}`, err);
    throw err;
  }
}
