/**
 * Benchmark: many shops syncing at once, each a bol retailer with its own credentials and its own
 * limit windows (the sandbox keeps them per client id, as bol keeps them per retailer), on MySQL +
 * RabbitMQ with worker processes as the Procfile runs them. Every shop's initial sync is started
 * at once; the figures:
 *   time until every shop is synced / the least time the limits allow    target ≤ 1.3
 *     (shops run in parallel, each under its own limits: the least time is one shop's)
 *   429s                                                                  target 0
 *   extra requests (made − needed) and repeated ones (a page or a shipment answered twice to one shop)  target 0
 *   the slowest and the median shop's time, worker peak memory (VmHWM)    target ≤ 300 MB each
 *   database connections in use (the most seen at once, this database's)
 *   the CPU each process used (the workers, the sandbox, and the database server and the broker
 *     when they run on this machine), and this machine's floor: all of it over every core, the
 *     least time any run could take here
 * and then the clock at scale (bench/clock-fires.ts): `shops.sync` fires over seeded shops.
 *
 *   npm run bench:many-shops                 # 100 shops
 *   npm run bench:many-shops -- 500          # or BENCH_SHOPS=500
 *   npm run bench:many-shops -- 500 2000     # each size in turn, and how the figures grow
 *
 * Knobs: BENCH_SHIPMENTS (100 a shop), BENCH_LIST_LIMIT (10/10000: 10 per 10 s), BENCH_DETAIL_LIMIT
 * (50/10000: 5 a second, so one shop alone needs 20 s), BENCH_LATENCY_MS (20), BENCH_WORKERS (2),
 * BENCH_DATABASE_URL, BENCH_AMQP_URL (the test servers), WORKER_PACED_JOBS (the workers' default
 * unless set), BENCH_WORKER_NODE_OPTIONS (extra Node flags for the workers, after the Procfile's, so
 * they win over its own: e.g. a heap limit --max-old-space-size=160),
 * BENCH_WARMUP_SHOPS (0: the workers start cold, as after a deploy; N: N other shops are synced
 * first and not counted, for the figures of workers that have been running, their code compiled),
 * BENCH_CLOCK_SHOPS (10000; 0 skips the clock part).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import amqp from 'amqplib';
import type { Knex } from 'knex';
import { startBolSandboxProcess } from './bol-sandbox-process.ts';
import { openJobQueue } from '../crawler/jobs.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { leastTimeMs } from '../lib/rate-limiter.ts';
import { startSyncRun } from '../crawler/sync/start-sync-run.ts';
import { saveShopCredentials } from '../models/shop-credentials.ts';
import { pacedPrefix } from '../lib/queue/index.ts';
import { cpuSeconds, createBenchDatabase, destroyBenchTopology, findLocalProcess, median, parseLimit, peakRssMb, spawnProcfileProcess, stopProcess } from './harness.ts';
import { benchClockFires, type ClockFigures } from './clock-fires.ts';

const sizes = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : [process.env.BENCH_SHOPS ?? '100']).map(Number);
const shipmentsPerShop = Number(process.env.BENCH_SHIPMENTS ?? 100);
const limits = { list: parseLimit('BENCH_LIST_LIMIT', '10/10000'), detail: parseLimit('BENCH_DETAIL_LIMIT', '50/10000') };
const workerCount = Number(process.env.BENCH_WORKERS ?? 2);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 20);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
const amqpUrl = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const clockShops = Number(process.env.BENCH_CLOCK_SHOPS ?? 10_000);
const warmup = Number(process.env.BENCH_WARMUP_SHOPS ?? 0);
// As command-line flags after the Procfile's, not NODE_OPTIONS: the Procfile's own
// --max-old-space-size would win over the same flag in NODE_OPTIONS.
const workerNodeArgs = (process.env.BENCH_WORKER_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);

interface SyncFigures {
  shops: number;
  allSyncedMs: number;
  leastMs: number;
  ratio: number;
  slowestMs: number;
  medianMs: number;
  failed: number;
  tooManyRequests: number;
  made: number;
  needed: number;
  repeated: number;
  workerPeakMb: number[];
  dbConnectionsPeak: number;
  /** CPU seconds during the syncs: each worker, the sandbox's process, and this one (the starts and the polling). */
  workerCpuS: number[];
  sandboxCpuS: number;
  benchCpuS: number;
  /** The same for the database server and the broker, when they run on this machine. */
  serviceCpuS: Record<string, number>;
}

