import { setMaxListeners } from 'node:events';
import type { Config } from '../config/config.ts';
import { createGate } from '../lib/gate.ts';
import { connectionsOf, type Connections } from '../boot/connections.ts';
import { ShutdownError } from '../lib/errors.ts';
import type { Consumer, Queue } from '../lib/queue/port.ts';
import { isLanedQueue } from '../lib/queue/lanes.ts';
import type { Logger } from '../config/logger.ts';
import { JOBS, PACED_JOBS, type JobPayload } from './jobs.ts';
import type { CarrierSettings } from './connectors/carriers.ts';
import { createConsumeHandler, DEFAULT_RETRY_POLICY, type JobDefinition, type RetryPolicy } from './consume.ts';
import { failRun, handleSyncPage, type SyncPageDeps } from './handlers/sync-page.ts';
import { platformsFromEnv, type Platforms } from './connectors/platforms.ts';
import { handleTrackingPoll, restChain } from './handlers/tracking-poll.ts';
import { handleWeatherFetch } from './handlers/weather-fetch.ts';
import { handleShipmentsExpire } from './handlers/shipments-expire.ts';
import { handleTablesPrune, type PruneTablesDeps } from './handlers/tables-prune.ts';
import { giveUpDeletion, handleDeletionBatch, type DeletionBatchDeps } from './handlers/deletion-batch.ts';
import { createWeatherClient, type WeatherClient } from './connectors/weather/index.ts';
import { failImport, handleImportBatch, type ImportBatchDeps } from './handlers/import-batch.ts';
import type { WebhookOptions } from './webhooks/options.ts';
import { createWebhookWorkerPart } from './webhooks/worker-part.ts';

/** What the worker is built from: a sync step's deps (one set for every platform), and the rest below. */
export interface WorkerDeps extends Omit<SyncPageDeps, 'platforms' | 'retryMinDelayMs'> {
  /** The platforms whose shops it syncs (crawler/connectors/platforms.ts). Unset: every registered one, on its default settings. */
  platforms?: Platforms;
  /** Jobs doing work at once (imports, weather, expiry, deliveries): WORKER_PREFETCH. */
  prefetch: number;
  /**
   * Paced jobs (sync steps, carrier polls) held at once beside those: WORKER_PACED_JOBS. Unset:
   * none beyond `prefetch` (they share its slots).
   */
  pacedJobs?: number;
  retryPolicy?: Partial<RetryPolicy>;
  /** First in-place retry delay of a provider 5xx. */
  providerRetryMinDelayMs?: number;
  /** Carrier connectors' settings (config.carriers), by connector name. Unset: tracking.poll jobs are not handled. */
  carriers?: Partial<CarrierSettings>;
  /** Weather providers (config.weather), or a ready client. Unset: weather.fetch jobs are not handled. */
  weather?: Parameters<typeof createWeatherClient>[0] | { client: WeatherClient };
  /** Epoch ms for tracking, weather and expiry (quota days, due times); tests pass a controlled time. */
  now?: () => number;
  /** File imports: the phone rule and rows per batch (config); unset: the defaults. */
  imports?: Pick<ImportBatchDeps, 'settings' | 'batchRows' | 'budgetMs'>;
  /** Big deletes' batches (tests make them small); unset: the handler's defaults. */
  deletions?: Pick<DeletionBatchDeps, 'batchRows' | 'budgetMs'>;
  /** Retention prune batches (tests make them small); unset: 1,000 rows, 5 s per job. */
  prune?: Pick<PruneTablesDeps, 'batchRows' | 'budgetMs'>;
  /** Webhook delivery: address policy (config), and shorter delays in tests. Unset: production defaults, https to public addresses only. */
  webhooks?: Partial<WebhookOptions>;
  /**
   * A queue of their own for webhook deliveries, consumed beside `queue` with the same prefetch, so
   * a burst of deliveries never stands in front of a sync's next page. Unset: they share `queue`.
   */
  deliveryQueue?: Queue;
}

