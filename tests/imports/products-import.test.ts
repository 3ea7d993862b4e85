import test from 'ava';
import { parse } from 'csv-parse/sync';
import { ImportView } from '../../api/import-schemas.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { parkedSubscriber } from '../helpers/subscriber.ts';
import { openEvents } from '../helpers/sse.ts';
import pino from 'pino';
import { handleImportBatch } from '../../crawler/handlers/import-batch.ts';
import { fixture, perSetImportHarness, startImportHarness, type ImportHarness } from './harness.ts';

/**
 * The Acme brief: the real Fulfil sample (998 records: 499 products twice; multi-line quoted
 * descriptions, CRLF records with LF inside fields, no final newline), mixed-case duplicate SKUs,
 * the `active` rules, broken rows, and progress as Server-Sent Events. Batches of 200 rows, so
 * every file here crosses several checkpoints.
 */
async function product(h: ImportHarness, sku: string) {
  const found = await h.request('GET', `/products?sku=${encodeURIComponent(sku)}&limit=500`);
  return found.body.data.filter((p: { sku: string }) => p.sku.toLowerCase() === sku.toLowerCase());
}

eachAdapterSet((set) => {
  const api = perSetImportHarness(test, set, { batchRows: 200 });

  test.serial(`${set.name}: the Acme sample imports 499 products with their multi-line descriptions; importing it again changes nothing`, async (t) => {
    const h = api();
    // Subscribed, so that "no product events" below is the import's choice, not an empty audience.
    await parkedSubscriber(h.env.knex, ['product.created', 'product.updated']);
    const file = fixture('fulfil/products-sample.csv');
    const upload = await h.upload('type=products', file);
    t.is(upload.status, 202, upload.text);
    t.notThrows(() => ImportView.parse(upload.body));
    t.like(upload.body, { type: 'products', status: 'queued', rows_total: 998, size_bytes: file.length });
    t.is(upload.headers.get('location'), `/imports/${upload.body.id}`);
    const done = await h.waitForImport(upload.body.id);
    t.like(done, { status: 'succeeded', rows_total: 998, rows_processed: 998, inserted: 499, updated: 0, unchanged: 499, failed_rows: 0, errors: [], error: null });

    // Every record as csv-parse reads the whole file at once: the batches lost and split nothing.
    const records = parse(file, { columns: true, bom: true }) as { name: string; sku: string; description: string }[];
    const count = await h.env.knex('products').count({ n: '*' }).first();
    t.is(Number(count?.n), 499);
    for (const r of [records[2]!, records[5]!, records[498]!]) {
      const [p] = await product(h, r.sku);
      t.is(p.name, r.name);
      t.is(p.description, r.description, 'line breaks inside the field kept as written (LF)');
    }
    t.true(records[5]!.description.includes('\n'));
    t.false(records[5]!.description.includes('\r'));

    const before = await h.env.knex('products').select('id', 'updated_at').orderBy('id');
    const again = await h.importFile('type=products', file);
    t.like(again, { status: 'succeeded', inserted: 0, updated: 0, unchanged: 998, failed_rows: 0 });
    t.deepEqual(await h.env.knex('products').select('id', 'updated_at').orderBy('id'), before, 're-importing touched no row');
    const events = await h.env.knex('domain_events').whereIn('type', ['product.created', 'product.updated']).count({ n: '*' }).first();
    t.is(Number(events?.n), 0, 'CSV imports record no product events');
    const finished = await h.env.knex('domain_events').where({ type: 'import.succeeded' }).select('data');
    t.true(finished.some((e: { data: string }) => JSON.parse(e.data).id === upload.body.id), 'import.succeeded is recorded');
  });

  test.serial(`${set.name}: a file whose SKUs repeat in later batches with new values imports the later rows; importing it again changes nothing`, async (t) => {
    const h = api();
    const rows = ['name,sku,description'];
    for (let i = 0; i < 300; i++) rows.push(`First ${i},rep-${i},first`);
    for (let i = 0; i < 300; i++) rows.push(`Second ${i},REP-${i},second`); // batches later, another case
    const file = rows.join('\r\n');
    const done = await h.importFile('type=products', file);
    t.like(done, { status: 'succeeded', inserted: 300, updated: 300, unchanged: 0, failed_rows: 0 });
    t.like((await product(h, 'rep-7'))[0], { sku: 'REP-7', name: 'Second 7', description: 'second' });

    const before = await h.env.knex('products').select('id', 'sku', 'name', 'updated_at').orderBy('id');
    const again = await h.importFile('type=products', file);
    t.like(again, { status: 'succeeded', inserted: 0, updated: 0, unchanged: 600, failed_rows: 0 });
    t.deepEqual(await h.env.knex('products').select('id', 'sku', 'name', 'updated_at').orderBy('id'), before, 'no product was written, not even for a moment');

    // Changed through the API since: the file's values come back, and count as changes.
    const [edited] = await product(h, 'rep-7');
    t.is((await h.request('PATCH', `/products/${edited.id}`, { body: { name: 'Edited' } })).status, 200);
    const restored = await h.importFile('type=products', file);
    t.like(restored, { status: 'succeeded', inserted: 0, updated: 2, unchanged: 598 });
    t.like((await product(h, 'rep-7'))[0], { id: edited.id, sku: 'REP-7', name: 'Second 7', description: 'second' });
  });

  test.serial(`${set.name}: SKUs are one product whatever their case; the latest spelling and row win, across batches and files`, async (t) => {
    const h = api();
    const rows = ['name,sku,description'];
    rows.push('First Spelling,MIX-1,first');
    for (let i = 0; i < 420; i++) rows.push(`Filler ${i},fill-${i},x`);
    rows.push('Second Spelling,mix-1,second'); // 220 rows later: another batch
    rows.push('Inside,Same-Batch,a', 'Inside again,SAME-batch,b');
    const done = await h.importFile('type=products', rows.join('\r\n'));
    t.like(done, { status: 'succeeded', rows_total: 424, inserted: 422, updated: 2, unchanged: 0, failed_rows: 0 });
    const [mix, ...others] = await product(h, 'mix-1');
    t.is(others.length, 0);
    t.like(mix, { sku: 'mix-1', name: 'Second Spelling', description: 'second' });
    const [same] = await product(h, 'same-batch');
    t.like(same, { sku: 'SAME-batch', name: 'Inside again' });

    const second = await h.importFile('type=products', 'name,sku,description\nThird,Mix-1,third\n');
    t.like(second, { inserted: 0, updated: 1 });
    const [mixAfter] = await product(h, 'MIX-1');
    t.like(mixAfter, { id: mix.id, sku: 'Mix-1', name: 'Third' });

    const created = await h.request('POST', '/products', { body: { sku: 'mix-1'.toUpperCase(), name: 'API' } });
    t.is(created.status, 409, 'the API applies the same rule');
    t.is(created.body.error.code, 'sku_taken');
  });

  test.serial(`${set.name}: a batch of new products keeps every character as written (backslashes, tabs, \\N, emoji, CR)`, async (t) => {
    const h = api();
    const tricky = ['C:\\path\\to\\file', 'tab\there', '\\N', 'N', 'emoji 📦 ünïcödé', 'cr\ronly', 'a "quoted" word', 'trailing backslash \\'];
    const rows = ['name,sku,description'];
    for (let i = 0; i < 250; i++) {
      const text = tricky[i % tricky.length]!;
      rows.push(`"${text.replace(/"/g, '""')} ${i}",chr-${i},"${text.replace(/"/g, '""')}"`);
    }
    const done = await h.importFile('type=products', rows.join('\r\n'));
    t.like(done, { status: 'succeeded', inserted: 250, failed_rows: 0 });
    for (let i = 0; i < tricky.length; i++) {
      const [p] = await product(h, `chr-${i}`);
      t.is(p.description, tricky[i], `description ${JSON.stringify(tricky[i])}`);
      t.is(p.name, `${tricky[i]} ${i}`);
    }
  });

  test.serial(`${set.name}: active comes from an active column; without one new products are active and existing ones keep their flag`, async (t) => {
    const h = api();
    const withFlags = await h.importFile('type=products', 'name,sku,description,active\nOn,zq-act-1,,true\nOff,zq-act-2,,no\nBlank,zq-act-3,,\n');
    t.like(withFlags, { inserted: 3, failed_rows: 0 });
    const flags = async () => Object.fromEntries((await h.request('GET', '/products?sku=zq-act-&limit=10')).body.data.map((p: { sku: string; active: boolean }) => [p.sku, p.active]));
    t.deepEqual(await flags(), { 'zq-act-1': true, 'zq-act-2': false, 'zq-act-3': true });
    const without = await h.importFile('type=products', 'name,sku\nOn renamed,zq-act-1\nOff renamed,ZQ-ACT-2\nNew,zq-act-4\n');
    t.like(without, { inserted: 1, updated: 2 });
    t.deepEqual(await flags(), { 'zq-act-1': true, 'ZQ-ACT-2': false, 'zq-act-3': true, 'zq-act-4': true });
    const [off] = await product(h, 'zq-act-2');
    t.is(off.description, null, 'a file without a description column keeps the description');
    t.is((await h.request('GET', '/products?sku=zq-act-&active=false')).body.data.length, 1);
  });

  test.serial(`${set.name}: broken rows are reported with line and reason, the rest imports; errors.csv has them all`, async (t) => {
    const h = api();
    const file = [
      'name,sku,description,active',
      'Good one,ok-1,"multi',
      'line",1',
      'No sku,,desc,1',
      'Too,many,fields,1,extra',
      'Bad flag,ok-2,x,maybe',
      ',ok-3,no name,1',
      'Good two,ok-4,"=SUM(A1:A9)",0',
      'Unclosed,ok-5,"this quote never closes,1',
      'Swallowed,ok-6,x,1',
    ].join('\r\n');
    const done = await h.importFile('type=products', file);
    t.is(done.status, 'succeeded');
    t.like(done, { inserted: 2, failed_rows: 5 });
    t.deepEqual(
      done.errors.map((e: { line: number; record: number; reason: string }) => [e.line, e.record, e.reason.slice(0, 20)]),
      [
        [4, 2, 'sku is missing'],
        [5, 3, 'has 5 fields, the he'],
        [6, 4, 'active "maybe" is no'],
        [7, 5, 'name is missing'],
        [9, 7, 'a quoted field is ne'],
      ],
    );
    const csv = await h.request('GET', `/imports/${done.id}/errors.csv`);
    t.is(csv.status, 200);
    t.regex(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const rows = parse(csv.text, { bom: true, columns: true }) as Record<string, string>[];
    t.deepEqual(Object.keys(rows[0]!), ['line', 'record', 'reason', 'row']);
    t.is(rows.length, 5);
    t.is(rows[1]!.row, 'Too,many,fields,1,extra');
    t.is((await h.request('GET', '/imports/987654/errors.csv')).status, 404);
  });

  test.serial(`${set.name}: a file without the columns its type needs is refused at upload, an empty one too`, async (t) => {
    const h = api();
    const missing = await h.upload('type=products', 'title_of_thing,description\nA,b');
    t.is(missing.status, 422);
    t.deepEqual(missing.body.error.details, [{ field: 'file', reason: missing.body.error.details[0].reason }]);
    t.regex(missing.body.error.message, /"sku"/);
    const empty = await h.upload('type=products', '');
    t.is(empty.status, 422);
    t.regex(empty.body.error.message, /empty/);
    const headerOnly = await h.importFile('type=products', 'name,sku\r\n');
    t.like(headerOnly, { status: 'succeeded', rows_total: 0, rows_processed: 0 });
  });

  test.serial(`${set.name}: /imports/:id/events streams progress to a real HTTP client, then done; a late client gets the final state at once`, async (t) => {
    // No worker: the test commits the batches itself, one at a time, and watches each arrive.
    const h = await startImportHarness(set, { worker: false });
    t.teardown(() => h.close());
    const rows = ['name,sku,description'];
    for (let i = 0; i < 1000; i++) rows.push(`Product ${i},sse-${i},"line one\nline two"`);
    const upload = await h.upload('type=products', rows.join('\r\n'));
    t.is(upload.status, 202);
    const stream = await openEvents(h.url + `/imports/${upload.body.id}/events`, h.token);
    t.is(stream.response.statusCode, 200);
    t.regex(String(stream.response.headers['content-type']), /^text\/event-stream/);
    const first = await stream.next();
    t.is(first.event, 'progress');
    t.like(first.data, { status: 'queued', rows_total: 1000, rows_processed: 0 }, 'the total is known from the first event');

    const deps = { knex: h.env.knex, queue: h.env.queue, logger: pino({ level: 'silent' }), batchRows: 300, budgetMs: 0 };
    const ctx = { redelivered: false, attempt: 0, signal: new AbortController().signal, setPayload() {} };
    const seen: number[] = [];
    for (let step = 0; step < 4; step++) {
      await handleImportBatch(deps, { import_id: upload.body.id, step }, ctx);
      // (A poll may also catch the moment the import turned `running`, before its first commit.)
      let e = await stream.next();
      while (e.data.rows_processed === (seen.at(-1) ?? 0)) e = await stream.next();
      t.is(e.event, 'progress');
      seen.push(e.data.rows_processed);
    }
    t.deepEqual(seen, [300, 600, 900, 1000]);
    const done = await stream.next();
    t.is(done.event, 'done');
    t.like(done.data, { status: 'succeeded', rows_processed: 1000, inserted: 1000 });
    t.true(await stream.ended());

    const late = await openEvents(h.url + `/imports/${upload.body.id}/events`, h.token);
    const again = await late.next();
    const lateDone = await late.next();
    t.is(again.event, 'progress');
    t.is(lateDone.event, 'done');
    t.is(lateDone.data.status, 'succeeded');
    t.true(await late.ended());
    t.is((await h.request('GET', '/imports/987654/events')).status, 404);
  });
});
