import path from 'node:path';
import type { Knex } from 'knex';
import { createQueue } from '../lib/queue/index.ts';
import { openJobQueue } from '../crawler/jobs.ts';
import type { Queue } from '../lib/queue/port.ts';
import { createSecretBox, type SecretBox } from '../lib/secret-box.ts';
import type { Config } from '../config/config.ts';
import { createKnex } from '../models/db.ts';
import { migrateLatest } from '../migrations/index.ts';
import { withEmbeddedSecrets } from '../config/embedded-secrets.ts';
import { createLogger, type Logger } from '../config/logger.ts';

/**
 * What every process root opens from the config: the database, the queue, the secret box and
 * the logger. Roots call this once and pass the result down as explicit dependencies.
 */
export interface Runtime {
  config: Config & { apiToken: string; secretsKey: string };
  generatedApiToken: boolean;
  knex: Knex;
  /** The job queue, on two lanes: paced jobs and the others (crawler/jobs.ts openJobQueue). */
  queue: Queue;
  /**
   * Webhook deliveries travel on a queue of their own: a FIFO queue has no priorities, and a
   * burst of thousands of deliveries must never stand in front of a sync's next page. Not opened
   * by processes that neither publish nor consume deliveries (the clock).
   */
  deliveryQueue: Queue | undefined;
  secretBox: SecretBox;
  logger: Logger;
  close(): Promise<void>;
}

/** The database of the config: MySQL at DATABASE_URL, or the SQLite file under DATA_DIR. */
export function openKnex(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Knex {
  return createKnex({ databaseUrl: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'shipsync.sqlite') });
}

export async function openRuntime(config: Config, opts: { name: string; migrate?: boolean; queue?: Queue; deliveryQueue?: boolean }): Promise<Runtime> {
  const logger = createLogger({ level: config.logLevel, name: opts.name });
  // With MySQL both are required by loadConfig; without it they may be generated under DATA_DIR.
  const full = config.databaseUrl ? { ...config, apiToken: config.apiToken!, secretsKey: config.secretsKey!, generatedApiToken: false } : withEmbeddedSecrets(config);
  const knex = openKnex(config);
  if (opts.migrate) await migrateLatest(knex);
  const queue =
    opts.queue ?? (await openJobQueue({ amqpUrl: config.amqpUrl, prefix: config.queuePrefix, deliveryLimit: config.jobDeliveryLimit, logger: logger.child({ component: 'queue' }) }));
  const deliveryQueue =
    opts.deliveryQueue === false
      ? undefined
      : await createQueue({
          amqpUrl: config.amqpUrl,
          prefix: `${config.queuePrefix}.deliveries`,
          deliveryLimit: config.jobDeliveryLimit,
          logger: logger.child({ component: 'delivery-queue' }),
        });
  const secretBox = createSecretBox(full.secretsKey, config.previousSecretsKeys);
  return {
    config: full,
    generatedApiToken: full.generatedApiToken,
    knex,
    queue,
    deliveryQueue,
    secretBox,
    logger,
    async close() {
      await queue.close();
      await deliveryQueue?.close();
      await knex.destroy();
    },
  };
}

/** Runs `stop` on the first SIGTERM/SIGINT; a second signal, or `forceAfterMs`, exits at once. */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>, forceAfterMs = 25_000): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, forceAfterMs).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}
