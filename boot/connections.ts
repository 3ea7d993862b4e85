import type { Knex } from 'knex';
import type { Queue } from '../lib/queue/port.ts';
import type { SecretBox } from '../lib/secret-box.ts';

/**
 * The connections a process opens once at boot (runtime.ts) and its factories share: the
 * database, the job queue, the webhook delivery queue (unset where none is opened) and the secret box.
 */
export interface Connections {
  knex: Knex;
  queue: Queue;
  deliveryQueue: Queue | undefined;
  secretBox: SecretBox;
}

/** Just the connections of a runtime (or of anything that holds them), for a factory's deps. */
export function connectionsOf(rt: Connections): Connections {
  return { knex: rt.knex, queue: rt.queue, deliveryQueue: rt.deliveryQueue, secretBox: rt.secretBox };
}
