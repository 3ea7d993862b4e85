import test from 'ava';
import type { Knex } from 'knex';
import { Shop, shopSlotAt } from '../../models/shops.ts';
import { latestDueAt, type Schedule } from '../../scheduler/create-clock.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { countRows, CountingQueue, MINUTE_MS, nextMidnightUtc, SimTime, silentLogger, testClock } from './sim.ts';

/**
 * The clock's own guarantees, with controlled time: two clocks running at once enqueue every
 * fire once, and a clock that starts after a pause catches up on what it missed, once.
 */

async function addShop(knex: Knex, opts: { interval: number; status?: 'active' | 'paused' | 'credentials_refused'; createdAt: number }): Promise<number> {
  const shop = await Shop.query(knex).insertAndFetch({ name: `shop ${Math.random()}`, platform: 'bol', status: opts.status ?? 'active', sync_interval_minutes: opts.interval });
  // Shops are first due at the first slot after they were created: make that the simulated past.
  await knex('shops').where({ id: shop.id }).update({ created_at: opts.createdAt });
  return shop.id;
}

/** A schedule that only publishes a marker job per fire: what two clocks must not double. */
function markerSchedule(queue: CountingQueue, name: string, everyMinutes: number): Schedule {
  return { name, everyMinutes, fire: (ctx) => queue.publish('test.marker', { schedule: name, due_at: ctx.dueAt }) };
}

