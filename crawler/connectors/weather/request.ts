import { NetworkError, TransientError } from '../../../lib/errors.ts';
import { retryTransient } from '../../../lib/retry.ts';
import { send, type HttpAnswer } from '../../../lib/http.ts';
import type { ProviderCallOptions } from '../types.ts';

/**
 * One weather call with in-place retries of 5xx and network failures (p-retry; by default 2, the
 * first after 500 ms, with a 15 s timeout), as the other connectors do: `classify` turns an
 * answer into the result or throws the error that is the worker's retry policy (lib/errors.ts:
 * a TransientError is retried in place, any other error ends the retries).
 */
export async function callWithRetries<T>(
  opts: ProviderCallOptions,
  provider: string,
  request: { url: string; searchParams: Record<string, string> },
  classify: (answer: HttpAnswer) => T,
): Promise<T> {
  const once = async (): Promise<T> => {
    opts.onRequest?.();
    let answer: HttpAnswer;
    try {
      answer = await send({ provider: metricsLabel(provider), url: request.url, searchParams: request.searchParams, headers: { accept: 'application/json' }, timeoutMs: opts.timeoutMs ?? 15_000 });
    } catch (err) {
      if (err instanceof NetworkError) throw new TransientError(`${provider} could not be reached: ${err.message}`);
      throw err;
    }
    if (answer.status >= 500 || answer.status === 408) throw new TransientError(`${provider} answered ${answer.status} on ${new URL(request.url).pathname}`);
    return classify(answer);
  };
  return retryTransient(once, { retries: opts.retries ?? 2, minDelayMs: opts.retryMinDelayMs ?? 500, maxDelayMs: 4_000, signal: opts.signal });
}

/** `Open-Meteo geocoding` → `open-meteo-geocoding`: a provider's name as a metrics label. */
function metricsLabel(provider: string): string {
  return provider.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
