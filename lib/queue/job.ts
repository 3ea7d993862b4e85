import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { AppError } from '../errors.ts';
import type { JobMessage, Outcome, PublishOptions } from './port.ts';

/**
 * Rules both adapters share, so that they cannot drift apart: how a job is built and
 * validated, what a retry copy looks like, the defaults.
 */

/**
 * How many times a job may come back to the queue without an outcome (handler threw, consumer
 * died or was stopped past its grace) before it is dead-lettered. This is RabbitMQ's
 * `x-delivery-limit` as is: with a limit of N the broker hands a job out N + 1 times before
 * giving up, and the in-process adapter counts the same way.
 */
export const DEFAULT_DELIVERY_LIMIT = 5;
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_PEEK_MAX = 100;
export const DELIVERY_LIMIT_REASON = 'delivery limit exceeded';
/** setTimeout's ceiling (about 24.8 days); a larger delay would fire at once in-process. */
export const MAX_DELAY_MS = 2_147_483_647;

export const silentLogger: pino.Logger = pino({ enabled: false });

export function buildJob(name: string, payload: unknown, opts: PublishOptions = {}): JobMessage {
  if (typeof name !== 'string' || name === '') throw new TypeError('A job needs a non-empty name.');
  const attempt = opts.attempt ?? 0;
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be an integer >= 0, got ${attempt}.`);
  checkDelayMs(opts.delayMs ?? 0);
  const job: JobMessage = {
    id: opts.id ?? randomUUID(),
    name,
    payload,
    attempt,
    firstPublishedAt: opts.firstPublishedAt ?? Date.now(),
  };
  // The broker stores JSON, so the in-process adapter must reject (and transform) payloads exactly as it would.
  return JSON.parse(JSON.stringify(job)) as JobMessage;
}

export function checkDelayMs(delayMs: number): void {
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw new RangeError(`delayMs must be between 0 and ${MAX_DELAY_MS}, got ${delayMs}.`);
  }
}

/**
 * The copy published by a 'retry' outcome: same id and first publish time, maybe one more
 * attempt, and the handler's new payload when it saved progress and said where to resume.
 */
export function retryCopy(job: JobMessage, outcome: Extract<Outcome, { kind: 'retry' }>): JobMessage {
  return {
    ...job,
    payload: outcome.payload === undefined ? job.payload : outcome.payload,
    attempt: outcome.countAttempt ? job.attempt + 1 : job.attempt,
  };
}

/** Handlers are untyped at runtime: a malformed outcome is treated as if the handler threw. */
export function checkOutcome(value: unknown): Outcome {
  const outcome = value as Outcome | undefined;
  switch (outcome?.kind) {
    case 'ack':
      return outcome;
    case 'retry':
      checkDelayMs(outcome.delayMs);
      if (typeof outcome.countAttempt !== 'boolean') throw new TypeError('A retry outcome needs countAttempt.');
      return outcome;
    case 'dead':
      if (typeof outcome.reason !== 'string') throw new TypeError('A dead outcome needs a reason.');
      return outcome;
    default:
      throw new TypeError(`The handler returned no valid outcome: ${JSON.stringify(value)}.`);
  }
}

export function parseJob(text: string): JobMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isJob(value) ? value : undefined;
}

function isJob(value: unknown): value is JobMessage {
  if (typeof value !== 'object' || value === null) return false;
  const job = value as Record<string, unknown>;
  return (
    typeof job.id === 'string' &&
    typeof job.name === 'string' &&
    Number.isInteger(job.attempt) &&
    typeof job.firstPublishedAt === 'number'
  );
}

export function checkPrefetch(prefetch: number): void {
  // AMQP's basic.qos carries prefetch as a 16-bit count; 0 would mean "unlimited" there.
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
    throw new RangeError(`prefetch must be an integer between 1 and 65535, got ${prefetch}.`);
  }
}

export function checkDeliveryLimit(deliveryLimit: number): void {
  if (!Number.isInteger(deliveryLimit) || deliveryLimit < 0) {
    throw new RangeError(`deliveryLimit must be an integer >= 0, got ${deliveryLimit}.`);
  }
}

export function queueClosedError(): AppError {
  return new AppError('queue_closed', 'The queue is closed.', { status: 503 });
}

export function queueUnavailableError(message: string, cause?: unknown): AppError {
  return new AppError('queue_unavailable', message, { status: 503, cause });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waiters woken all at once by `wake()`, each also by its own timeout: a stopping consumer
 * waiting for its deliveries in hand, a publisher waiting for the connection to come back.
 */
export class WakeSignal {
  private readonly waiters = new Set<() => void>();

  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
    });
  }

  wake(): void {
    for (const done of [...this.waiters]) done();
  }
}
