import { startSandboxes } from '../sandbox/start-all.ts';
import { DEFAULT_SHOP, shopCredentials } from '../sandbox/shopify/index.ts';
import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal } from '../boot/runtime.ts';
import { startAllInOne } from '../start-all.ts';
import { ApiClient } from './api-client.ts';
import { showSyncProgress } from './progress.ts';

const DEMO_SHOP = 'Demo shop (bol sandbox)';
const DEMO_CLIENT = { clientId: 'demo-client', clientSecret: 'demo-secret' };
const DEMO_SHOPIFY_SHOP = 'Demo shop (Shopify sandbox)';

/**
 * `npm run demo`: the bol and Shopify sandboxes and shipsync on the embedded defaults in one
 * process; a bol shop and a Shopify shop are connected through the API, each synced with a
 * progress bar (Shopify's by bulk operation), and the API keeps serving.
 * The sandbox's limits are bol's proportions, sped up, and its tokens die early on purpose
 * so the crawl has to refresh them.
 */
export async function runDemo(): Promise<void> {
  const shipments = Number(process.env.DEMO_SHIPMENTS ?? 400);
  const shopifyOrders = Number(process.env.DEMO_SHOPIFY_ORDERS ?? 300);
  const sandboxes = await startSandboxes({
    bol: {
      shipments,
      clients: [DEMO_CLIENT],
      earlyExpiryMs: 4_000,
      limits: { list: { capacity: 50, windowMs: 5_000 }, detail: { capacity: 200, windowMs: 5_000 } },
      latencyMs: 5,
    },
    shopify: { orders: shopifyOrders, latencyMs: 5 },
  });
  const sandbox = sandboxes.bol;
  const env: NodeJS.ProcessEnv = { ...process.env, ...sandboxes.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  for (const name of ['WEATHERAPI_URL', 'WEATHERAPI_KEY']) delete env[name];
  for (const name of ['DATABASE_URL', 'AMQP_URL', 'CLOUDAMQP_URL']) delete env[name];
  const config = loadConfigOrExit(env);
  const app = await startAllInOne(config);
  onShutdownSignal(app.runtime.logger, async () => {
    await app.stop();
    await sandboxes.close();
  });
  const token = app.runtime.config.apiToken;
  const api = new ApiClient(app.url, token);

  say(`shipsync is running at ${app.url} (SQLite at ${config.dataDir}/shipsync.sqlite, in-process queue)`);
  say(`bol sandbox at ${sandbox.url}: ${shipments} shipments, list 50/5 s, detail 200/5 s, tokens that die after 4 s`);
  say(`Shopify sandbox at ${sandboxes.shopify.url}: shop ${DEFAULT_SHOP}.myshopify.com with ${shopifyOrders} orders, a bucket of 2,000 points restoring 100/s`);
  say(`DHL and weather sandboxes at ${sandboxes.dhl.url} and ${sandboxes.weather.url}: the clock polls DHL shipments and fetches weather by itself\n`);

  const shop = await connectDemoShop(api);
  say(`Connected "${shop.name}" (shop ${shop.id}); bol accepted its credentials.`);
  const run = await syncWithProgress(api, shop.id, shipments);
  const stats = sandbox.stats();
  const seconds = (Date.parse(run.finished_at ?? new Date().toISOString()) - Date.parse(run.created_at)) / 1000;
  say(`
bol initial sync ${run.status} in ${seconds.toFixed(1)} s${run.error ? `: ${run.error}` : ''}
  shipments stored      ${run.records_upserted}
  pages fetched         ${run.pages_fetched}
  requests made         ${run.requests_made}
  tokens issued         ${stats.tokensIssued} (one to check the credentials, ${stats.tokensIssued - 1} after "JWT expired" mid-crawl)
  429 Too Many Requests ${stats.tooManyRequests.total}
`);

  const shopifyShop = await connectShop(api, DEMO_SHOPIFY_SHOP, 'shopify', shopifyDemoCredentials());
  say(`Connected "${shopifyShop.name}" (shop ${shopifyShop.id}); Shopify handed out a token for its app.`);
  const expected = sandboxes.shopify.expectedFulfillments(DEFAULT_SHOP).length;
  const shopifyRun = await syncWithProgress(api, shopifyShop.id, expected);
  const shopifyStats = sandboxes.shopify.stats()[DEFAULT_SHOP]!;
  const shopifySeconds = (Date.parse(shopifyRun.finished_at ?? new Date().toISOString()) - Date.parse(shopifyRun.created_at)) / 1000;
  say(`
Shopify initial sync ${shopifyRun.status} in ${shopifySeconds.toFixed(1)} s${shopifyRun.error ? `: ${shopifyRun.error}` : ''} (one bulk operation)
  shipments stored      ${shopifyRun.records_upserted} (one per fulfillment)
  GraphQL calls         ${shopifyStats.graphqlCalls}, ${shopifyStats.pointsSpent} points spent
  THROTTLED             ${shopifyStats.throttled}

List the shipments:
  curl -s -H "Authorization: Bearer ${token}" "${app.url}/shipments?limit=5"
The Shopify shop's, by order name:
  curl -s -H "Authorization: Bearer ${token}" "${app.url}/shipments?shop_id=${shopifyShop.id}&reference=%231001"
One shipment with its items, tracking events and (within a minute or two, once the clock has run) the weather:
  curl -s -H "Authorization: Bearer ${token}" "${app.url}/shipments/1"
Watch a sync's progress live (Server-Sent Events):
  curl -sN -X POST -H "Authorization: Bearer ${token}" -H "content-type: application/json" -d '{"type":"incremental"}' "${app.url}/shops/${shop.id}/syncs"
  curl -sN -H "Authorization: Bearer ${token}" "${app.url}/syncs/<id>/events"

Still serving; Ctrl-C stops.`);
}

async function connectDemoShop(api: ApiClient): Promise<{ id: number; name: string }> {
  return connectShop(api, DEMO_SHOP, 'bol', { client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret });
}

/** The Shopify sandbox's demo shop, connected by its app's client credentials. */
function shopifyDemoCredentials(): Record<string, string> {
  const c = shopCredentials(DEFAULT_SHOP);
  return { shop_domain: c.shopDomain, client_id: c.clientId, client_secret: c.clientSecret };
}

/** Connects the named shop, or gives the one a previous demo connected its credentials again. */
async function connectShop(api: ApiClient, name: string, platform: string, credentials: Record<string, string>): Promise<{ id: number; name: string }> {
  const shops = await api.request('GET', '/shops');
  const existing = (shops.body.data as { id: number; name: string }[]).find((s) => s.name === name);
  const answer = existing ? await api.request('PATCH', `/shops/${existing.id}`, { credentials }) : await api.request('POST', '/shops', { name, platform, credentials });
  if (answer.status >= 300) throw new Error(`Could not connect ${name}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Starts the shop's initial sync (or follows the one a previous stop left unfinished) with a progress bar. */
async function syncWithProgress(api: ApiClient, shopId: number, expected: number) {
  let started = await api.request('POST', `/shops/${shopId}/syncs`, { type: 'initial' });
  if (started.status === 409 && started.body?.error?.details?.sync_run_id) {
    say('A sync left unfinished by the last stop is resuming; following it.');
    started = { status: 202, body: { id: started.body.error.details.sync_run_id } };
  }
  if (started.status !== 202) throw new Error(`Could not start the sync: ${JSON.stringify(started.body)}`);
  return showSyncProgress(api, started.body.id, expected);
}

function say(text: string): void {
  process.stdout.write(text + '\n');
}
