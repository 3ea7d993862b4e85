import test from 'ava';
import { createServer } from 'node:http';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';
import { shopifyConnector } from '../../crawler/connectors/shopify/connector.ts';
import { CostPacer } from '../../crawler/connectors/shopify/cost.ts';
import { readJsonlGroups } from '../../crawler/connectors/shopify/jsonl.ts';
import { ShopifyTokens } from '../../crawler/connectors/shopify/token.ts';
import type { TokenStore } from '../../crawler/connectors/types.ts';
import type { StoredToken } from '../../crawler/connectors/types.ts';
import type { ShopifySession } from '../../crawler/connectors/shopify/session.ts';
import { shopBaseUrl, shopifyCredentials } from '../../crawler/connectors/shopify/credentials.ts';
import { refreshMarginMs, tokenUsable } from '../../crawler/connectors/token-margin.ts';
import { mapShopifyEventStatus } from '../../crawler/status-mapping.ts';
import { findCarrier } from '../../models/carriers.ts';

const margin = { ratio: 0, jitterMs: 0 };

test('the pacer waits exactly until the query’s requested cost has restored, at the rate the last answer gave', (t) => {
  const pacer = new CostPacer({ costs: {} }, margin, { redelivered: false });
  pacer.observe({ maximumAvailable: 2_000, currentlyAvailable: 100, restoreRate: 50 });
  t.is(pacer.waitMs(100), 0);
  // 400 more points at 50 a second: 8 s.
  const wait = pacer.waitMs(500);
  t.true(wait > 7_900 && wait <= 8_000, String(wait));
  // Never more than the bucket holds.
  t.true(pacer.waitMs(5_000) <= (1_900 / 50) * 1000);
});

test('a step whose first query would wait more than a moment goes back delayed without sending, and the dead worker’s points stay counted', async (t) => {
  // Full when last seen; the worker that died after it is assumed to have spent a whole query.
  const carried = { bucket: { maximumAvailable: 1_000, currentlyAvailable: 1_000, restoreRate: 50, at: Date.now() }, costs: {} };
  const pacer = new CostPacer(carried, margin, { redelivered: true });
  let sent = 0;
  const session: ShopifySession = {
    client: { query: async () => (sent++, Promise.reject(new Error('sent'))) },
    pacer,
    initialSync: 'paging',
    signal: new AbortController().signal,
    countRequest: () => {},
    requests: () => sent,
    rateState: () => pacer.snapshot(),
  };
  const page = { phase: 'page', after: null, search: null };
  const ctx = { type: 'initial' as const, findStored: async () => new Set<string>(), cursor: null, signal: session.signal };
  const step = await shopifyConnector.streams.shipments!.fetchStep(session, page, ctx);
  t.is(sent, 0, 'nothing sent');
  t.deepEqual(step.next, page);
  t.is(step.failure, undefined);
  // A query of unknown cost asks for the ceiling: 1,000 points at 50 a second.
  t.true(step.notBeforeMs! > 19_000 && step.notBeforeMs! <= 20_000, String(step.notBeforeMs));
  // The delayed step opens with the saved state, not redelivered: the same wait, not a second deduction.
  const back = new CostPacer(pacer.snapshot(), margin, { redelivered: false });
  t.true(back.waitForMs('ordersPage', 10) > 19_000);
  t.is(back.waitForMs('ordersPage', 10, Date.now() + 20_000), 0);
});

