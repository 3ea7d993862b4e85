import type pino from 'pino';
import { createInProcessQueue } from './in-process.ts';
import type { Queue } from './port.ts';
import { createRabbitQueue } from './rabbitmq.ts';

export type * from './port.ts';

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
