import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { Knex } from 'knex';
import { createLogger } from '../../config/logger.ts';
import { handleTablesPrune } from '../../crawler/handlers/tables-prune.ts';
import { JOBS, type JobPayload } from '../../crawler/jobs.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { parkedSubscriber } from '../helpers/subscriber.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';

const DAY = 86_400_000;
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

async function insertEvents(knex: Knex, n: number, at: { created: number; dispatched: number | null }): Promise<number[]> {
  const rows = Array.from({ length: n }, () => ({ type: 'shipment.created', data: '{}', created_at: at.created, dispatched_at: at.dispatched }));
  await knex.batchInsert('domain_events', rows, 500);
  const ids: { id: number }[] = await knex('domain_events').select('id').where({ created_at: at.created }).orderBy('id', 'desc').limit(n);
  return ids.map((r) => Number(r.id));
}

async function insertDelivery(knex: Knex, webhookId: number, d: { eventId: number | null; status: string; createdAt: number }): Promise<number> {
  const [id] = await knex('webhook_deliveries').insert({
    webhook_id: webhookId,
    event_id: d.eventId,
    message_id: `msg_${randomBytes(6).toString('hex')}`,
    event_type: 'shipment.created',
    event_created_at: d.createdAt,
    attempt: 1,
    trigger: 'event',
    status: d.status,
    scheduled_at: d.status === 'pending' ? d.createdAt : null,
    created_at: d.createdAt,
  });
  return Number(id);
}

const ids = async (knex: Knex, table: string): Promise<Set<number>> => new Set(((await knex(table).select('id')) as { id: number }[]).map((r) => Number(r.id)));

eachAdapterSet((set) => {
  test(`${set.name}: the prune removes what is past RETENTION_DAYS in batches, keeps recent, undelivered and still-needed rows, and never holds writers up`, async (t) => {
    t.timeout(120_000);
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const { knex } = env;
    const now = Date.now();
    const old = now - 40 * DAY;

    const [webhookId] = await knex('webhooks').insert({ url: 'https://example.com/hook', events: '[]', secret_key_id: 'k', secret_sealed: 'x', created_at: old, updated_at: old });
    const oldDelivered = await insertEvents(knex, 3_000, { created: old, dispatched: old + 1_000 });
    const recentDelivered = await insertEvents(knex, 5, { created: now - DAY, dispatched: now - DAY });
    const oldUndelivered = await insertEvents(knex, 5, { created: old + 1, dispatched: null });
    const [stillPending] = await insertEvents(knex, 1, { created: old + 2, dispatched: old + 2 });
    const pendingDelivery = await insertDelivery(knex, Number(webhookId), { eventId: stillPending!, status: 'pending', createdAt: old + 2 });
    const oldSucceeded = await insertDelivery(knex, Number(webhookId), { eventId: oldDelivered[0]!, status: 'succeeded', createdAt: old });
    const oldFailed = await insertDelivery(knex, Number(webhookId), { eventId: oldDelivered[1]!, status: 'failed', createdAt: old });
    const ancientFailed = await insertDelivery(knex, Number(webhookId), { eventId: null, status: 'failed', createdAt: now - 100 * DAY });
    const recentSucceeded = await insertDelivery(knex, Number(webhookId), { eventId: recentDelivered[0]!, status: 'succeeded', createdAt: now - DAY });
    await knex('clock_fires').insert([
      { schedule: 'shops.sync', due_at: old, claimed_by: 'test', claimed_at: old },
      { schedule: 'shops.sync', due_at: now - 60_000, claimed_by: 'test', claimed_at: now - 60_000 },
    ]);

    // The clock's fire computes the cutoffs from RETENTION_DAYS and enqueues the job; the
    // worker's handler runs it (no whole worker: its webhook relay would dispatch the old
    // undelivered events, which are then rightly pruned too).
    const schedule = buildSchedules({ knex, queue: env.queue, logger, weather: false, retentionDays: 30 }).find((s) => s.name === 'tables.prune')!;
    t.truthy(schedule, 'the clock has a prune schedule');
    const published = new Promise<JobPayload<'tables.prune'>>((resolve) => {
      void env.queue.consume(
        async (delivery) => {
          if (delivery.job.name === 'tables.prune') resolve(JOBS['tables.prune'].parse(delivery.job.payload));
          return { kind: 'ack' };
        },
        { prefetch: 1 },
      );
    });
    await schedule.fire({ dueAt: now, now, clockId: 'test', logger });
    const payload = await published;
    t.true(Math.abs(payload.before - (now - 30 * DAY)) < 5_000 && Math.abs(payload.failed_before - (now - 90 * DAY)) < 5_000, 'cutoffs: 30 days, failed attempts 90');
    const pruning = handleTablesPrune({ knex, queue: env.queue, logger, batchRows: 50, budgetMs: 600_000 }, payload, { redelivered: false, attempt: 0, signal: new AbortController().signal, setPayload: () => {} });

    // Meanwhile the outbox keeps being written: every insert goes through while old rows remain.
    await parkedSubscriber(knex, ['shipment.created']);
    const written: number[] = [];
    let insertsWhileOldRemained = 0;
    const oldLeft = async () => Number(((await knex('domain_events').where('created_at', '<', now - 30 * DAY).whereNotNull('dispatched_at').count({ n: '*' }).first()) as { n: number | string }).n);
    for (let i = 0; i < 2_000; i += 1) {
      const before = await oldLeft();
      await recordEvents(knex, [{ type: 'shipment.created', data: { n: i } }]);
      written.push(i);
      if (before > 2) insertsWhileOldRemained += 1;
      if (before <= 2) break; // only the events a pending and a failed attempt still need are left
    }
    await pruning;
    t.true(insertsWhileOldRemained >= 1, `writers went on during the prune (${insertsWhileOldRemained} inserts while it ran)`);

    const events = await ids(knex, 'domain_events');
    // oldDelivered[1] has a failed attempt, which can still be re-sent: its event stays with it.
    for (const id of oldDelivered.filter((id) => id !== oldDelivered[1])) t.false(events.has(id), `old delivered event ${id} pruned`);
    t.true(events.has(oldDelivered[1]!), 'the event of a kept failed attempt is kept');
    for (const id of [...recentDelivered, ...oldUndelivered, stillPending!]) t.true(events.has(id), `event ${id} kept`);
    t.is(Number(((await knex('domain_events').where('created_at', '>=', now).count({ n: '*' }).first()) as { n: number | string }).n), written.length, 'every event written meanwhile is there');

    const deliveries = await ids(knex, 'webhook_deliveries');
    t.false(deliveries.has(oldSucceeded), 'an old successful attempt is pruned');
    t.false(deliveries.has(ancientFailed), 'a failed attempt past 3× the retention is pruned');
    t.true(deliveries.has(oldFailed), 'a failed attempt is kept 3× as long');
    t.true(deliveries.has(pendingDelivery), 'a pending attempt is never pruned');
    t.true(deliveries.has(recentSucceeded));
    const fires: { due_at: number }[] = await knex('clock_fires').select('due_at');
    t.deepEqual(
      fires.map((f) => Number(f.due_at)),
      [now - 60_000],
      'old fires are forgotten, recent ones kept',
    );
  });
});
