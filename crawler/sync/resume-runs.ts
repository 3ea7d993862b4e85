import type { Knex } from 'knex';
import type { Queue } from '../../lib/queue/port.ts';
import { listActiveSyncRuns } from '../../models/sync-runs.ts';
import { enqueue } from '../jobs.ts';

/**
 * The in-process queue forgets its jobs when the process stops; the sync runs do not. At start
 * in embedded mode, every run still queued or running gets a job for its current step again.
 * (With RabbitMQ the jobs are durable and this is not needed.)
 */
export async function resumeActiveRuns(knex: Knex, queue: Queue): Promise<number> {
  const runs = await listActiveSyncRuns(knex);
  for (const run of runs) await enqueue(queue, 'sync.page', { sync_run_id: run.id, step: run.step });
  return runs.length;
}
