import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { Knex } from 'knex';
import { startWeb } from '../../api/create-web.ts';
import { ShipmentDetail } from '../../api/schemas.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import type { ShipmentStatus } from '../../models/shipment.ts';
import { DEFAULT_WEATHER_API_KEY, startWeatherSandbox, type WeatherSandbox } from '../../sandbox/weather/index.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import { ADAPTER_SETS, eachAdapterSet, TEST_DATABASE_URL, type AdapterEnv } from '../helpers/adapters.ts';
import { knexThroughHop, startDatabaseHop } from '../helpers/database-hop.ts';
import { countRows, CountingQueue, HOUR_MS, MINUTE_MS, nextMidnightUtc, SimTime, silentLogger, startSimWorker, testClock } from '../scheduler/sim.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';

/**
 * Weather with controlled time, against the weather sandbox over HTTP (weatherapi.com mode: one
 * query per location, so the sandbox's call log tells every location's calls apart).
 */

interface Rig {
  sim: SimTime;
  weather: WeatherSandbox;
  queue: CountingQueue;
  tickAt(minute: number): Promise<void>;
}

/** `workerKnex`: the worker's own pool (e.g. through a database hop); the clock and the test use env's. */
async function startRig(t: { teardown(fn: () => Promise<void>): void }, env: AdapterEnv, start: number, workerKnex = env.knex): Promise<Rig> {
  const sim = new SimTime(start);
  const weather = await startWeatherSandbox({ clock: sim.now });
  const queue = new CountingQueue(env.queue);
  const worker = await startSimWorker(workerKnex, queue, sim, {
    prefetch: 8,
    weather: { weatherApiUrl: weather.url, weatherApiKey: DEFAULT_WEATHER_API_KEY, openMeteoUrl: weather.url, retries: 0 },
  });
  t.teardown(async () => {
    await worker.stop(2_000);
    await weather.close();
    await env.teardown();
  });
  const clock = testClock(env.knex, sim, buildSchedules({ knex: env.knex, queue, logger: silentLogger }));
  return {
    sim,
    weather,
    queue,
    async tickAt(minute) {
      const records = await clock.tick(sim.set(start + minute * MINUTE_MS));
      const failed = records.find((r) => r.error);
      if (failed) throw new Error(`${failed.schedule} failed: ${String(failed.error)}`);
      await queue.settled();
    },
  };
}

/** Shipments to NL postal codes, spelled as sources spell them (`1011AB`, `1011 ab`): one location each. */
async function insertShipments(knex: Knex, rows: { postal: string; status: ShipmentStatus; city?: string }[]): Promise<number[]> {
  const now = Date.now();
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200).map((r, j) => ({
      source: 'csv',
      carrier: 'PostNL',
      tracking_number: `3S${randomBytes(5).toString('hex')}${i + j}`,
      status: r.status,
      receiver_country: 'NL',
      receiver_postal_code: r.postal,
      receiver_city: r.city ?? 'Amsterdam',
      created_at: now,
      updated_at: now,
    }));
    await knex('shipments').insert(chunk);
  }
  const all: { id: number }[] = await knex('shipments').select('id').orderBy('id', 'desc').limit(rows.length);
  ids.push(...all.map((r) => Number(r.id)));
  return ids;
}

/** Location n's postal code, spelled one of three ways. */
function postal(n: number, spelling: number): string {
  const digits = 1011 + n * 97;
  return [`${digits}AB`, `${digits} ab`, ` ${digits}  AB `][spelling % 3]!;
}

/** The calls per location query, with the simulated time of each. */
function callsByLocation(weather: WeatherSandbox): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const e of weather.stats().log) if (e.api === 'weatherapi') out.set(e.query, [...(out.get(e.query) ?? []), e.at]);
  return out;
}