export interface Worker {
  start(): Promise<void>;
  /** Stops taking jobs, returns the jobs in hand (progress saved), at most `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function createWorker(deps: WorkerDeps): Worker {
  const shutdown = new AbortController();
  const syncDeps: SyncPageDeps = { ...deps, platforms: deps.platforms ?? platformsFromEnv(), retryMinDelayMs: deps.providerRetryMinDelayMs };
  const deliveryQueue = deps.deliveryQueue ?? deps.queue;
  const webhooks = createWebhookWorkerPart({ knex: deps.knex, queue: deliveryQueue, secretBox: deps.secretBox, logger: deps.logger, prefetch: deps.prefetch, options: deps.webhooks });
  const now = deps.now ?? Date.now;
  const jobs: Record<string, JobDefinition> = {
    'shipments.expire': {
      schema: JOBS['shipments.expire'],
      run: (payload, ctx) => handleShipmentsExpire({ knex: deps.knex, queue: deps.queue, logger: deps.logger, now }, payload, ctx),
    },
    'deletion.batch': {
      schema: JOBS['deletion.batch'],
      run: (payload, ctx) => handleDeletionBatch({ knex: deps.knex, queue: deps.queue, logger: deps.logger, ...deps.deletions }, payload, ctx),
      onGiveUp: (payload: JobPayload<'deletion.batch'>, error: unknown) => giveUpDeletion(deps.knex, payload.deletion_id, error),
    },
    'tables.prune': {
      schema: JOBS['tables.prune'],
      run: (payload, ctx) => handleTablesPrune({ knex: deps.knex, queue: deps.queue, logger: deps.logger, ...deps.prune }, payload, ctx),
    },
    ...(deliveryQueue === deps.queue ? webhooks.jobs : {}),
    'sync.page': {
      schema: JOBS['sync.page'],
      run: (payload, ctx) => handleSyncPage(syncDeps, payload, ctx),
      async onGiveUp(payload: { sync_run_id: number }, error: unknown) {
        await failRun(deps.knex, { id: payload.sync_run_id }, `The sync stopped after repeated failures: ${error instanceof Error ? error.message : String(error)}`);
      },
    },
    'import.batch': {
      schema: JOBS['import.batch'],
      run: (payload, ctx) => handleImportBatch({ knex: deps.knex, queue: deps.queue, logger: deps.logger, ...deps.imports }, payload, ctx),
      async onGiveUp(payload: { import_id: number }, error: unknown) {
        await failImport(deps.knex, payload.import_id, `The import stopped after repeated failures: ${error instanceof Error ? error.message : String(error)}`);
      },
    },
  };
  if (deps.carriers) {
    const carriers = deps.carriers;
    jobs['tracking.poll'] = {
      schema: JOBS['tracking.poll'],
      run: (payload, ctx) => handleTrackingPoll({ knex: deps.knex, queue: deps.queue, logger: deps.logger, carriers, rateMargin: deps.rateMargin, now }, payload, ctx),
      onGiveUp: (payload: JobPayload<'tracking.poll'>) => restChain(deps.knex, payload, now()),
    };
  }
  if (deps.weather) {
    const weather = 'client' in deps.weather ? deps.weather.client : createWeatherClient({ clock: now, ...deps.weather });
    jobs['weather.fetch'] = { schema: JOBS['weather.fetch'], run: (payload, ctx) => handleWeatherFetch({ knex: deps.knex, logger: deps.logger, weather, now }, payload, ctx) };
  }
  for (const name of PACED_JOBS) if (jobs[name]) jobs[name] = { ...jobs[name], paced: true };
  const consumers: Consumer[] = [];
  // Every job in hand listens to the shutdown signal (its requests stop sending): many paced jobs are many listeners.
  setMaxListeners(0, shutdown.signal);
  const consume = async (queue: Queue, handled: Record<string, JobDefinition>, pacedJobs: number) => {
    const handler = createConsumeHandler({ jobs: gateWorkingJobs(handled, deps.prefetch), logger: deps.logger, policy: { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy }, signal: shutdown.signal });
    if (isLanedQueue(queue)) {
      // Each lane its own prefetch: paced jobs in hand never keep a working job from being taken.
      consumers.push(await queue.lanes.paced.consume(handler, { prefetch: pacedJobs || deps.prefetch }));
      consumers.push(await queue.lanes.working.consume(handler, { prefetch: deps.prefetch }));
    } else consumers.push(await queue.consume(handler, { prefetch: deps.prefetch + pacedJobs }));
  };
  return {
    async start() {
      await consume(deps.queue, jobs, deps.pacedJobs ?? 0);
      if (deliveryQueue !== deps.queue) await consume(deliveryQueue, webhooks.jobs, 0);
      webhooks.start();
    },
    async stop(graceMs = 20_000) {
      // Handlers see the abort, stop sending, commit what they have and hand the job back.
      shutdown.abort(new ShutdownError());
      await Promise.all(consumers.map((c) => c.stop(graceMs)));
      await webhooks.stop();
    },
  };
}

/**
 * A worker holds `prefetch` working jobs and its paced jobs at once (the consumer's prefetch is
 * their sum). A paced job runs as soon as it is in hand: while it waits for its shop's pace it
 * holds no database connection and little memory. A working job waits for one of `prefetch`
 * slots, so paced jobs in hand never multiply the CPU and database work a worker takes on.
 */
function gateWorkingJobs(jobs: Record<string, JobDefinition>, prefetch: number): Record<string, JobDefinition> {
  const gate = createGate(prefetch);
  // A job still waiting for a slot when the worker stops has not started: it goes back unrun.
  const run = (def: JobDefinition): JobDefinition['run'] => (payload, ctx) =>
    gate.pass(async () => {
      if (ctx.signal.aborted) throw new ShutdownError();
      return def.run(payload, ctx);
    });
  return Object.fromEntries(Object.entries(jobs).map(([name, def]) => [name, def.paced ? def : { ...def, run: run(def) }]));
}

/** The worker's deps as a process root builds them from its config and runtime. */
export function workerDepsFromConfig(
  config: Config,
  rt: Connections,
  logger: Logger,
): WorkerDeps {
  return {
    ...connectionsOf(rt),
    logger,
    platforms: config.platforms,
    rateMargin: config.rateMargin,
    prefetch: config.workerPrefetch,
    pacedJobs: config.workerPacedJobs,
    retryPolicy: { maxAttempts: config.jobMaxAttempts },
    webhooks: config.webhooks,
    imports: { batchRows: config.imports.batchRows, settings: { phoneKeyDigits: config.phoneKeyDigits } },
    phoneKeyDigits: config.phoneKeyDigits,
    carriers: config.carriers,
    weather: config.weather,
  };
}
