import test from 'ava';
import type { Knex } from 'knex';
import { buildShipmentListQuery, type ShipmentFilters, type ShipmentKeyset } from '../../models/shipment-queries.ts';
import { eachAdapterSet, type AdapterEnv } from '../helpers/adapters.ts';

/**
 * Every filter combination of GET /shipments reads its whole index. On MariaDB, EXPLAIN must
 * show the expected index, `range` access with key_len equal to the index's full length on
 * cursor pages (all leading equality columns plus the `id` keyset), and no filesort: a query that
 * reads only the `shop_id` part of `(shop_id, id)` walks the shop's rows from the top on every
 * deep page, which takes seconds at a million rows. On SQLite, EXPLAIN QUERY PLAN must name the
 * index and show the keyset bound on it.
 *
 * The one allowed filesort: a point filter (tracking number, reference, phone) together with
 * `updated_since`. The point index finds a handful of rows and sorting those is free; no index
 * could serve both.
 */

const FILTERS: ShipmentFilters = {
  shop_id: 2,
  status: 'delivered',
  carrier: 'TNT',
  tracking_number: '3STRACK17',
  reference: 'REF-17',
  phone_key: '612345617',
  updated_since: Date.UTC(2026, 10, 1),
};
const KEYS = Object.keys(FILTERS) as (keyof ShipmentFilters)[];

/** The index each filter set must use: the table of models/shipment-queries.ts, written out again. */
function expectedIndex(f: ShipmentFilters): string {
  if (f.tracking_number !== undefined) return 'shipments_tracking_number_idx';
  if (f.reference !== undefined) return 'shipments_reference_idx';
  if (f.phone_key !== undefined) return 'shipments_phone_key_idx';
  if (f.updated_since !== undefined) return f.shop_id !== undefined ? 'shipments_shop_updated_idx' : 'shipments_updated_idx';
  if (f.shop_id !== undefined && f.status !== undefined) return 'shipments_shop_status_idx';
  if (f.shop_id !== undefined) return 'shipments_shop_idx';
  if (f.status !== undefined) return 'shipments_status_idx';
  if (f.carrier !== undefined) return 'shipments_carrier_idx';
  return 'PRIMARY';
}

function allCombinations(): ShipmentFilters[] {
  const out: ShipmentFilters[] = [];
  for (let mask = 0; mask < 1 << KEYS.length; mask += 1) {
    const f: Record<string, unknown> = {};
    KEYS.forEach((key, i) => {
      if (mask & (1 << i)) f[key] = FILTERS[key];
    });
    out.push(f as ShipmentFilters);
  }
  return out;
}

function sortsAFewPointRows(f: ShipmentFilters): boolean {
  return f.updated_since !== undefined && (f.tracking_number !== undefined || f.reference !== undefined || f.phone_key !== undefined);
}

function cursorFor(f: ShipmentFilters): ShipmentKeyset {
  return f.updated_since === undefined ? { id: 1500 } : { updated_at: Date.UTC(2026, 10, 1, 12), id: 1500 };
}

/** Enough rows, spread over the filter values, that the optimizer's statistics mean something. */
async function insertRows(env: AdapterEnv): Promise<void> {
  const now = Date.now();
  await env.knex('shops').insert([1, 2, 3, 4].map((i) => ({ name: `shop ${i}`, platform: 'bol', created_at: now, updated_at: now })));
  const statuses = ['pending', 'in_transit', 'delivered', 'returned', 'exception'];
  const rows = [];
  for (let i = 0; i < 3000; i += 1) {
    rows.push({
      shop_id: 1 + (i % 4),
      source: 'bol',
      platform_id: `P${i}`,
      carrier: ['TNT', 'DHL', 'DPD', 'PostNL'][i % 4],
      tracking_number: `3STRACK${i % 1000}`,
      reference: `REF-${i % 900}`,
      phone_key: String(612345000 + (i % 800)),
      status: statuses[i % 5],
      created_at: now,
      updated_at: Date.UTC(2026, 9, 1) + (i % 2000) * 3_600_000,
    });
  }
  for (let i = 0; i < rows.length; i += 500) await env.knex('shipments').insert(rows.slice(i, i + 500));
  if (env.dialect === 'mysql') await env.knex.raw('ANALYZE TABLE shipments');
  else await env.knex.raw('ANALYZE');
}

/** Full key length of each index of `shipments`, in bytes, as MariaDB counts key_len. */
async function fullKeyLengths(knex: Knex): Promise<Map<string, number>> {
  const [columns] = (await knex.raw(
    `SELECT s.INDEX_NAME AS index_name, c.DATA_TYPE AS data_type, c.CHARACTER_OCTET_LENGTH AS octets, c.IS_NULLABLE AS nullable
       FROM information_schema.STATISTICS s
       JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
      WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = 'shipments'`,
  )) as [{ index_name: string; data_type: string; octets: number | null; nullable: string }[]];
  const lengths = new Map<string, number>();
  for (const c of columns) {
    const bytes = c.data_type === 'bigint' ? 8 : c.data_type === 'int' ? 4 : c.data_type === 'varchar' ? Number(c.octets) + 2 : NaN;
    lengths.set(c.index_name, (lengths.get(c.index_name) ?? 0) + bytes + (c.nullable === 'YES' ? 1 : 0));
  }
  return lengths;
}

