import { syncRunsFinished } from '../../lib/metrics.ts';
import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { claimNewEvents } from '../../models/domain-events.ts';
import { claimOverdueDelivery, findOverdueDeliveries, insertFirstAttempts, messageIdOf, type NewDelivery } from '../../models/webhook-deliveries.ts';
import { findSubscribersByEventType } from '../../models/webhooks.ts';
import { enqueue } from '../jobs.ts';
import type { WebhookOptions } from './options.ts';

/**
 * The outbox relay: runs in every worker process, polls `domain_events` for events nobody has
 * dispatched, and fans each out to the active webhooks subscribed to its type: one pending
 * `webhook_deliveries` row and one `webhook.deliver` job per (event, webhook).
 *
 * Exactly one relay fans out an event: the claim (`dispatched_at` set where it is still NULL)
 * and the pending rows commit in one transaction, and a claim that does not change every row it
 * read rolls back. On MySQL the claim reads with `FOR UPDATE SKIP LOCKED` under READ COMMITTED,
 * so several workers' relays take disjoint batches and no gap lock ever makes a sync's outbox
 * insert wait; on SQLite there is one writer at a time.
 *
 * Jobs are published after the commit. A crash in between leaves pending rows without a job:
 * the sweep publishes those again once they are `sweepAfterMs` overdue.
 *
 * Triggering: every worker polls every `relayIntervalMs` (500 ms): an event waits half a second
 * at most, and a full batch is followed by the next at once. No nudge job: polling one indexed
 * range is cheaper than a queue message per change, and it picks up events written by any
 * process (the API's product changes, imports) the same way.
 */
export interface RelayDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  options: Pick<WebhookOptions, 'relayIntervalMs' | 'relayBatchSize' | 'sweepAfterMs'>;
}

export interface Relay {
  start(): void;
  /** Waits for the batch in hand (its jobs published), then stops. */
  stop(): Promise<void>;
  /** One fan-out pass until no event is left; for tests and benchmarks. Returns the events claimed. */
  drain(): Promise<number>;
}

/** How often the sweep looks for lost deliveries. */
const SWEEP_EVERY_MS = 60_000;
/** Jobs published at once: enough to fill a broker's pipeline, few enough to bound memory. */
const PUBLISH_CONCURRENCY = 100;

export function createWebhookRelay(deps: RelayDeps): Relay {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let lastSweepAt = 0;
  const log = deps.logger.child({ component: 'webhook-relay' });

  const tick = async (): Promise<void> => {
    try {
      // A full batch means more may be waiting: go on at once.
      while (!stopped && (await fanOutBatch(deps)) === deps.options.relayBatchSize);
      if (!stopped && Date.now() - lastSweepAt >= SWEEP_EVERY_MS) {
        lastSweepAt = Date.now();
        const swept = await sweepLostDeliveries(deps);
        if (swept > 0) log.warn({ swept }, 'published lost webhook deliveries again');
      }
    } catch (err) {
      // A claim lost to another relay, a busy SQLite file, a broker outage: the next tick retries.
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook relay pass failed; trying again');
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      await tick();
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, deps.options.relayIntervalMs);
      });
    }
  };

  return {
    start() {
      running ??= loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await running;
    },
    async drain() {
      let total = 0;
      for (;;) {
        const n = await fanOutBatch(deps);
        total += n;
        if (n < deps.options.relayBatchSize) return total;
      }
    },
  };
}

/** Claims one batch of undispatched events, writes their pending deliveries, publishes the jobs. */
export async function fanOutBatch(deps: RelayDeps): Promise<number> {
  const { knex } = deps;
  const now = Date.now();
  const claimed = await knex.transaction(
    async (trx) => {
      const events = await claimNewEvents(trx, deps.options.relayBatchSize, now);
      if (events.length === 0) return { events: 0, types: [] as string[], deliveries: [] as PendingDelivery[] };
      const subscribers = await findSubscribersByEventType(trx);
      const rows = events.flatMap((e) =>
        (subscribers.get(e.type) ?? []).map(
          (webhookId): NewDelivery => ({
            webhook_id: webhookId,
            event_id: Number(e.id),
            message_id: messageIdOf(Number(e.id)),
            event_type: e.type,
            event_created_at: Number(e.created_at),
            attempt: 1,
            trigger: 'event',
            status: 'pending',
            scheduled_at: now,
            created_at: now,
          }),
        ),
      );
      const inserted = await insertFirstAttempts(trx, rows);
      return { events: events.length, types: events.map((e) => e.type), deliveries: inserted.map((r) => ({ ...r, scheduledAt: now })) };
    },
  );
  countFinishedSyncRuns(claimed.types);
  await publishDeliveries(deps.queue, claimed.deliveries);
  return claimed.events;
}

/**
 * Each outcome event is claimed exactly once, after the transaction that finished its run
 * committed: counting here counts every finished sync run once, across every worker.
 */
function countFinishedSyncRuns(types: string[]): void {
  for (const type of types) {
    if (type === 'sync.succeeded') syncRunsFinished.inc({ status: 'succeeded' });
    else if (type === 'sync.failed') syncRunsFinished.inc({ status: 'failed' });
  }
}

export interface PendingDelivery {
  id: number;
  webhookId: number;
  scheduledAt: number;
}

export async function publishDeliveries(queue: Queue, deliveries: PendingDelivery[]): Promise<void> {
  for (let i = 0; i < deliveries.length; i += PUBLISH_CONCURRENCY) {
    await Promise.all(
      deliveries
        .slice(i, i + PUBLISH_CONCURRENCY)
        .map((d) => enqueue(queue, 'webhook.deliver', { delivery_id: d.id, webhook_id: d.webhookId, scheduled_at: d.scheduledAt })),
    );
  }
}

/**
 * Pending deliveries whose job is long overdue lost it (a crash between the relay's commit and
 * its publish, or a delivery job whose outcome was never applied). Each is taken with a
 * compare-and-set on `scheduled_at`, so two sweeping workers publish it once.
 */
export async function sweepLostDeliveries(deps: RelayDeps): Promise<number> {
  const now = Date.now();
  const overdue = await findOverdueDeliveries(deps.knex, now - deps.options.sweepAfterMs);
  let taken = 0;
  for (const row of overdue) {
    if (!(await claimOverdueDelivery(deps.knex, row, now))) continue;
    await enqueue(deps.queue, 'webhook.deliver', { delivery_id: Number(row.id), webhook_id: Number(row.webhook_id), scheduled_at: now, manual: row.trigger === 'manual' || undefined });
    taken++;
  }
  return taken;
}
