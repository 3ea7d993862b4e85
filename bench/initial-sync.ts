/**
 * Benchmark: an initial sync of 2,000 shipments against the bol sandbox with known limits.
 * Prints requests made against requests needed, the 429s, and the crawl time over the least
 * time the limits allow. Targets: 0 extra requests, 0 429s, time ratio ≤ 1.10.
 *
 *   npm run bench:sync                      # embedded: SQLite + in-process queue
 *   BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run bench:sync
 *
 * BENCH_WEBHOOKS=1 subscribes three webhooks to every shipment and sync event (a fast receiver, one
 * answering after 300 ms, one that never answers) and delivers them in the same worker processes
 * during the crawl: the time ratio then shows whether webhook delivery slows the sync.
 *
 * Knobs: BENCH_SHIPMENTS (2000), BENCH_LIST_LIMIT (250/10000 = 250 per 10 s), BENCH_DETAIL_LIMIT (500/10000), BENCH_MARGIN (0.03) and BENCH_JITTER_MS (50), as RATE_LIMIT_MARGIN and RATE_LIMIT_JITTER_MS,
 * BENCH_LATENCY_MS (5), BENCH_WORKERS (3), and SANDBOX_TOKEN_LIFETIME_SECONDS (the sandbox's 299 by default) for short-lived tokens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { startBolSandbox } from '../sandbox/bol/index.ts';
import { envInt } from '../sandbox/env.ts';
import { createLogger } from '../config/logger.ts';
import { createQueue } from '../lib/queue/index.ts';
import { openJobQueue } from '../crawler/jobs.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { generateSecret } from '../lib/standard-webhooks.ts';
import { leastTimeMs } from '../lib/rate-limiter.ts';
import { createWorker } from '../crawler/create-worker.ts';
import { startSyncRun } from '../crawler/sync/start-sync-run.ts';
import { saveShopCredentials } from '../models/shop-credentials.ts';
import { Shop } from '../models/shops.ts';
import { destroyBenchTopology, listPagesNeeded, openBenchStore, parseLimit, waitForRunEnd } from './harness.ts';
import { platformsFromEnv } from '../crawler/connectors/platforms.ts';

const shipments = Number(process.env.BENCH_SHIPMENTS ?? 2000);
const limits = { list: parseLimit('BENCH_LIST_LIMIT', '250/10000'), detail: parseLimit('BENCH_DETAIL_LIMIT', '500/10000') };
const workers = Number(process.env.BENCH_WORKERS ?? 3);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const amqpUrl = process.env.BENCH_AMQP_URL;
const withWebhooks = process.env.BENCH_WEBHOOKS === '1';

// As the sandbox reads it: unset is the sandbox's default, a bad value stops the bench.
const tokenLifetimeSeconds = envInt(process.env, 'SANDBOX_TOKEN_LIFETIME_SECONDS', 1);
const sandbox = await startBolSandbox({ shipments, limits, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 5), ...(tokenLifetimeSeconds !== undefined ? { tokenLifetimeSeconds } : {}) });
const store = await openBenchStore(databaseUrl);
const { knex } = store;
const prefix = `bench.${randomUUID().slice(0, 8)}`;
const queue = await openJobQueue({ amqpUrl, prefix });
// As boot/runtime.ts does: webhook deliveries on a queue of their own.
const deliveryQueue = await createQueue({ amqpUrl, prefix: `${prefix}.deliveries` });
const secretBox = createSecretBox(Buffer.alloc(32, 9).toString('base64'));
const logger = createLogger({ level: 'warn', name: 'bench' });

const shop = await Shop.query(knex).insertAndFetch({ name: 'Bench shop', platform: 'bol', status: 'active', sync_interval_minutes: 15 });
await saveShopCredentials(knex, secretBox, shop.id, { client_id: 'demo-client', client_secret: 'demo-secret' });
const receivers = withWebhooks ? await startReceivers() : null;
if (receivers) {
  for (const url of receivers.urls) {
    const { keyId, sealed } = secretBox.seal(generateSecret());
    const now = Date.now();
    const events = JSON.stringify(['shipment.created', 'shipment.status_changed', 'sync.succeeded', 'sync.failed']);
    await knex('webhooks').insert({ url, description: null, events, active: true, secret_key_id: keyId, secret_sealed: sealed, created_at: now, updated_at: now });
  }
}
const pool = Array.from({ length: workers }, () =>
  createWorker({
    knex,
    queue,
    secretBox,
    logger,
    platforms: platformsFromEnv({ BOL_LOGIN_URL: sandbox.url, BOL_API_URL: sandbox.url }),
    rateMargin: { ratio: Number(process.env.BENCH_MARGIN ?? 0.03), jitterMs: Number(process.env.BENCH_JITTER_MS ?? 50) },
    prefetch: 2,
    webhooks: { allowHttp: true, allowPrivateAddresses: true },
    deliveryQueue,
  }),
);
for (const w of pool) await w.start();

const run = await startSyncRun({ knex, queue }, shop.id, 'initial');
const done = await waitForRunEnd(knex, run.id);
const crawlMs = Number(done.finished_at) - Number(done.created_at);

// What the crawl needs at the least: one token, the published limits, every list page of each
// fulfilment method up to and including the short (or empty) last page, one detail per shipment.
const needed = { token: 1, ratelimits: 1, list: listPagesNeeded(sandbox), detail: shipments };
const neededTotal = needed.token + needed.ratelimits + needed.list + needed.detail;
const stats = sandbox.stats();
const made = stats.requests.token + stats.requests.list + stats.requests.detail + stats.requests.ratelimits;
const leastMs = Math.max(leastTimeMs(needed.list, limits.list), leastTimeMs(needed.detail, limits.detail));
const stored = Number(((await knex('shipments').count({ n: '*' }).first()) as { n: number }).n);

const ratio = crawlMs / leastMs;
console.log(`bol initial sync benchmark — ${databaseUrl ? 'MySQL' : 'SQLite'} + ${amqpUrl ? 'RabbitMQ' : 'in-process queue'}, ${workers} workers`);
console.log(`  shipments in sandbox / stored:  ${shipments} / ${stored}   (run ${done.status})`);
console.log(`  limits:                         list ${limits.list.capacity}/${limits.list.windowMs} ms, detail ${limits.detail.capacity}/${limits.detail.windowMs} ms`);
console.log(`  requests made / needed:         ${made} / ${neededTotal}   (extra: ${made - neededTotal}; token ${stats.requests.token}, ratelimits ${stats.requests.ratelimits}, list ${stats.requests.list}/${needed.list}, detail ${stats.requests.detail}/${needed.detail})`);
console.log(`  run's own count (requests_made): ${done.requests_made}`);
console.log(`  429s:                           ${stats.tooManyRequests.total}`);
console.log(`  peak in any window (detail):    ${stats.windows['demo-client']?.detail.maxInWindow} of ${limits.detail.capacity}`);
if (receivers) console.log(`  webhook deliveries received:    ${receivers.received()} by the fast and slow receivers during the crawl (3 webhooks, one dead)`);
console.log(`  crawl time / least time:        ${(crawlMs / 1000).toFixed(2)} s / ${(leastMs / 1000).toFixed(2)} s = ${ratio.toFixed(3)}   (target ≤ 1.10: ${ratio <= 1.1 ? 'met' : 'NOT met'})`);

for (const w of pool) await w.stop(2_000);
await receivers?.close();
await queue.close();
await deliveryQueue.close();
if (amqpUrl) {
  await destroyBenchTopology(amqpUrl, prefix);
}
await store.close();
await sandbox.close();
process.exit(done.status === 'succeeded' && made === neededTotal && stats.tooManyRequests.total === 0 ? 0 : 1);

/** Three local webhook receivers: one answers at once, one after 300 ms, one never. */
async function startReceivers() {
  let received = 0;
  const servers = [0, 300, -1].map((delayMs) =>
    createServer((req, res) => {
      req.resume();
      if (delayMs < 0) return;
      setTimeout(() => {
        received += 1;
        res.end('ok');
      }, delayMs);
    }),
  );
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
  return {
    urls: servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`),
    received: () => received,
    async close() {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
