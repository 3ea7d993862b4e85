import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { countRows, HOUR_MS, nextMidnightUtc } from '../scheduler/sim.ts';
import { DHL_KEY, insertShipments, startTrackingRig, timeline, type ShipmentSeed } from './harness.ts';

/**
 * DHL tracking polls with controlled time, against the DHL sandbox over HTTP, with two workers.
 */
eachAdapterSet((set) => {
  test.serial(`${set.name}: over six simulated hours with 1,000 shipments, DHL polls stay inside the quota and go out for delivery first, then in transit`, async (t) => {
    const env = await set.setup();
    const start = nextMidnightUtc();
    const rig = await startTrackingRig(env, { start, sandboxPerSecond: 20, sandboxPerDay: 250, callsPerSecond: 20, callsPerDay: 250 });
    t.teardown(async () => {
      await rig.close();
      await env.teardown();
    });

    const seeds: ShipmentSeed[] = [];
    const add = (n: number, prefix: string, carrier: string, status: ShipmentSeed['status']) => {
      for (let i = 0; i < n; i += 1) seeds.push({ tracking_number: `${prefix}${String(i).padStart(4, '0')}`, carrier, status });
    };
    add(30, 'OFD', 'DHLFORYOU', 'out_for_delivery');
    add(90, 'ITR', 'DHL_DE', 'in_transit');
    add(180, 'INF', 'DHL', 'info_received');
    add(50, 'DLV', 'DHLFORYOU', 'delivered');
    add(650, 'TNT', 'TNT', 'in_transit');
    t.is(seeds.length, 1_000);
    for (const s of seeds.filter((x) => x.tracking_number.startsWith('OFD'))) rig.dhl.addShipment(s.tracking_number, timeline(start, [{ afterMinutes: 180, kind: 'delivered' }], 'outForDelivery'));
    for (const s of seeds.filter((x) => x.tracking_number.startsWith('ITR'))) rig.dhl.addShipment(s.tracking_number, timeline(start, [{ afterMinutes: 300, kind: 'outForDelivery' }]));
    for (const s of seeds.filter((x) => x.tracking_number.startsWith('INF'))) rig.dhl.addShipment(s.tracking_number, timeline(start, [], 'announced'));
    const ids = await insertShipments(env.knex, seeds);

    // Six hours, one tick a minute; note the minute each tracking number was first asked for.
    const firstCall = new Map<string, number>();
    for (let minute = 0; minute <= 360; minute += 1) {
      await rig.tickAt(minute);
      for (const tn of Object.keys(rig.dhl.stats().byTrackingNumber)) if (!firstCall.has(tn)) firstCall.set(tn, minute);
    }

    const stats = rig.dhl.stats();
    const calls = stats.byKey[DHL_KEY]!.requests;
    // The quota spread over the day: by 06:00 (minute 360) at most 250 × 361 / 1440 = 62 polls.
    const budget = Math.floor((250 * 361) / 1440);
    t.true(calls <= budget, `${calls} calls, budget ${budget}`);
    t.true(calls >= budget - 2, `the budget is spent, not left idle: ${calls} of ${budget}`);
    t.is(stats.tooManyRequests, 0, 'no 429');
    t.true(stats.maxPerSecond[DHL_KEY]! <= 20, `peak ${stats.maxPerSecond[DHL_KEY]} calls in a second`);
    for (const [tn, days] of Object.entries(stats.byTrackingNumberByDay)) for (const n of Object.values(days)) t.true(n <= 10, `${tn}: ${n} calls in a day`);

    const first = (prefix: string) => [...firstCall].filter(([tn]) => tn.startsWith(prefix)).map(([, m]) => m);
    t.is(first('OFD').length, 30, 'every shipment out for delivery was polled');
    t.true(first('ITR').length > 0, 'the rest of the budget went to shipments in transit');
    t.true(Math.max(...first('OFD')) <= Math.min(...first('ITR')), 'out for delivery before in transit');
    t.deepEqual([...first('INF'), ...first('DLV'), ...first('TNT')], [], 'nothing else polled: lower priority, final, or no connector');

    // Events went into the timelines once each, and statuses moved with DHL's.
    const ofd = [...ids].filter(([tn]) => tn.startsWith('OFD'));
    const byStatus: Record<string, number> = {};
    for (const [tn, id] of ofd) {
      const shipment = await env.knex('shipments').where({ id }).first();
      byStatus[shipment.status] = (byStatus[shipment.status] ?? 0) + 1;
      const events = await env.knex('tracking_events').where({ shipment_id: id, source: 'dhl' });
      const polled = stats.byTrackingNumber[tn]!;
      if (shipment.status === 'delivered') {
        t.is(events.length, 4, `${tn}: announced, in transit, out for delivery, delivered`);
        t.is(await countRows(env.knex, 'tracking_polls', { shipment_id: id }), 0, `${tn}: no more polls after delivery`);
      } else {
        t.is(shipment.status, 'out_for_delivery');
        t.is(events.length, 3, `${tn} polled ${polled} times: each event stored once`);
      }
      t.true(events.every((e: { raw_status: string }) => e.raw_status.length > 0));
    }
    t.true((byStatus.delivered ?? 0) > 0, `some were polled again after their delivery at 03:00: ${JSON.stringify(byStatus)}`);
    t.is(await countRows(env.knex, 'tracking_polls', { state: 'planned' }), 0, 'nothing left half-done');
  });

  test.serial(`${set.name}: a carrier 429 or outage delays polls without losing them`, async (t) => {
    const env = await set.setup();
    // Noon: half the day's budget is available at once, so every due shipment is planned on the first tick.
    const start = nextMidnightUtc() + 12 * HOUR_MS;
    // The key allows 1 call a second; shipsync is told 4: DHL's 429s must slow it down.
    const rig = await startTrackingRig(env, { start, sandboxPerSecond: 1, sandboxPerDay: 1_000, callsPerSecond: 4, callsPerDay: 1_000, maxAttempts: 3 });
    t.teardown(async () => {
      await rig.close();
      await env.teardown();
    });
    const first = Array.from({ length: 3 }, (_, i) => ({ tracking_number: `JJD00${i}`, carrier: 'DHL', status: 'out_for_delivery' as const }));
    for (const s of first) rig.dhl.addShipment(s.tracking_number, timeline(start, [], 'outForDelivery'));
    const ids = await insertShipments(env.knex, first);

    await rig.tickAt(0);
    let stats = rig.dhl.stats();
    t.true(stats.byKey[DHL_KEY]!.tooMany > 0, 'DHL answered 429 to the too-fast pace');
    for (const s of first) {
      const id = ids.get(s.tracking_number)!;
      t.is(await countRows(env.knex, 'tracking_events', { shipment_id: id, source: 'dhl' }), 3, `${s.tracking_number} polled after the wait`);
      const poll = await env.knex('tracking_polls').where({ shipment_id: id }).first();
      t.like(poll, { state: 'waiting', polls_today: 1, last_result: 'found' });
    }

    // An outage: every call fails. The link gives up after its attempts; the planned polls stay.
    const more = Array.from({ length: 3 }, (_, i) => ({ tracking_number: `JJD10${i}`, carrier: 'DHLFORYOU', status: 'in_transit' as const }));
    for (const s of more) rig.dhl.addShipment(s.tracking_number, timeline(start));
    const moreIds = await insertShipments(env.knex, more);
    rig.dhl.setOptions({ serverErrorRate: 1 });
    await rig.tickAt(1);
    t.is(await countRows(env.knex, 'tracking_polls', { state: 'planned' }), 3, 'the polls wait, planned');
    const key = await env.knex('tracking_keys').where({ carrier: 'dhl' }).first();
    t.is(key.chain, 'idle');
    t.true(Number(key.blocked_until) > rig.sim.now(), 'the chain rests a while before the clock restarts it');
    for (const id of moreIds.values()) t.is(await countRows(env.knex, 'tracking_events', { shipment_id: id }), 0);

    // DHL is back. Within the rest period nothing is sent; after it the same polls go out.
    rig.dhl.setOptions({ serverErrorRate: 0 });
    rig.dhl.resetStats();
    await rig.tickAt(3);
    t.is(rig.dhl.stats().requests, 0, 'still resting');
    await rig.tickAt(7);
    stats = rig.dhl.stats();
    for (const [tn, id] of moreIds) {
      t.true((stats.byTrackingNumber[tn] ?? 0) >= 1, `${tn} polled`);
      t.is(await countRows(env.knex, 'tracking_events', { shipment_id: id, source: 'dhl' }), 2, `${tn}: its events, once`);
      t.is((await env.knex('shipments').where({ id }).first()).status, 'in_transit');
    }
    t.is(await countRows(env.knex, 'tracking_polls', { state: 'planned' }), 0);
  });

  test.serial(`${set.name}: a 404 for a shipment younger than a day is asked again later; an older one stops being polled`, async (t) => {
    const env = await set.setup();
    const start = nextMidnightUtc() + 12 * HOUR_MS;
    const rig = await startTrackingRig(env, { start, sandboxPerSecond: 20, sandboxPerDay: 1_000, callsPerSecond: 20, callsPerDay: 1_000 });
    t.teardown(async () => {
      await rig.close();
      await env.teardown();
    });
    const ids = await insertShipments(env.knex, [
      { tracking_number: 'FRESH1', carrier: 'DHL', status: 'info_received', created_at: start - 20 * 60_000 },
      { tracking_number: 'OLD1', carrier: 'DHL', status: 'info_received', created_at: start - 3 * 86_400_000 },
    ]);
    await rig.tickAt(0);
    t.like(await env.knex('tracking_polls').where({ shipment_id: ids.get('FRESH1') }).first(), { state: 'waiting', last_result: 'not_found' });
    t.like(await env.knex('tracking_polls').where({ shipment_id: ids.get('OLD1') }).first(), { state: 'stopped', last_result: 'not_found' });

    // The label reaches DHL; 2.4 hours later (10 polls a day, spread) the fresh one is asked again and found.
    rig.dhl.addShipment('FRESH1', timeline(start, [], 'announced'));
    rig.dhl.addShipment('OLD1', timeline(start, [], 'announced'));
    for (const minute of [60, 143, 144, 145]) await rig.tickAt(minute);
    const stats = rig.dhl.stats();
    t.is(stats.byTrackingNumber.FRESH1, 2);
    t.is(stats.byTrackingNumber.OLD1, 1, 'a stopped shipment is not polled again');
    t.is((await env.knex('shipments').where({ id: ids.get('FRESH1') }).first()).status, 'info_received');
    t.is(await countRows(env.knex, 'tracking_events', { shipment_id: ids.get('FRESH1')! }), 1);
  });
});
