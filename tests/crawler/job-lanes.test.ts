import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { startDeletion } from '../../crawler/deletions/start-deletion.ts';
import { SyncRun } from '../../models/sync-runs.ts';
import { newClient, setupCrawl } from './harness.ts';
import { waitFor } from '../scheduler/sim.ts';

/**
 * Paced jobs (sync steps) travel on a lane of the job queue of their own: with more shops' steps
 * queued than a worker holds, a job of another kind published after them (here a shop's deletion)
 * is taken at once, not after every step ahead of it was handed out.
 */
const SHOPS = 6;

eachAdapterSet((set) => {
  test.serial(`${set.name}: a shop's deletion started behind ${SHOPS} queued syncs runs at once, while most of them still wait for the worker`, async (t) => {
    const clients = Array.from({ length: SHOPS }, () => newClient());
    const { env, h } = await setupCrawl(t, set, {
      seed: 41,
      shipments: 30,
      clients,
      // 30 details at 10 a second: each shop's sync needs about 3 s, and the worker holds two.
      limits: { list: { capacity: 10, windowMs: 1_000 }, detail: { capacity: 10, windowMs: 1_000 } },
    });
    const shops = [];
    for (const c of clients) shops.push(await h.addShop(c));
    const leaving = await h.addShop(newClient());
    await h.startWorker({ prefetch: 1, pacedJobs: 2 });

    const runs = [];
    for (const shop of shops) runs.push(await h.startSync(shop.id, 'initial'));
    await h.waitForRun(runs[0]!.id, { until: (r) => r.records_upserted > 0 });
    const { deletion } = await startDeletion({ knex: env.knex, queue: env.queue }, { target: 'shop', shopId: leaving.id });

    await waitFor(async () => Boolean(await env.knex('deletions').where({ id: deletion.id, status: 'succeeded' }).first()), { intervalMs: 50, what: () => 'the deletion to finish' });
    const stillSyncing = await SyncRun.query(env.knex).whereIn('id', runs.map((r) => r.id)).whereNotIn('status', ['succeeded', 'failed']).resultSize();

    t.is((await env.knex('shops').where({ id: leaving.id })).length, 0, 'the shop is gone');
    t.true(stillSyncing >= SHOPS - 2, `${stillSyncing} of ${SHOPS} syncs were still under way when the deletion finished`);
    for (const run of runs) t.is((await h.waitForRun(run.id)).status, 'succeeded', 'every sync finishes');
  });
});
