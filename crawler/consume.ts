import type { z } from 'zod';
import { PermanentError, RateLimitedError, ShutdownError } from '../lib/errors.ts';
import type { Delivery, Handler, Outcome } from '../lib/queue/port.ts';
import type { Logger } from '../config/logger.ts';
import { jobDuration, jobsFinished, jobsStarted, type JobOutcome } from '../lib/metrics.ts';

/** What a handler gets besides its payload. */
export interface JobContext {
  /** True when an earlier delivery of this job ended without an outcome (its worker died). */
  redelivered: boolean;
  attempt: number;
  /** Aborted when the worker shuts down: stop sending requests, save progress, throw. */
  signal: AbortSignal;
  /** The handler saved progress: a retry must resume with this payload. */
  setPayload(payload: unknown): void;
}

/**
 * For jobs that move a chain (commit a step, then publish the next): an earlier run of this job
 * may have committed its step and ended before its successor was published, because its worker
 * died (a redelivery) or the publish itself failed (a retry). A job that finds its chain one step
 * ahead then publishes the successor again; a duplicate does nothing (the step check).
 */
export function mayHaveLostSuccessor(ctx: Pick<JobContext, 'redelivered' | 'attempt'>): boolean {
  return ctx.redelivered || ctx.attempt > 0;
}

/**
 * A handler that keeps its own retry schedule (webhook deliveries) returns this instead of
 * throwing: the job comes back after `retryAfterMs`, with `payload` when given.
 */
export interface RetryLater {
  retryAfterMs: number;
  countAttempt: boolean;
  payload?: unknown;
}

export interface JobDefinition<S extends z.ZodTypeAny = z.ZodTypeAny> {
  schema: S;
  /**
   * The job spends most of its life waiting for a provider's pace (a sync step, a carrier key's
   * polls): the worker holds many of these beside its working jobs (crawler/create-worker.ts).
   */
  paced?: boolean;
  /** Resolves: done (ack), or a RetryLater. Throws: the retry policy below decides. */
  run(payload: z.infer<S>, ctx: JobContext): Promise<void | RetryLater>;
  /** Called once when the job is given up (attempts exhausted or a permanent error). */
  onGiveUp?(payload: z.infer<S>, error: unknown): Promise<void>;
}

export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before the first retry; doubles each attempt, with ±20% jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A job still rate-limited after this long since its first publish is given up. */
  maxAgeMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 2_000, maxDelayMs: 10 * 60_000, maxAgeMs: 24 * 3_600_000 };

/**
 * The worker's consume wrapper: the one place where errors become queue outcomes.
 * - RateLimitedError: back after the provider's Retry-After, costs no attempt;
 * - ShutdownError: back at once, costs no attempt (the handler saved its progress);
 * - PermanentError, or attempts exhausted: given up (handler's onGiveUp), dead-lettered;
 * - anything else: delayed retry with exponential backoff, one attempt more.
 */
export function createConsumeHandler(opts: ConsumeHandlerOptions): Handler {
  const decide = outcomeDecider(opts);
  return async (delivery: Delivery): Promise<Outcome> => {
    const job = { job: delivery.job.name };
    jobsStarted.inc(job);
    const endTimer = jobDuration.startTimer(job);
    const [outcome, counted] = await decide(delivery);
    endTimer({ outcome: counted });
    jobsFinished.inc({ ...job, outcome: counted });
    return outcome;
  };
}

interface ConsumeHandlerOptions {
  jobs: Record<string, JobDefinition>;
  logger: Logger;
  policy: RetryPolicy;
  signal: AbortSignal;
}

/** The outcome of a delivery, and how the job metrics count it. */
function outcomeDecider(opts: ConsumeHandlerOptions): (delivery: Delivery) => Promise<[Outcome, JobOutcome]> {
  return async (delivery) => {
    const { job } = delivery;
    const log = opts.logger.child({ job: job.name, job_id: job.id, attempt: job.attempt });
    const def = opts.jobs[job.name];
    if (!def) return [{ kind: 'dead', reason: `No handler for job "${job.name}"` }, 'dead_lettered'];
    const parsed = def.schema.safeParse(job.payload);
    if (!parsed.success) return [{ kind: 'dead', reason: `Invalid payload for "${job.name}": ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` }, 'dead_lettered'];

    let payload: unknown = parsed.data;
    const ctx: JobContext = {
      redelivered: delivery.redelivered,
      attempt: job.attempt,
      signal: opts.signal,
      setPayload: (p) => void (payload = p),
    };
    try {
      const later = await def.run(parsed.data, ctx);
      // A handler keeping its own schedule (a webhook delivery to try again) is not a failed job.
      if (later) return [{ kind: 'retry', delayMs: later.retryAfterMs, countAttempt: later.countAttempt, payload: later.payload ?? payload }, 'deferred'];
      return [{ kind: 'ack' }, 'succeeded'];
    } catch (err) {
      if (err instanceof ShutdownError || opts.signal.aborted) return [{ kind: 'retry', delayMs: 0, countAttempt: false, payload }, 'requeued'];
      const giveUp = async (reason: string): Promise<[Outcome, JobOutcome]> => {
        log.error({ err }, `job given up: ${reason}`);
        await def.onGiveUp?.(payload, err);
        return [{ kind: 'dead', reason }, 'dead_lettered'];
      };
      if (err instanceof RateLimitedError) {
        if (Date.now() - job.firstPublishedAt > opts.policy.maxAgeMs) return giveUp(`still rate-limited after ${Math.round(opts.policy.maxAgeMs / 3_600_000)} h`);
        log.info({ retry_after_ms: err.retryAfterMs }, 'rate-limited; job comes back later');
        return [{ kind: 'retry', delayMs: err.retryAfterMs, countAttempt: false, payload }, 'rate_limited'];
      }
      if (err instanceof PermanentError) return giveUp(err.message);
      const attempt = job.attempt + 1;
      if (attempt >= opts.policy.maxAttempts) return giveUp(`failed ${attempt} times; last error: ${errorMessage(err)}`);
      const delayMs = backoffMs(attempt, opts.policy);
      log.warn({ err: errorMessage(err), delay_ms: delayMs }, 'job failed; retrying later');
      return [{ kind: 'retry', delayMs, countAttempt: true, payload }, 'retried'];
    }
  };
}

export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
