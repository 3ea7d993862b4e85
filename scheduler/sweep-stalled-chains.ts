import type { Knex } from 'knex';
import type { Logger } from '../config/logger.ts';
import type { Queue } from '../lib/queue/port.ts';
import { enqueue } from '../crawler/jobs.ts';
import { findStalledChains, takeStalledChain } from '../models/stalled-chains.ts';

/**
 * Sync runs, imports and deletions move as chains of jobs, one step in flight at a time: a step commits,
 * then publishes the next. A chain whose job was lost (a publish refused after its commit, with
 * no retry left to publish it again; a message the broker dropped) would stand still for ever,
 * and a sync run would hold its shop's sync slot with it.
 *
 * The sweep publishes the current step again of every queued or running chain that has not
 * moved for `stalledAfterMs` (its `updated_at`). A duplicate of a job still waiting somewhere
 * costs nothing: whichever copy commits the step first moves the chain, the other finds itself
 * behind and does nothing. The republish moves `updated_at` (compare-and-set), so the chain
 * gets another `stalledAfterMs` before it is taken again.
 *
 * Tracking poll chains have their own restart (scheduler/plan-tracking.ts, `staleChainMs`).
 */

export interface SweepDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  /** Longer than any wait a live chain has between two commits (backoff, Retry-After, a queue backlog). */
  stalledAfterMs?: number;
}

export const DEFAULT_STALLED_AFTER_MS = 30 * 60_000;
const BATCH = 100;

const CHAINS = [
  { table: 'sync_runs', idField: 'sync_run_id', republish: (queue: Queue, id: number, step: number) => enqueue(queue, 'sync.page', { sync_run_id: id, step }) },
  { table: 'imports', idField: 'import_id', republish: (queue: Queue, id: number, step: number) => enqueue(queue, 'import.batch', { import_id: id, step }) },
  // A lost deletion step would leave the catalogue answering 409, or the shop `deleting`, for ever.
  { table: 'deletions', idField: 'deletion_id', republish: (queue: Queue, id: number, step: number) => enqueue(queue, 'deletion.batch', { deletion_id: id, step }) },
] as const;

export async function sweepStalledChains(deps: SweepDeps, now: number): Promise<Record<'sync_runs' | 'imports' | 'deletions', number>> {
  const cutoff = now - (deps.stalledAfterMs ?? DEFAULT_STALLED_AFTER_MS);
  const swept = { sync_runs: 0, imports: 0, deletions: 0 };
  for (const chain of CHAINS) {
    const stalled = await findStalledChains(deps.knex, chain.table, cutoff, BATCH);
    for (const row of stalled) {
      if (!(await takeStalledChain(deps.knex, chain.table, row, now))) continue;
      await chain.republish(deps.queue, row.id, row.step);
      swept[chain.table] += 1;
      deps.logger.warn({ [chain.idField]: row.id, step: row.step, idle_ms: now - Number(row.updated_at) }, 'stalled chain: its current step is published again');
    }
  }
  return swept;
}

