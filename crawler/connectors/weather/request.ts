import pRetry, { AbortError } from 'p-retry';
import { RetryableError } from '../../../lib/errors.ts';
import { send, NetworkError, type HttpAnswer } from '../../../lib/http.ts';

/**
 * One weather call with in-place retries of 5xx and network failures (p-retry), as the other
 * connectors do: `classify` turns an answer into the result or throws the error that is the
 * worker's retry policy (wrap it in AbortError to stop retrying; throw TransientError to retry).
 */
export class TransientError extends Error {}

export interface CallOptions {
  onRequest?: () => void;
  timeoutMs?: number;
  retries?: number;
  retryMinDelayMs?: number;
  signal?: AbortSignal;
}

export async function callWithRetries<T>(
  opts: CallOptions,
  provider: string,
  request: { url: string; searchParams: Record<string, string> },
  classify: (answer: HttpAnswer) => T,
): Promise<T> {
  const once = async (): Promise<T> => {
    opts.onRequest?.();
    let answer: HttpAnswer;
    try {
      answer = await send({ url: request.url, searchParams: request.searchParams, headers: { accept: 'application/json' }, timeoutMs: opts.timeoutMs ?? 15_000 });
    } catch (err) {
      if (err instanceof NetworkError) throw new TransientError(`${provider} could not be reached: ${err.message}`);
      throw err;
    }
    if (answer.status >= 500 || answer.status === 408) throw new TransientError(`${provider} answered ${answer.status} on ${new URL(request.url).pathname}`);
    try {
      return classify(answer);
    } catch (err) {
      if (err instanceof TransientError || err instanceof AbortError) throw err;
      throw new AbortError(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return pRetry(once, {
    retries: opts.retries ?? 2,
    minTimeout: opts.retryMinDelayMs ?? 500,
    maxTimeout: 4_000,
    factor: 2,
    randomize: true,
    signal: opts.signal,
    shouldRetry: ({ error }) => error instanceof TransientError,
  }).catch((err: unknown) => {
    if (err instanceof TransientError) throw new RetryableError(err.message, { cause: err });
    throw err;
  });
}