function describe(f: ShipmentFilters, page: string): string {
  return `${page} page, filters ${Object.keys(f).join('+') || 'none'}`;
}

eachAdapterSet((set) => {
  if (set.dialect === 'mysql') {
    test(`${set.name}: EXPLAIN shows every filter combination reading its whole index, without filesort`, async (t) => {
      const env = await set.setup();
      t.teardown(() => env.teardown());
      await insertRows(env);
      const fullLength = await fullKeyLengths(env.knex);
      t.is(fullLength.get('shipments_shop_idx'), 5 + 8, 'shop_id (nullable int) + id (bigint)');

      for (const f of allCombinations()) {
        const index = expectedIndex(f);
        for (const page of ['first', 'cursor'] as const) {
          const query = buildShipmentListQuery(env.knex, f, { after: page === 'cursor' ? cursorFor(f) : null, limit: 51 });
          const [plan] = (await env.knex.raw(`EXPLAIN ${query.toString()}`)) as [{ key: string | null; key_len: string | null; type: string; Extra: string | null }[]];
          t.is(plan.length, 1, describe(f, page));
          const row = plan[0]!;
          const what = `${describe(f, page)}: ${JSON.stringify(row)}`;
          t.is(row.key, index, what);
          if (sortsAFewPointRows(f)) continue;
          t.false((row.Extra ?? '').includes('filesort'), what);
          if (page === 'cursor') {
            t.is(row.type, 'range', what);
            t.is(Number(row.key_len), fullLength.get(index) ?? -1, what);
          }
        }
      }
    });
  } else {
    test(`${set.name}: EXPLAIN QUERY PLAN shows every filter combination searching its index with the keyset bound`, async (t) => {
      const env = await set.setup();
      t.teardown(() => env.teardown());
      await insertRows(env);

      for (const f of allCombinations()) {
        const index = expectedIndex(f);
        for (const page of ['first', 'cursor'] as const) {
          const { sql, bindings } = buildShipmentListQuery(env.knex, f, { after: page === 'cursor' ? cursorFor(f) : null, limit: 51 }).toSQL();
          const plan = (await env.knex.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as Knex.RawBinding[])) as { detail: string }[];
          const details = plan.map((p) => p.detail);
          const what = `${describe(f, page)}: ${JSON.stringify(details)}`;
          const search = details[0] ?? '';
          if (index === 'PRIMARY') {
            t.regex(search, page === 'cursor' ? /^SEARCH shipments USING INTEGER PRIMARY KEY \(rowid<\?\)$/ : /^SCAN shipments$/, what);
          } else {
            t.regex(search, new RegExp(`^SEARCH shipments USING (COVERING )?INDEX ${index} \\(`), what);
            if (page === 'cursor' && f.updated_since === undefined) t.regex(search, /id<\?\)$/, what);
            if (f.updated_since !== undefined && !sortsAFewPointRows(f)) t.regex(search, /updated_at>\?\)$/, what);
          }
          if (!sortsAFewPointRows(f)) t.false(details.some((d) => d.includes('TEMP B-TREE')), what);
        }
      }
    });
  }
});

/**
 * `attention=late` reads `(status, promised_delivery_at)`: one range per open status, bounded by
 * the promise, so it touches only the open shipments past their promise, however many delivered
 * shipments lie behind theirs; those few are then sorted by id (the one other allowed sort).
 */
eachAdapterSet((set) => {
  test(`${set.name}: attention=late reads the (status, promised_delivery_at) index as ranges bounded by the promise`, async (t) => {
    const env = await set.setup();
    t.teardown(() => env.teardown());
    await insertRows(env);
    for (const f of [{ attention: 'late', now: Date.now() }, { attention: 'late', now: Date.now(), shop_id: 2 }, { attention: 'late', now: Date.now(), status: 'in_transit' }] satisfies ShipmentFilters[]) {
      for (const page of ['first', 'cursor'] as const) {
        const query = buildShipmentListQuery(env.knex, f, { after: page === 'cursor' ? { id: 1500 } : null, limit: 51 });
        const what = describe(f, page);
        if (set.dialect === 'mysql') {
          const [plan] = (await env.knex.raw(`EXPLAIN ${query.toString()}`)) as [{ key: string | null; key_len: string | null; type: string }[]];
          t.is(plan[0]!.key, 'shipments_status_promised_idx', `${what}: ${JSON.stringify(plan)}`);
          t.is(plan[0]!.type, 'range', `${what}: ${JSON.stringify(plan)}`);
          // Both parts read: the status and the promise's bound, not the status alone.
          t.is(Number(plan[0]!.key_len), (await fullKeyLengths(env.knex)).get('shipments_status_promised_idx') ?? -1, `${what}: status and promise both bound`);
        } else {
          const { sql, bindings } = query.toSQL();
          const plan = (await env.knex.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as Knex.RawBinding[])) as { detail: string }[];
          t.regex(plan[0]?.detail ?? '', /^SEARCH shipments USING INDEX shipments_status_promised_idx \(status=\? AND promised_delivery_at<\?\)$/, `${what}: ${JSON.stringify(plan)}`);
        }
      }
    }
  });
});
