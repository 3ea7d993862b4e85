/**
 * Stress figure for webhook delivery beside a sync's writes. (Whether a real sync is slowed is
 * measured end to end by `BENCH_WEBHOOKS=1 npm run bench:sync`: a crawl paced by the provider's
 * limits, with three webhooks delivering on their own queue.)
 *
 * Stores 10,000 new shipments the way a sync does (`upsertShipments`, one transaction per page
 * of 50, each shipment with its tracking events), twice on a fresh database: once with no
 * webhook, once with three webhooks subscribed to shipment events (a fast receiver, a slow one
 * answering after 300 ms, and a dead one that never answers), while a worker in the same
 * process relays the 10,000 events and delivers the 30,000 messages. Prints both store times,
 * their ratio, and how long the fast receiver waited for its last event. The pages are stored back
 * to back, as fast as the database takes them, so the ratio shows how much the deliveries' own
 * database writes compete with a sync's on this machine: a worst case no provider-paced sync reaches.
 *
 *   npm run bench:webhooks                      # embedded: SQLite + in-process queue
 *   BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run bench:webhooks
 *
 * Knobs: BENCH_SHIPMENTS (10000), BENCH_PAGE (50), BENCH_PREFETCH (8), BENCH_ROUNDS (2: each pass runs this often, the best
 * time counts; the receivers' figures are those of the last pass with webhooks).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../config/logger.ts';
import type { ShipmentRecord } from '../crawler/connectors/types.ts';
import { createWorker } from '../crawler/create-worker.ts';
import { upsertShipments } from '../crawler/sync/shipments.ts';
import { createQueue } from '../lib/queue/index.ts';
import { openJobQueue } from '../crawler/jobs.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { generateSecret } from '../lib/standard-webhooks.ts';
import { Shop } from '../models/shops.ts';
import { SyncRun } from '../models/sync-runs.ts';
import { destroyBenchTopology, openBenchStore } from './harness.ts';
import { platformsFromEnv } from '../crawler/connectors/platforms.ts';

const shipments = Number(process.env.BENCH_SHIPMENTS ?? 10_000);
const pageSize = Number(process.env.BENCH_PAGE ?? 50);
const prefetch = Number(process.env.BENCH_PREFETCH ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const amqpUrl = process.env.BENCH_AMQP_URL;
const secretBox = createSecretBox(Buffer.alloc(32, 7).toString('base64'));
const logger = createLogger({ level: 'warn', name: 'bench' });

interface Receivers {
  fast: { url: string; received: number; lastAt: number };
  slow: { url: string; received: number };
  dead: { url: string; received: number };
  close(): Promise<void>;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks` };
}

async function startReceivers(): Promise<Receivers> {
  const fast = { url: '', received: 0, lastAt: 0 };
  const slow = { url: '', received: 0 };
  const dead = { url: '', received: 0 };
  const a = await listen((req, res) => {
    req.resume().on('end', () => {
      fast.received++;
      fast.lastAt = Date.now();
      res.writeHead(204).end();
    });
  });
  const b = await listen((req, res) => {
    req.resume().on('end', () => {
      slow.received++;
      setTimeout(() => res.writeHead(200).end('ok'), 300);
    });
  });
  const c = await listen((req) => {
    req.resume().on('end', () => dead.received++);
  });
  fast.url = a.url;
  slow.url = b.url;
  dead.url = c.url;
  return {
    fast,
    slow,
    dead,
    async close() {
      for (const { server } of [a, b, c]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

function records(page: number): ShipmentRecord[] {
  const t0 = Date.UTC(2026, 10, 1);
  return Array.from({ length: pageSize }, (_, i) => {
    const n = page * pageSize + i;
    return {
      platformId: String(100_000_000 + n),
      orderId: `O${n}`,
      reference: `R${n}`,
      fulfilmentMethod: 'FBR',
      shippedAt: t0,
      carrier: 'TNT',
      trackingNumber: `3S${n}`,
      receiver: { postalCode: '3511AB', city: 'Utrecht', country: 'NL', phone: '+31 6 1234 5678' },
      items: [{ key: `I${n}`, ean: '8712345678901', sku: null, title: 'A thing', quantity: 1, quantityShipped: 1, unitPrice: 9.95 }],
      events: [
        { source: 'bol', status: 'info_received', rawStatus: 'PRE_ANNOUNCED', description: null, location: null, occurredAt: t0 + n },
        { source: 'bol', status: 'in_transit', rawStatus: 'AT_TRANSPORTER', description: null, location: null, occurredAt: t0 + 3_600_000 + n },
      ],
    };
  });
}

async function phase(receivers: Receivers | null, count = shipments): Promise<{ storeMs: number; events: number; fastAllMs: number | null }> {
  const db = await openBenchStore(databaseUrl);
  const { knex } = db;
  const prefix = `bench.${randomUUID().slice(0, 8)}`;
  const queue = await openJobQueue({ amqpUrl, prefix });
  // As boot/runtime.ts does: webhook deliveries on a queue of their own.
  const deliveryQueue = await createQueue({ amqpUrl, prefix: `${prefix}.deliveries` });
  const shop = await Shop.query(knex).insertAndFetch({ name: 'Bench shop', platform: 'bol', status: 'active', sync_interval_minutes: 15 });
  const run = await SyncRun.query(knex).insertAndFetch({ shop_id: shop.id, stream: 'shipments', type: 'initial', status: 'running', step: 0 });
  if (receivers) {
    for (const url of [receivers.fast.url, receivers.slow.url, receivers.dead.url]) {
      const { keyId, sealed } = secretBox.seal(generateSecret());
      await knex('webhooks').insert({
        url,
        description: null,
        events: JSON.stringify(['shipment.created', 'shipment.status_changed']),
        active: true,
        secret_key_id: keyId,
        secret_sealed: sealed,
        created_at: Date.now(),
        updated_at: Date.now(),
      });
    }
  }
  // Production delivery settings, except that the receivers are local.
  const worker = createWorker({ knex, queue, secretBox, logger, platforms: platformsFromEnv({ BOL_LOGIN_URL: 'http://127.0.0.1:9', BOL_API_URL: 'http://127.0.0.1:9' }), rateMargin: { ratio: 0.03, jitterMs: 50 }, prefetch, webhooks: { allowHttp: true, allowPrivateAddresses: true }, deliveryQueue });
  await worker.start();

  const startedAt = performance.now();
  const pages = Math.ceil(count / pageSize);
  for (let page = 0; page < pages; page++) {
    await knex.transaction((trx) => upsertShipments(trx, { shopId: shop.id, runId: run.id, source: 'bol', records: records(page) }));
  }
  const storeMs = performance.now() - startedAt;
  const events = Number(((await knex('domain_events').count({ n: '*' }).first()) as { n: number }).n);

  let fastAllMs: number | null = null;
  if (receivers) {
    const deadline = Date.now() + 300_000;
    while (receivers.fast.received < events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (receivers.fast.received >= events) fastAllMs = receivers.fast.lastAt - (performance.timeOrigin + startedAt);
  }
  await worker.stop(2_000);
  await queue.close();
  await deliveryQueue.close();
  if (amqpUrl) {
    await destroyBenchTopology(amqpUrl, prefix);
  }
  await db.close();
  return { storeMs, events, fastAllMs };
}

// A first pass warms the JIT and the database files, so neither measured pass pays for it; then
// the two passes alternate, and each keeps its best time (the machine may be busy with others).
await phase(null, Math.min(shipments, 2_000));
let without = { storeMs: Infinity, events: 0, fastAllMs: null as number | null };
let withHooks = { storeMs: Infinity, events: 0, fastAllMs: null as number | null };
let receivers!: Receivers;
let lastWith = withHooks;
for (let round = 0; round < rounds; round++) {
  const a = await phase(null);
  if (a.storeMs < without.storeMs) without = a;
  receivers = await startReceivers();
  const b = await phase(receivers);
  await receivers.close();
  lastWith = b;
  if (b.storeMs < withHooks.storeMs) withHooks = b;
}
const ratio = withHooks.storeMs / without.storeMs;
console.log(`webhooks vs. sync benchmark — ${databaseUrl ? 'MySQL' : 'SQLite'} + ${amqpUrl ? 'RabbitMQ' : 'in-process queue'}, ${shipments} new shipments in pages of ${pageSize}, worker prefetch ${prefetch}`);
console.log(`  store time, no webhook:                        ${(without.storeMs / 1000).toFixed(2)} s   (${without.events} events in the outbox)`);
console.log(`  store time, 3 webhooks delivering meanwhile:   ${(withHooks.storeMs / 1000).toFixed(2)} s   (${withHooks.events} events, ${withHooks.events * 3} messages)`);
console.log(`  ratio:                                         ${ratio.toFixed(3)}   (unpaced writes competing for the database)`);
console.log(
  `  fast receiver: ${receivers.fast.received} of ${lastWith.events} events, the last ${lastWith.fastAllMs === null ? 'never (timed out)' : `${(lastWith.fastAllMs / 1000).toFixed(2)} s after the sync started`}; ` +
    `slow receiver: ${receivers.slow.received}; dead receiver: ${receivers.dead.received} requests (its circuit holds the rest back)`,
);
process.exit(lastWith.fastAllMs !== null ? 0 : 1);
