/**
 * The Shopify simulator over real HTTP: the three auth modes and refresh-token rotation, cost and
 * the leaky bucket, Shopify-worded errors, search and pagination, bulk operations and their files.
 * The sandbox runs on a clock the test moves, so refills, expiry and bulk progress are exact.
 */
import test, { type ExecutionContext } from 'ava';
import {
  shopCredentials, shopifyOptionsFromEnv, startShopifySandbox, type ShopifySandbox, type ShopifySandboxOptions,
} from '../../sandbox/shopify/index.ts';

const REFERENCE = Date.parse('2026-11-30T00:00:00Z');
const INVALID_TOKEN = { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' };
const demo = shopCredentials('demo-shop');

interface Started {
  sb: ShopifySandbox;
  clock: { now: number };
}

async function start(t: ExecutionContext, opts: ShopifySandboxOptions = {}): Promise<Started> {
  const clock = { now: REFERENCE + 3_600_000 };
  const sb = await startShopifySandbox({ referenceTimeMs: REFERENCE, clock: () => clock.now, orders: 120, ...opts });
  t.teardown(() => sb.close());
  return { sb, clock };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** `token` null sends no X-Shopify-Access-Token header. */
async function gql(sb: ShopifySandbox, query: string, variables: Record<string, unknown> = {}, token: string | null = demo.staticAccessToken, shop = 'demo-shop') {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== null) headers['X-Shopify-Access-Token'] = token;
  const res = await fetch(`${sb.url}/${shop}/admin/api/2026-10/graphql.json`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

async function tokenRequest(sb: ShopifySandbox, params: Record<string, string>, json = false, shop = 'demo-shop') {
  const res = await fetch(`${sb.url}/${shop}/admin/oauth/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: json ? JSON.stringify(params) : new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const refresh = (sb: ShopifySandbox, refreshToken: string) =>
  tokenRequest(sb, { grant_type: 'refresh_token', client_id: demo.clientId, client_secret: demo.clientSecret, refresh_token: refreshToken });

const SHOP_QUERY = '{ shop { name myshopifyDomain } }';

// --- auth ------------------------------------------------------------------------------------

test('client credentials grant: form or JSON body, a token that dies after expires_in, Shopify error bodies', async (t) => {
  const { sb, clock } = await start(t);
  const grant = await tokenRequest(sb, { grant_type: 'client_credentials', client_id: demo.clientId, client_secret: demo.clientSecret });
  t.is(grant.status, 200);
  t.deepEqual(Object.keys(grant.body).sort(), ['access_token', 'expires_in', 'scope']);
  t.is(grant.body.expires_in, 86_399);
  t.regex(grant.body.access_token, /^shpat_[0-9a-f]{32}$/);
  const viaJson = await tokenRequest(sb, { grant_type: 'client_credentials', client_id: demo.clientId, client_secret: demo.clientSecret }, true);
  t.is(viaJson.status, 200);

  const ok = await gql(sb, SHOP_QUERY, {}, grant.body.access_token);
  t.is(ok.status, 200);
  t.deepEqual(ok.body.data.shop, { name: 'Demo Shop', myshopifyDomain: 'demo-shop.myshopify.com' });

  clock.now += 86_399_000;
  const expired = await gql(sb, SHOP_QUERY, {}, grant.body.access_token);
  t.is(expired.status, 401);
  t.deepEqual(expired.body, INVALID_TOKEN);

  const wrongSecret = await tokenRequest(sb, { grant_type: 'client_credentials', client_id: demo.clientId, client_secret: 'nope' });
  t.is(wrongSecret.status, 401);
  t.is(wrongSecret.body.error, 'invalid_client');
  const wrongGrant = await tokenRequest(sb, { grant_type: 'password', client_id: demo.clientId, client_secret: demo.clientSecret });
  t.is(wrongGrant.status, 400);
  t.is(wrongGrant.body.error, 'unsupported_grant_type');
  t.deepEqual(sb.stats()['demo-shop']!.tokens, { grants: 2, refreshes: 0, refused: 2 });
});

test('the token life is a knob, per shop', async (t) => {
  const { sb, clock } = await start(t);
  const shop = sb.addShop({ shop: 'short-lived', orders: 3, auth: { clientCredentialsLifetimeSeconds: 60 } });
  const grant = await tokenRequest(sb, { grant_type: 'client_credentials', client_id: shop.clientId, client_secret: shop.clientSecret }, false, 'short-lived');
  t.is(grant.body.expires_in, 60);
  clock.now += 59_000;
  t.is((await gql(sb, SHOP_QUERY, {}, grant.body.access_token, 'short-lived')).status, 200);
  clock.now += 1_000;
  t.is((await gql(sb, SHOP_QUERY, {}, grant.body.access_token, 'short-lived')).status, 401);
});

test('a static custom-app token never expires; a wrong or missing one answers 401 like Shopify', async (t) => {
  const { sb, clock } = await start(t);
  clock.now += 400 * 86_400_000;
  t.is((await gql(sb, SHOP_QUERY)).status, 200);
  const wrong = await gql(sb, SHOP_QUERY, {}, 'shpat_wrong');
  t.is(wrong.status, 401);
  t.deepEqual(wrong.body, INVALID_TOKEN);
  const missing = await gql(sb, SHOP_QUERY, {}, null);
  t.is(missing.status, 401);
  t.deepEqual(missing.body, INVALID_TOKEN);
  sb.revokeTokens('demo-shop');
  t.is((await gql(sb, SHOP_QUERY)).status, 401);
  t.is(sb.stats()['demo-shop']!.unauthorized, 3);
});

test('expiring offline tokens: every refresh answers a new refresh token; the used one stays valid until its replacement is used', async (t) => {
  const { sb, clock } = await start(t);
  t.is((await gql(sb, SHOP_QUERY, {}, demo.offlineAccessToken)).status, 200);

  const first = await refresh(sb, demo.refreshToken);
  t.is(first.status, 200);
  t.deepEqual(Object.keys(first.body).sort(), ['access_token', 'expires_in', 'refresh_token', 'refresh_token_expires_in', 'scope']);
  t.is(first.body.expires_in, 3600);
  t.is(first.body.refresh_token_expires_in, 7_776_000);
  t.not(first.body.refresh_token, demo.refreshToken);

  // The answer was "lost": retrying the same refresh token still works, and rotates again.
  const retry = await refresh(sb, demo.refreshToken);
  t.is(retry.status, 200);
  t.not(retry.body.refresh_token, first.body.refresh_token);

  // The app begins using the replacement: the previous refresh token is retired.
  t.is((await gql(sb, SHOP_QUERY, {}, retry.body.access_token)).status, 200);
  const superseded = await refresh(sb, demo.refreshToken);
  t.is(superseded.status, 400);
  t.is(superseded.body.error, 'invalid_grant');

  const next = await refresh(sb, retry.body.refresh_token);
  t.is(next.status, 200);
  // Refreshing with the replacement also retires its predecessor (here: already retired).
  clock.now += 3_600_000;
  t.is((await gql(sb, SHOP_QUERY, {}, next.body.access_token)).status, 401, 'the access token dies after expires_in');
  t.is((await gql(sb, SHOP_QUERY, {}, demo.offlineAccessToken)).status, 401);
  t.deepEqual(sb.stats()['demo-shop']!.tokens, { grants: 0, refreshes: 3, refused: 1 });
});

test('refreshing with the new refresh token retires the previous one even before the new access token is used', async (t) => {
  const { sb } = await start(t);
  const first = await refresh(sb, demo.refreshToken);
  const second = await refresh(sb, first.body.refresh_token);
  t.is(second.status, 200);
  t.is((await refresh(sb, demo.refreshToken)).body.error, 'invalid_grant');
  t.is((await refresh(sb, 'shprt_unknown')).status, 400);
  const badClient = await tokenRequest(sb, { grant_type: 'refresh_token', client_id: demo.clientId, client_secret: 'x', refresh_token: second.body.refresh_token });
  t.is(badClient.status, 401);
  t.is(badClient.body.error, 'invalid_client');
});

test('unknown shops and paths answer 404', async (t) => {
  const { sb } = await start(t);
  const res = await gql(sb, SHOP_QUERY, {}, demo.staticAccessToken, 'no-such-shop');
  t.is(res.status, 404);
  t.deepEqual(res.body, { errors: 'Not Found' });
});

// --- cost and bucket -----------------------------------------------------------------------

const ORDERS_WITH_LINE_ITEMS = '{ orders(first: 10) { edges { node { id lineItems(first: 5) { edges { node { sku } } } } } } }';

test('requested cost by the published rules, actual cost from what came back, the difference refunded', async (t) => {
  const { sb } = await start(t);
  const res = await gql(sb, ORDERS_WITH_LINE_ITEMS);
  t.is(res.status, 200);
  const cost = res.body.extensions.cost;
  // 2 + 10 × (order 1 + lineItems connection 2 + 5 × line item 1)
  t.is(cost.requestedQueryCost, 82);
  const returned = res.body.data.orders.edges as { node: { lineItems: { edges: unknown[] } } }[];
  const actual = 2 + returned.reduce((sum, e) => sum + 1 + 2 + e.node.lineItems.edges.length, 0);
  t.is(cost.actualQueryCost, actual);
  t.true(actual < 82);
  t.deepEqual(cost.throttleStatus, { maximumAvailable: 2000, currentlyAvailable: 2000 - actual, restoreRate: 100 });
  t.is((await gql(sb, SHOP_QUERY)).body.extensions.cost.requestedQueryCost, 1);
  const mutation = await gql(sb, 'mutation { bulkOperationCancel(id: "gid://shopify/BulkOperation/1") { userErrors { message } } }');
  t.is(mutation.body.extensions.cost.requestedQueryCost, 10);
  const stats = sb.stats()['demo-shop']!;
  t.is(stats.pointsSpent, actual + 1 + 10);
  t.is(stats.throttled, 0);
  t.is(stats.peakOverdraw, 0);
});

test('THROTTLED when the bucket cannot pay the requested cost, refilled at restoreRate', async (t) => {
  const { sb, clock } = await start(t);
  sb.addShop({ shop: 'small-plan', orders: 80, bucketSize: 100, restoreRate: 10 });
  const token = shopCredentials('small-plan').staticAccessToken;
  const query = '{ orders(first: 50) { edges { node { id } } } }';
  const first = await gql(sb, query, {}, token, 'small-plan');
  t.is(first.body.extensions.cost.requestedQueryCost, 52);
  t.is(first.body.extensions.cost.actualQueryCost, 52);
  t.is(first.body.extensions.cost.throttleStatus.currentlyAvailable, 48);

  const throttled = await gql(sb, query, {}, token, 'small-plan');
  t.is(throttled.status, 200);
  t.deepEqual(throttled.body.errors, [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }]);
  t.false('data' in throttled.body);
  t.deepEqual(throttled.body.extensions.cost, {
    requestedQueryCost: 52,
    actualQueryCost: null,
    throttleStatus: { maximumAvailable: 100, currentlyAvailable: 48, restoreRate: 10 },
  });

  clock.now += 300; // 51 available: still short
  t.is((await gql(sb, query, {}, token, 'small-plan')).body.errors[0].extensions.code, 'THROTTLED');
  clock.now += 700; // 58 available
  const after = await gql(sb, query, {}, token, 'small-plan');
  t.is(after.body.data.orders.edges.length, 50);
  t.is(after.body.extensions.cost.throttleStatus.currentlyAvailable, 6);

  const stats = sb.stats()['small-plan']!;
  t.is(stats.throttled, 2);
  t.is(stats.peakOverdraw, 4);
  t.is(stats.pointsSpent, 104);
  sb.setShopOptions('small-plan', { restoreRate: 1000 });
  clock.now += 1000;
  t.is((await gql(sb, query, {}, token, 'small-plan')).body.extensions.cost.throttleStatus.restoreRate, 1000);
});

test('a query costing more than 1000 answers MAX_COST_EXCEEDED and is not charged', async (t) => {
  const { sb } = await start(t);
  const res = await gql(sb, '{ orders(first: 250) { edges { node { id lineItems(first: 10) { nodes { id } } } } } }');
  t.is(res.status, 200);
  t.is(res.body.errors.length, 1);
  t.true(res.body.errors[0].message.startsWith('Query cost is 3252, which exceeds the single query max cost limit (1000).'));
  t.like(res.body.errors[0].extensions, { code: 'MAX_COST_EXCEEDED', cost: 3252, maxCost: 1000 });
  t.is(res.body.extensions.cost.throttleStatus.currentlyAvailable, 2000);
  t.is(sb.stats()['demo-shop']!.maxCostExceeded, 1);
});

// --- validation ------------------------------------------------------------------------------

test('invalid queries are answered in graphql-ruby wording with locations and codes', async (t) => {
  const { sb } = await start(t);
  const unknown = await gql(sb, '{ orders(first: 1) { edges { node { id foo } } } }');
  t.is(unknown.status, 200);
  t.deepEqual(unknown.body.errors, [{
    message: "Field 'foo' doesn't exist on type 'Order'",
    locations: [{ line: 1, column: 40 }],
    path: ['query', 'orders', 'edges', 'node', 'foo'],
    extensions: { code: 'undefinedField', typeName: 'Order', fieldName: 'foo' },
  }]);
  const missingArg = await gql(sb, '{ order { id } }');
  t.is(missingArg.body.errors[0].message, "Field 'order' is missing required arguments: id");
  t.is(missingArg.body.errors[0].extensions.code, 'missingRequiredArguments');
  t.deepEqual(missingArg.body.errors[0].path, ['query', 'order']);
  const named = await gql(sb, 'query Recent { orders(first: 1) { nodes { nope } } }');
  t.deepEqual(named.body.errors[0].path, ['query Recent', 'orders', 'nodes', 'nope']);
  const badArg = await gql(sb, '{ orders(first: 1, nope: 2) { nodes { id } } }');
  t.is(badArg.body.errors[0].extensions.code, 'argumentNotAccepted');
  const unbounded = await gql(sb, '{ orders { nodes { id } } }');
  t.is(unbounded.body.errors[0].message, 'you must provide one of first or last');
  const syntax = await gql(sb, '{ orders(first: 1) { nodes { id } }');
  t.regex(syntax.body.errors[0].message, /^syntax error, /);
  t.deepEqual(syntax.body.errors[0].locations, [{ line: 1, column: 36 }]);
  const noQuery = await fetch(`${sb.url}/demo-shop/admin/api/2026-10/graphql.json`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': demo.staticAccessToken }, body: '{}',
  });
  t.is(noQuery.status, 400);
  t.deepEqual(await noQuery.json(), { errors: { query: 'Required parameter missing or invalid' } });
});

// --- orders, search, pagination --------------------------------------------------------------

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $query: String, $reverse: Boolean, $sortKey: OrderSortKeys) {
  orders(first: $first, after: $after, last: $last, before: $before, query: $query, reverse: $reverse, sortKey: $sortKey) {
    edges { cursor node { id name updatedAt createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

async function allPages(sb: ShopifySandbox, variables: Record<string, unknown>, size = 17): Promise<{ id: string; updatedAt: string; createdAt: string }[]> {
  const out: { id: string; updatedAt: string; createdAt: string }[] = [];
  let after: string | null = null;
  for (;;) {
    const res = await gql(sb, PAGE, { ...variables, first: size, after });
    const conn = res.body.data.orders;
    out.push(...conn.edges.map((e: Json) => e.node));
    if (!conn.pageInfo.hasNextPage) return out;
    after = conn.pageInfo.endCursor;
  }
}

test('updated_at search with sortKey UPDATED_AT pages through exactly the matching orders, in order, once each', async (t) => {
  const { sb } = await start(t, { restoreRate: 100_000, bucketSize: 100_000 });
  const orders = sb.shopOrders('demo-shop');
  const cutMs = [...orders].map((o) => o.updatedAtMs).sort((a, b) => a - b)[60]!;
  const cut = new Date(cutMs).toISOString().replace('.000Z', 'Z');
  const expected = orders.filter((o) => o.updatedAtMs > cutMs).sort((a, b) => a.updatedAtMs - b.updatedAtMs || a.legacyId - b.legacyId).map((o) => o.id);
  const got = await allPages(sb, { query: `updated_at:>'${cut}'`, sortKey: 'UPDATED_AT' });
  t.deepEqual(got.map((o) => o.id), expected);
  t.true(expected.length > 0 && expected.length < orders.length);

  const inclusive = await allPages(sb, { query: `updated_at:>='${cut}'`, sortKey: 'UPDATED_AT' });
  t.is(inclusive.length, orders.filter((o) => o.updatedAtMs >= cutMs).length);
  const before = await allPages(sb, { query: `updated_at:<'${cut}'`, sortKey: 'UPDATED_AT' });
  t.is(before.length + inclusive.length, orders.length);

  const from = Date.parse('2026-11-01T00:00:00Z');
  const november = await allPages(sb, { query: `created_at:>=2026-11-01 AND created_at:<'2026-11-15T00:00:00Z'`, sortKey: 'CREATED_AT' });
  t.deepEqual(november.map((o) => o.id), orders.filter((o) => o.createdAtMs >= from && o.createdAtMs < from + 14 * 86_400_000).map((o) => o.id));

  const reversed = await allPages(sb, { sortKey: 'ID', reverse: true }, 50);
  t.deepEqual(reversed.map((o) => o.id), [...orders].reverse().map((o) => o.id));
});

test('last/before pages backwards; cursors name an order, so a page boundary survives edits', async (t) => {
  const { sb, clock } = await start(t, { restoreRate: 100_000, bucketSize: 100_000 });
  const orders = sb.shopOrders('demo-shop');
  const firstPage = (await gql(sb, PAGE, { first: 10, sortKey: 'ID' })).body.data.orders;
  t.deepEqual(firstPage.pageInfo, { hasNextPage: true, hasPreviousPage: false, startCursor: firstPage.edges[0].cursor, endCursor: firstPage.edges[9].cursor });
  const second = (await gql(sb, PAGE, { first: 10, after: firstPage.pageInfo.endCursor, sortKey: 'ID' })).body.data.orders;
  t.deepEqual(second.edges.map((e: Json) => e.node.id), orders.slice(10, 20).map((o) => o.id));
  const back = (await gql(sb, PAGE, { last: 10, before: second.pageInfo.startCursor, sortKey: 'ID' })).body.data.orders;
  t.deepEqual(back.edges.map((e: Json) => e.node.id), orders.slice(0, 10).map((o) => o.id));
  t.false(back.pageInfo.hasPreviousPage);
  t.true(back.pageInfo.hasNextPage);

  // An incremental reader that stopped mid-way sees the edited orders at the end, once.
  const head = (await gql(sb, PAGE, { first: 30, sortKey: 'UPDATED_AT' })).body.data.orders;
  clock.now += 60_000;
  const edited = sb.editOrders('demo-shop', 5);
  t.is(edited.length, 5);
  const rest = await allPages(sb, { sortKey: 'UPDATED_AT', after: head.pageInfo.endCursor });
  const seen = [...head.edges.map((e: Json) => e.node.id), ...rest.map((o) => o.id)];
  t.deepEqual(rest.slice(-5).map((o) => o.id).sort(), edited.map((o) => o.id).sort());
  t.is(new Set(seen).size, orders.length, 'every order seen; edited early ones twice at most');
});

test('editOrders bumps updatedAt and adds a fulfillment or an event, visible in expectedFulfillments and the API', async (t) => {
  const { sb, clock } = await start(t);
  const before = new Map(sb.expectedFulfillments('demo-shop').map((f) => [f.id, f.events.length]));
  clock.now += 3_600_000;
  const edited = sb.editOrders('demo-shop', 8);
  const after = sb.expectedFulfillments('demo-shop');
  for (const order of edited) {
    t.true(order.updatedAtMs >= clock.now - 1000);
  }
  const changed = after.filter((f) => before.get(f.id) !== f.events.length);
  t.true(changed.length > 0, 'some fulfillment is new or has a new event');
  const one = changed[0]!;
  const res = await gql(sb, `query($id: ID!) { fulfillment(id: $id) { id displayStatus events(first: 20) { nodes { status } } order { id updatedAt } } }`, { id: one.id });
  t.is(res.body.data.fulfillment.events.nodes.length, one.events.length);
  t.is(res.body.data.fulfillment.displayStatus, one.displayStatus);
});

test('generated orders: NL/BE/DE addresses, carriers as Shopify names them, tracking numbers in carrier shapes, progressing events', async (t) => {
  const { sb } = await start(t, { orders: 600 });
  const orders = sb.shopOrders('demo-shop');
  const countries = new Set(orders.map((o) => o.shippingAddress.countryCodeV2));
  t.deepEqual([...countries].sort(), ['BE', 'DE', 'NL']);
  for (const o of orders) {
    const { zip, countryCodeV2 } = o.shippingAddress;
    const shape = countryCodeV2 === 'NL' ? /^\d{4} ?[A-Z]{2}$/ : countryCodeV2 === 'BE' ? /^\d{4}$/ : /^\d{5}$/;
    t.regex(zip, shape);
    t.true(o.fulfillments.length <= 2);
    for (const li of o.lineItems) t.truthy(li.sku);
  }
  const fulfillments = sb.expectedFulfillments('demo-shop');
  const shapes: Record<string, RegExp> = {
    PostNL: /^3S[A-Z]{4}\d{7,9}$/,
    'DHL Parcel': /^(JVGL\d{16}|3S[A-Z]{4}\d{7,9}|00340434\d{12})$/,
    'DHL Express': /^\d{10}$/,
    'DHL eCommerce': /^GM\d{18}$/,
    DPD: /^0\d{13}$/,
    UPS: /^1Z[A-Z0-9]{6}\d{10}$/,
    GLS: /^\d{11}$/,
    bpost: /^3232\d{20}$/,
  };
  for (const f of fulfillments) {
    t.truthy(f.company && shapes[f.company], `known company ${f.company}`);
    t.regex(f.number!, shapes[f.company!]!);
    const times = f.events.map((e) => e.happenedAtMs);
    t.deepEqual(times, [...times].sort((a, b) => a - b));
    if (f.deliveredAtMs !== null) t.is(f.displayStatus, 'DELIVERED');
  }
  t.true(fulfillments.some((f) => f.displayStatus === 'DELIVERED'));
  t.true(fulfillments.some((f) => f.displayStatus === 'IN_TRANSIT' || f.displayStatus === 'OUT_FOR_DELIVERY'));
  t.true(fulfillments.some((f) => f.estimatedDeliveryAtMs !== null));
  t.true(orders.some((o) => /^\d{4} [A-Z]{2}$/.test(o.shippingAddress.zip)) && orders.some((o) => /^\d{4}[A-Z]{2}$/.test(o.shippingAddress.zip)));
  // Same seed, same data.
  const again = await startShopifySandbox({ referenceTimeMs: REFERENCE, orders: 600 });
  t.teardown(() => again.close());
  t.deepEqual(again.expectedFulfillments('demo-shop').map((f) => f.number), fulfillments.map((f) => f.number));
});

// --- bulk operations -------------------------------------------------------------------------

const RUN = `mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }`;
const STATUS = `{ currentBulkOperation { id status errorCode objectCount rootObjectCount fileSize url partialDataUrl completedAt } }`;
const BULK_ORDERS = `{ orders(query: "updated_at:>'2020-01-01T00:00:00Z'") { edges { node { id name updatedAt
  shippingAddress { zip countryCodeV2 }
  fulfillments { id status trackingInfo { company number url } }
  lineItems { edges { node { id sku quantity } } } } } } }`;

test('a bulk query runs CREATED → RUNNING → COMPLETED and writes JSONL: one line per node, nested nodes with __parentId, lists inline', async (t) => {
  const { sb, clock } = await start(t, { bulkObjectsPerSecond: 100, bulkMinMs: 0 });
  const run = await gql(sb, RUN, { q: BULK_ORDERS });
  t.deepEqual(run.body.data.bulkOperationRunQuery.userErrors, []);
  const op = run.body.data.bulkOperationRunQuery.bulkOperation;
  t.is(op.status, 'CREATED');
  t.regex(op.id, /^gid:\/\/shopify\/BulkOperation\/\d+$/);

  const again = await gql(sb, RUN, { q: BULK_ORDERS });
  t.deepEqual(again.body.data.bulkOperationRunQuery, {
    bulkOperation: null,
    userErrors: [{ field: null, message: `A bulk query operation for this app and shop is already in progress: ${op.id}.`, code: 'OPERATION_IN_PROGRESS' }],
  });

  const orders = sb.shopOrders('demo-shop');
  const lineItems = orders.reduce((n, o) => n + o.lineItems.length, 0);
  const total = orders.length + lineItems;
  // 100 objects/s: half-way after total / 200 s.
  clock.now += Math.ceil((total / 200) * 1000);
  const running = (await gql(sb, STATUS)).body.data.currentBulkOperation;
  t.is(running.status, 'RUNNING');
  t.true(Number(running.objectCount) > 0 && Number(running.objectCount) < total);
  t.is(running.url, null);

  clock.now += Math.ceil((total / 100) * 1000);
  const done = (await gql(sb, STATUS)).body.data.currentBulkOperation;
  t.is(done.status, 'COMPLETED');
  t.is(done.objectCount, String(total));
  t.is(done.rootObjectCount, String(orders.length));
  t.truthy(done.completedAt);
  const byId = (await gql(sb, `query($id: ID!) { bulkOperation(id: $id) { id status objectCount url } node(id: $id) { id ... on BulkOperation { status } } }`, { id: op.id })).body.data;
  t.like(byId.bulkOperation, { id: op.id, status: 'COMPLETED', objectCount: String(total) });
  t.deepEqual(byId.node, { id: op.id, status: 'COMPLETED' });

  const file = await fetch(done.url);
  t.is(file.status, 200);
  const text = await file.text();
  t.is(Buffer.byteLength(text), Number(done.fileSize));
  const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Json);
  t.is(lines.length, Number(done.objectCount));
  const orderIds = new Set(orders.map((o) => o.id));
  const roots = lines.filter((l) => !('__parentId' in l));
  t.deepEqual(new Set(roots.map((r) => r.id)), orderIds);
  const children = lines.filter((l) => '__parentId' in l);
  t.is(children.length, lineItems);
  for (const c of children) {
    t.true(orderIds.has(c.__parentId));
    t.regex(c.id, /LineItem/);
    t.false('lineItems' in c);
  }
  const withFulfillment = orders.find((o) => o.fulfillments.length > 0)!;
  const row = roots.find((r) => r.id === withFulfillment.id);
  t.false('lineItems' in row, 'nested connections are not inline');
  t.deepEqual(row.fulfillments.map((f: Json) => f.trackingInfo[0].number), withFulfillment.fulfillments.map((f) => f.trackingInfo[0]!.number));
  t.is(sb.stats()['demo-shop']!.bulkOperations, 1);
});

test('bulk queries Shopify refuses are refused with its userErrors', async (t) => {
  const { sb } = await start(t);
  const refused = async (q: string) => (await gql(sb, RUN, { q })).body.data.bulkOperationRunQuery;
  const inList = await refused('{ orders { edges { node { id fulfillments { events { edges { node { id status } } } } } } } }');
  t.deepEqual(inList, {
    bulkOperation: null,
    userErrors: [{ field: ['query'], message: 'Queries that contain a connection field within a list field are not currently supported.', code: 'INVALID' }],
  });
  const fliInList = await refused('{ orders { edges { node { id fulfillments { fulfillmentLineItems { edges { node { id } } } } } } } }');
  t.is(fliInList.userErrors[0].message, 'Queries that contain a connection field within a list field are not currently supported.');
  const six = await refused(`{ orders { edges { node { id
    a: lineItems { edges { node { id } } } b: lineItems { edges { node { id } } } c: lineItems { edges { node { id } } }
    d: lineItems { edges { node { id } } } e: lineItems { edges { node { id } } } } } } }`);
  t.is(six.userErrors[0].message, 'Bulk queries cannot contain more than 5 connections.');
  const noConnection = await refused('{ shop { name } }');
  t.is(noConnection.userErrors[0].message, 'Bulk queries must contain at least one connection.');
  const viaNodes = await refused('{ orders { nodes { id } } }');
  t.regex(viaNodes.userErrors[0].message, /^All connection fields in a bulk query must select their contents using 'edges' > 'node'/);
  const noParentId = await refused('{ orders { edges { node { name lineItems { edges { node { id } } } } } } }');
  t.regex(noParentId.userErrors[0].message, /must select the 'id' field/);
  const invalid = await refused('{ orders { edges { node { id nope } } } }');
  t.is(invalid.userErrors[0].message, "Invalid bulk query: Field 'nope' doesn't exist on type 'Order'");
  t.is((await gql(sb, STATUS)).body.data.currentBulkOperation, null);
});

test('failBulk: the operation FAILS part-way with its errorCode, url null and the written lines at partialDataUrl', async (t) => {
  const { sb, clock } = await start(t);
  sb.failBulk('demo-shop', { afterObjects: 7 });
  const run = await gql(sb, RUN, { q: BULK_ORDERS });
  t.deepEqual(run.body.data.bulkOperationRunQuery.userErrors, []);
  clock.now += 60_000;
  const failed = (await gql(sb, STATUS)).body.data.currentBulkOperation;
  t.like(failed, { status: 'FAILED', errorCode: 'INTERNAL_SERVER_ERROR', objectCount: '7', url: null, fileSize: null, completedAt: null });
  const partial = await (await fetch(failed.partialDataUrl)).text();
  const lines = partial.trimEnd().split('\n');
  t.is(lines.length, 7);
  t.is(failed.rootObjectCount, String(lines.filter((l) => !l.includes('__parentId')).length));

  // The next operation runs normally again.
  const next = await gql(sb, RUN, { q: BULK_ORDERS });
  t.deepEqual(next.body.data.bulkOperationRunQuery.userErrors, []);
  clock.now += 60_000;
  t.is((await gql(sb, STATUS)).body.data.currentBulkOperation.status, 'COMPLETED');
});

test('bulk files answer byte ranges (206) so a reader resumes at an offset; bad signatures and out-of-range reads are refused', async (t) => {
  const { sb, clock } = await start(t);
  await gql(sb, RUN, { q: BULK_ORDERS });
  clock.now += 60_000;
  const { url, fileSize } = (await gql(sb, STATUS)).body.data.currentBulkOperation;
  const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
  const offset = Math.floor(whole.length / 3);
  const tail = await fetch(url, { headers: { Range: `bytes=${offset}-` } });
  t.is(tail.status, 206);
  t.is(tail.headers.get('content-range'), `bytes ${offset}-${whole.length - 1}/${fileSize}`);
  t.deepEqual(Buffer.from(await tail.arrayBuffer()), whole.subarray(offset));
  const slice = await fetch(url, { headers: { Range: 'bytes=10-19' } });
  t.is(slice.status, 206);
  t.deepEqual(Buffer.from(await slice.arrayBuffer()), whole.subarray(10, 20));
  t.is((await fetch(url, { headers: { Range: `bytes=${whole.length}-` } })).status, 416);
  t.is((await fetch(url.replace(/X-Goog-Signature=[0-9a-f]+/, 'X-Goog-Signature=00'))).status, 403);
  t.is(sb.stats()['demo-shop']!.fileRequests, 5);
});

test('shops are separate: own orders, own bucket, own credentials', async (t) => {
  const { sb } = await start(t);
  const other = sb.addShop({ shop: 'other-shop', orders: 5, seed: 42 });
  t.is(sb.shopOrders('other-shop').length, 5);
  t.is((await gql(sb, SHOP_QUERY, {}, demo.staticAccessToken, 'other-shop')).status, 401);
  const res = await gql(sb, '{ orders(first: 10) { nodes { id } } }', {}, other.staticAccessToken, 'other-shop');
  t.deepEqual(res.body.data.orders.nodes.map((n: Json) => n.id).sort(), sb.shopOrders('other-shop').map((o) => o.id).sort());
  t.is((await gql(sb, SHOP_QUERY)).body.extensions.cost.throttleStatus.currentlyAvailable, 2000 - 1);
});

test('a large shop is read in chunks between requests and its file still holds every order once', async (t) => {
  const { sb, clock } = await start(t, { orders: 1234 });
  const run = await gql(sb, RUN, { q: '{ orders { edges { node { id name lineItems { edges { node { id } } } } } } }' });
  t.deepEqual(run.body.data.bulkOperationRunQuery.userErrors, []);
  clock.now += 3_600_000;
  let done: Json;
  // The chunks are read as the event loop turns, whatever the sandbox clock says.
  for (;;) {
    done = (await gql(sb, STATUS)).body.data.currentBulkOperation;
    if (done.status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.is(done.status, 'COMPLETED');
  const lines = (await (await fetch(done.url)).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Json);
  t.is(lines.length, Number(done.objectCount));
  const roots = lines.filter((l) => !('__parentId' in l)).map((l) => l.id);
  t.is(done.rootObjectCount, '1234');
  t.deepEqual(new Set(roots), new Set(sb.shopOrders('demo-shop').map((o) => o.id)));
  t.is(roots.length, 1234);
});

test('SANDBOX_SHOPIFY_* variables set the options; bad values fail loudly', (t) => {
  t.deepEqual(shopifyOptionsFromEnv({
    SANDBOX_SHOPIFY_PORT: '7400',
    SANDBOX_SHOPIFY_ORDERS: '10000',
    SANDBOX_SHOPIFY_SHOP: 'my-store',
    SANDBOX_SHOPIFY_RESTORE_RATE: '1000',
    SANDBOX_SHOPIFY_BUCKET_SIZE: '20000',
    SANDBOX_SHOPIFY_BULK_OBJECTS_PER_SECOND: '5000',
    SANDBOX_SHOPIFY_BULK_MIN_MS: '0',
    SANDBOX_SHOPIFY_TOKEN_LIFETIME_SECONDS: '60',
    SANDBOX_SHOPIFY_OFFLINE_TOKEN_LIFETIME_SECONDS: '30',
    SANDBOX_SHOPIFY_REFRESH_TOKEN_LIFETIME_SECONDS: '600',
    SANDBOX_SEED: '7',
  }), {
    port: 7400,
    seed: 7,
    demoShop: 'my-store',
    orders: 10000,
    restoreRate: 1000,
    bucketSize: 20000,
    bulkObjectsPerSecond: 5000,
    bulkMinMs: 0,
    auth: { clientCredentialsLifetimeSeconds: 60, offlineAccessTokenLifetimeSeconds: 30, refreshTokenLifetimeSeconds: 600 },
  });
  t.throws(() => shopifyOptionsFromEnv({ SANDBOX_SHOPIFY_RESTORE_RATE: 'fast' }), { message: /SANDBOX_SHOPIFY_RESTORE_RATE/ });
  t.throws(() => shopifyOptionsFromEnv({ SANDBOX_SHOPIFY_ORDERS: '-1' }), { message: /SANDBOX_SHOPIFY_ORDERS/ });
});
