import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import { tableRowsPruned } from '../../lib/metrics.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { pruneFires } from '../../models/clock-fires.ts';
import { pruneDispatchedEvents } from '../../models/domain-events.ts';
import { pruneDeliveryLog } from '../../models/webhook-deliveries.ts';
import type { JobContext } from '../consume.ts';
import { enqueue, type JobPayload } from '../jobs.ts';

/** A job that deletes in batches for a time, then hands over to the next job. */
export interface BatchedDeleteDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  /** Rows per delete statement (each job has its default). */
  batchRows?: number;
  /** How long one job deletes before it hands over to the next (default 5 s). */
  budgetMs?: number;
}

export type PruneTablesDeps = BatchedDeleteDeps;

const DEFAULT_BATCH_ROWS = 1_000;
const DEFAULT_BUDGET_MS = 5_000;

/**
 * Removes rows past their retention from the three tables that grow for ever. Each batch is one
 * short autocommitted delete by primary key (models/), so writers of the same tables (the outbox,
 * the delivery log, the clock's claims) are held up by one batch at most, never by the whole
 * prune; between batches the event loop turns, so on SQLite's single connection they get it.
 * A job that runs out of time publishes itself again.
 */
export async function handleTablesPrune(deps: PruneTablesDeps, payload: JobPayload<'tables.prune'>, ctx: JobContext): Promise<void> {
  const batch = deps.batchRows ?? DEFAULT_BATCH_ROWS;
  const deadline = Date.now() + (deps.budgetMs ?? DEFAULT_BUDGET_MS);
  const passes: [string, () => Promise<number>][] = [
    ['domain_events', () => pruneDispatchedEvents(deps.knex, payload.before, batch)],
    ['webhook_deliveries', () => pruneDeliveryLog(deps.knex, 'succeeded', payload.before, batch)],
    ['webhook_deliveries', () => pruneDeliveryLog(deps.knex, 'failed', payload.failed_before, batch)],
    ['clock_fires', () => pruneFires(deps.knex, payload.before, batch)],
  ];
  const pruned: Record<string, number> = {};
  for (const [table, prune] of passes) {
    for (;;) {
      if (ctx.signal.aborted || Date.now() > deadline) {
        log(deps.logger, pruned);
        await enqueue(deps.queue, 'tables.prune', payload);
        return;
      }
      const n = await prune();
      pruned[table] = (pruned[table] ?? 0) + n;
      tableRowsPruned.inc({ table }, n);
      if (n < batch) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  log(deps.logger, pruned);
}

function log(logger: Logger, pruned: Record<string, number>): void {
  if (Object.values(pruned).some((n) => n > 0)) logger.info({ pruned }, 'rows past their retention pruned');
}
