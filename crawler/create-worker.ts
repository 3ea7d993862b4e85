import type { Knex } from 'knex';
import { ShutdownError } from '../lib/errors.ts';
import type { Consumer, Queue } from '../lib/queue/port.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { RateMargin } from '../lib/rate-limiter.ts';
import type { Logger } from '../config/logger.ts';
import { SyncRun } from '../models/sync-run.ts';
import { JOBS } from './jobs.ts';
import { createConsumeHandler, DEFAULT_RETRY_POLICY, type JobDefinition, type RetryPolicy } from './consume.ts';
import { failRun, handleSyncPage } from './handlers/sync-page.ts';

export interface WorkerDeps {
  knex: Knex;
  queue: Queue;
  secretBox: SecretBox;
  logger: Logger;
  bol: { loginUrl: string; apiUrl: string };
  rateMargin: RateMargin;
  prefetch: number;
  retryPolicy?: Partial<RetryPolicy>;
  /** First in-place retry delay of a provider 5xx. */
  providerRetryMinDelayMs?: number;
}

export interface Worker {
  start(): Promise<void>;
  /** Stops taking jobs, returns the jobs in hand (progress saved), at most `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function createWorker(deps: WorkerDeps): Worker {
  const shutdown = new AbortController();
  const syncDeps = { ...deps, retryMinDelayMs: deps.providerRetryMinDelayMs };
  const jobs: Record<string, JobDefinition> = {
    'sync.page': {
      schema: JOBS['sync.page'],
      run: (payload, ctx) => handleSyncPage(syncDeps, payload, ctx),
      async onGiveUp(payload: { sync_run_id: number }, error: unknown) {
        const run = await SyncRun.query(deps.knex).findById(payload.sync_run_id);
        if (run) await failRun(deps.knex, run, `The sync stopped after repeated failures: ${error instanceof Error ? error.message : String(error)}`);
      },
    },
  };
  let consumer: Consumer | undefined;
  return {
    async start() {
      const handler = createConsumeHandler({
        jobs,
        logger: deps.logger,
        policy: { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy },
        signal: shutdown.signal,
      });
      consumer = await deps.queue.consume(handler, { prefetch: deps.prefetch });
    },
    async stop(graceMs = 20_000) {
      // Handlers see the abort, stop sending, commit what they have and hand the job back.
      shutdown.abort(new ShutdownError());
      await consumer?.stop(graceMs);
    },
  };
}