/**
 * The servers the benchmark shares the machine with, when they run on it: their CPU counts in
 * the machine's floor (all the work done, spread over every core).
 */
const SERVICES = { database: ['mariadbd', 'mysqld'], broker: ['beam.smp'] };

const results: SyncFigures[] = [];
for (const shops of sizes.filter((n) => n > 0)) results.push(await benchManyShops(shops));
if (results.length > 1) printGrowth(results);
let clock: ClockFigures | undefined;
if (clockShops > 0) clock = await benchClockFires({ databaseUrl, shops: clockShops });
const met = results.every((r) => r.ratio <= 1.3 && r.tooManyRequests === 0 && r.repeated === 0 && r.made === r.needed && r.workerPeakMb.every((mb) => mb <= 300)) && (clock?.met ?? true);
process.exit(met ? 0 : 1);

async function benchManyShops(shops: number): Promise<SyncFigures> {
  const clients = Array.from({ length: shops + warmup }, (_, i) => ({ clientId: i < warmup ? `warmup-${i + 1}` : `bench-${i + 1 - warmup}`, clientSecret: randomBytes(12).toString('hex') }));
  // In a process of its own, as bol is: the 500 starts this process makes must not delay bol's answers.
  const sandbox = await startBolSandboxProcess({ shipments: shipmentsPerShop, clients, limits, latencyMs });
  const db = await createBenchDatabase(databaseUrl);
  const { knex } = db;
  const prefix = `bench.${randomUUID().slice(0, 8)}`;
  const secretsKey = randomBytes(32).toString('base64');
  const secretBox = createSecretBox(secretsKey);
  const now = Date.now();
  const shopIds: number[] = [];
  for (let i = 0; i < clients.length; i += 500) {
    const rows = clients.slice(i, i + 500).map((c) => ({ name: `Shop ${c.clientId}`, platform: 'bol', status: 'active', sync_interval_minutes: 15, created_at: now, updated_at: now }));
    await knex('shops').insert(rows);
  }
  const inserted: { id: number }[] = await knex('shops').select('id').orderBy('id');
  for (const [i, row] of inserted.entries()) {
    shopIds.push(Number(row.id));
    await saveShopCredentials(knex, secretBox, Number(row.id), { client_id: clients[i]!.clientId, client_secret: clients[i]!.clientSecret });
  }

  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    AMQP_URL: amqpUrl,
    QUEUE_PREFIX: prefix,
    API_TOKEN: randomBytes(24).toString('base64url'),
    SECRETS_KEY: secretsKey,
    BOL_LOGIN_URL: sandbox.url,
    BOL_API_URL: sandbox.url,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
  const workers = Array.from({ length: workerCount }, () => spawnProcfileProcess('worker', env, 'inherit', workerNodeArgs));
  // A benchmark that fails on its way must not leave its worker processes behind.
  const killWorkers = () => workers.forEach((w) => w.exitCode === null && w.kill('SIGKILL'));
  process.once('exit', killWorkers);
  const queue = await openJobQueue({ amqpUrl, prefix });
  await waitForConsumers(`${pacedPrefix(prefix)}.jobs`, workerCount);

  let dbConnectionsPeak = 0;
  const sampler = setInterval(() => {
    void countConnections(knex, db.name).then((n) => (dbConnectionsPeak = Math.max(dbConnectionsPeak, n)), () => undefined);
  }, 500);

  // Every initial sync at once, as the API starts one (POST /shops/:id/syncs).
  const services = Object.entries(SERVICES).flatMap(([name, commands]) => {
    const pid = findLocalProcess(commands);
    return pid === undefined ? [] : [{ name, pid, before: cpuSeconds(pid) }];
  });
  // The first `warmup` shops (their clients named so) are synced before the measured ones.
  const warmupIds = shopIds.splice(0, warmup);
  if (warmup > 0) {
    await Promise.all(warmupIds.map((id) => startSyncRun({ knex, queue }, id, 'initial')));
    await waitForRuns(knex, warmupIds);
    await sandbox.resetStats();
  }
  const cpuBefore = { workers: workers.map((w) => cpuSeconds(w.pid!)), sandbox: cpuSeconds(sandbox.pid), bench: process.cpuUsage() };
  const startedAt = Date.now();
  await Promise.all(shopIds.map((id) => startSyncRun({ knex, queue }, id, 'initial')));
  const finished = await waitForRuns(knex, shopIds);
  clearInterval(sampler);
  const workerCpuS = workers.map((w, i) => cpuSeconds(w.pid!) - cpuBefore.workers[i]!);
  const benchUsage = process.cpuUsage(cpuBefore.bench);
  const benchCpuS = (benchUsage.user + benchUsage.system) / 1e6;
  const sandboxCpuS = cpuSeconds(sandbox.pid) - cpuBefore.sandbox;
  const serviceCpuS = Object.fromEntries(services.map((sv) => [sv.name, cpuSeconds(sv.pid) - sv.before]));
  const allSyncedMs = Math.max(...finished.map((r) => r.finished_at)) - startedAt;
  const perShop = finished.map((r) => r.finished_at - r.created_at).sort((a, b) => a - b);

  const listPerShop = sandbox.listPages;
  const needed = shops * (1 + 1 + listPerShop + shipmentsPerShop);
  const stats = await sandbox.stats();
  const made = stats.requests.token + stats.requests.ratelimits + stats.requests.list + stats.requests.detail;
  const leastMs = Math.max(leastTimeMs(listPerShop, limits.list), leastTimeMs(shipmentsPerShop, limits.detail));
  const workerPeakMb = workers.map((w) => peakRssMb(w.pid!));
  const figures: SyncFigures = {
    shops,
    allSyncedMs,
    leastMs,
    ratio: allSyncedMs / leastMs,
    slowestMs: perShop[perShop.length - 1]!,
    medianMs: median(perShop),
    failed: finished.filter((r) => r.status !== 'succeeded').length,
    tooManyRequests: stats.tooManyRequests.total,
    made,
    needed,
    repeated: stats.repeated.total,
    workerPeakMb,
    dbConnectionsPeak,
    workerCpuS,
    sandboxCpuS,
    benchCpuS,
    serviceCpuS,
  };
  printSync(figures);

  await Promise.all(workers.map((w) => stopProcess(w)));
  process.removeListener('exit', killWorkers);
  await queue.close();
  await destroyBenchTopology(amqpUrl, prefix);
  await db.drop();
  await sandbox.close();
  return figures;
}

