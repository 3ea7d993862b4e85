import type { Knex } from 'knex';
import { dialectOf } from './db.ts';
import { FINAL_STATUSES, SHIPMENT_STATUSES, type ShipmentStatus } from './shipment.ts';

/**
 * The shipment list: filters, the index each filter set must use, and keyset pages.
 *
 * Terminology:
 * - order: `id_desc` (newest first, the default) or `updated_asc` (by `(updated_at, id)`
 *   ascending when `updated_since` is given: a change feed a client can follow).
 * - keyset: the sort keys of the last row of a page; the next page starts strictly after it.
 * - driving index: the one index the query reads (every index of migrations/…-create-shipments
 *   ends in `id`, so an equality on its leading columns leaves rows in `id` order and a keyset
 *   page is one range scan). Filters the index does not cover apply as residual conditions.
 *
 * The index is chosen here and forced (MySQL `FORCE INDEX`, SQLite `INDEXED BY`) because
 * MariaDB, for `WHERE shop_id = ? AND id < ? ORDER BY id DESC`, may pick another index or read
 * only the `shop_id` part of the right one and walk the whole shop backwards: seconds at a
 * million rows on deep pages. tests/api/shipment-index.test.ts checks the plans with EXPLAIN.
 */

export interface ShipmentFilters {
  shop_id?: number;
  status?: ShipmentStatus;
  carrier?: string;
  /**
   * The stored carrier codes `carrier` stands for (models/carriers.ts: by code or name, any
   * case). When set, the query matches these instead of `carrier` itself; `carrier` still names
   * the filter (cursor hash, index choice).
   */
  carrier_codes?: string[];
  tracking_number?: string;
  reference?: string;
  /** Already normalised with `phoneKey` (models/phone-key.ts). */
  phone_key?: string;
  /** Epoch ms; rows with `updated_at >= updated_since`. Switches the order to `updated_asc`. */
  updated_since?: number;
  /**
   * Shipments that need someone's attention. `late`: not final and past the delivery promised to
   * the customer (`promised_delivery_at` before `now`).
   */
  attention?: ShipmentAttention;
  /** Epoch ms the attention is judged at (the request's time). */
  now?: number;
}

export const SHIPMENT_ATTENTIONS = ['late'] as const;
export type ShipmentAttention = (typeof SHIPMENT_ATTENTIONS)[number];

/** The statuses a shipment can be late in: every status that is not final. */
const OPEN_STATUSES = SHIPMENT_STATUSES.filter((s) => !FINAL_STATUSES.includes(s));

export type ShipmentOrder = 'id_desc' | 'updated_asc';

export interface ShipmentKeyset {
  id: number;
  /** Only in `updated_asc` order. */
  updated_at?: number;
}

export interface ShipmentIndexChoice {
  /** The index name as in the migration, or `PRIMARY` for the primary key. */
  index: string;
  order: ShipmentOrder;
}

export const SHIPMENT_LIST_MAX_LIMIT = 500;

/** The columns of a list row (the summary; the detail adds the phone, items and events). */
export const SHIPMENT_SUMMARY_COLUMNS = [
  'id',
  'shop_id',
  'source',
  'platform_id',
  'order_id',
  'reference',
  'fulfilment_method',
  'carrier',
  'tracking_number',
  'status',
  'status_at',
  'shipped_at',
  'receiver_postal_code',
  'receiver_city',
  'receiver_country',
  'receiver_name',
  'tracking_url',
  'order_placed_at',
  'promised_delivery_at',
  'estimated_delivery_at',
  'estimated_delivery_from',
  'estimated_delivery_to',
  'carrier_remark',
  'proof_of_delivery_url',
  'pickup_point_code',
  'pickup_point_name',
  'transport_id',
  'shipping_label_id',
  'distribution_party',
  'created_at',
  'updated_at',
] as const;

