import type pino from 'pino';
import { createInProcessQueue } from './in-process.ts';
import { createLanedQueue, type LanedQueue } from './lanes.ts';
import type { Queue } from './port.ts';
import { createRabbitQueue, DEFAULT_PREFIX } from './rabbitmq.ts';

export type * from './port.ts';
export type { LanedQueue } from './lanes.ts';

export interface QueueOptions {
  /** RabbitMQ when set; otherwise the in-process queue (embedded mode). */
  amqpUrl?: string;
  prefix?: string;
  deliveryLimit?: number;
  logger?: pino.Logger;
  publishTimeoutMs?: number;
}

export async function createQueue(opts: QueueOptions = {}): Promise<Queue> {
  const { amqpUrl, prefix, deliveryLimit, logger, publishTimeoutMs } = opts;
  if (amqpUrl) return createRabbitQueue({ url: amqpUrl, prefix, deliveryLimit, logger, publishTimeoutMs });
  return createInProcessQueue({ deliveryLimit, logger });
}

/**
 * The job queue on two lanes (lib/queue/lanes.ts): paced jobs on `<prefix>.paced`, the others on
 * `<prefix>`. `isPaced` names the paced jobs (crawler/jobs.ts).
 */
export async function createLanedJobQueue(opts: QueueOptions & { isPaced: (jobName: string) => boolean }): Promise<LanedQueue> {
  const { isPaced, ...queueOpts } = opts;
  const working = await createQueue(queueOpts);
  const paced = await createQueue({ ...queueOpts, prefix: pacedPrefix(queueOpts.prefix) }).catch(async (err: unknown) => {
    await working.close().catch(() => undefined);
    throw err;
  });
  return createLanedQueue({ paced, working }, isPaced);
}

/** The broker prefix of the paced lane of the job queue under `prefix`. */
export function pacedPrefix(prefix = DEFAULT_PREFIX): string {
  return `${prefix}.paced`;
}
