import test from 'ava';
import { appendTrackingEvents } from '../../crawler/sync/shipments.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { countRows, CountingQueue, MINUTE_MS, nextMidnightUtc, SimTime, silentLogger, startSimWorker, testClock } from '../scheduler/sim.ts';
import { insertShipments } from './harness.ts';

const DAY = 86_400_000;

eachAdapterSet((set) => {
  test.serial(`${set.name}: shipments with no tracking event for 30 days expire on the hourly schedule; a later event still wins`, async (t) => {
    const env = await set.setup();
    const start = nextMidnightUtc();
    const sim = new SimTime(start);
    const queue = new CountingQueue(env.queue);
    const worker = await startSimWorker(env.knex, queue, sim);
    t.teardown(async () => {
      await worker.stop(2_000);
      await env.teardown();
    });
    const ids = await insertShipments(env.knex, [
      { tracking_number: 'QUIET', carrier: 'DHL', status: 'in_transit', created_at: start - 60 * DAY },
      { tracking_number: 'NEVER', carrier: 'PostNL', status: 'pending', created_at: start - 31 * DAY },
      { tracking_number: 'MURMUR', carrier: 'DHL', status: 'in_transit', created_at: start - 60 * DAY },
      { tracking_number: 'DONE', carrier: 'DHL', status: 'delivered', created_at: start - 60 * DAY },
      { tracking_number: 'FRESH', carrier: 'DHL', status: 'pending', created_at: start - 5 * DAY },
    ]);
    const id = (tn: string) => ids.get(tn)!;
    const event = (shipmentId: number, at: number, status: string | null, raw: string) => ({
      shipment_id: shipmentId, source: 'dhl', status, raw_status: raw, description: null, location: null, occurred_at: at, dedupe_key: `${raw}-${at}`, created_at: at,
    });
    await env.knex('tracking_events').insert([
      event(id('QUIET'), start - 31 * DAY, 'in_transit', 'transit'),
      event(id('MURMUR'), start - 40 * DAY, 'in_transit', 'transit'),
      // An event no rule maps: it does not move the status, but it is an event: no expiry.
      event(id('MURMUR'), start - 10 * DAY, null, 'CUSTOMS_HOLD_XYZ'),
      event(id('DONE'), start - 40 * DAY, 'delivered', 'delivered'),
    ]);
    await env.knex('shipments').where({ id: id('MURMUR') }).update({ status_at: start - 40 * DAY });
    await env.knex('tracking_polls').insert({ shipment_id: id('QUIET'), carrier: 'dhl', state: 'waiting', priority: 1, next_poll_at: start, polls_day: 0, polls_today: 0, created_at: start, updated_at: start });

    const clock = testClock(env.knex, sim, buildSchedules({ knex: env.knex, queue, logger: silentLogger, weather: false }));
    await clock.tick(sim.set(start + 17 * MINUTE_MS - 1));
    await queue.settled();
    t.is(queue.count('shipments.expire'), 1, 'the first tick catches up on the last hourly fire');
    await clock.tick(sim.set(start + 17 * MINUTE_MS));
    await queue.settled();
    t.is(queue.count('shipments.expire'), 2);

    const status = async (tn: string) => (await env.knex('shipments').where({ id: id(tn) }).first()).status;
    t.is(await status('QUIET'), 'expired');
    t.is(await status('NEVER'), 'expired', 'no event at all, first seen 31 days ago');
    t.is(await status('MURMUR'), 'in_transit');
    t.is(await status('DONE'), 'delivered');
    t.is(await status('FRESH'), 'pending');
    const expiry = await env.knex('tracking_events').where({ shipment_id: id('QUIET'), source: 'shipsync' });
    t.like(expiry, [{ status: 'expired', raw_status: 'EXPIRED' }]);
    t.is(await countRows(env.knex, 'tracking_polls', { shipment_id: id('QUIET') }), 0, 'an expired shipment is not polled');

    // Running expiry again changes nothing; a carrier event after the expiry moves the status on.
    await env.knex.transaction((trx) =>
      appendTrackingEvents(trx, id('QUIET'), [{ source: 'dhl', status: 'delivered', rawStatus: 'delivered', description: 'Delivered', location: null, occurredAt: sim.now() + 1 }]),
    );
    await clock.tick(sim.set(start + 77 * MINUTE_MS));
    await queue.settled();
    t.is(await status('QUIET'), 'delivered');
    t.is(await countRows(env.knex, 'tracking_events', { shipment_id: id('NEVER') }), 1);
  });
});
