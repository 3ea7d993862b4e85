import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import pino from 'pino';
import { startWeb } from '../../api/create-web.ts';
import { startMetricsListener } from '../../boot/metrics-listener.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { newClient, setupCrawl } from '../crawler/harness.ts';

/**
 * The operator's view: `GET /metrics` on the web and the workers' METRICS_PORT listener, scraped
 * while a real sync runs against the bol sandbox over HTTP. Counters are per process, so the
 * tests that compare before and after run serially.
 */

/** Every sample of the exposition text, `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
function sum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples(text)) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

/** The metric names the README's Metrics section lists. */
function documentedMetrics(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Metrics'), readme.indexOf('\n## ', readme.indexOf('\n## Metrics') + 5));
  return [...section.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]!);
}

const silent = pino({ level: 'silent' });

eachAdapterSet((set) => {
  test.serial(`${set.name}: /metrics moves while a sync runs: jobs, provider calls, token, sync runs, HTTP, queue depth`, async (t) => {
    t.timeout(120_000);
    const client = newClient();
    // Slow enough details (20 per second) that the run is still going at the first scrape.
    const { env, h } = await setupCrawl(t, set, { seed: 21, shipments: 120, clients: [client], limits: { list: { capacity: 10, windowMs: 1_000 }, detail: { capacity: 20, windowMs: 1_000 } } });
    const apiToken = randomBytes(24).toString('base64url');
    const metricsToken = randomBytes(24).toString('base64url');
    const web = await startWeb({ knex: env.knex, queue: env.queue, secretBox: h.secretBox, apiToken, metricsToken, logger: silent }, 0);
    t.teardown(() => web.close(1_000));
    const scrape = async () => {
      const res = await fetch(`${web.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      t.is(res.status, 200);
      t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
      return res.text();
    };

    const before = await scrape();
    for (const name of documentedMetrics()) t.true(before.includes(`# TYPE ${name} `), `${name} (listed in the README) is served`);
    t.true(documentedMetrics().length >= 15, 'the README lists the metrics');

    const shop = await h.addShop(client);
    await h.startWorker();
    const run = await h.startSync(shop.id, 'initial');
    await h.waitForRun(run.id, { until: (r) => r.status === 'running' && r.pages_fetched >= 1 });
    const during = await scrape();
    t.true(sum(during, 'shipsync_jobs_started_total', { job: 'sync.page' }) > sum(before, 'shipsync_jobs_started_total', { job: 'sync.page' }), 'sync.page jobs started');
    t.true(sum(during, 'shipsync_provider_requests_total', { provider: 'bol', status_class: '2xx' }) > sum(before, 'shipsync_provider_requests_total', { provider: 'bol', status_class: '2xx' }), 'bol calls counted');
    t.true(sum(during, 'shipsync_token_refreshes_total', { platform: 'bol' }) > sum(before, 'shipsync_token_refreshes_total', { platform: 'bol' }), 'the token fetch counted');
    t.is(sum(during, 'shipsync_sync_runs_active', { status: 'running' }), 1, 'the running sync is seen in the database');
    t.true(during.includes('shipsync_queue_jobs{queue="jobs",state="ready"}'), 'queue depth is reported');
    t.true(sum(during, 'shipsync_provider_rate_remaining', { provider: 'bol' }) >= 0);

    t.is((await h.waitForRun(run.id)).status, 'succeeded');
    // The relay counts the finished run when it claims its outcome event (every 500 ms).
    let after = await scrape();
    for (let i = 0; i < 100 && sum(after, 'shipsync_sync_runs_finished_total', { status: 'succeeded' }) <= sum(before, 'shipsync_sync_runs_finished_total', { status: 'succeeded' }); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      after = await scrape();
    }
    t.is(sum(after, 'shipsync_sync_runs_finished_total', { status: 'succeeded' }) - sum(before, 'shipsync_sync_runs_finished_total', { status: 'succeeded' }), 1, 'one finished run');
    t.true(sum(after, 'shipsync_jobs_finished_total', { job: 'sync.page', outcome: 'succeeded' }) > sum(during, 'shipsync_jobs_finished_total', { job: 'sync.page', outcome: 'succeeded' }));
    t.true(sum(after, 'shipsync_job_duration_seconds_count', { job: 'sync.page' }) > 0, 'job durations observed');
    t.is(sum(after, 'shipsync_provider_rate_limited_total', { provider: 'bol' }), sum(before, 'shipsync_provider_rate_limited_total', { provider: 'bol' }), 'no 429');
    t.is(sum(after, 'shipsync_sync_runs_active'), 0, 'nothing active after the run');
    t.true(sum(after, 'shipsync_http_requests_total', { route: '/metrics', status: '200' }) >= 3, 'HTTP requests by route pattern and status');
    t.true(after.includes('nodejs_eventloop_lag_seconds'), 'default Node metrics');
  });

  test.serial(`${set.name}: /metrics takes the API token or METRICS_TOKEN, which opens nothing else`, async (t) => {
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const apiToken = randomBytes(24).toString('base64url');
    const metricsToken = randomBytes(24).toString('base64url');
    const { createSecretBox } = await import('../../lib/secret-box.ts');
    const web = await startWeb({ knex: env.knex, queue: env.queue, secretBox: createSecretBox(randomBytes(32).toString('base64')), apiToken, metricsToken, logger: silent }, 0);
    t.teardown(() => web.close(1_000));
    const get = (path: string, token?: string) => fetch(`${web.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    t.is((await get('/metrics')).status, 401);
    t.is((await get('/metrics', 'not-the-token-at-all')).status, 401);
    t.is((await get('/metrics', metricsToken)).status, 200);
    t.is((await get('/metrics', apiToken)).status, 200);
    t.is((await get('/shops', metricsToken)).status, 401, 'the metrics token is not an API token');
    t.is((await get('/shops', apiToken)).status, 200);
  });

  test.serial(`${set.name}: a worker's METRICS_PORT listener serves the same text behind the same tokens, with its queue's depth`, async (t) => {
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const apiToken = randomBytes(24).toString('base64url');
    const metricsToken = randomBytes(24).toString('base64url');
    const listener = await startMetricsListener({ port: 0, apiToken, metricsToken, queues: { queue: env.queue }, logger: silent });
    t.teardown(() => listener.close());
    await env.queue.publish('sync.page', { sync_run_id: 1, step: 0 }, { delayMs: 60_000 });
    await env.queue.publish('sync.page', { sync_run_id: 2, step: 0 });
    await env.queue.publish('weather.fetch', { location_id: 1 });
    const url = `http://127.0.0.1:${listener.port}`;
    t.is((await fetch(`${url}/metrics`)).status, 401);
    t.is((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${apiToken}` } })).status, 200);
    t.is((await fetch(`${url}/other`, { headers: { authorization: `Bearer ${apiToken}` } })).status, 404);
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    t.is(res.status, 200);
    const text = await res.text();
    t.is(sum(text, 'shipsync_queue_jobs', { queue: 'paced', state: 'delayed' }), 1, 'sync steps are on the paced lane');
    t.is(sum(text, 'shipsync_queue_jobs', { queue: 'paced', state: 'ready' }), 1);
    t.is(sum(text, 'shipsync_queue_jobs', { queue: 'jobs', state: 'ready' }), 1, 'the weather job is on the other');
    t.is(sum(text, 'shipsync_queue_jobs', { queue: 'jobs', state: 'delayed' }), 0);
    t.is(sum(text, 'shipsync_queue_jobs', { queue: 'jobs', state: 'dead' }), 0);
    t.true(text.includes('# TYPE shipsync_jobs_finished_total counter'));
  });
});
