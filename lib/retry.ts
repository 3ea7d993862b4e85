import pRetry from 'p-retry';
import { RetryableError, TransientError } from './errors.ts';

export interface InPlaceRetry {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal;
}

/**
 * The one place p-retry is used. Retries `attempt` with exponential backoff and jitter while it
 * throws TransientError; any other error (PermanentError, RateLimitedError, ...) ends the retries
 * and passes through untouched. When the retries run out the failure becomes a RetryableError,
 * so the job itself comes back later (crawler/consume.ts).
 *
 * Once `signal` aborts (shutdown) no new attempt starts, but the one under way is let finish:
 * p-retry's own `signal` would reject at once and drop an answer already on its way, which the
 * next worker would then ask for again.
 */
export async function retryTransient<T>(attempt: () => Promise<T>, opts: InPlaceRetry): Promise<T> {
  // The first attempt runs bare: it is every provider call a worker makes (thousands a second
  // with many shops), and nearly all of them need no retry machinery.
  let first: unknown;
  try {
    return await attempt();
  } catch (err) {
    first = err;
  }
  // p-retry takes over from the failure in hand, as its own first attempt: its retry count and
  // backoff stay exactly as if it had run that attempt itself.
  let replay: unknown = first;
  const attempts = async (): Promise<T> => {
    if (replay === undefined) return attempt();
    const err = replay;
    replay = undefined;
    throw err;
  };
  return pRetry(attempts, {
    retries: opts.retries,
    minTimeout: opts.minDelayMs,
    maxTimeout: opts.maxDelayMs,
    factor: 2,
    randomize: true,
    shouldRetry: ({ error }) => error instanceof TransientError && !opts.signal?.aborted,
  }).catch((err: unknown) => {
    if (err instanceof TransientError) throw new RetryableError(err.message, { cause: err });
    throw err;
  });
}
