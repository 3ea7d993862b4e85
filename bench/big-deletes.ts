/**
 * Benchmark: big deletes as jobs on MySQL + RabbitMQ, web and one worker run as the Procfile runs
 * them. Seeds one shop with 1,000,000 shipments (each with an item and a tracking event, which its
 * foreign keys delete with it) and a catalogue of 500,000 products with batch inserts, then times
 * `DELETE /shops/:id` and `DELETE /products` from the 202 to the deletion's `succeeded`, while a
 * client reads `GET /deletions/:id` (and the API keeps answering). Prints rows per second, the
 * worker's peak memory, the slowest API answer meanwhile, and the ratio to the targets.
 *
 *   npm run bench:big-deletes
 *   BENCH_SHIPMENTS=100000 BENCH_PRODUCTS=50000 BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test npm run bench:big-deletes
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { createBenchDatabase, freePort, peakRssMb, spawnProcfileProcess, stopProcess, waitForHealth } from './harness.ts';

const shipmentCount = Number(process.env.BENCH_SHIPMENTS ?? 1_000_000);
const productCount = Number(process.env.BENCH_PRODUCTS ?? 500_000);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
const amqpUrl = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Targets: rows deleted per second, each row with what goes with it (a shipment's item and event, a product's event). */
const TARGET_SHIPMENTS_PER_S = 5_000;
const TARGET_PRODUCTS_PER_S = 5_000;
const NOW = 1_764_000_000_000;

const db = await createBenchDatabase(databaseUrl);
const { knex } = db;

/** Inserts `count` rows with `select(seq)` (SQL over a 1-based sequence number), 100,000 at a time. */
async function seed(k: Knex, table: string, columns: string, select: (seq: string) => string, count: number): Promise<void> {
  try {
    // MariaDB's sequence engine: one statement per 100,000 rows.
    for (let from = 1; from <= count; from += 100_000) {
      const to = Math.min(count, from + 99_999);
      await k.raw(`INSERT INTO ${table} (${columns}) SELECT ${select('seq')} FROM seq_${from}_to_${to}`);
    }
  } catch (err) {
    // Elsewhere: rows from Node, 5,000 a statement.
    console.log(`(no sequence engine: ${err instanceof Error ? err.message.slice(0, 120) : String(err)}; seeding from Node)`);
    await k(table).delete();
    for (let from = 1; from <= count; from += 5_000) {
      const ids = Array.from({ length: Math.min(5_000, count - from + 1) }, (_, i) => from + i);
      await k.raw(`INSERT INTO ${table} (${columns}) SELECT ${select('n')} FROM (${ids.map((n) => `SELECT ${n} AS n`).join(' UNION ALL ')}) AS s`);
    }
  }
}

let t0 = performance.now();
const [shopId] = await knex('shops').insert({ name: 'Big shop', platform: 'bol', status: 'active', sync_interval_minutes: 15, created_at: NOW, updated_at: NOW });
await seed(knex, 'shipments', 'shop_id, source, platform_id, status, created_at, updated_at', (seq) => `${Number(shopId)}, 'bol', CONCAT('B', ${seq}), 'in_transit', ${NOW} + ${seq}, ${NOW} + ${seq}`, shipmentCount);
await knex.raw(`INSERT INTO shipment_items (shipment_id, item_key, quantity) SELECT id, 'item-1', 1 FROM shipments WHERE shop_id = ?`, [Number(shopId)]);
await knex.raw(
  `INSERT INTO tracking_events (shipment_id, source, status, raw_status, occurred_at, dedupe_key, created_at) SELECT id, 'bol', 'in_transit', 'IN_TRANSIT', created_at, CONCAT('e', id), created_at FROM shipments WHERE shop_id = ?`,
  [Number(shopId)],
);
await seed(knex, 'products', 'sku, sku_key, name, description, active, created_at, updated_at', (seq) => `CONCAT('SKU-', ${seq}), CONCAT('sku-', ${seq}), CONCAT('Product ', ${seq}), 'A product', 1, ${NOW}, ${NOW}`, productCount);
const seedMs = performance.now() - t0;

