import { gzipSync } from 'node:zlib';
import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { fixture, perSetImportHarness } from './harness.ts';

/**
 * Upload limits and forms: a file over the configured size is a 413 (declared up front or found
 * while streaming), what is not CSV a 415, a multipart form's `file` field works like a raw body,
 * and the JSON routes still parse JSON.
 */
const LIMIT = 64 * 1024;

eachAdapterSet((set) => {
  const api = perSetImportHarness(test, set, { maxUploadBytes: LIMIT });

  test.serial(`${set.name}: a file over the upload limit is refused with 413 and nothing is stored`, async (t) => {
    const h = api();
    const big = 'name,sku\r\n' + Array.from({ length: 5000 }, (_, i) => `Product ${i},big-${i}`).join('\r\n');
    t.true(big.length > LIMIT);
    const declared = await h.upload('type=products', big);
    t.is(declared.status, 413);
    t.is(declared.body.error.code, 'payload_too_large');
    t.regex(declared.body.error.message, /64 KB/);

    // Chunked, no Content-Length: found while streaming.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await fetch(`${h.url}/imports?type=products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    t.is(streamed.status, 413);
    t.is(((await streamed.json()) as any).error.code, 'payload_too_large');
    t.is(Number((await h.env.knex('imports').count({ n: '*' }).first())?.n), 0);
    if (set.dialect === 'mysql') t.is(Number((await h.env.knex('import_file_chunks').count({ n: '*' }).first())?.n), 0, 'the chunks stored so far are removed');
    const health = await h.request('GET', '/imports');
    t.is(health.status, 200, 'the server still answers');
  });

  test(`${set.name}: what is not CSV is a 415`, async (t) => {
    const h = api();
    const json = await h.upload('type=products', '{"name":"x"}', { contentType: 'application/json' });
    t.is(json.status, 415);
    t.is(json.body.error.code, 'unsupported_media_type');
    t.regex(json.body.error.message, /text\/csv/);
    const form = await h.upload('type=products', 'name=x', { contentType: 'application/x-www-form-urlencoded' });
    t.is(form.status, 415);
    const gzip = await h.upload('type=products', gzipSync('name,sku\nA,a'), { contentType: 'text/csv' });
    t.is(gzip.status, 415);
    t.regex(gzip.body.error.message, /not text/);
    const png = new FormData();
    png.append('file', new Blob([Buffer.from('89504e470d0a1a0a', 'hex')], { type: 'image/png' }), 'photo.png');
    const multipartPng = await fetch(`${h.url}/imports?type=products`, { method: 'POST', headers: { authorization: `Bearer ${h.token}` }, body: png });
    t.is(multipartPng.status, 415);
  });

  test(`${set.name}: the file field of a multipart form imports like a raw body`, async (t) => {
    const h = api();
    const form = new FormData();
    form.append('note', 'ignored');
    form.append('file', new Blob([fixture('parcellab/shipments.csv')], { type: 'text/csv' }), 'shipments.csv');
    const answer = await fetch(`${h.url}/imports?type=shipments`, { method: 'POST', headers: { authorization: `Bearer ${h.token}` }, body: form });
    const body = (await answer.json()) as any;
    t.is(answer.status, 202, JSON.stringify(body));
    t.like(body, { filename: 'shipments.csv', rows_total: 9, status: 'queued' });
    const done = await h.waitForImport(body.id);
    t.like(done, { status: 'succeeded', rows_processed: 9, failed_rows: 0 });

    const noFile = new FormData();
    noFile.append('other', new Blob(['a,b'], { type: 'text/csv' }), 'x.csv');
    const missing = await fetch(`${h.url}/imports?type=shipments`, { method: 'POST', headers: { authorization: `Bearer ${h.token}` }, body: noFile });
    t.is(missing.status, 400);
    t.is(((await missing.json()) as any).error.details[0].field, 'file');
  });

  test(`${set.name}: uploads need the token and a type; JSON routes still read JSON`, async (t) => {
    const h = api();
    const named = await fetch(`${h.url}/imports?type=products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="catalogue.csv"' },
      body: 'name,sku\nA,named-1',
    });
    t.like(await named.json(), { filename: 'catalogue.csv', rows_total: 1 });
    t.is((await h.request('POST', '/imports?type=products', { token: null, body: 'name,sku\nA,a', headers: { 'content-type': 'text/csv' } })).status, 401);
    const noType = await h.upload('', 'name,sku\nA,a');
    t.is(noType.status, 400);
    t.deepEqual(noType.body.error.details, [{ field: 'type', reason: 'is required' }]);
    const extra = await h.upload('type=products&event=pickup', 'name,sku\nA,a');
    t.is(extra.status, 400);
    t.is(extra.body.error.details[0].field, 'event');
    const created = await h.request('POST', '/products', { body: { sku: 'json-1', name: 'Still JSON' } });
    t.is(created.status, 201, created.text);
    const broken = await h.request('POST', '/products', { body: '{"sku":', headers: { 'content-type': 'application/json' } });
    t.is(broken.status, 400);
    t.is(broken.body.error.code, 'invalid_json');
  });
});