eachAdapterSet((set) => {
  test.serial(`${set.name}: two clocks running at once enqueue every fire exactly once`, async (t) => {
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const queue = new CountingQueue(env.queue);
    const start = nextMidnightUtc();
    const sim = new SimTime(start);
    const shopId = await addShop(env.knex, { interval: 5, createdAt: start - 3_600_000 });
    // Without the sweep: no worker runs here, so it would publish the queued run's job again
    // after 30 minutes, as it should (crawler/sync.test.ts shows that with a worker).
    const schedules = (): Schedule[] => [
      ...buildSchedules({ knex: env.knex, queue, logger: silentLogger, weather: false }).filter((s) => s.name !== 'chains.sweep'),
      markerSchedule(queue, 'test.minutely', 1),
      markerSchedule(queue, 'test.every-7', 7),
    ];
    const a = testClock(env.knex, sim, schedules());
    const b = testClock(env.knex, sim, schedules());

    const claims = new Map<string, number>();
    const minutes = 90;
    for (let m = 0; m <= minutes; m += 1) {
      const at = sim.set(start + m * MINUTE_MS);
      const [ra, rb] = await Promise.all([a.tick(at), b.tick(at)]);
      for (const r of [...ra, ...rb]) {
        t.falsy(r.error, `${r.schedule} failed: ${String(r.error)}`);
        const key = `${r.schedule}@${r.dueAt}`;
        claims.set(key, (claims.get(key) ?? 0) + (r.claimed ? 1 : 0));
      }
    }
    t.true(claims.size > 0);
    for (const [key, n] of claims) t.is(n, 1, `${key} claimed by exactly one clock`);

    const markers = queue.payloads<{ schedule: string; due_at: number }>('test.marker');
    const minutely = markers.filter((p) => p.schedule === 'test.minutely').map((p) => p.due_at);
    t.is(minutely.length, minutes + 1, 'one marker per minute');
    t.is(new Set(minutely).size, minutely.length, 'no minute twice');
    // Every 7 minutes since the epoch: the first tick fires the latest due time at or before it.
    const sevens = new Set(Array.from({ length: minutes + 1 }, (_, m) => latestDueAt({ everyMinutes: 7 }, start + m * MINUTE_MS)));
    t.deepEqual(markers.filter((p) => p.schedule === 'test.every-7').map((p) => p.due_at), [...sevens]);
    // Hourly expiry at :17: the first tick catches up on 23:17 (no clock ever ran here), then 00:17 and 01:17.
    t.deepEqual(
      queue.payloads<{ due_at: number }>('shipments.expire').map((p) => p.due_at),
      [start - 43 * MINUTE_MS, start + 17 * MINUTE_MS, start + 77 * MINUTE_MS],
    );
    // The shop's 5-minute slots were each taken once (its next slot moved on past the last
    // minute); its first sync is still queued (no worker runs here), so later slots find it
    // active and start nothing more.
    const shop = await Shop.query(env.knex).findById(shopId);
    t.is(Number(shop!.next_sync_at), shopSlotAt({ id: shopId, sync_interval_minutes: 5 }, start + minutes * MINUTE_MS) + 5 * MINUTE_MS);
    t.is(await countRows(env.knex, 'sync_runs', { shop_id: shopId }), 1);
    t.is(queue.count('sync.page'), 1);
  });

  test.serial(`${set.name}: a clock started after a pause catches up on missed fires once, and not on fires another clock made`, async (t) => {
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const queue = new CountingQueue(env.queue);
    const start = nextMidnightUtc();
    const sim = new SimTime(start);
    const schedules = (): Schedule[] => [markerSchedule(queue, 'test.minutely', 1), markerSchedule(queue, 'test.hourly', 60)];

    const first = testClock(env.knex, sim, schedules());
    for (let m = 0; m <= 10; m += 1) await first.tick(sim.set(start + m * MINUTE_MS));
    t.is(queue.count('test.marker'), 11 + 1, 'ten minutes of minutely markers plus the 00:00 hourly one');

    // Down from 00:10 to 02:30: the next clock fires the latest missed minute and the latest
    // missed hour (02:00) once; the older missed fires are subsumed by them.
    const second = testClock(env.knex, sim, schedules());
    const records = await second.tick(sim.set(start + 150 * MINUTE_MS));
    t.deepEqual(
      records.filter((r) => r.claimed).map((r) => `${r.schedule}@${(r.dueAt - start) / MINUTE_MS}`),
      ['test.minutely@150', 'test.hourly@120'],
    );
    // A third clock starting now finds those fires claimed and catches up on nothing.
    const third = testClock(env.knex, sim, schedules());
    const again = await third.tick(sim.now());
    t.deepEqual(again.filter((r) => r.claimed), []);
    t.is(queue.count('test.marker'), 12 + 2);
  });
  if (set.dialect === 'mysql') {
    test.serial(`${set.name}: a fire that loses a lock conflict with another transaction runs again within its minute`, async (t) => {
      const env = await set.setup();
      t.teardown(() => env.teardown());
      await env.knex.schema.createTable('lock_probe', (table) => {
        table.integer('id').primary();
        table.integer('fires').notNullable();
      });
      await env.knex('lock_probe').insert({ id: 1, fires: 0 });
      const start = nextMidnightUtc();
      const sim = new SimTime(start);
      let runs = 0;
      const probe: Schedule = {
        name: 'test.probe',
        everyMinutes: 1,
        fire: () =>
          env.knex.transaction(async (trx) => {
            runs += 1;
            // A short lock wait, so the conflict comes within the test's time.
            await trx.raw('SET SESSION innodb_lock_wait_timeout = 1');
            await trx('lock_probe').where({ id: 1 }).increment('fires', 1);
          }),
      };
      const clock = testClock(env.knex, sim, [probe]);

      // Another transaction (a worker's, say) holds the row until the fire has lost one lock wait
      // and started again.
      const holder = await env.knex.transaction();
      await holder('lock_probe').where({ id: 1 }).update({ fires: 0 });
      const release = (async () => {
        const deadline = Date.now() + 20_000;
        while (runs < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        await holder.commit();
      })();
      const [records] = await Promise.all([clock.tick(sim.set(start)), release]);

      t.falsy(records[0]!.error, String(records[0]!.error));
      t.true(records[0]!.claimed);
      t.true(runs >= 2, `the fire ran ${runs} times`);
      t.is((await env.knex('lock_probe').where({ id: 1 }).first()).fires, 1, 'its work is done once');
    });
  }
});
