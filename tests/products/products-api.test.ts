import test from 'ava';
import { parse } from 'csv-parse/sync';
import { ProductList, ProductView } from '../../api/import-schemas.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { parkedSubscriber } from '../helpers/subscriber.ts';
import { perSetImportHarness, type ImportHarness } from '../imports/harness.ts';

/**
 * The catalogue API: CRUD with the case-insensitive SKU rule, product events in the outbox,
 * substring filters with keyset pages, delete-all behind its confirmation, and the CSV export
 * (formula-like cells neutralised, re-importable).
 */
async function eventsOf(h: ImportHarness, type: string): Promise<any[]> {
  const rows = await h.env.knex('domain_events').where({ type }).orderBy('id').select('data');
  return rows.map((r: { data: string }) => JSON.parse(r.data));
}

eachAdapterSet((set) => {
  const api = perSetImportHarness(test, set, { worker: true });

  test.serial(`${set.name}: create, read, patch, put and delete a product, each with its event`, async (t) => {
    const h = api();
    await parkedSubscriber(h.env.knex, ['product.created', 'product.updated', 'product.deleted']);
    const created = await h.request('POST', '/products', { body: { sku: ' Crud-1 ', name: 'Mug', description: 'Blue\nmug' } });
    t.is(created.status, 201, created.text);
    t.notThrows(() => ProductView.parse(created.body));
    t.like(created.body, { sku: 'Crud-1', name: 'Mug', description: 'Blue\nmug', active: true });
    t.is(created.headers.get('location'), `/products/${created.body.id}`);
    const id = created.body.id;
    t.deepEqual((await h.request('GET', `/products/${id}`)).body, created.body);

    const dup = await h.request('POST', '/products', { body: { sku: 'CRUD-1', name: 'Other' } });
    t.is(dup.status, 409);
    t.like(dup.body.error, { code: 'sku_taken', details: { field: 'sku', product_id: id } });

    const patched = await h.request('PATCH', `/products/${id}`, { body: { active: false, sku: 'crud-1' } });
    t.is(patched.status, 200);
    t.like(patched.body, { sku: 'crud-1', name: 'Mug', active: false, description: 'Blue\nmug' });
    const put = await h.request('PUT', `/products/${id}`, { body: { sku: 'CRUD-1', name: 'Big mug' } });
    t.like(put.body, { sku: 'CRUD-1', name: 'Big mug', description: null, active: true }, 'PUT replaces: left-out fields take their defaults');

    const other = await h.request('POST', '/products', { body: { sku: 'crud-2', name: 'Plate' } });
    t.is((await h.request('PATCH', `/products/${other.body.id}`, { body: { sku: 'Crud-1' } })).status, 409);

    for (const [method, body, field] of [
      ['POST', { name: 'No sku' }, 'sku'],
      ['POST', { sku: 'x', name: '' }, 'name'],
      ['POST', { sku: 'x', name: 'y', active: 'yes' }, 'active'],
      ['POST', { sku: 'x', name: 'y', colour: 'red' }, 'colour'],
      ['PATCH', {}, 'body'],
    ] as const) {
      const bad = await h.request(method, method === 'POST' ? '/products' : `/products/${id}`, { body });
      t.is(bad.status, 400, JSON.stringify(body));
      t.is(bad.body.error.details[0].field, field);
    }

    t.is((await h.request('DELETE', `/products/${id}`)).status, 204);
    t.is((await h.request('GET', `/products/${id}`)).status, 404);
    t.is((await h.request('DELETE', `/products/${id}`)).status, 404);
    t.is((await h.request('PATCH', '/products/987654', { body: { name: 'x' } })).status, 404);

    t.deepEqual((await eventsOf(h, 'product.created')).map((e) => e.sku), ['Crud-1', 'crud-2']);
    t.deepEqual((await eventsOf(h, 'product.updated')).map((e) => [e.sku, e.active]), [['crud-1', false], ['CRUD-1', true]]);
    t.deepEqual((await eventsOf(h, 'product.deleted')).map((e) => e.id), [id]);
  });

  test.serial(`${set.name}: the list filters by substring ignoring case, and pages with a cursor`, async (t) => {
    const h = api();
    await h.importFile('type=products', [
      'name,sku,description,active',
      ...Array.from({ length: 25 }, (_, i) => `Garden Chair ${i},GC-${i},"Teak, 100% weatherproof",${i % 5 === 0 ? 'false' : 'true'}`),
      'Kitchen Table,KT-1,Oak_wood,true',
    ].join('\n'));
    const byName = await h.request('GET', '/products?name=garden%20CHAIR&limit=10');
    t.notThrows(() => ProductList.parse(byName.body));
    t.is(byName.body.data.length, 10);
    const pages = [byName.body.data];
    let cursor = byName.body.next_cursor;
    while (cursor) {
      const page = await h.request('GET', `/products?name=garden%20CHAIR&limit=10&cursor=${cursor}`);
      pages.push(page.body.data);
      cursor = page.body.next_cursor;
    }
    t.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
    t.is(new Set(pages.flat().map((p: { id: number }) => p.id)).size, 25);
    t.is((await h.request('GET', '/products?name=garden&active=false')).body.data.length, 5);
    t.is((await h.request('GET', '/products?description=100%25')).body.data.length, 25, '% is a character, not a wildcard');
    t.deepEqual((await h.request('GET', '/products?description=o_k')).body.data, [], '_ is a character, not a wildcard');
    t.is((await h.request('GET', '/products?description=k_w')).body.data[0].sku, 'KT-1');
    t.is((await h.request('GET', '/products?sku=kt-')).body.data[0].sku, 'KT-1');
    const otherFilters = await h.request('GET', `/products?name=table&cursor=${byName.body.next_cursor}`);
    t.is(otherFilters.status, 400);
    t.is(otherFilters.body.error.code, 'invalid_cursor');
    t.is((await h.request('GET', '/products?active=maybe')).status, 400);
    t.is((await h.request('GET', '/products?limit=501')).status, 400);
  });

  test.serial(`${set.name}: the export is a CSV that a spreadsheet opens safely and that imports back unchanged`, async (t) => {
    const h = api();
    for (const body of [
      { sku: 'fx-1', name: '=HYPERLINK("http://evil.example","click")', description: '+31 6 1234' },
      { sku: '@fx-2', name: '-2+3', description: 'tab\tinside, "quoted"\nand a line break', active: false },
    ]) {
      t.is((await h.request('POST', '/products', { body })).status, 201);
    }
    const answer = await h.request('GET', '/products/export.csv?sku=fx-');
    t.is(answer.status, 200);
    t.regex(answer.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    t.regex(answer.headers.get('content-disposition') ?? '', /attachment; filename="products.csv"/);
    const bytes = Buffer.from(await (await fetch(`${h.url}/products/export.csv?sku=fx-`, { headers: { authorization: `Bearer ${h.token}` } })).arrayBuffer());
    t.true(bytes.toString('utf8').startsWith('\uFEFFname,sku,description,active\r\n'), 'BOM, header, CRLF');
    const rows = parse(answer.text, { bom: true, columns: true }) as Record<string, string>[];
    t.deepEqual(rows, [
      { name: '\'=HYPERLINK("http://evil.example","click")', sku: 'fx-1', description: '\'+31 6 1234', active: 'true' },
      { name: '\'-2+3', sku: '\'@fx-2', description: 'tab\tinside, "quoted"\nand a line break', active: 'false' },
    ]);
    const all = await h.request('GET', '/products/export.csv');
    const count = Number((await h.env.knex('products').count({ n: '*' }).first())?.n);
    t.is((parse(all.text, { bom: true, columns: true }) as unknown[]).length, count);

    // Round trip: the plain rows of the export import back as "unchanged".
    const plain = await h.request('GET', '/products/export.csv?name=garden');
    const again = await h.importFile('type=products', plain.text);
    t.like(again, { status: 'succeeded', failed_rows: 0, inserted: 0, updated: 0, unchanged: 25 });
  });

  test.serial(`${set.name}: DELETE /products needs its confirmation and deletes as a job`, async (t) => {
    const h = api();
    await parkedSubscriber(h.env.knex, ['product.created', 'product.updated', 'product.deleted']);
    const before = Number((await h.env.knex('products').count({ n: '*' }).first())?.n);
    t.true(before > 20);
    const refused = await h.request('DELETE', '/products', { body: {} });
    t.is(refused.status, 400);
    t.deepEqual(refused.body.error.details, [{ field: 'confirm', reason: 'must be "delete all products": this deletes the whole catalogue' }]);
    const wrong = await h.request('DELETE', '/products', { body: { confirm: 'yes' } });
    t.is(wrong.status, 400);
    t.regex(wrong.body.error.details[0].reason, /delete all products/);
    t.is((await h.request('DELETE', '/products')).status, 400, 'no body at all');

    // A job on the worker: every product goes, each with its event (tests/deletions has the rest).
    const deletedBefore = (await eventsOf(h, 'product.deleted')).length;
    const answer = await h.request('DELETE', '/products', { body: { confirm: 'delete all products' } });
    t.is(answer.status, 202, answer.text);
    t.like(answer.body, { target: 'products', rows_total: before });
    for (let i = 0; i < 300 && (await h.request('GET', `/deletions/${answer.body.id}`)).body.status !== 'succeeded'; i += 1) await new Promise((r) => setTimeout(r, 50));
    t.like((await h.request('GET', `/deletions/${answer.body.id}`)).body, { status: 'succeeded', rows_deleted: before });
    t.is((await eventsOf(h, 'product.deleted')).length - deletedBefore, before);
    t.deepEqual((await h.request('GET', '/products')).body.data, []);
  });
});
