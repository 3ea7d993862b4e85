import { startSandboxes } from '../sandbox/start-all.ts';
import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal } from '../boot/runtime.ts';
import { startAllInOne } from '../start-all.ts';
import { ApiClient } from './api-client.ts';
import { showSyncProgress } from './progress.ts';

const DEMO_SHOP = 'Demo shop (bol sandbox)';
const DEMO_CLIENT = { clientId: 'demo-client', clientSecret: 'demo-secret' };

/**
 * `npm run demo`: the bol sandbox and shipsync on the embedded defaults in one process; a demo
 * shop is connected through the API, synced with a progress bar, and the API keeps serving.
 * The sandbox's limits are bol's proportions, sped up, and its tokens die early on purpose
 * so the crawl has to refresh them.
 */
export async function runDemo(): Promise<void> {
  const shipments = Number(process.env.DEMO_SHIPMENTS ?? 400);
  const sandboxes = await startSandboxes({
    bol: {
      shipments,
      clients: [DEMO_CLIENT],
      earlyExpiryMs: 4_000,
      limits: { list: { capacity: 50, windowMs: 5_000 }, detail: { capacity: 200, windowMs: 5_000 } },
      latencyMs: 5,
    },
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
  say(`DHL and weather sandboxes at ${sandboxes.dhl.url} and ${sandboxes.weather.url}: the clock polls DHL shipments and fetches weather by itself\n`);

  const shop = await connectDemoShop(api);
  say(`Connected "${shop.name}" (shop ${shop.id}); bol accepted its credentials.`);
  let started = await api.request('POST', `/shops/${shop.id}/syncs`, { type: 'initial' });
  if (started.status === 409 && started.body?.error?.details?.sync_run_id) {
    say('A sync left unfinished by the last stop is resuming; following it.');
    started = { status: 202, body: { id: started.body.error.details.sync_run_id } };
  }
  if (started.status !== 202) throw new Error(`Could not start the sync: ${JSON.stringify(started.body)}`);

  const run = await showSyncProgress(api, started.body.id, shipments);
  const stats = sandbox.stats();
  const seconds = (Date.parse(run.finished_at ?? new Date().toISOString()) - Date.parse(run.created_at)) / 1000;
  say(`
Initial sync ${run.status} in ${seconds.toFixed(1)} s${run.error ? `: ${run.error}` : ''}
  shipments stored      ${run.records_upserted}
  pages fetched         ${run.pages_fetched}
  requests made         ${run.requests_made}
  tokens issued         ${stats.tokensIssued} (one to check the credentials, ${stats.tokensIssued - 1} after "JWT expired" mid-crawl)
  429 Too Many Requests ${stats.tooManyRequests.total}

List the shipments:
  curl -s -H "Authorization: Bearer ${token}" "${app.url}/shipments?limit=5"
One shipment with its items, tracking events and (within a minute or two, once the clock has run) the weather:
  curl -s -H "Authorization: Bearer ${token}" "${app.url}/shipments/1"
Watch a sync's progress live (Server-Sent Events):
  curl -sN -X POST -H "Authorization: Bearer ${token}" -H "content-type: application/json" -d '{"type":"incremental"}' "${app.url}/shops/${shop.id}/syncs"
  curl -sN -H "Authorization: Bearer ${token}" "${app.url}/syncs/<id>/events"

Still serving; Ctrl-C stops.`);
}

async function connectDemoShop(api: ApiClient): Promise<{ id: number; name: string }> {
  const credentials = { client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret };
  const shops = await api.request('GET', '/shops');
  const existing = (shops.body.data as { id: number; name: string }[]).find((s) => s.name === DEMO_SHOP);
  const answer = existing
    ? await api.request('PATCH', `/shops/${existing.id}`, { credentials })
    : await api.request('POST', '/shops', { name: DEMO_SHOP, platform: 'bol', credentials });
  if (answer.status >= 300) throw new Error(`Could not connect the demo shop: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

function say(text: string): void {
  process.stdout.write(text + '\n');
}
