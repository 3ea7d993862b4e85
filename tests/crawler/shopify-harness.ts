import { randomBytes } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { createLogger } from '../../config/logger.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';
import type { Worker } from '../../crawler/create-worker.ts';
import { startSyncRun } from '../../crawler/sync/start-sync-run.ts';
import { createSecretBox, type SecretBox } from '../../lib/secret-box.ts';
import { saveShopCredentials } from '../../models/shop-credentials.ts';
import { Shop } from '../../models/shops.ts';
import type { SyncRun, SyncType } from '../../models/sync-runs.ts';
import { startTestWorker, storedPlatformIds, waitForSyncRun } from './harness.ts';
import { startShopifySandbox, type ShopCredentials, type ShopifySandbox, type ShopSpec } from '../../sandbox/shopify/index.ts';
import type { AdapterEnv, AdapterSet } from '../helpers/adapters.ts';

/**
 * Shopify crawler tests: real workers (the production `createWorker`) against the Shopify sandbox
 * over HTTP (`SHOPIFY_API_URL=<sandbox>/{shop}`), on one adapter set.
 */
export interface ShopifyCrawl {
  sandbox: ShopifySandbox;
  env: AdapterEnv;
  secretBox: SecretBox;
  /** A shop on the sandbox (its orders generated) and in shipsync, connected as `form` says. */
  addShop(spec: ShopSpec, form?: CredentialForm): Promise<{ shop: Shop; sub: string; credentials: ShopCredentials }>;
  startWorker(opts?: { maxAttempts?: number; initialSync?: 'bulk' | 'paging' }): Promise<Worker>;
  startSync(shopId: number, type: SyncType): Promise<SyncRun>;
  waitForRun(id: number, opts?: { timeoutMs?: number; until?: (run: SyncRun) => boolean }): Promise<SyncRun>;
  storedPlatformIds(shopId: number): Promise<string[]>;
}

export type CredentialForm = 'client_credentials' | 'access_token' | 'refresh_token';

/** The credentials JSON of `form` for a sandbox shop. */
export function credentialsOf(c: ShopCredentials, form: CredentialForm): Record<string, string> {
  if (form === 'access_token') return { shop_domain: c.shopDomain, access_token: c.staticAccessToken };
  if (form === 'client_credentials') return { shop_domain: c.shopDomain, client_id: c.clientId, client_secret: c.clientSecret };
  return { shop_domain: c.shopDomain, client_id: c.clientId, client_secret: c.clientSecret, access_token: c.offlineAccessToken, refresh_token: c.refreshToken };
}

export function uniqueShop(): string {
  return `shop-${randomBytes(4).toString('hex')}`;
}

export async function setupShopifyCrawl(t: ExecutionContext, set: AdapterSet, opts: Parameters<typeof startShopifySandbox>[0] = {}): Promise<ShopifyCrawl> {
  const sandbox = await startShopifySandbox({ orders: 0, ...opts });
  const env = await set.setup();
  const secretBox = createSecretBox(randomBytes(32).toString('base64'));
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const workers: Worker[] = [];
  t.teardown(async () => {
    await Promise.all(workers.map((w) => w.stop(5_000)));
    await env.teardown();
    await sandbox.close();
  });
  const knex = env.knex;
  return {
    sandbox,
    env,
    secretBox,
    async addShop(spec, form = 'client_credentials') {
      const credentials = sandbox.addShop(spec);
      const shop = await Shop.query(knex).insertAndFetch({ name: `Shopify ${spec.shop}`, platform: 'shopify', status: 'active', sync_interval_minutes: 15 });
      await saveShopCredentials(knex, secretBox, shop.id, credentialsOf(credentials, form));
      return { shop, sub: spec.shop, credentials };
    },
    async startWorker(o = {}) {
      const platforms = platformsFromEnv({ SHOPIFY_API_URL: sandbox.apiUrlTemplate, SHOPIFY_INITIAL_SYNC: o.initialSync ?? 'bulk' });
      const worker = await startTestWorker({ knex, queue: env.queue, secretBox, logger, platforms }, o);
      workers.push(worker);
      return worker;
    },
    startSync(shopId, type) {
      return startSyncRun({ knex, queue: env.queue }, shopId, type);
    },
    waitForRun(id, o = {}) {
      return waitForSyncRun(knex, id, o);
    },
    storedPlatformIds(shopId) {
      return storedPlatformIds(knex, shopId);
    },
  };
}
