import got, { RequestError } from 'got';
import { NetworkError } from './errors.ts';

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
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  searchParams?: Record<string, string | number>;
  body?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A network failure (no HTTP answer at all): always worth a retry. */
export async function send(req: HttpRequest): Promise<HttpAnswer> {
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
    return { status: response.statusCode, headers: response.headers, body: stream, close: () => stream.destroy() };
  } catch (err) {
    stream.destroy();
    if (err instanceof RequestError) throw new NetworkError(`GET ${new URL(req.url).pathname}: ${err.code ?? err.message}`, err);
    throw err;
  }
}
