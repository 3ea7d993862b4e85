import test from 'ava';
import { enqueue } from '../../crawler/jobs.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { createImportFileStore } from '../../models/import-file-store.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import { loseJobs } from '../helpers/lose-jobs.ts';
import { CountingQueue, MINUTE_MS, SimTime, silentLogger, testClock } from '../scheduler/sim.ts';
import { startImportHarness } from './harness.ts';

/**
 * Jobs are small and resumable: a worker that stops mid-file hands its batch back, the next
 * worker goes on from the checkpoint committed with the last batch, and a duplicate job (a
 * redelivery of a committed step) changes nothing.
 */
eachAdapterSet((set) => {
  test.serial(`${set.name}: an import stopped mid-file resumes from its checkpoint on another worker, with nothing lost or counted twice`, async (t) => {
    const h = await startImportHarness(set, { worker: false });
    t.teardown(() => h.close());
    const rows = ['name,sku,description'];
    for (let i = 0; i < 8000; i++) rows.push(`Product ${i},res-${i % 6000},"a\nb"`);
    const upload = await h.upload('type=products', rows.join('\r\n'));
    t.is(upload.status, 202);
    const first = await h.startWorker(50);
    // Let it commit a few batches, then stop it as a deploy would.
    for (;;) {
      const now = await h.request('GET', `/imports/${upload.body.id}`);
      if (now.body.rows_processed >= 300) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.stop(5_000);
    const halfway = (await h.request('GET', `/imports/${upload.body.id}`)).body;
    t.is(halfway.status, 'running');
    t.true(halfway.rows_processed < 8000, `stopped at ${halfway.rows_processed}`);

    await h.startWorker(50);
    const done = await h.waitForImport(upload.body.id);
    t.like(done, { status: 'succeeded', rows_total: 8000, rows_processed: 8000, inserted: 6000, updated: 2000, unchanged: 0, failed_rows: 0 });
    t.is(Number((await h.env.knex('products').count({ n: '*' }).first())?.n), 6000);

    // A stale job for an earlier step does nothing.
    await enqueue(h.env.queue, 'import.batch', { import_id: upload.body.id, step: 3 });
    await new Promise((r) => setTimeout(r, 300));
    t.deepEqual((await h.request('GET', `/imports/${upload.body.id}`)).body, done);
    if (set.dialect === 'mysql') t.is(Number((await h.env.knex('import_file_chunks').count({ n: '*' }).first())?.n), 0, 'the stored file is removed once imported');
  });
});

eachAdapterSet((set) => {
  test.serial(`${set.name}: an import that cannot go on fails with a reason a person can act on, and import.failed is recorded`, async (t) => {
    const h = await startImportHarness(set, { worker: false });
    t.teardown(() => h.close());
    const upload = await h.upload('type=products', 'name,sku\nA,lost-1\n');
    t.is(upload.status, 202);
    // The stored file disappears before a worker gets to it (a storage mishap).
    const row = await h.env.knex('imports').where({ id: upload.body.id }).first('upload_key');
    await createImportFileStore(h.env.knex).remove(row.upload_key);
    await h.startWorker();
    const done = await h.waitForImport(upload.body.id);
    t.is(done.status, 'failed');
    t.regex(done.error, /^The uploaded file is no longer stored.*upload the file again/);
    const events = await h.env.knex('domain_events').where({ type: 'import.failed' }).select('data');
    t.deepEqual(events.map((e: { data: string }) => JSON.parse(e.data).id), [upload.body.id]);
  });
  test.serial(`${set.name}: an import whose job was lost is carried on by the clock's sweep once it has stood still for 30 minutes`, async (t) => {
    const h = await startImportHarness(set, { worker: false });
    t.teardown(() => h.close());
    const upload = await h.upload('type=products', 'sku,name\r\nlost-1,One\r\nlost-2,Two\r\nLOST-1,One again\r\n');
    t.is(upload.status, 202);
    t.deepEqual(await loseJobs(h.env.queue, 1), ['import.batch']);
    await h.startWorker();
    const queue = new CountingQueue(h.env.queue);
    const sim = new SimTime(Date.now());
    const clock = testClock(h.env.knex, sim, buildSchedules({ knex: h.env.knex, queue, logger: silentLogger, weather: false }).filter((s) => s.name === 'chains.sweep'));

    await clock.tick(sim.set(Date.now() + 10 * MINUTE_MS));
    t.is(queue.count('import.batch'), 0, 'ten quiet minutes are not yet a lost job');
    t.is((await h.request('GET', `/imports/${upload.body.id}`)).body.status, 'queued');

    await clock.tick(sim.set(Date.now() + 31 * MINUTE_MS));
    t.deepEqual(queue.payloads('import.batch'), [{ import_id: upload.body.id, step: 0 }]);
    t.like(await h.waitForImport(upload.body.id), { status: 'succeeded', rows_processed: 3, inserted: 2, updated: 1, failed_rows: 0 });
  });
});
