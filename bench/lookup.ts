/**
 * Benchmark: "where is my parcel?" look-ups at a million shipments.
 *
 * With 1,000,000 shipments in MySQL (with ~1.5 items and ~2.5 tracking events each, in 40,000
 * locations with weather), `GET /shipments?tracking_number=…&carrier=…` through the real API
 * process (Koa, auth, validation, request log, whole shipments with items, events and weather)
 * against a bare node:http server doing the same queries with mysql2 (bench/lookup-bare-server.ts):
 * requests per second and p50/p99 latency under the same closed-loop load (bench/load.ts), all on
 * this machine. Prints the API's share of the bare server's throughput.
 * Targets: ≥ 0.6 of the bare server, and ≥ 1,000 requests/s.
 *
 *   npm run bench:lookup
 *
 * Knobs: BENCH_DATABASE_URL (mysql://root@127.0.0.1:3306; the data goes into database
 * shipsync_bench_lookup, kept between runs and made again when its size differs or
 * BENCH_REGENERATE=1), BENCH_SHIPMENTS (1000000), BENCH_CONNECTIONS (32), BENCH_ROUNDS (3: the two
 * servers take turns, each figure is the median), BENCH_DURATION_S (10 per turn), BENCH_WARMUP_S (2),
 * BENCH_LOG_LEVEL (the API's LOG_LEVEL, default info: its request log on),
 * BENCH_BUFFER_POOL_MB (unset: the server's InnoDB buffer pool as it is; set: raised to this size
 * with SET GLOBAL for the run, as a production server would be sized for its ~1.2 GB of data:
 * MariaDB's default 128 MB makes random look-ups at a million shipments wait on page reads).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createKnex } from '../models/db.ts';
import { migrateLatest } from '../migrations/index.ts';
import { carrierNameOf } from '../models/carriers.ts';
import { freePort, spawnProcess, stopProcess, waitForHealth } from './harness.ts';
import { runLoad, type LoadResult } from './load.ts';

const serverUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306';
const dbName = 'shipsync_bench_lookup';
const total = Number(process.env.BENCH_SHIPMENTS ?? 1_000_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const durationMs = Number(process.env.BENCH_DURATION_S ?? 10) * 1000;
const warmupMs = Number(process.env.BENCH_WARMUP_S ?? 2) * 1000;
const LOCATIONS = 40_000;
const CHUNK = 5_000;

const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${dbName}`;

/** Carrier codes as bol and files write them, with their share of shipments. */
const CARRIER_MIX: [string, string, number][] = [
  ['TNT', '3S', 35],
  ['DHLFORYOU', 'JVGL', 15],
  ['DHL_DE', '00340', 5],
  ['DHL', 'JJD', 5],
  ['PostNL', '3SPN', 10],
  ['DPD-NL', '0534', 10],
  ['GLS', 'GLS', 10],
  ['UPS', '1Z', 10],
];
const CARRIER_TABLE = CARRIER_MIX.flatMap(([code, prefix, weight]) => Array.from({ length: weight }, () => [code, prefix] as const));
const STATUSES = ['in_transit', 'in_transit', 'delivered', 'delivered', 'delivered', 'out_for_delivery', 'info_received', 'available_for_pickup', 'returned', 'pending'];
const CONDITIONS = ['Sunny', 'Partly cloudy', 'Overcast', 'Patchy light rain with thunder', 'Moderate rain', 'Light snow showers', 'Fog'];

/** Deterministic per shipment: the same numbers every run. */
function shipmentOf(i: number) {
  const [carrier, prefix] = CARRIER_TABLE[(i * 7919) % CARRIER_TABLE.length]!;
  return { carrier, trackingNumber: `${prefix}${String(i).padStart(10, '0')}`, status: STATUSES[(i * 31) % STATUSES.length]!, location: 1 + ((i * 104_729) % LOCATIONS) };
}

function postalOf(location: number): string {
  const j = location - 1;
  return `${1000 + (j % 9000)} ${String.fromCharCode(65 + Math.floor(j / 9000))}${String.fromCharCode(65 + (j % 26))}`;
}

