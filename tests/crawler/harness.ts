import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createLogger } from '../../config/logger.ts';
import { createWorker, type Worker } from '../../crawler/create-worker.ts';
import { startSyncRun } from '../../crawler/sync/start-sync-run.ts';
import { createSecretBox, type SecretBox } from '../../lib/secret-box.ts';
import { saveShopCredentials } from '../../models/shop-credentials.ts';
import { Shop } from '../../models/shops.ts';
import { SyncRun, type SyncType } from '../../models/sync-runs.ts';
import type { ExecutionContext } from 'ava';
import type { Queue } from '../../lib/queue/port.ts';
import { startBolSandbox, type BolSandbox, type BolSandboxOptions } from '../../sandbox/bol/index.ts';
import type { AdapterEnv, AdapterSet } from '../helpers/adapters.ts';
import { platformsFromEnv, type Platforms } from '../../crawler/connectors/platforms.ts';

/**
 * Crawler tests drive real workers (the production `createWorker`) against the bol sandbox
 * over HTTP, on one adapter set. Nothing in between is replaced.
 */
export interface CrawlHarness {
  env: AdapterEnv;
  secretsKey: string;
  secretBox: SecretBox;
  addShop(credentials: { clientId: string; clientSecret: string }): Promise<Shop>;
    /** `knex`: the worker's own database handle (default: the environment's). */
  startWorker(opts?: { prefetch?: number; pacedJobs?: number; maxAttempts?: number; queue?: Queue; turnMs?: number; stepBudgetMs?: number; knex?: Knex }): Promise<Worker>;
  startSync(shopId: number, type: SyncType): Promise<SyncRun>;
  waitForRun(id: number, opts?: { timeoutMs?: number; until?: (run: SyncRun) => boolean }): Promise<SyncRun>;
  storedPlatformIds(shopId: number): Promise<string[]>;
  stopAll(): Promise<void>;
}

export function crawlHarness(env: AdapterEnv, bol: BolSandbox): CrawlHarness {
  const secretsKey = randomBytes(32).toString('base64');
  const secretBox = createSecretBox(secretsKey);
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const workers: Worker[] = [];
  const knex: Knex = env.knex;
  return {
    env,
    secretsKey,
    secretBox,
    async addShop(credentials) {
      const shop = await Shop.query(knex).insertAndFetch({ name: `Shop ${randomBytes(3).toString('hex')}`, platform: 'bol', status: 'active', sync_interval_minutes: 15 });
      await saveShopCredentials(knex, secretBox, shop.id, { client_id: credentials.clientId, client_secret: credentials.clientSecret });
      return shop;
    },
    async startWorker(opts = {}) {
      const worker = await startTestWorker({ knex: opts.knex ?? knex, queue: opts.queue ?? env.queue, secretBox, logger, platforms: platformsFromEnv({ BOL_LOGIN_URL: bol.url, BOL_API_URL: bol.url }) }, opts);
      workers.push(worker);
      return worker;
    },
    startSync(shopId, type) {
      return startSyncRun({ knex, queue: env.queue }, shopId, type);
    },
    waitForRun(id, opts = {}) {
      return waitForSyncRun(knex, id, { timeoutMs: 90_000, ...opts });
    },
    storedPlatformIds(shopId) {
      return storedPlatformIds(knex, shopId);
    },
    async stopAll() {
      await Promise.all(workers.map((w) => w.stop(5_000)));
    },
  };
}

/** A production worker as crawler tests run it: short retry delays, a wider jitter allowance. */
/**
 * A wider jitter allowance than production: test files share two cores, and a stalled event loop
 * bunches requests up just as network jitter would.
 */
export const TEST_RATE_MARGIN = { ratio: 0.03, jitterMs: 150 };

export async function startTestWorker(
  deps: { knex: Knex; queue: Queue; secretBox: SecretBox; logger: ReturnType<typeof createLogger>; platforms: Platforms },
  opts: { prefetch?: number; maxAttempts?: number; pacedJobs?: number; turnMs?: number; stepBudgetMs?: number } = {},
): Promise<Worker> {
  const worker = createWorker({
    ...deps,
    rateMargin: TEST_RATE_MARGIN,
    prefetch: opts.prefetch ?? 2,
    pacedJobs: opts.pacedJobs,
    turnMs: opts.turnMs,
    stepBudgetMs: opts.stepBudgetMs,
    retryPolicy: { baseDelayMs: 100, maxDelayMs: 1_000, maxAttempts: opts.maxAttempts ?? 8 },
    providerRetryMinDelayMs: 20,
  });
  await worker.start();
  return worker;
}

/** The run once `until` holds (default: it ended), read every 50 ms. */
export async function waitForSyncRun(knex: Knex, id: number, opts: { timeoutMs?: number; until?: (run: SyncRun) => boolean } = {}): Promise<SyncRun> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const until = opts.until ?? ((r: SyncRun) => r.status === 'succeeded' || r.status === 'failed');
  for (;;) {
    const run = await SyncRun.query(knex).findById(id);
    if (run && until(run)) return run;
    if (Date.now() > deadline) throw new Error(`sync run ${id} did not get there in time: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The platform ids of the shop's stored shipments, sorted. */
export async function storedPlatformIds(knex: Knex, shopId: number): Promise<string[]> {
  const rows: { platform_id: string }[] = await knex('shipments').select('platform_id').where({ shop_id: shopId }).orderBy('platform_id');
  return rows.map((r) => r.platform_id);
}

export function sandboxIds(bol: BolSandbox): string[] {
  return bol.shipments.map((s) => s.shipmentId).sort();
}

export function newClient(): { clientId: string; clientSecret: string } {
  return { clientId: `client-${randomBytes(4).toString('hex')}`, clientSecret: `secret-${randomBytes(8).toString('hex')}` };
}

/** A bol sandbox, a fresh adapter environment and a harness on them, all torn down after the test. */
export async function setupCrawl(t: ExecutionContext, set: AdapterSet, sandbox: BolSandboxOptions): Promise<{ bol: BolSandbox; env: AdapterEnv; h: CrawlHarness }> {
  const bol = await startBolSandbox(sandbox);
  const env = await set.setup();
  const h = crawlHarness(env, bol);
  t.teardown(async () => {
    await h.stopAll();
    await env.teardown();
    await bol.close();
  });
  return { bol, env, h };
}
