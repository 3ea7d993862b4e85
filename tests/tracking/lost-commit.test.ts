import test from 'ava';
import { ADAPTER_SETS, TEST_DATABASE_URL } from '../helpers/adapters.ts';
import { knexThroughHop, startDatabaseHop } from '../helpers/database-hop.ts';
import { countRows, HOUR_MS, nextMidnightUtc } from '../scheduler/sim.ts';
import { DHL_KEY, insertShipments, startTrackingRig, timeline } from './harness.ts';

/**
 * A tracking step's answers cost calls of the key's day: a connection lost at the step's COMMIT
 * (the database restarted, the network dropped it) must not send them again, whether the COMMIT
 * was lost on its way (rolled back) or reached the server and only its answer was lost.
 */
for (const how of ['before-commit', 'after-commit'] as const) {
  test.serial(`mysql+rabbitmq: a tracking step's connection lost at its COMMIT (${how === 'before-commit' ? 'rolled back' : 'committed, its answer lost'}) asks DHL about each shipment once`, async (t) => {
    const mysql = ADAPTER_SETS.find((s) => s.dialect === 'mysql')!;
    const env = await mysql.setup();
    const hop = await startDatabaseHop(new URL(TEST_DATABASE_URL));
    const workerKnex = knexThroughHop(hop, env.knex);
    const start = nextMidnightUtc() + 12 * HOUR_MS;
    const rig = await startTrackingRig(env, { start, sandboxPerSecond: 10, sandboxPerDay: 1_000, callsPerSecond: 5, callsPerDay: 1_000, workers: 1, workerKnex });
    t.teardown(async () => {
      await rig.close();
      await workerKnex.destroy();
      await hop.close();
      await env.teardown();
    });
    const seeds = Array.from({ length: 8 }, (_, i) => ({ tracking_number: `JJD20${i}`, carrier: 'DHL', status: 'in_transit' as const }));
    for (const s of seeds) rig.dhl.addShipment(s.tracking_number, timeline(start));
    const ids = await insertShipments(env.knex, seeds);

    const cut = hop.cutNextCommitOf('into `tracking_events`', how);
    await rig.tickAt(0);
    await cut;

    const stats = rig.dhl.stats();
    for (const [tn, id] of ids) {
      t.is(stats.byTrackingNumber[tn], 1, `${tn} asked once`);
      t.is(await countRows(env.knex, 'tracking_events', { shipment_id: id, source: 'dhl' }), 2, `${tn}: its events, once`);
      t.like(await env.knex('tracking_polls').where({ shipment_id: id }).first(), { state: 'waiting', polls_today: 1, last_result: 'found' });
    }
    t.is(stats.byKey[DHL_KEY]!.tooMany, 0);

    // The chain went on after the commit (it was not left running with no job): the next minute's
    // new shipments are polled.
    const later = [{ tracking_number: 'JJD300', carrier: 'DHL', status: 'in_transit' as const }];
    rig.dhl.addShipment('JJD300', timeline(start));
    const laterIds = await insertShipments(env.knex, later);
    await rig.tickAt(1);
    t.is(rig.dhl.stats().byTrackingNumber.JJD300, 1, 'polled on the next tick');
    t.is(await countRows(env.knex, 'tracking_events', { shipment_id: laterIds.get('JJD300')!, source: 'dhl' }), 2);
  });
}
