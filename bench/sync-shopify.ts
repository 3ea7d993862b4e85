/**
 * Benchmark: an initial sync of one Shopify shop of 10,000 orders against the Shopify sandbox,
 * once by bulk operation and once by paging orders (SHOPIFY_INITIAL_SYNC=paging), each on a shop
 * of its own with the same orders and its own cost bucket. Prints, for each: calls made, points
 * spent against what the bucket allowed over the crawl (its size plus its restore rate × the
 * time), THROTTLED answers, and the crawl time over the least time the bucket allows for the
 * points spent ((points − bucket size) / restore rate). Targets: 0 THROTTLED; paging ≤ 1.10 of
 * its least time; bulk at least 5× faster than paging.
 *
 *   npm run bench:sync-shopify                 # embedded: SQLite + in-process queue
 *   BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run bench:sync-shopify
 *
 * Knobs: BENCH_ORDERS (10000), BENCH_RESTORE_RATE (1000 points/s, Shopify Plus) and
 * BENCH_BUCKET_SIZE (20000), BENCH_WORKERS (3), BENCH_MARGIN (0.03) and BENCH_JITTER_MS (50),
 * BENCH_LATENCY_MS (5).
 */
import { randomUUID } from 'node:crypto';
import { startShopifySandbox } from '../sandbox/shopify/index.ts';
import { createLogger } from '../config/logger.ts';
import { openJobQueue } from '../crawler/jobs.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { createWorker, type Worker } from '../crawler/create-worker.ts';
import { startSyncRun } from '../crawler/sync/start-sync-run.ts';
import { saveShopCredentials } from '../models/shop-credentials.ts';
import { Shop } from '../models/shops.ts';
import type { SyncRun } from '../models/sync-runs.ts';
import { destroyBenchTopology, openBenchStore, waitForRunEnd } from './harness.ts';
import { platformsFromEnv } from '../crawler/connectors/platforms.ts';

const orders = Number(process.env.BENCH_ORDERS ?? 10_000);
const restoreRate = Number(process.env.BENCH_RESTORE_RATE ?? 1_000);
const bucketSize = Number(process.env.BENCH_BUCKET_SIZE ?? 20_000);
const workers = Number(process.env.BENCH_WORKERS ?? 3);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const amqpUrl = process.env.BENCH_AMQP_URL;

const sandbox = await startShopifySandbox({ orders: 0, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 5) });
const store = await openBenchStore(databaseUrl);
const { knex } = store;
const prefix = `bench.${randomUUID().slice(0, 8)}`;
const queue = await openJobQueue({ amqpUrl, prefix });
const secretBox = createSecretBox(Buffer.alloc(32, 9).toString('base64'));
const logger = createLogger({ level: 'warn', name: 'bench' });

interface Outcome {
  mode: 'bulk' | 'paging';
  run: SyncRun;
  crawlMs: number;
  fulfillments: number;
  stored: number;
  calls: number;
  graphqlCalls: number;
  pointsSpent: number;
  throttled: number;
  leastMs: number;
}

async function crawl(mode: 'bulk' | 'paging'): Promise<Outcome> {
  const sub = `bench-${mode}`;
  // The same seed: both shops hold the same orders.
  const c = sandbox.addShop({ shop: sub, orders, seed: 42, restoreRate, bucketSize });
  const shop = await Shop.query(knex).insertAndFetch({ name: `Bench ${mode}`, platform: 'shopify', status: 'active', sync_interval_minutes: 15 });
  await saveShopCredentials(knex, secretBox, shop.id, { shop_domain: c.shopDomain, client_id: c.clientId, client_secret: c.clientSecret });
  const pool: Worker[] = Array.from({ length: workers }, () =>
    createWorker({
      knex,
      queue,
      secretBox,
      logger,
      platforms: platformsFromEnv({ SHOPIFY_API_URL: sandbox.apiUrlTemplate, SHOPIFY_INITIAL_SYNC: mode }),
      rateMargin: { ratio: Number(process.env.BENCH_MARGIN ?? 0.03), jitterMs: Number(process.env.BENCH_JITTER_MS ?? 50) },
      prefetch: 2,
    }),
  );
  for (const w of pool) await w.start();
  const run = await startSyncRun({ knex, queue }, shop.id, 'initial');
  const done = await waitForRunEnd(knex, run.id);
  await Promise.all(pool.map((w) => w.stop(5_000)));
  const s = sandbox.stats()[sub]!;
  const stored = Number((await knex('shipments').where({ shop_id: shop.id }).count({ n: '*' }))[0]!.n);
  return {
    mode,
    run: done,
    crawlMs: Number(done.finished_at) - Number(done.created_at),
    fulfillments: sandbox.expectedFulfillments(sub).length,
    stored,
    calls: s.graphqlCalls + s.tokens.grants + s.tokens.refreshes + s.fileRequests,
    graphqlCalls: s.graphqlCalls,
    pointsSpent: s.pointsSpent,
    throttled: s.throttled,
    leastMs: (Math.max(0, s.pointsSpent - bucketSize) / restoreRate) * 1000,
  };
}

const bulk = await crawl('bulk');
const paging = await crawl('paging');

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`Shopify initial sync benchmark — ${store.label} + ${amqpUrl ? 'RabbitMQ' : 'in-process queue'}, ${workers} workers, ${orders} orders, bucket ${bucketSize} points restoring ${restoreRate}/s`);
for (const o of [bulk, paging]) {
  const allowance = bucketSize + (restoreRate * o.crawlMs) / 1000;
  console.log(`  ${o.mode}:`);
  console.log(`    fulfillments in sandbox / stored: ${o.fulfillments} / ${o.stored}   (run ${o.run.status}${o.run.error ? `: ${o.run.error}` : ''})`);
  console.log(`    calls:                            ${o.calls}   (GraphQL ${o.graphqlCalls}; run's own count ${o.run.requests_made})`);
  console.log(`    points spent / bucket allowance:  ${o.pointsSpent} / ${Math.round(allowance)} = ${(o.pointsSpent / allowance).toFixed(3)}`);
  console.log(`    THROTTLED:                        ${o.throttled}   (target 0: ${o.throttled === 0 ? 'met' : 'NOT met'})`);
  console.log(`    crawl time / least time:          ${seconds(o.crawlMs)} / ${seconds(o.leastMs)}${o.leastMs > 0 ? ` = ${(o.crawlMs / o.leastMs).toFixed(3)}` : ''}`);
}
const pagingRatio = paging.leastMs > 0 ? paging.crawlMs / paging.leastMs : Number.NaN;
console.log(`  paging time / least time:           ${pagingRatio.toFixed(3)}   (target ≤ 1.10: ${pagingRatio <= 1.1 ? 'met' : 'NOT met'})`);
const speedup = paging.crawlMs / bulk.crawlMs;
console.log(`  bulk speed-up over paging:          ${speedup.toFixed(2)}×   (target ≥ 5: ${speedup >= 5 ? 'met' : 'NOT met'})`);

await queue.close();
if (amqpUrl) await destroyBenchTopology(amqpUrl, prefix);
await store.close();
await sandbox.close();