test('page sizes follow the cost learnt per query shape: a dearer page holds fewer items', (t) => {
  const pacer = new CostPacer({ costs: {} }, margin, { redelivered: false });
  pacer.observe({ maximumAvailable: 2_000, currentlyAvailable: 2_000, restoreRate: 100 });
  t.is(pacer.pageSize('orders', { max: 250, fallback: 10 }), 10, 'before the first answer: the fallback');
  pacer.learn('orders', 2 + 10 * 38, 10);
  t.is(pacer.estimate('orders', 10), 382);
  t.is(pacer.pageSize('orders', { max: 250, fallback: 10 }), Math.floor((900 - 2) / 38), 'within 90% of the 1,000-point query limit');
  pacer.learn('orders', 2 + 10 * 80, 10);
  t.is(pacer.pageSize('orders', { max: 250, fallback: 10 }), Math.floor((900 - 2) / 80));
  // The learnt costs and the bucket travel in the rate state.
  const carried = new CostPacer(pacer.snapshot(), margin, { redelivered: false });
  t.is(carried.estimate('orders', 10), 802);
});

test('a token is refreshed a tenth of its life before it expires, at least 1 s and at most 5 min before', (t) => {
  const now = 1_000_000;
  t.is(refreshMarginMs({ issuedAt: now, expiresAt: now + 8_000 }), 1_000);
  t.is(refreshMarginMs({ issuedAt: now, expiresAt: now + 60_000 }), 6_000);
  t.is(refreshMarginMs({ issuedAt: now, expiresAt: now + 86_400_000 }), 300_000);
  t.true(tokenUsable({ issuedAt: now, expiresAt: now + 8_000 }, now + 6_900));
  t.false(tokenUsable({ issuedAt: now, expiresAt: now + 8_000 }, now + 7_100));
});

test("Shopify's fulfillment event statuses map to canonical statuses; carriers by Shopify's spellings", (t) => {
  t.is(mapShopifyEventStatus('LABEL_PURCHASED'), 'info_received');
  t.is(mapShopifyEventStatus('IN_TRANSIT'), 'in_transit');
  t.is(mapShopifyEventStatus('OUT_FOR_DELIVERY'), 'out_for_delivery');
  t.is(mapShopifyEventStatus('READY_FOR_PICKUP'), 'available_for_pickup');
  t.is(mapShopifyEventStatus('ATTEMPTED_DELIVERY'), 'attempt_fail');
  t.is(mapShopifyEventStatus('DELIVERED'), 'delivered');
  t.is(mapShopifyEventStatus('FAILURE'), 'exception');
  t.is(mapShopifyEventStatus('SOMETHING_NEW'), null);
  for (const company of ['DHL Express', 'DHL eCommerce', 'DHL Parcel']) t.is(findCarrier(company)?.trackedBy, 'dhl', company);
  for (const [company, name] of [['PostNL', 'PostNL'], ['DPD', 'DPD'], ['UPS', 'UPS'], ['GLS', 'GLS'], ['bpost', 'bpost']] as const) t.is(findCarrier(company)?.name, name);
});

test('SHOPIFY_API_URL must hold {shop}; the shop domain is read as people paste it and refused when it is not a myshopify.com one', (t) => {
  t.throws(() => platformsFromEnv({ SHOPIFY_API_URL: 'http://127.0.0.1:7400/' }), { message: /SHOPIFY_API_URL: must contain \{shop\}/ });
  t.throws(() => platformsFromEnv({ SHOPIFY_INITIAL_SYNC: 'fast' }), { message: /SHOPIFY_INITIAL_SYNC: must be bulk or paging/ });
  const settings = platformsFromEnv({ SHOPIFY_API_URL: 'http://127.0.0.1:7400/{shop}' }).get('shopify')!.settings as { apiUrl: string };
  t.is(shopBaseUrl(settings, 'demo-shop.myshopify.com'), 'http://127.0.0.1:7400/demo-shop');
  t.is(shopifyCredentials.parse({ shop_domain: ' HTTPS://Demo-Shop.myshopify.com/ ', access_token: 'shpat_x' }).shop_domain, 'demo-shop.myshopify.com');
  for (const bad of ['demo-shop.com', 'shop.example.com', 'myshopify.com', 'a.b.myshopify.com']) t.false(shopifyCredentials.safeParse({ shop_domain: bad, access_token: 'x' }).success, bad);
});

