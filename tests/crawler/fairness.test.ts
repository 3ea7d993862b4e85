import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { SyncRun } from '../../models/sync-runs.ts';
import { newClient, sandboxIds, setupCrawl } from './harness.ts';

/**
 * A big shop must not starve small ones: a job goes on with its run for one turn, then the run's
 * next step goes to the back of the queue, so a shop whose sync needs minutes shares a worker's
 * paced slots with shops that need a second.
 */
const SHIPMENTS = 450;

eachAdapterSet((set) => {
  test.serial(`${set.name}: a small shop's sync finishes while a big shop's sync is still running on the worker's one slot`, async (t) => {
    const big = newClient();
    const small = newClient();
    const { bol, env, h } = await setupCrawl(t, set, {
      seed: 31,
      shipments: SHIPMENTS,
      clients: [big, small],
      limits: { list: { capacity: 50, windowMs: 1_000 }, detail: { capacity: 500, windowMs: 1_000 } },
    });
    const bigShop = await h.addShop(big);
    const smallShop = await h.addShop(small);
    // One job in hand at a time, and turns of half a second.
    await h.startWorker({ prefetch: 1, pacedJobs: 0, turnMs: 500 });

    // The small shop is synced already (quickly, at a fast pace): its next (incremental) run has a
    // page and a few details to fetch. Then the pace drops to 50 details a second.
    const first = await h.waitForRun((await h.startSync(smallShop.id, 'initial')).id);
    t.is(first.status, 'succeeded', first.error ?? '');
    bol.addShipments(5);
    bol.setOptions({ limits: { list: { capacity: 10, windowMs: 1_000 }, detail: { capacity: 50, windowMs: 1_000 } } });

    // The big shop's initial sync needs 455 details: more than 9 s at 50 a second.
    const bigRun = await h.startSync(bigShop.id, 'initial');
    await h.waitForRun(bigRun.id, { until: (r) => r.records_upserted > 0 });
    const smallRun = await h.startSync(smallShop.id, 'incremental');
    const smallDone = await h.waitForRun(smallRun.id, { timeoutMs: 30_000 });
    const bigMeanwhile = await SyncRun.query(env.knex).findById(bigRun.id);

    t.is(smallDone.status, 'succeeded', smallDone.error ?? '');
    t.is(smallDone.records_upserted, 5, 'the small shop stored its five new shipments');
    t.true(bigMeanwhile!.status === 'running' || bigMeanwhile!.status === 'queued', `the big shop's sync was still under way (${bigMeanwhile!.status})`);
    t.true(bigMeanwhile!.records_upserted < SHIPMENTS + 5, `the big shop had stored ${bigMeanwhile!.records_upserted} of ${SHIPMENTS + 5}`);

    const bigDone = await h.waitForRun(bigRun.id);
    t.is(bigDone.status, 'succeeded', bigDone.error ?? '');
    t.deepEqual(await h.storedPlatformIds(bigShop.id), sandboxIds(bol), 'the big shop lost nothing to its turns');
    // The small shop's incremental run lists its first pages again, as it must; nothing else is asked twice.
    const repeated = bol.stats().repeated.byClient;
    t.deepEqual(repeated[big.clientId] ?? { list: 0, detail: 0 }, { list: 0, detail: 0 }, 'the big shop fetched no page or shipment twice');
    t.is(repeated[small.clientId]?.detail ?? 0, 0, 'the small shop fetched no shipment twice');
    t.is(bol.stats().tooManyRequests.total, 0, 'no 429');
  });
});
