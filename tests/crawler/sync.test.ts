import test from 'ava';
import type { BolSandbox } from '../../sandbox/bol/index.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { Shop } from '../../models/shops.ts';
import { requestBolToken } from '../../crawler/connectors/bol/token.ts';
import { SyncRun } from '../../models/sync-runs.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import { loseJobs, refusingOnce } from '../helpers/lose-jobs.ts';
import { CountingQueue, MINUTE_MS, SimTime, silentLogger, testClock } from '../scheduler/sim.ts';
import { newClient, sandboxIds, setupCrawl, TEST_RATE_MARGIN } from './harness.ts';
import { createLogger } from '../../config/logger.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';
import { handleSyncPage } from '../../crawler/handlers/sync-page.ts';

/**
 * Fires detail requests with the shop's own credentials, `rounds` windows in a row, so the
 * crawler finds the budget gone. Returns how many 429s these rival requests got themselves.
 */
async function spendDetailBudget(bol: BolSandbox, client: { clientId: string; clientSecret: string }, rounds: number): Promise<number> {
  const token = await requestBolToken(bol.url, client);
  const id = bol.shipments[0]!.shipmentId;
  let tooMany = 0;
  for (let round = 0; round < rounds; round++) {
    await new Promise((r) => setTimeout(r, 300));
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${bol.url}/retailer/shipments/${id}`, { headers: { authorization: `Bearer ${token.accessToken}`, accept: 'application/vnd.retailer.v10+json' } }),
      ),
    );
    tooMany += answers.filter((a) => a.status === 429).length;
    await new Promise((r) => setTimeout(r, 700));
  }
  return tooMany;
}

/** Every request the sandbox saw, as the run should have counted it. */
function totalRequests(bol: BolSandbox): number {
  const r = bol.stats().requests;
  return r.token + r.list + r.detail + r.ratelimits;
}

eachAdapterSet((set) => {
  test.serial(`${set.name}: an initial sync with short-lived tokens, tight limits and 2% server errors ends with exactly the platform's shipments`, async (t) => {
    const client = newClient();
    const { bol, env, h } = await setupCrawl(t, set, {
      seed: 11,
      shipments: 160,
      clients: [client],
      earlyExpiryMs: 1_500,
      serverErrorRate: 0.02,
      limits: { list: { capacity: 5, windowMs: 1_000 }, detail: { capacity: 25, windowMs: 1_000 } },
    });
    const shop = await h.addShop(client);
    await h.startWorker();
    const run = await h.startSync(shop.id, 'initial');
    const done = await h.waitForRun(run.id);

    t.is(done.status, 'succeeded', done.error ?? '');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
    const stats = bol.stats();
    t.is(stats.tooManyRequests.total, 0, 'no 429');
    t.true(stats.injectedServerErrors.total > 0, 'the sandbox did inject server errors');
    t.true(stats.jwtExpired > 0 && stats.tokensIssued >= 2, 'the token expired mid-crawl and was refreshed');
    t.true(stats.windows[client.clientId]!.detail.maxInWindow <= 25);
    for (const [id, c] of Object.entries(stats.detailByShipmentId)) t.is(c.ok, 1, `details of ${id} fetched once`);
    for (const pages of Object.values(stats.listByPage)) for (const [page, c] of Object.entries(pages)) t.is(c.ok, 1, `page ${page} fetched once`);
    t.is(done.requests_made, totalRequests(bol), "the run's request count is what the platform saw");
    t.is(done.records_upserted, 160);

    // What support staff see: carrier, tracking code, receiver and items as bol has them.
    const sample = bol.shipments[17]!;
    const row = await env.knex('shipments').where({ shop_id: shop.id, platform_id: sample.shipmentId }).first();
    t.is(row.carrier, sample.detail.transport?.transporterCode ?? null);
    t.is(row.tracking_number, sample.detail.transport?.trackAndTrace ?? null);
    t.is(row.receiver_city, sample.detail.shipmentDetails?.city ?? null);
    t.is(row.receiver_country, sample.detail.shipmentDetails?.countryCode ?? null);
    const items = await env.knex('shipment_items').where({ shipment_id: row.id });
    t.is(items.length, sample.detail.shipmentItems.length);
    const events = await env.knex('tracking_events').where({ shipment_id: row.id });
    t.is(events.length, sample.detail.transport?.transportEvents?.length ?? 0);
  });

  test.serial(`${set.name}: an incremental sync fetches only the new shipments`, async (t) => {
    const client = newClient();
    const { bol, env, h } = await setupCrawl(t, set, { seed: 12, shipments: 130, clients: [client], limits: { list: { capacity: 20, windowMs: 200 }, detail: { capacity: 40, windowMs: 200 } } });
    const shop = await h.addShop(client);
    await h.startWorker();
    t.is((await h.waitForRun((await h.startSync(shop.id, 'initial')).id)).status, 'succeeded');

    const added = bol.addShipments(7);
    bol.resetStats();
    const done = await h.waitForRun((await h.startSync(shop.id, 'incremental')).id);

    t.is(done.status, 'succeeded', done.error ?? '');
    t.is(done.records_upserted, 7);
    const stats = bol.stats();
    t.deepEqual(Object.keys(stats.detailByShipmentId).sort(), added.map((s) => s.shipmentId).sort(), 'details asked only for the new shipments');
    t.is(stats.requests.list, 2, 'one list page per fulfilment method: each already reaches known shipments');
    t.is(stats.requests.token, 0, 'the stored token is reused');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
  });

  test.serial(`${set.name}: a worker stopped mid-sync hands over; another worker finishes with nothing lost or fetched twice`, async (t) => {
    const client = newClient();
    const { bol, env, h } = await setupCrawl(t, set, { seed: 13, shipments: 160, clients: [client], limits: { list: { capacity: 5, windowMs: 1_000 }, detail: { capacity: 25, windowMs: 1_000 } } });
    const shop = await h.addShop(client);
    const first = await h.startWorker({ prefetch: 1 });
    const run = await h.startSync(shop.id, 'initial');
    await h.waitForRun(run.id, { until: (r) => r.records_upserted >= 50 });
    const stopStartedAt = Date.now();
    await first.stop(5_000);
    t.log(`stop took ${Date.now() - stopStartedAt} ms`);
    const paused = await h.waitForRun(run.id, { until: () => true });
    t.is(paused.status, 'running', 'the run is unfinished when the first worker stops');

    await h.startWorker({ prefetch: 1 });
    const done = await h.waitForRun(run.id);
    t.is(done.status, 'succeeded', done.error ?? '');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
    const stats = bol.stats();
    // Asked again only when the first answer did not arrive: a shipment is never fetched twice over.
    for (const [id, c] of Object.entries(stats.detailByShipmentId)) t.is(c.ok, 1, `details of ${id} answered once (asked ${c.requests} times)`);
    t.is(stats.tooManyRequests.total, 0);
  });

  test.serial(`${set.name}: three workers syncing two shops keep each shop inside its limits, with no 429`, async (t) => {
    const a = newClient();
    const b = newClient();
    const limits = { list: { capacity: 5, windowMs: 1_000 }, detail: { capacity: 20, windowMs: 1_000 } };
    const { bol, env, h } = await setupCrawl(t, set, { seed: 14, shipments: 120, clients: [a, b], limits, latencyMs: 15 });
    const shopA = await h.addShop(a);
    const shopB = await h.addShop(b);
    for (let i = 0; i < 3; i++) await h.startWorker({ prefetch: 2 });
    const runs = await Promise.all([h.startSync(shopA.id, 'initial'), h.startSync(shopB.id, 'initial')]);
    const done = await Promise.all(runs.map((r) => h.waitForRun(r.id)));
    t.deepEqual(done.map((r) => r.status), ['succeeded', 'succeeded']);
    t.deepEqual(await h.storedPlatformIds(shopA.id), sandboxIds(bol));
    t.deepEqual(await h.storedPlatformIds(shopB.id), sandboxIds(bol));
    const stats = bol.stats();
    t.is(stats.tooManyRequests.total, 0, JSON.stringify({ tooMany: stats.tooManyRequests, windows: stats.windows }));
    for (const c of [a, b]) {
      t.true(stats.windows[c.clientId]!.detail.maxInWindow <= limits.detail.capacity, `${c.clientId} detail peak`);
      t.true(stats.windows[c.clientId]!.list.maxInWindow <= limits.list.capacity, `${c.clientId} list peak`);
    }
  });

  test.serial(`${set.name}: a 429 makes the job wait for Retry-After without spending an attempt`, async (t) => {
    const client = newClient();
    const limits = { list: { capacity: 5, windowMs: 1_000 }, detail: { capacity: 10, windowMs: 1_000 } };
    const { bol, env, h } = await setupCrawl(t, set, { seed: 15, shipments: 60, clients: [client], limits });
    const shop = await h.addShop(client);
    // One attempt only: if a 429 cost an attempt, the run would fail at the first one.
    await h.startWorker({ maxAttempts: 1 });
    const run = await h.startSync(shop.id, 'initial');
    // Another integration on the same bol account spends the detail budget meanwhile.
    const rival = await spendDetailBudget(bol, client, 4);
    const done = await h.waitForRun(run.id, { timeoutMs: 120_000 });
    t.true(bol.stats().tooManyRequests.detail > rival, 'the crawler met 429s of its own');
    t.is(done.status, 'succeeded', done.error ?? '');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
  });

  test.serial(`${set.name}: refused credentials fail the sync with a reason a person can act on, without a retry storm`, async (t) => {
    const good = newClient();
    const inactive = { ...newClient(), active: false };
    const { bol, env, h } = await setupCrawl(t, set, { seed: 16, shipments: 20, clients: [good, inactive] });
    await h.startWorker();

    const wrong = await h.addShop({ clientId: good.clientId, clientSecret: 'not-the-secret' });
    const failed = await h.waitForRun((await h.startSync(wrong.id, 'initial')).id);
    t.is(failed.status, 'failed');
    t.regex(failed.error ?? '', /refused.*PATCH \/shops/s);
    const shop = await Shop.query(env.knex).findById(wrong.id);
    t.is(shop!.status, 'credentials_refused');
    t.is(bol.stats().requests.token, 1, 'one token request, no retries');
    t.is(bol.stats().requests.list, 0);
    const again = await h.startSync(wrong.id, 'initial');
    t.is((await h.waitForRun(again.id)).error?.includes('credentials refused'), true, 'the shop is not synced again until its credentials are replaced');
    t.is(bol.stats().requests.token, 1);

    const blocked = await h.addShop(inactive);
    const forbidden = await h.waitForRun((await h.startSync(blocked.id, 'initial')).id);
    t.is(forbidden.status, 'failed');
    t.regex(forbidden.error ?? '', /403.*not active/s);
    t.true(bol.stats().requests.list <= 2, 'a 403 is not retried');
  });
  test.serial(`${set.name}: a step whose next job the broker refused is carried on by the job's retry`, async (t) => {
    const client = newClient();
    const { bol, env, h } = await setupCrawl(t, set, { seed: 15, shipments: 160, clients: [client], limits: { list: { capacity: 20, windowMs: 200 }, detail: { capacity: 40, windowMs: 200 } } });
    const shop = await h.addShop(client);
    const queue = refusingOnce(env.queue, (name, payload) => name === 'sync.page' && (payload as { step: number }).step === 2);
    // One step per job, so each step publishes the next.
    await h.startWorker({ queue, turnMs: 0 });
    const done = await h.waitForRun((await h.startSync(shop.id, 'initial')).id);

    t.is(queue.refused, 1, 'the publish of step 2 was refused after step 1 committed');
    t.is(done.status, 'succeeded', done.error ?? '');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
    for (const [id, c] of Object.entries(bol.stats().detailByShipmentId)) t.is(c.ok, 1, `details of ${id} fetched once`);
  });

  test.serial(`${set.name}: a job redelivered after its worker died several steps into its turn publishes the run's next step`, async (t) => {
    const client = newClient();
    const { bol, env, h } = await setupCrawl(t, set, { seed: 18, shipments: 240, clients: [client], limits: { list: { capacity: 20, windowMs: 200 }, detail: { capacity: 40, windowMs: 200 } } });
    const shop = await h.addShop(client);
    // A turn that committed steps 0 and 1 (and maybe more) and died before publishing the next:
    // the steps are done one per job here, then the worker stops and the next job is lost.
    const worker = await h.startWorker({ turnMs: 0 });
    const run = await h.startSync(shop.id, 'initial');
    await h.waitForRun(run.id, { until: (r) => r.step >= 2 });
    await worker.stop(5_000);
    const stuck = await h.waitForRun(run.id, { until: () => true });
    t.is(stuck.status, 'running');
    await loseJobs(env.queue, 1);

    // The broker hands the turn's own job (step 0) to another worker.
    const published: unknown[] = [];
    const queue = { ...env.queue, publish: async (name: string, payload: unknown, opts?: Parameters<typeof env.queue.publish>[2]) => (published.push(payload), env.queue.publish(name, payload, opts)) };
    const deps = { knex: env.knex, queue, secretBox: h.secretBox, logger: createLogger({ level: 'silent' }), platforms: platformsFromEnv({ BOL_LOGIN_URL: bol.url, BOL_API_URL: bol.url }), rateMargin: TEST_RATE_MARGIN };
    await handleSyncPage(deps, { sync_run_id: run.id, step: 0 }, { redelivered: true, attempt: 0, signal: new AbortController().signal, setPayload: () => undefined });
    t.deepEqual(published, [{ sync_run_id: run.id, step: stuck.step }]);

    await h.startWorker();
    const done = await h.waitForRun(run.id, { timeoutMs: 30_000 });
    t.is(done.status, 'succeeded', done.error ?? '');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
    for (const [id, c] of Object.entries(bol.stats().detailByShipmentId)) t.is(c.ok, 1, `details of ${id} fetched once`);
  });

  test.serial(`${set.name}: a sync run whose job was lost is carried on by the clock's sweep once it has stood still for 30 minutes`, async (t) => {
    const client = newClient();
    const { bol, env, h } = await setupCrawl(t, set, { seed: 16, shipments: 60, clients: [client], limits: { list: { capacity: 20, windowMs: 200 }, detail: { capacity: 40, windowMs: 200 } } });
    const shop = await h.addShop(client);
    const run = await h.startSync(shop.id, 'initial');
    t.deepEqual(await loseJobs(env.queue, 1), ['sync.page']);
    await h.startWorker();
    const queue = new CountingQueue(env.queue);
    const sim = new SimTime(Date.now());
    const clock = testClock(env.knex, sim, buildSchedules({ knex: env.knex, queue, logger: silentLogger, weather: false }).filter((s) => s.name === 'chains.sweep'));

    const early = await clock.tick(sim.set(Date.now() + 10 * MINUTE_MS));
    t.true(early.some((r) => r.claimed && !r.error), 'the sweep ran');
    t.is(queue.count('sync.page'), 0, 'ten quiet minutes are not yet a lost job');
    t.is((await SyncRun.query(env.knex).findById(run.id))!.status, 'queued');

    const late = await clock.tick(sim.set(Date.now() + 31 * MINUTE_MS));
    t.true(late.some((r) => r.claimed && !r.error), 'the sweep ran again');
    t.deepEqual(queue.payloads('sync.page'), [{ sync_run_id: run.id, step: 0 }]);
    const done = await h.waitForRun(run.id);
    t.is(done.status, 'succeeded', done.error ?? '');
    t.deepEqual(await h.storedPlatformIds(shop.id), sandboxIds(bol));
  });
});