/** A local server answering every request with `body` whole (a server that ignores Range). */
async function serveFile(t: import('ava').ExecutionContext, body: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jsonl' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/bulk.jsonl`;
}

test('a bulk file is read a group at a time from exact byte offsets; only an unterminated last line may be cut short', async (t) => {
  const lines = ['{"id":"o1"}', '{"id":"li1","__parentId":"o1"}', '{"id":"o2"}', '{"id":"o3"}'];
  const url = await serveFile(t, `${lines.join('\n')}\n{"id":"o4","na`);
  const first = await readJsonlGroups(url, 0, 2);
  t.deepEqual(first.groups.map((g) => [g.root.id, g.startByte, g.children.length]), [['o1', 0, 1], ['o2', lines[0]!.length + lines[1]!.length + 2, 0]]);
  t.is(first.endByte, lines.slice(0, 3).join('\n').length + 1, 'the next chunk starts at the first unread root');
  const rest = await readJsonlGroups(url, first.endByte, 2);
  t.deepEqual(rest.groups.map((g) => [g.root.id, g.startByte]), [['o3', first.endByte]]);
  t.true(rest.atEnd);
  t.is(rest.endByte, lines.join('\n').length + 1);
});

test('a bulk file line that is not JSON, newline and all, fails the read instead of shifting every offset after it', async (t) => {
  const url = await serveFile(t, '{"id":"o1"}\n{"id":"o2",\n{"id":"o3"}\n');
  await t.throwsAsync(readJsonlGroups(url, 0, 10), { message: /not JSON at byte 12/ });
});

/** A rotating pair in memory, with the database's compare-and-set on its version and its claim. */
function memoryTokenStore(token: StoredToken) {
  const row = { token, claimedUntil: 0 };
  const store: TokenStore = {
    load: async () => ({ ...row.token }),
    save: async (next) => void (row.token = { ...next, version: (row.token.version ?? 0) + 1 }),
    claimRefresh: async (seen, forMs) => {
      if (seen?.version !== row.token.version || row.claimedUntil > Date.now()) return false;
      row.claimedUntil = Date.now() + forMs;
      return true;
    },
    replace: async (seen, next) => {
      if (seen?.version !== row.token.version) return false;
      row.token = { ...next, version: (row.token.version ?? 0) + 1 };
      row.claimedUntil = 0;
      return true;
    },
    releaseRefresh: async (seen) => {
      if (seen?.version === row.token.version) row.claimedUntil = 0;
    },
  };
  return { row, store };
}

const rotating = { kind: 'refresh_token' as const, clientId: 'id', clientSecret: 'secret', accessToken: 'shpua_old', refreshToken: 'shprt_old' };
const dueForRefresh = (version: number): StoredToken => ({ accessToken: 'shpua_1', refreshToken: 'shprt_1', issuedAt: Date.now() - 3_600_000, expiresAt: Date.now() + 1_000, version });

test('a refresh claim whose token request failed is released, so the next worker refreshes at once', async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const { row, store } = memoryTokenStore(dueForRefresh(1));
  const tokens = new ShopifyTokens(`http://127.0.0.1:${port}/shop`, rotating, store, () => {});
  await t.throwsAsync(tokens.current(), { message: /answered HTTP 503/ });
  t.is(row.claimedUntil, 0, 'no claim left to lapse');
});

test('a worker waiting for another one’s refresh takes the pair once its version moves, even with the same access token', async (t) => {
  const { row, store } = memoryTokenStore(dueForRefresh(1));
  // Another worker holds the claim; it stores a pair whose access token reads the same.
  row.claimedUntil = Date.now() + 15_000;
  setTimeout(() => {
    row.token = { ...row.token, issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000, version: 2 };
    row.claimedUntil = 0;
  }, 250);
  const tokens = new ShopifyTokens('http://127.0.0.1:9/shop', rotating, store, () => {});
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 3_000).unref());
  t.is(await Promise.race([tokens.current(), timeout]), 'shpua_1');
});
