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
