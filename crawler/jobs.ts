import { z } from 'zod';
import type { Queue } from '../lib/queue/port.ts';

/**
 * The job contract: every job name and its payload. The API and the clock import this file to
 * enqueue; only the worker imports the handlers.
 */
export const JOBS = {
  /**
   * Fetch the next page of a sync run (a list page and the details it needs), starting from the
   * run's checkpoint. `step` is the checkpoint's step when the job was published: a job whose
   * step is behind the run's is a duplicate and does nothing.
   */
  'sync.page': z.object({ sync_run_id: z.number().int().positive(), step: z.number().int().min(0) }),
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]>;

export function enqueue<N extends JobName>(queue: Queue, name: N, payload: JobPayload<N>, opts: { delayMs?: number } = {}): Promise<void> {
  return queue.publish(name, JOBS[name].parse(payload), opts);
}