eachAdapterSet((set) => {
  test.serial(`${set.name}: over six simulated hours, 1,000 shipments in 40 locations: one weather call per location per 2 hours at most, new locations within minutes, none for final-only ones`, async (t) => {
    const env = await set.setup();
    const start = nextMidnightUtc();
    const rig = await startRig(t, env, start);

    // 40 locations; the last 5 have only delivered or returned shipments.
    const rows: { postal: string; status: ShipmentStatus }[] = [];
    for (let i = 0; i < 1_000; i += 1) {
      const loc = i % 40;
      const status: ShipmentStatus = loc >= 35 ? (i % 2 ? 'delivered' : 'returned') : (['pending', 'in_transit', 'delivered', 'out_for_delivery'] as const)[Math.floor(i / 40) % 4]!;
      rows.push({ postal: postal(loc, Math.floor(i / 40)), status });
    }
    await insertShipments(env.knex, rows);

    await rig.tickAt(0);
    t.is(await countRows(env.knex, 'locations'), 40, 'one location per normalised postal code');
    let calls = callsByLocation(rig.weather);
    t.is(calls.size, 35, 'every location with a shipment still under way has weather after the first minute');
    t.is(await countRows(env.knex, 'locations', { next_fetch_at: null }), 5, 'the final-only locations are dormant');

    const ended = postal(0, 0);
    for (let minute = 1; minute <= 360; minute += 1) {
      if (minute === 150) {
        // Three new destinations appear mid-afternoon.
        await insertShipments(env.knex, [30, 31, 32].flatMap((n) => Array.from({ length: 10 }, (_, k) => ({ postal: postal(n + 20, k), status: 'in_transit' as const }))));
      }
      if (minute === 200) {
        // Every shipment to location 0 is delivered: its weather is no longer refreshed.
        const locationId = (await env.knex('locations').where({ postal_code: '1011 AB' }).first()).id;
        await env.knex('shipments').where({ location_id: locationId }).update({ status: 'delivered', updated_at: Date.now() });
      }
      await rig.tickAt(minute);
      if (minute === 151) t.is(callsByLocation(rig.weather).size, 38, 'new locations get weather within a minute');
    }

    calls = callsByLocation(rig.weather);
    t.is(calls.size, 38);
    let total = 0;
    for (const [query, times] of calls) {
      total += times.length;
      for (let i = 1; i < times.length; i += 1) t.true(times[i]! - times[i - 1]! >= 2 * HOUR_MS, `${query}: calls ${times.map((x) => (x - start) / MINUTE_MS)}`);
      t.true(times.length <= 4, `${query}: ${times.length} calls in six hours`);
    }
    const location0 = [...calls].find(([q]) => q.startsWith(ended.slice(0, 4)))!;
    t.true(location0[1].every((at) => at < start + 200 * MINUTE_MS), 'no refresh after its last shipment was delivered');
    t.true(total >= 35 * 3, `the others were refreshed every 2 hours: ${total} calls`);
    t.is(rig.weather.stats().weatherapi.quotaExceeded, 0);
  });

  test.serial(`${set.name}: GET /shipments/:id shows the weather with fetched_at; a failed refresh keeps the last observation`, async (t) => {
    const env = await set.setup();
    const start = nextMidnightUtc() + 9 * HOUR_MS;
    const rig = await startRig(t, env, start);
    const [id] = await insertShipments(env.knex, [{ postal: '3511 LX', status: 'in_transit', city: 'Utrecht' }]);
    const token = randomBytes(24).toString('base64url');
    const web = await startWeb({ knex: env.knex, queue: env.queue, secretBox: createSecretBox(randomBytes(32).toString('base64')), apiToken: token, platforms: platformsFromEnv({ BOL_LOGIN_URL: 'http://127.0.0.1:9' }), logger: silentLogger }, 0);
    t.teardown(() => web.close(1_000));
    const detail = async () => {
      const res = await fetch(`${web.url}/shipments/${id}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { weather: { temp_c: number; condition: string; fetched_at: string; provider: string } | null };
      t.notThrows(() => ShipmentDetail.parse(body));
      return body;
    };

    t.is((await detail()).weather, null, 'no observation yet');
    await rig.tickAt(0);
    const first = (await detail()).weather!;
    t.is(first.provider, 'weatherapi');
    t.true(Math.abs(Date.parse(first.fetched_at) - start) < MINUTE_MS, first.fetched_at);
    t.is(typeof first.temp_c, 'number');
    t.true(first.condition.length > 0);

    rig.weather.setOptions({ serverErrorRate: 1 });
    await rig.tickAt(121);
    t.deepEqual((await detail()).weather, first, 'the weather provider failed: the last observation stays, with its fetched_at');
    const location = await env.knex('locations').first();
    t.truthy(location.last_error);

    rig.weather.setOptions({ serverErrorRate: 0 });
    await rig.tickAt(130);
    t.is((await detail()).weather!.fetched_at, first.fetched_at, 'retried after 15 minutes, not at once');
    await rig.tickAt(137);
    t.true(Math.abs(Date.parse((await detail()).weather!.fetched_at) - (start + 137 * MINUTE_MS)) < MINUTE_MS);
  });
});

/**
 * The weather provider's answer costs a call of the key's quota: a connection lost at the write
 * that stores it (the database restarted, the network dropped it) must not lose it, whether the
 * write never reached the server or reached it and only its answer was lost. Lost, the location
 * stayed claimed with no observation and was asked again once the claim ran out.
 */
for (const how of ['before-commit', 'after-commit'] as const) {
  test.serial(`mysql+rabbitmq: a weather write whose connection is lost (${how === 'before-commit' ? 'never arrived' : 'arrived, its answer lost'}) keeps the observation, asked once`, async (t) => {
    const mysql = ADAPTER_SETS.find((s) => s.dialect === 'mysql')!;
    const env = await mysql.setup();
    const hop = await startDatabaseHop(new URL(TEST_DATABASE_URL));
    const workerKnex = knexThroughHop(hop, env.knex);
    t.teardown(async () => {
      await workerKnex.destroy();
      await hop.close();
    });
    const start = nextMidnightUtc() + 9 * HOUR_MS;
    const rig = await startRig(t, env, start, workerKnex);
    await insertShipments(env.knex, [{ postal: '3511 LX', status: 'in_transit', city: 'Utrecht' }]);

    const cut = hop.cutNextAutocommit('update `locations` set `temp_c`', how);
    await rig.tickAt(0);
    await cut;

    const location = await env.knex('locations').first();
    t.is(typeof location.temp_c, 'number', 'the observation is stored');
    t.true(Math.abs(Number(location.fetched_at) - start) < MINUTE_MS, 'fetched in the first minute');
    t.is(location.fetch_started_at, null, 'the claim is released');
    t.is(Number(location.next_fetch_at), Number(location.fetched_at) + 2 * HOUR_MS, 'due again in 2 hours');
    for (const minute of [1, 10, 60]) await rig.tickAt(minute);
    t.deepEqual([...callsByLocation(rig.weather).values()].map((times) => times.length), [1], 'the provider was asked once');
  });
}