async function prepareData(): Promise<void> {
  const admin = await mysql.createConnection({ uri: serverUrl });
  const [exists] = await admin.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [dbName]);
  if ((exists as unknown[]).length > 0 && process.env.BENCH_REGENERATE !== '1') {
    const [[row]] = (await admin.query(`SELECT COUNT(*) AS n FROM \`${dbName}\`.shipments`).catch(() => [[{ n: -1 }]])) as [[{ n: number }]];
    if (Number(row.n) === total) {
      await admin.end();
      say(`Using the ${total.toLocaleString('en')} shipments already in ${dbName} (BENCH_REGENERATE=1 makes them again).`);
      return;
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4`);
  await admin.end();
  const knex = createKnex({ databaseUrl: dbUrl.toString(), poolMax: 1 });
  await migrateLatest(knex);
  await knex.destroy();

  const db = await mysql.createConnection({ uri: dbUrl.toString() });
  await db.query('SET SESSION unique_checks = 0, foreign_key_checks = 0');
  const started = Date.now();
  const now = Date.now();
  await db.query("INSERT INTO shops (id, name, platform, status, sync_interval_minutes, created_at, updated_at) VALUES (1, 'bench shop', 'bol', 'active', 15, ?, ?)", [now, now]);

  const insert = async (table: string, columns: string[], rows: unknown[][]) => {
    await db.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [rows]);
  };
  let rows: unknown[][] = [];
  for (let l = 1; l <= LOCATIONS; l += 1) {
    rows.push([l, 'NL', postalOf(l), 'Amsterdam', Math.round((l % 300) / 10 - 5), CONDITIONS[l % CONDITIONS.length], 'open-meteo', now - 600_000, now - (l % 7_200_000), now + 3_600_000, now, now]);
    if (rows.length === CHUNK) (await insert('locations', ['id', 'country', 'postal_code', 'city', 'temp_c', '`condition`', 'provider', 'observed_at', 'fetched_at', 'next_fetch_at', 'created_at', 'updated_at'], rows), (rows = []));
  }
  if (rows.length) await insert('locations', ['id', 'country', 'postal_code', 'city', 'temp_c', '`condition`', 'provider', 'observed_at', 'fetched_at', 'next_fetch_at', 'created_at', 'updated_at'], rows);

  const shipmentColumns = ['id', 'shop_id', 'source', 'platform_id', 'order_id', 'reference', 'fulfilment_method', 'carrier', 'tracking_number', 'status', 'status_at', 'shipped_at', 'receiver_postal_code', 'receiver_city', 'receiver_country', 'receiver_phone', 'phone_key', 'location_id', 'created_at', 'updated_at'];
  const itemColumns = ['shipment_id', 'item_key', 'ean', 'sku', 'title', 'quantity', 'quantity_shipped', 'unit_price'];
  const eventColumns = ['shipment_id', 'source', 'status', 'raw_status', 'description', 'location', 'occurred_at', 'dedupe_key', 'created_at'];
  const base = now - 90 * 86_400_000;
  for (let from = 1; from <= total; from += CHUNK) {
    const shipments: unknown[][] = [];
    const items: unknown[][] = [];
    const events: unknown[][] = [];
    for (let i = from; i < Math.min(from + CHUNK, total + 1); i += 1) {
      const s = shipmentOf(i);
      const shippedAt = base + i * 7_000;
      const phone = `+31 6 ${String(10_000_000 + (i % 89_999_999)).slice(0, 8)}`;
      shipments.push([i, 1, 'bol', `P${i}`, `O${i}`, `REF-${i}`, 'FBR', s.carrier, s.trackingNumber, s.status, shippedAt + 86_400_000, shippedAt, postalOf(s.location), 'Amsterdam', 'NL', phone, phone.replace(/\D/g, '').slice(-9), s.location, shippedAt, shippedAt + 86_400_000]);
      for (let k = 0; k < 1 + (i % 2); k += 1) items.push([i, `OI-${i}-${k}`, String(8_712_345_000_000 + ((i * 13 + k) % 999_999)), `SKU-${(i + k) % 50_000}`, `Product ${(i + k) % 50_000} in a box`, 1 + (k % 3), 1 + (k % 3), 9.95 + (i % 90)]);
      const n = 2 + (i % 2);
      const codes = ['PRE_ANNOUNCED', 'AT_TRANSPORTER', 'IN_TRANSIT'];
      for (let k = 0; k < n; k += 1) events.push([i, 'bol', ['info_received', 'in_transit', 'in_transit'][k], codes[k], k === 0 ? null : 'Sorted at the hub', k === 0 ? null : 'Utrecht', shippedAt + k * 43_200_000, `e${i}-${k}`, shippedAt + k * 43_200_000]);
    }
    await insert('shipments', shipmentColumns, shipments);
    await insert('shipment_items', itemColumns, items);
    await insert('tracking_events', eventColumns, events);
    if ((from - 1) % 100_000 === 0) say(`  ${(from - 1).toLocaleString('en')} shipments stored (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await db.query('ANALYZE TABLE shipments, shipment_items, tracking_events, locations');
  await db.end();
  say(`Stored ${total.toLocaleString('en')} shipments with items, events and 40,000 locations in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

/** Runs `script` on `port` (its stdout dropped) and waits until it answers /health. */
async function startProcess(script: string, env: Record<string, string>, port: number) {
  const child = spawnProcess(script, { ...env, PORT: String(port) }, 'ignore');
  await waitForHealth(`http://127.0.0.1:${port}`, child);
  return child;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The server's InnoDB buffer pool in MB, raised first when BENCH_BUFFER_POOL_MB asks for more. */
async function bufferPoolMb(): Promise<number> {
  const db = await mysql.createConnection({ uri: serverUrl });
  try {
    const want = Number(process.env.BENCH_BUFFER_POOL_MB ?? 0);
    const read = async () => Number(((await db.query('SELECT @@innodb_buffer_pool_size AS b')) as unknown as [[{ b: number }]])[0][0].b) / 1_048_576;
    if (want > (await read())) {
      await db.query('SET GLOBAL innodb_buffer_pool_size = ?', [want * 1_048_576]);
      for (let i = 0; i < 60 && (await read()) < want; i += 1) await new Promise((r) => setTimeout(r, 500));
    }
    return read();
  } finally {
    await db.end();
  }
}

/** Reads every page the look-ups will touch once, so neither server measures cold reads for the other. */
async function warmUp(trackingNumbers: string[]): Promise<void> {
  const db = await mysql.createConnection({ uri: dbUrl.toString() });
  try {
    for (let i = 0; i < trackingNumbers.length; i += 1_000) {
      const [rows] = await db.query('SELECT id, location_id FROM shipments FORCE INDEX (shipments_tracking_number_idx) WHERE tracking_number IN (?)', [trackingNumbers.slice(i, i + 1_000)]);
      const ids = (rows as { id: number }[]).map((r) => r.id);
      if (ids.length === 0) continue;
      await db.query('SELECT * FROM shipments WHERE id IN (?)', [ids]);
      await db.query('SELECT * FROM shipment_items WHERE shipment_id IN (?)', [ids]);
      await db.query('SELECT * FROM tracking_events WHERE shipment_id IN (?)', [ids]);
      await db.query('SELECT l.* FROM locations l JOIN shipments s ON s.location_id = l.id WHERE s.id IN (?)', [ids]);
    }
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  await prepareData();
  const poolMb = await bufferPoolMb();
  // Look-ups of shipments that exist, by the carrier's name or its code, in any case.
  const paths: string[] = [];
  for (let n = 0; n < 20_000; n += 1) {
    const i = 1 + ((n * 2_654_435_761) % total);
    const s = shipmentOf(i);
    const carrier = n % 2 === 0 ? (carrierNameOf(s.carrier) ?? s.carrier).toLowerCase() : s.carrier.toLowerCase();
    paths.push(`/shipments?tracking_number=${encodeURIComponent(s.trackingNumber)}&carrier=${encodeURIComponent(carrier)}`);
  }
  await warmUp(paths.map((p) => decodeURIComponent(/tracking_number=([^&]+)/.exec(p)![1]!)));
  const token = randomBytes(24).toString('base64url');
  const headers = { authorization: `Bearer ${token}` };

  // Both servers run side by side; the load goes to one at a time, alternating for
  // BENCH_ROUNDS rounds, so a drift in what else this machine is doing hits both alike.
  // Each figure is the median over the rounds.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const barePort = await freePort();
  const apiPort = await freePort();
  const bareServer = await startProcess('bench/lookup-bare-server.ts', { BENCH_DB_URL: dbUrl.toString() }, barePort);
  const apiServer = await startProcess('api/server.ts', {
    DATABASE_URL: dbUrl.toString(),
    API_TOKEN: token,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    AMQP_URL: '',
    CLOUDAMQP_URL: '',
  }, apiPort);
  const results: Record<'bare' | 'api', LoadResult[]> = { bare: [], api: [] };
  let bareSample: unknown;
  let apiSample: unknown;
  try {
    bareSample = await (await fetch(`http://127.0.0.1:${barePort}${paths[0]}`)).json();
    apiSample = await (await fetch(`http://127.0.0.1:${apiPort}${paths[0]}`, { headers })).json();
    for (let round = 1; round <= rounds; round += 1) {
      for (const [which, port] of [['bare', barePort], ['api', apiPort]] as const) {
        say(`round ${round}/${rounds}, ${which === 'bare' ? 'bare node:http + mysql2' : 'shipsync API'}: ${connections} connections, ${warmupMs / 1000} s warm-up, ${durationMs / 1000} s measured…`);
        results[which].push(await runLoad({ url: `http://127.0.0.1:${port}`, path: (k) => paths[(k * 7 + round * 1_000) % paths.length]!, headers, connections, durationMs, warmupMs }));
      }
    }
  } finally {
    await stopProcess(bareServer);
    await stopProcess(apiServer);
  }
  const median = (rs: LoadResult[]): LoadResult => [...rs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(rs.length / 2)]!;
  const bare = median(results.bare);
  const api = median(results.api);

  const same = JSON.stringify((apiSample as { data: unknown }).data) === JSON.stringify((bareSample as { data: unknown }).data);
  const shipment = (apiSample as { data: { items: unknown[]; events: unknown[]; weather: unknown }[] }).data[0];
  const row = (label: string, r: LoadResult) =>
    `${label.padEnd(24)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s   p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   (${r.requests} requests, ${r.non200} non-200, ${r.errors} errors)`;
  const ratio = api.requestsPerSecond / bare.requestsPerSecond;
  say('');
  say(`Look-ups by tracking number and carrier, ${total.toLocaleString('en')} shipments, ${connections} connections, InnoDB buffer pool ${poolMb.toFixed(0)} MB, API LOG_LEVEL ${process.env.BENCH_LOG_LEVEL ?? 'info'}, this machine:`);
  say(`every round, req/s: bare ${results.bare.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')}; API ${results.api.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')}`);
  say(`median of ${rounds} rounds:`);
  say(row('bare node:http + mysql2', bare));
  say(row('shipsync API', api));
  say(`Same answers: ${same ? 'yes' : 'NO'} (a shipment with ${shipment?.items.length ?? 0} items, ${shipment?.events.length ?? 0} events, weather ${shipment?.weather ? 'present' : 'missing'})`);
  say(`Ratio API / bare: ${ratio.toFixed(2)} (target ≥ 0.60): ${ratio >= 0.6 ? 'met' : 'NOT met'}`);
  say(`API throughput: ${api.requestsPerSecond.toFixed(0)} req/s (target ≥ 1,000): ${api.requestsPerSecond >= 1000 ? 'met' : 'NOT met'}`);
}

await main();