export interface ShipmentSummaryRow {
  id: number;
  shop_id: number | null;
  source: string;
  platform_id: string | null;
  order_id: string | null;
  reference: string | null;
  fulfilment_method: string | null;
  carrier: string | null;
  tracking_number: string | null;
  status: ShipmentStatus;
  status_at: number | null;
  shipped_at: number | null;
  receiver_postal_code: string | null;
  receiver_city: string | null;
  receiver_country: string | null;
  receiver_name: string | null;
  tracking_url: string | null;
  order_placed_at: number | null;
  promised_delivery_at: number | null;
  estimated_delivery_at: number | null;
  estimated_delivery_from: number | null;
  estimated_delivery_to: number | null;
  carrier_remark: string | null;
  proof_of_delivery_url: string | null;
  pickup_point_code: string | null;
  pickup_point_name: string | null;
  transport_id: string | null;
  shipping_label_id: string | null;
  distribution_party: string | null;
  created_at: number;
  updated_at: number;
}


/**
 * Which index drives the list for these filters. Point lookups first (a tracking number, a
 * reference or a phone match a handful of rows, so sorting those few is free), then the
 * composite indexes in the order of their selectivity.
 *
 * With `updated_since`, only `(updated_at, id)` and `(shop_id, updated_at, id)` deliver rows in
 * feed order; driving by `status` or `carrier` there would sort every shipment of that status
 * before returning the first page, so status and carrier become residual conditions instead.
 */
export function chooseShipmentIndex(f: ShipmentFilters): ShipmentIndexChoice {
  const order: ShipmentOrder = f.updated_since === undefined ? 'id_desc' : 'updated_asc';
  const pick = (index: string): ShipmentIndexChoice => ({ index, order });
  if (f.tracking_number !== undefined) return pick('shipments_tracking_number_idx');
  if (f.reference !== undefined) return pick('shipments_reference_idx');
  if (f.phone_key !== undefined) return pick('shipments_phone_key_idx');
  if (order === 'updated_asc') return pick(f.shop_id !== undefined ? 'shipments_shop_updated_idx' : 'shipments_updated_idx');
  // The late ones are few (open and past their promise) however many shipments there are: a
  // range of `(status, promised_delivery_at)` per open status, then sorted by id.
  if (f.attention === 'late') return pick('shipments_status_promised_idx');
  if (f.shop_id !== undefined && f.status !== undefined) return pick('shipments_shop_status_idx');
  if (f.shop_id !== undefined) return pick('shipments_shop_idx');
  if (f.status !== undefined) return pick('shipments_status_idx');
  if (f.carrier !== undefined) return pick('shipments_carrier_idx');
  return pick('PRIMARY');
}

/**
 * The list query for one page: `limit` rows after `after` (exclusive), on the driving index of
 * `chooseShipmentIndex`. Exported so tests can EXPLAIN it; `listShipments` runs it.
 */
export function buildShipmentListQuery(knex: Knex, filters: ShipmentFilters, opts: { after?: ShipmentKeyset | null; limit: number }): Knex.QueryBuilder {
  const { index, order } = chooseShipmentIndex(filters);
  const codes = filters.carrier_codes;
  if (codes && codes.length > 1 && index === 'shipments_carrier_idx') return buildCarrierUnion(knex, filters, codes, opts);
  const q = knex.select(SHIPMENT_SUMMARY_COLUMNS.map((c) => `shipments.${c}`)).from(indexedTable(knex, index));

  // Equality filters, each an equality on a leading column of the driving index or a residual.
  const equalities: [string, string | number | undefined][] = [
    ['shop_id', filters.shop_id],
    ['status', filters.status],
    ['carrier', filters.carrier],
    ['tracking_number', filters.tracking_number],
    ['reference', filters.reference],
    ['phone_key', filters.phone_key],
  ];
  for (const [column, value] of equalities) {
    if (value === undefined) continue;
    if (column === 'carrier' && codes && codes.length > 0) {
      if (codes.length === 1) q.where('shipments.carrier', codes[0]!);
      else q.whereIn('shipments.carrier', codes);
    } else q.where(`shipments.${column}`, value);
  }

  if (filters.attention === 'late') {
    // The SQL form of isLate (below this function): keep the two the same rule.
    if (filters.status === undefined) q.whereIn('shipments.status', OPEN_STATUSES);
    else if (FINAL_STATUSES.includes(filters.status)) q.whereRaw('1 = 0');
    q.where('shipments.promised_delivery_at', '<', filters.now ?? Date.now());
  }

  const after = opts.after ?? null;
  if (order === 'id_desc') {
    if (after) q.where('shipments.id', '<', after.id);
    q.orderBy('shipments.id', 'desc');
  } else {
    q.where('shipments.updated_at', '>=', filters.updated_since!);
    if (after) {
      // Spelled as an OR of two ranges, not a row comparison: MariaDB's range optimizer turns
      // this into `(updated_at > a) ∪ (updated_at = a AND id > b)` on the whole index, while it
      // reads `(updated_at, id) > (a, b)` as a filter and scans from the start of the range.
      const updatedAt = after.updated_at!;
      q.where((w) => w.where('shipments.updated_at', '>', updatedAt).orWhere((o) => o.where('shipments.updated_at', updatedAt).andWhere('shipments.id', '>', after.id)));
    }
    q.orderBy([
      { column: 'shipments.updated_at', order: 'asc' },
      { column: 'shipments.id', order: 'asc' },
    ]);
  }
  return q.limit(opts.limit);
}