const port = await freePort();
const apiToken = randomBytes(24).toString('base64url');
const env = {
  DATABASE_URL: db.url,
  AMQP_URL: amqpUrl,
  QUEUE_PREFIX: `bench.${randomUUID().slice(0, 8)}`,
  API_TOKEN: apiToken,
  SECRETS_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  PORT: String(port),
};
const web = spawnProcfileProcess('web', env);
const worker = spawnProcfileProcess('worker', env);
const url = `http://127.0.0.1:${port}`;
await waitForHealth(url, web);
const call = async (method: string, path: string, body?: unknown) => {
  const started = performance.now();
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any, ms: performance.now() - started };
};

/** Asks for the deletion and follows it to its end; the slowest answer of the API meanwhile too. */
async function timeDeletion(path: string, body?: unknown): Promise<{ ms: number; rows: number; slowestAnswerMs: number; steps: number }> {
  t0 = performance.now();
  const asked = await call('DELETE', path, body);
  if (asked.status !== 202) throw new Error(`DELETE ${path} answered ${asked.status}: ${JSON.stringify(asked.body)}`);
  let slowestAnswerMs = asked.ms;
  for (;;) {
    const now = await call('GET', `/deletions/${asked.body.id}`);
    const health = await call('GET', '/health');
    slowestAnswerMs = Math.max(slowestAnswerMs, now.ms, health.ms);
    if (now.body.status === 'failed') throw new Error(`deletion failed: ${now.body.error}`);
    if (now.body.status === 'succeeded') {
      const steps = Number(((await knex('deletions').where({ id: asked.body.id }).first()) as { step: number }).step) + 1;
      return { ms: performance.now() - t0, rows: now.body.rows_deleted, slowestAnswerMs, steps };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const shop = await timeDeletion(`/shops/${Number(shopId)}`);
const left = await Promise.all(['shipments', 'shipment_items', 'tracking_events'].map(async (t) => Number(((await knex(t).count({ n: '*' }).first()) as { n: number }).n)));
const catalogue = await timeDeletion('/products', { confirm: 'delete all products' });
const productsLeft = Number(((await knex('products').count({ n: '*' }).first()) as { n: number }).n);
const workerPeakMb = peakRssMb(worker.pid!);

const rate = (r: { rows: number; ms: number }) => r.rows / (r.ms / 1000);
console.log(`big deletes benchmark — MySQL + RabbitMQ, web + 1 worker (Procfile processes)`);
console.log(`  seeded ${shipmentCount.toLocaleString('en')} shipments (+1 item, +1 event each) and ${productCount.toLocaleString('en')} products in ${(seedMs / 1000).toFixed(1)} s`);
console.log(
  `  DELETE /shops/:id   ${shop.rows.toLocaleString('en')} shipments in ${(shop.ms / 1000).toFixed(1)} s = ${Math.round(rate(shop)).toLocaleString('en')} shipments/s over ${shop.steps} steps; ` +
    `left: ${left.join(' / ')} (shipments / items / events); slowest API answer meanwhile ${shop.slowestAnswerMs.toFixed(0)} ms; ratio to ${TARGET_SHIPMENTS_PER_S.toLocaleString('en')}/s: ${(rate(shop) / TARGET_SHIPMENTS_PER_S).toFixed(2)}`,
);
console.log(
  `  DELETE /products    ${catalogue.rows.toLocaleString('en')} products in ${(catalogue.ms / 1000).toFixed(1)} s = ${Math.round(rate(catalogue)).toLocaleString('en')} products/s over ${catalogue.steps} steps (no webhook subscribes, so no product.deleted events are kept); ` +
    `left: ${productsLeft}; slowest API answer meanwhile ${catalogue.slowestAnswerMs.toFixed(0)} ms; ratio to ${TARGET_PRODUCTS_PER_S.toLocaleString('en')}/s: ${(rate(catalogue) / TARGET_PRODUCTS_PER_S).toFixed(2)}`,
);
console.log(`  worker peak RSS: ${workerPeakMb.toFixed(0)} MB`);

await stopProcess(worker);
await stopProcess(web);
await db.drop();
