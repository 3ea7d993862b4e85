import test from 'ava';
import { startBolSandbox } from '../../sandbox/bol/index.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import { shopSlotAt } from '../../models/shops.ts';
import { SyncRun } from '../../models/sync-runs.ts';
import { crawlHarness, newClient } from '../crawler/harness.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { CountingQueue, MINUTE_MS, nextMidnightUtc, SimTime, silentLogger, testClock } from './sim.ts';

/**
 * Periodic shop syncs with controlled time: the clock (ticked one simulated minute at a time)
 * starts a sync of every active shop at its own interval, real workers run them against the bol
 * sandbox, and paused shops or shops whose credentials were refused are left alone.
 */
eachAdapterSet((set) => {
  test.serial(`${set.name}: a shop is re-synced at its interval (initial first, then incremental); paused and refused shops are not`, async (t) => {
    const env = await set.setup();
    const client = newClient();
    const bol = await startBolSandbox({ shipments: 12, clients: [client], limits: { list: { capacity: 50, windowMs: 1_000 }, detail: { capacity: 100, windowMs: 1_000 } } });
    const queue = new CountingQueue(env.queue);
    const h = crawlHarness({ ...env, queue }, bol);
    t.teardown(async () => {
      await h.stopAll();
      await bol.close();
      await env.teardown();
    });
    await h.startWorker();
    const start = nextMidnightUtc();
    const sim = new SimTime(start);
    const shop = await h.addShop(client);
    const paused = await h.addShop(client);
    const refused = await h.addShop(client);
    await env.knex('shops').update({ created_at: start - 3_600_000 });
    await env.knex('shops').where({ id: paused.id }).update({ status: 'paused' });
    await env.knex('shops').where({ id: refused.id }).update({ status: 'credentials_refused', status_reason: 'bol said no' });

    const clock = testClock(env.knex, sim, buildSchedules({ knex: env.knex, queue, logger: silentLogger, weather: false }));
    const startedAt: { minute: number; type: string }[] = [];
    const tickUntil = async (lastMinute: number, from: number) => {
      for (let m = from; m <= lastMinute; m += 1) {
        const records = await clock.tick(sim.set(start + m * MINUTE_MS));
        for (const r of records) t.falsy(r.error, String(r.error));
        await queue.settled();
        const runs = await SyncRun.query(env.knex).where({ shop_id: shop.id }).orderBy('id');
        for (const run of runs.slice(startedAt.length)) {
          t.is(run.status, 'succeeded', `run ${run.id}: ${run.error}`);
          startedAt.push({ minute: m, type: run.type });
        }
      }
    };

    await tickUntil(60, 0);
    const interval15 = [...new Set(Array.from({ length: 61 }, (_, m) => shopSlotAt({ id: shop.id, sync_interval_minutes: 15 }, start + m * MINUTE_MS)))];
    t.deepEqual(
      startedAt.map((s) => s.minute),
      interval15.map((slot) => Math.max(0, (slot - start) / MINUTE_MS)),
      'one sync per 15-minute slot of the shop',
    );
    t.is(startedAt.length, 5);
    t.deepEqual(startedAt.map((s) => s.type), ['initial', 'incremental', 'incremental', 'incremental', 'incremental']);
    t.deepEqual(await h.storedPlatformIds(shop.id), bol.shipments.map((s) => s.shipmentId).sort());

    // PATCH /shops/:id sync_interval_minutes = 5: the next slots are 5 minutes apart.
    await env.knex('shops').where({ id: shop.id }).update({ sync_interval_minutes: 5 });
    const before = startedAt.length;
    await tickUntil(90, 61);
    const gaps = startedAt.slice(before).map((s, i, all) => (i === 0 ? null : s.minute - all[i - 1]!.minute)).slice(1);
    t.true(startedAt.length - before >= 5, `syncs after the change: ${JSON.stringify(startedAt.slice(before))}`);
    t.true(gaps.every((g) => g === 5), `gaps ${JSON.stringify(gaps)}`);

    t.is(await SyncRun.query(env.knex).where({ shop_id: paused.id }).resultSize(), 0, 'a paused shop is not synced');
    t.is(await SyncRun.query(env.knex).where({ shop_id: refused.id }).resultSize(), 0, 'a shop whose credentials were refused is not synced');
  });
});