/**
 * A carrier filter that stands for several codes, driving by `(carrier, id)`: one range scan per
 * code, each already in id order, merged. (`carrier IN (…) ORDER BY id` would sort every shipment
 * of those carriers before the first page.)
 */
function buildCarrierUnion(knex: Knex, filters: ShipmentFilters, codes: string[], opts: { after?: ShipmentKeyset | null; limit: number }): Knex.QueryBuilder {
  const parts = codes.map((code) => buildShipmentListQuery(knex, { ...filters, carrier_codes: [code] }, opts).toSQL());
  const sql = parts.map((p, i) => `select * from (${p.sql}) as p${i}`).join(' union all ');
  const bindings = parts.flatMap((p) => p.bindings as Knex.RawBinding[]);
  return knex.select('*').from(knex.raw(`(${sql}) as merged`, bindings)).orderBy('id', 'desc').limit(opts.limit);
}

export interface ShipmentPage {
  rows: ShipmentSummaryRow[];
  /** Where the next page starts; null when this page is the last one. */
  next: ShipmentKeyset | null;
}

/**
 * Not final and past the delivery promised to the customer at `now`: the row-by-row form of
 * `?attention=late` (the filter above), for the `late` field of the answers and the export.
 */
export function isLate(row: Pick<ShipmentSummaryRow, 'status' | 'promised_delivery_at'>, now: number): boolean {
  // BIGINT may arrive from mysql2 as a string.
  const promised = row.promised_delivery_at === null ? null : Number(row.promised_delivery_at);
  return promised !== null && promised < now && !FINAL_STATUSES.includes(row.status);
}

/** One page of the list; reads one row more than asked to know whether another page follows. */
export async function listShipments(knex: Knex, filters: ShipmentFilters, opts: { after?: ShipmentKeyset | null; limit: number }): Promise<ShipmentPage> {
  const rows = (await buildShipmentListQuery(knex, filters, { after: opts.after, limit: opts.limit + 1 })) as ShipmentSummaryRow[];
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  const last = page.at(-1);
  const { order } = chooseShipmentIndex(filters);
  const next = more && last ? (order === 'id_desc' ? { id: Number(last.id) } : { id: Number(last.id), updated_at: Number(last.updated_at) }) : null;
  return { rows: page, next };
}

/** `shipments` with the index hint of its dialect. The primary key needs no hint on SQLite (rowid). */
function indexedTable(knex: Knex, index: string): Knex.Raw | string {
  if (dialectOf(knex) === 'mysql') return knex.raw('?? FORCE INDEX (??)', ['shipments', index]);
  if (index === 'PRIMARY') return 'shipments';
  return knex.raw('?? INDEXED BY ??', ['shipments', index]);
}

/** One shipment's list row, or undefined. */
export async function findShipmentSummary(knex: Knex, id: number): Promise<ShipmentSummaryRow | undefined> {
  return (await knex('shipments').select(SHIPMENT_SUMMARY_COLUMNS).where({ id }).first()) as ShipmentSummaryRow | undefined;
}
