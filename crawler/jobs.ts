import { z } from 'zod';
import type { Queue } from '../lib/queue/port.ts';
import { createLanedJobQueue, type LanedQueue, type QueueOptions } from '../lib/queue/index.ts';
import { CARRIER_CONNECTOR_NAMES } from './connectors/carriers.ts';

/**
 * The job contract: every job name and its payload. The API and the clock import this file to
 * enqueue; only the worker imports the handlers. A job `<noun>.<verb>` is handled by
 * `handlers/<noun>-<verb>.ts`, whose handler is `handle<Noun><Verb>` (`tracking.poll`:
 * `handlers/tracking-poll.ts`, `handleTrackingPoll`).
 */
export const JOBS = {
  /**
   * Fetch the next page of a sync run (a list page and the details it needs), starting from the
   * run's checkpoint. `step` is the checkpoint's step when the job was published: a job whose
   * step is behind the run's is a duplicate and does nothing.
   */
  'sync.page': z.object({
    sync_run_id: z.number().int().positive(),
    step: z.number().int().min(0),
    /** The shop's `sending_since` this job set before it went back to wait (see handlers/sync-page.ts). */
    claimed_at: z.number().int().min(0).optional(),
  }),
  /**
   * Process an import from its checkpoint: batches of a few thousand rows, each committed with
   * its checkpoint, for a few seconds, then the next job. `step` is the import's step when the job
   * was published: a job whose step is not the import's does nothing.
   */
  'import.batch': z.object({ import_id: z.number().int().positive(), step: z.number().int().min(0) }),
  /**
   * The next step of a carrier key's poll chain: poll a few of the shipments the clock planned,
   * at the key's pace. Only one step per key exists at a time (the next is published after this
   * one commits), which is what keeps the key's calls per second across every worker. `step` is
   * the key's step when the job was published: a job whose step is not the key's does nothing.
   * `carrier` holds the name of the carrier connector whose key it is (`dhl`), not a carrier code.
   */
  'tracking.poll': z.object({ carrier: z.enum(CARRIER_CONNECTOR_NAMES), step: z.number().int().min(0) }),
  /** Fetch the current weather of one location, unless it was fetched less than 2 hours ago. */
  'weather.fetch': z.object({ location_id: z.number().int().positive() }),
  /** Mark shipments with no tracking event for 30 days `expired`, in batches. */
  'shipments.expire': z.object({ due_at: z.number().int().min(0), after_id: z.number().int().min(0).optional() }),
  /**
   * Delete the next batches of a deletion (the catalogue, or a shop with its shipments), from
   * whatever rows of its target are left, for a few seconds; then the next step. `step` is the
   * deletion's step when the job was published: a job whose step is not the deletion's does nothing.
   */
  'deletion.batch': z.object({ deletion_id: z.number().int().positive(), step: z.number().int().min(0) }),
  /**
   * Prune what is past its retention (RETENTION_DAYS, computed by the clock): dispatched domain
   * events and delivery attempts created before `before`, failed attempts before `failed_before`,
   * clock fires due before `before`. In small batches for a few seconds, then the same job again
   * until nothing is left: the tables are the state, so any repeat is harmless.
   */
  'tables.prune': z.object({ before: z.number().int().min(0), failed_before: z.number().int().min(0) }),
  /**
   * One attempt to deliver one message to one webhook: the pending row `delivery_id` of
   * webhook_deliveries, for `webhook_id`. The handler keeps the retry schedule (a failed attempt
   * writes the next pending row and the job comes back with its id). `manual`: a person's
   * re-send, which skips the webhook's circuit. `scheduled_at` (the row's) and `deferrals`
   * (waits that sent nothing: the receiver is slow or its circuit is open) let a waiting job
   * decide without reading the database.
   */
  'webhook.deliver': z.object({
    delivery_id: z.number().int().positive(),
    webhook_id: z.number().int().positive(),
    manual: z.boolean().optional(),
    scheduled_at: z.number().int().min(0).optional(),
    deferrals: z.number().int().min(0).optional(),
  }),
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]>;

export function enqueue<N extends JobName>(queue: Queue, name: N, payload: JobPayload<N>, opts: { delayMs?: number } = {}): Promise<void> {
  return queue.publish(name, JOBS[name].parse(payload), opts);
}

/**
 * Jobs that spend their life waiting for a provider's pace (a shop's limits, a carrier key's):
 * a worker holds many of them at once (WORKER_PACED_JOBS), and they travel on a lane of the job
 * queue of their own, so the other jobs never queue behind thousands of them.
 */
export const PACED_JOBS: ReadonlySet<JobName> = new Set<JobName>(['sync.page', 'tracking.poll']);

export function isPacedJob(name: string): boolean {
  return PACED_JOBS.has(name as JobName);
}

/** The job queue every process publishes to and workers consume: on two lanes, paced and working. */
export function openJobQueue(opts: QueueOptions): Promise<LanedQueue> {
  return createLanedJobQueue({ ...opts, isPaced: isPacedJob });
}
