import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import type { Queue } from '../../lib/queue/port.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { createWebhookSender } from '../../lib/standard-webhooks.ts';
import { failPendingDelivery } from '../../models/webhook-deliveries.ts';
import type { JobDefinition } from '../consume.ts';
import { handleWebhookDeliver } from '../handlers/webhook-deliver.ts';
import { InFlightDeliveries } from './in-flight-deliveries.ts';
import { JOBS } from '../jobs.ts';
import { resolveWebhookOptions, type WebhookOptions } from './options.ts';
import { createWebhookRelay, type Relay } from './relay.ts';

/**
 * What a worker process runs for webhooks: the outbox relay (a polling loop) and the
 * `webhook.deliver` job. createWorker starts and stops it with the consumer.
 */
export interface WebhookWorkerPart {
  jobs: Record<string, JobDefinition>;
  relay: Relay;
  start(): void;
  /** Stops the relay (after its batch in hand) and closes the receivers' connections. */
  stop(): Promise<void>;
}

export function createWebhookWorkerPart(deps: {
  knex: Knex;
  queue: Queue;
  secretBox: SecretBox;
  logger: Logger;
  /** The worker's prefetch: webhooks that do not answer quickly share half of it. */
  prefetch: number;
  options?: Partial<WebhookOptions>;
}): WebhookWorkerPart {
  const options = resolveWebhookOptions({ ...deps.options, maxSlowSlots: deps.options?.maxSlowSlots ?? Math.max(1, Math.floor(deps.prefetch / 2)) });
  const sender = createWebhookSender({ allowHttp: options.allowHttp, allowPrivateAddresses: options.allowPrivateAddresses });
  const relay = createWebhookRelay({ knex: deps.knex, queue: deps.queue, logger: deps.logger, options });
  const deliverDeps = { knex: deps.knex, secretBox: deps.secretBox, logger: deps.logger, options, sender, inFlight: new InFlightDeliveries() };
  return {
    jobs: {
      'webhook.deliver': {
        schema: JOBS['webhook.deliver'],
        run: (payload, ctx) => handleWebhookDeliver(deliverDeps, payload, ctx),
        // The handler itself never gives up by throwing; this is a broken database or the like.
        async onGiveUp(payload: { delivery_id: number }, error: unknown) {
          await failPendingDelivery(deps.knex, payload.delivery_id, `Not sent: internal error (${error instanceof Error ? error.message : String(error)})`.slice(0, 1000));
        },
      },
    },
    relay,
    start() {
      relay.start();
    },
    async stop() {
      await relay.stop();
      sender.close();
    },
  };
}
