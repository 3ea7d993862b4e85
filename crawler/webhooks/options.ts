import type { AddressPolicy } from '../../lib/ssrf.ts';
import { backoffMs } from '../consume.ts';

/**
 * How webhooks are delivered. The defaults are production's; tests pass short delays.
 *
 * Retry schedule: after failed attempt n the next comes `baseDelayMs * 2^(n-1)` later (capped at
 * `maxDelayMs`, ±20% jitter), for as long as the event is younger than `maxAgeMs`: with the
 * defaults 30 s, 1, 2, 4, 8, 16, 32 min, 1.1, 2.1, 4.3, 8.5 h, then every 12 h: about 16
 * attempts over three days.
 *
 * Circuit: a failure also closes the webhook's circuit for the same backoff (by its failures in
 * a row), so a dead receiver costs one attempt per step, not one per waiting event; when the
 * wait is over one delivery probes, the others wait for its answer.
 *
 * Disabling: a 410 disables at once; otherwise a webhook is disabled when it has failed
 * `disableAfterFailures` attempts in a row and has been failing for `disableAfterMs`.
 */
export interface WebhookOptions extends AddressPolicy {
  /** The whole exchange with the receiver. */
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** An event is retried until it is this old. */
  maxAgeMs: number;
  disableAfterFailures: number;
  disableAfterMs: number;
  /**
   * A receiver whose last answer took longer, or that has had a delivery in flight for longer,
   * is slow: a worker then sends it one delivery at a time and defers the rest through the
   * queue, so its slowness holds at most one of the worker's slots. A receiver a worker has not
   * heard from yet also gets one at a time, until its first answer.
   */
  slowAfterMs: number;
  /**
   * Slots of a worker that deliveries to webhooks not answering quickly (under 100 ms) may hold
   * together; default half its prefetch (at least 1). Quick webhooks may use every slot.
   */
  maxSlowSlots: number;
  /** How often each worker's relay looks for new events. */
  relayIntervalMs: number;
  /** Events one relay transaction claims. */
  relayBatchSize: number;
  /** A pending delivery whose job is this overdue was lost (a crash between commit and publish): published again. */
  sweepAfterMs: number;
}

const HOUR_MS = 3_600_000;

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  allowHttp: false,
  allowPrivateAddresses: false,
  timeoutMs: 15_000,
  baseDelayMs: 30_000,
  maxDelayMs: 12 * HOUR_MS,
  maxAgeMs: 72 * HOUR_MS,
  disableAfterFailures: 10,
  disableAfterMs: 72 * HOUR_MS,
  slowAfterMs: 1_000,
  maxSlowSlots: 2,
  relayIntervalMs: 500,
  relayBatchSize: 500,
  sweepAfterMs: 10 * 60_000,
};

export function resolveWebhookOptions(partial: Partial<WebhookOptions> = {}): WebhookOptions {
  return { ...DEFAULT_WEBHOOK_OPTIONS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
}

/** The wait after the n-th failure (of an event's attempts, or of a webhook's failures in a row). */
export function retryDelayMs(failures: number, opts: Pick<WebhookOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  return backoffMs(Math.max(1, failures), opts);
}