async function waitForConsumers(queueName: string, count: number): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const channel = await connection.createChannel();
      const { consumerCount } = await channel.checkQueue(queueName).catch(() => ({ consumerCount: 0 }));
      await channel.close().catch(() => undefined);
      if (consumerCount >= count) return;
      if (Date.now() > deadline) throw new Error(`the workers did not start consuming ${queueName} within 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

interface FinishedRun {
  status: string;
  created_at: number;
  finished_at: number;
}

async function waitForRuns(knex: Knex, shopIds: number[]): Promise<FinishedRun[]> {
  const shops = shopIds.length;
  const waitedFor = new Set(shopIds);
  const deadline = Date.now() + Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
  for (;;) {
    const ended: Record<string, unknown>[] = await knex('sync_runs').select('shop_id', 'status', 'created_at', 'finished_at').whereIn('status', ['succeeded', 'failed']);
    const rows = ended.filter((r) => waitedFor.has(Number(r.shop_id)));
    if (rows.length >= shops) return rows.map((r) => ({ status: String(r.status), created_at: Number(r.created_at), finished_at: Number(r.finished_at) }));
    if (Date.now() > deadline) throw new Error(`only ${rows.length} of ${shops} syncs finished in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Connections open to this database now (the workers' pools, and this process's). */
async function countConnections(knex: Knex, database: string): Promise<number> {
  const rows: Record<string, unknown>[][] = await knex.raw('select count(*) as n from information_schema.processlist where db = ?', [database]);
  return Number(rows[0]![0]!.n);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function printSync(f: SyncFigures): void {
  console.log(`many-shops benchmark — ${f.shops} bol shops × ${shipmentsPerShop} shipments, each its own limits (list ${limits.list.capacity}/${limits.list.windowMs} ms, detail ${limits.detail.capacity}/${limits.detail.windowMs} ms), ${workerCount} worker processes${warmup > 0 ? ` warmed by ${warmup} other shops' syncs` : ''}, MySQL + RabbitMQ`);
  console.log(`  every shop synced / least time:  ${seconds(f.allSyncedMs)} / ${seconds(f.leastMs)} = ${f.ratio.toFixed(2)}   (target ≤ 1.3: ${f.ratio <= 1.3 ? 'met' : 'NOT met'})   failed runs: ${f.failed}`);
  console.log(`  slowest / median shop:           ${seconds(f.slowestMs)} / ${seconds(f.medianMs)}`);
  console.log(`  429s:                            ${f.tooManyRequests}   (target 0)`);
  console.log(`  requests made / needed:          ${f.made} / ${f.needed}   (extra ${f.made - f.needed}; repeated ${f.repeated}; target 0)`);
  console.log(`  worker peak RSS:                 ${f.workerPeakMb.map((mb) => `${mb.toFixed(0)} MB`).join(', ')}   (target ≤ 300 MB each)`);
  console.log(`  DB connections in use (peak):    ${f.dbConnectionsPeak}   (this database's, workers and this process)`);
  const services = Object.entries(f.serviceCpuS).map(([name, s]) => `; ${name} ${s.toFixed(1)} s`).join('');
  console.log(`  CPU during the syncs:            workers ${f.workerCpuS.map((s) => `${s.toFixed(1)} s`).join(', ')}; sandbox ${f.sandboxCpuS.toFixed(1)} s; bench ${f.benchCpuS.toFixed(1)} s${services}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
  // All that work spread over every core without a gap: no run on this machine can be faster.
  // A ratio near this floor is bound by the machine (the sandbox and the servers share it), not by the limits.
  const allCpuS = [...f.workerCpuS, f.sandboxCpuS, f.benchCpuS, ...Object.values(f.serviceCpuS)].reduce((a, b) => a + b, 0);
  const floorMs = (allCpuS / cpus().length) * 1000;
  console.log(`  this machine's floor:            ${allCpuS.toFixed(1)} CPU s of work / ${cpus().length} cores = ${seconds(floorMs)} = ${(floorMs / f.leastMs).toFixed(2)} of the least time`);
}

function printGrowth(all: SyncFigures[]): void {
  const [base] = all;
  console.log(`how the figures grow (against ${base!.shops} shops):`);
  for (const f of all) {
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(
      `  ${String(f.shops).padStart(5)} shops: time ratio ${f.ratio.toFixed(2)} (${x(f.allSyncedMs, base!.allSyncedMs)}), slowest ${seconds(f.slowestMs)}, 429s ${f.tooManyRequests}, repeated ${f.repeated}, worker peak ${Math.max(...f.workerPeakMb).toFixed(0)} MB (${x(Math.max(...f.workerPeakMb), Math.max(...base!.workerPeakMb))}), DB connections ${f.dbConnectionsPeak}`,
    );
  }
}
