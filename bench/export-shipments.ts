/**
 * Benchmark: `GET /shipments/export.csv` of 1,000,000 shipments on MySQL, from a web process run
 * as the Procfile runs it (`api/server.ts`), read by a client as fast as it can take it. Prints
 * the time, the rate, and the web process's memory before and at its peak during the export
 * (sampled VmRSS): the export streams page by page, so memory must stay flat however many rows.
 *
 *   npm run bench:export-shipments
 *   BENCH_SHIPMENTS=200000 BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test npm run bench:export-shipments
 */
import { randomBytes } from 'node:crypto';
import { createBenchDatabase, freePort, peakRssMb, rssMb, spawnProcfileProcess, stopProcess, waitForHealth } from './harness.ts';

const count = Number(process.env.BENCH_SHIPMENTS ?? 1_000_000);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';

const db = await createBenchDatabase(databaseUrl);
const { knex } = db;

let t0 = performance.now();
const columns = 'source, external_key, reference, carrier, tracking_number, status, status_at, receiver_street, receiver_postal_code, receiver_city, receiver_country, created_at, updated_at';
const select = (from: number, to: number, seq: string) =>
  `SELECT 'csv', CONCAT('bench:', ${seq}), CONCAT('REF', ${seq}), ELT(1 + ${seq} % 5, 'DHL', 'UPS', 'DPD', 'GLS', 'FedEx'), CONCAT('TN', LPAD(${seq}, 10, '0')),
     ELT(1 + ${seq} % 4, 'in_transit', 'delivered', 'pending', 'out_for_delivery'), 1763800000000 + ${seq} * 1000,
     CONCAT('Street ', ${seq} % 300, IF(${seq} % 50 = 0, ', =cmd|calc', '')), LPAD(${seq} % 99999, 5, '0'), ELT(1 + ${seq} % 4, 'Berlin', 'Paris', 'Amsterdam', 'Madrid'),
     ELT(1 + ${seq} % 4, 'DE', 'FR', 'NL', 'ES'), 1763800000000 + ${seq}, 1763800000000 + ${seq}`;
try {
  // MariaDB's sequence engine: one statement per 100,000 rows.
  for (let from = 1; from <= count; from += 100_000) {
    const to = Math.min(count, from + 99_999);
    await knex.raw(`INSERT INTO shipments (${columns}) ${select(from, to, 'seq')} FROM seq_${from}_to_${to}`);
  }
} catch (err) {
  // Elsewhere: rows from Node, 5,000 a statement.
  console.log(`(no sequence engine: ${err instanceof Error ? err.message.slice(0, 120) : String(err)}; seeding from Node)`);
  await knex('shipments').delete();
  for (let from = 1; from <= count; from += 5_000) {
    const ids = Array.from({ length: Math.min(5_000, count - from + 1) }, (_, i) => from + i);
    await knex.raw(`INSERT INTO shipments (${columns}) ${select(0, 0, 'n')} FROM (${ids.map((n) => `SELECT ${n} AS n`).join(' UNION ALL ')}) AS s`);
  }
}
const stored = Number(((await knex('shipments').count({ n: '*' }).first()) as { n: number }).n);
const seedMs = performance.now() - t0;

const port = await freePort();
const apiToken = randomBytes(24).toString('base64url');
const web = spawnProcfileProcess('web', { DATABASE_URL: db.url, AMQP_URL: '', CLOUDAMQP_URL: '', PORT: String(port), API_TOKEN: apiToken, SECRETS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' });
const url = `http://127.0.0.1:${port}`;
await waitForHealth(url, web);

async function exportOnce(query: string): Promise<{ ms: number; rows: number; bytes: number; beforeMb: number; peakMb: number; first: string }> {
  const beforeMb = rssMb(web.pid!);
  let peakMb = beforeMb;
  const sampler = setInterval(() => (peakMb = Math.max(peakMb, rssMb(web.pid!))), 50);
  const started = performance.now();
  const res = await fetch(`${url}/shipments/export.csv${query}`, { headers: { authorization: `Bearer ${apiToken}` } });
  if (!res.ok || !res.body) throw new Error(`export answered ${res.status}`);
  let bytes = 0;
  let newlines = 0;
  let first = '';
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (first.length < 400) first += Buffer.from(chunk).toString('utf8').slice(0, 400);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
  }
  clearInterval(sampler);
  peakMb = Math.max(peakMb, rssMb(web.pid!));
  return { ms: performance.now() - started, rows: newlines - 1, bytes, beforeMb, peakMb, first };
}

const all = await exportOnce('');
const delivered = await exportOnce('?status=delivered');
const hwmMb = peakRssMb(web.pid!);
console.log(`shipment export benchmark — MySQL, web process (api/server.ts)`);
console.log(`  shipments stored:                 ${stored.toLocaleString('en')}   (seeded in ${(seedMs / 1000).toFixed(1)} s)`);
for (const [label, r] of [['all shipments', all], ['?status=delivered', delivered]] as const) {
  console.log(
    `  ${label.padEnd(18)} ${r.rows.toLocaleString('en')} rows, ${(r.bytes / 1024 / 1024).toFixed(0)} MB in ${(r.ms / 1000).toFixed(1)} s = ${Math.round(r.rows / (r.ms / 1000)).toLocaleString('en')} rows/s; ` +
      `web RSS ${r.beforeMb.toFixed(0)} MB before, ${r.peakMb.toFixed(0)} MB at peak (+${(r.peakMb - r.beforeMb).toFixed(0)} MB)`,
  );
}
console.log(`  web peak memory over its life (VmHWM): ${hwmMb.toFixed(0)} MB`);
console.log(`  first line after the header: ${all.first.split('\r\n')[1]}`);

await stopProcess(web);
await db.drop();
process.exit(all.rows === stored ? 0 : 1);
