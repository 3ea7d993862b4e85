import { AuthError, UnprocessableError } from '../../../lib/errors.ts';
import type { PlatformConnector, StepContext, StepFetch } from '../types.ts';
import { detailsBatchSize, readBulk, pollBulk, startBulk } from './bulk.ts';
import { cursorSchema, readCheckpoint, type Checkpoint } from './checkpoint.ts';
import { createShopifyClient } from './client.ts';
import { CostPacer, readShopifyRateState } from './cost.ts';
import { authOf, shopBaseUrl, shopifyCredentials, shopifySettings, type ShopifyCredentials, type ShopifySettings } from './credentials.ts';
import { fetchOrdersPage, firstPage, ordersPageSize } from './paging.ts';
import { BULK_STATUS, FULFILLMENT_DETAILS_BY_ID, ORDERS_PAGE, RUN_BULK, SHOP_NAME } from './queries.ts';
import type { ShopifySession } from './session.ts';
import { requestShopifyToken, ShopifyTokens } from './token.ts';

/**
 * Shopify as a platform (crawler/connectors/types.ts, PlatformConnector): the GraphQL Admin API
 * (SHOPIFY_API_VERSION in credentials.ts) under the shop's cost bucket (cost.ts), one shipment per
 * fulfillment. Initial runs export every order with a bulk operation (bulk.ts), incremental runs
 * page orders changed since the stream's watermark (paging.ts). Connects three ways (credentials.ts),
 * with the tokens of each (token.ts).
 */

type Settings = ShopifySettings;

export const shopifyConnector: PlatformConnector<ShopifyCredentials, Settings, ShopifySession> = {
  name: 'shopify',
  credentials: shopifyCredentials,
  settings: shopifySettings,

  async checkCredentials(s, c, opts) {
    const base = shopBaseUrl(s, c.shop_domain);
    const auth = authOf(c);
    try {
      if (auth.kind === 'client_credentials') return await requestShopifyToken(base, auth, { grant_type: 'client_credentials' }, opts);
      // The refresh proves the app and the pair at once; its new pair is the one to keep. Until
      // it is first used, Shopify keeps the given refresh token valid, so a lost save costs nothing.
      if (auth.kind === 'refresh_token') return await requestShopifyToken(base, auth, { grant_type: 'refresh_token', refresh_token: auth.refreshToken }, opts);
      await proveAccessToken(s, c, opts.timeoutMs);
      return null;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      const provider = (err.details ?? {}) as { provider_status?: number; provider_error?: string | null; provider_reason?: string };
      throw new UnprocessableError('credentials_refused', `Shopify refused these credentials for ${c.shop_domain}: ${provider.provider_reason ?? err.message}. Check the shop domain and the app in the Shopify admin, and send them again.`, {
        field: 'credentials',
        provider_status: provider.provider_status ?? null,
        provider_error: provider.provider_error ?? provider.provider_reason ?? null,
      });
    }
  },

  async openSession(s, opening) {
    let requests = 0;
    const countRequest = () => void requests++;
    const base = shopBaseUrl(s, opening.credentials.shop_domain);
    const pacer = new CostPacer(readShopifyRateState(opening.rateState), opening.rateMargin, { redelivered: opening.redelivered });
    const tokens = new ShopifyTokens(base, authOf(opening.credentials), opening.tokens, countRequest, opening.signal);
    const client = createShopifyClient({ base, tokens, pacer, onRequest: countRequest, signal: opening.signal, retryMinDelayMs: opening.retryMinDelayMs });
    return { client, pacer, initialSync: s.initialSync, signal: opening.signal, countRequest, requests: () => requests, rateState: () => pacer.snapshot() };
  },

  streams: {
    shipments: { fetchStep: fetchShipmentsStep },
  },
};

/** `{ shop { name } }` with a custom-app token: the cheapest proof that it opens this shop. */
async function proveAccessToken(s: Settings, c: ShopifyCredentials, timeoutMs: number): Promise<void> {
  const base = shopBaseUrl(s, c.shop_domain);
  const noStore = { load: async () => null, save: async () => {}, claimRefresh: async () => false, replace: async () => false, releaseRefresh: async () => {} };
  const client = createShopifyClient({
    base,
    tokens: new ShopifyTokens(base, authOf(c), noStore, () => {}),
    pacer: new CostPacer({ costs: {} }, { ratio: 0, jitterMs: 0 }, { redelivered: false }),
    onRequest: () => {},
    timeoutMs,
    retries: 0,
  });
  await client.query({ ...SHOP_NAME, items: 0 });
}

async function fetchShipmentsStep(session: ShopifySession, checkpoint: unknown, ctx: StepContext): Promise<StepFetch> {
  const cursor = cursorSchema.parse(ctx.cursor);
  const cp = readCheckpoint(checkpoint) ?? (ctx.type === 'initial' && session.initialSync === 'bulk' ? { phase: 'bulk-start' as const, attempt: 0 } : firstPage(ctx.type === 'initial' ? null : cursor));
  // A bucket short for longer than a moment (a dead worker's points still restoring, a shop
  // another app drained): the step comes back when they are there, holding no worker.
  const waitMs = firstQueryWaitMs(session, cp);
  if (waitMs > MOMENT_MS) return { records: [], next: cp, pagesFetched: 0, notBeforeMs: waitMs };
  switch (cp.phase) {
    case 'page':
      return fetchOrdersPage(session, cp, cursor);
    case 'bulk-start':
      return startBulk(session, cp);
    case 'bulk-poll':
      return pollBulk(session, cp, cursor);
    case 'bulk-read':
      return readBulk(session, cp, cursor);
  }
}

const MOMENT_MS = 2_000;

/** How long the step's first query would wait for its points. A bulk read's file costs none: its first query asks for details. */
function firstQueryWaitMs(session: ShopifySession, cp: Checkpoint): number {
  const { pacer } = session;
  switch (cp.phase) {
    case 'page':
      return pacer.waitForMs(ORDERS_PAGE.shape, ordersPageSize(pacer));
    case 'bulk-start':
      return pacer.waitForMs(RUN_BULK.shape, 0);
    case 'bulk-poll':
      return pacer.waitForMs(BULK_STATUS.shape, 0);
    case 'bulk-read':
      return pacer.waitForMs(FULFILLMENT_DETAILS_BY_ID.shape, detailsBatchSize(pacer));
  }
}
