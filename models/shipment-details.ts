import type { Knex } from 'knex';
import { dialectOf } from './db.ts';
import { buildShipmentListQuery, chooseShipmentIndex, type ShipmentFilters, type ShipmentKeyset, type ShipmentSummaryRow } from './shipment-queries.ts';

/**
 * What a shipment shows beyond its list row: items, the tracking timeline (oldest first), the
 * receiver's phone and the weather at its location. Loaded for a handful of shipments at once
 * (one shipment's detail, or the few a tracking-number look-up finds) in three indexed queries.
 */

export interface ItemRow {
  shipment_id: number;
  item_key: string;
  ean: string | null;
  sku: string | null;
  title: string | null;
  quantity: number;
  quantity_shipped: number | null;
  unit_price: string | number | null;
}

export interface EventRow {
  shipment_id: number;
  status: string | null;
  raw_status: string;
  description: string | null;
  location: string | null;
  source: string;
  occurred_at: number;
}

/** The last observation at the shipment's location; null fields until the first fetch succeeds. */
export interface WeatherRow {
  temp_c: number | null;
  humidity_pct: number | null;
  wind_kph: number | null;
  condition: string | null;
  provider: string | null;
  fetched_at: number | null;
}

export interface ShipmentExtras {
  receiver_street: string | null;
  receiver_phone: string | null;
  items: ItemRow[];
  events: EventRow[];
  weather: WeatherRow | null;
}

/**
 * Plain SQL, not the query builder: a look-up is a handful of primary-key and index probes, and
 * building three queries per request was a measurable share of a look-up's CPU (bench/lookup.ts).
 */
const HEADS_SQL = (n: string) =>
  `select s.id, s.receiver_street, s.receiver_phone, l.temp_c, l.humidity_pct, l.wind_kph, l.condition, l.provider, l.fetched_at from shipments s left join locations l on l.id = s.location_id where s.id in (${n})`;
const ITEMS_SQL = (n: string) =>
  `select shipment_id, item_key, ean, sku, title, quantity, quantity_shipped, unit_price from shipment_items where shipment_id in (${n}) order by id`;
const EVENTS_SQL = (n: string) =>
  `select shipment_id, status, raw_status, description, location, source, occurred_at from tracking_events where shipment_id in (${n}) order by occurred_at, id`;

async function rowsOf<T>(knex: Knex, sql: string, bindings: number[]): Promise<T[]> {
  const result = (await knex.raw(sql, bindings)) as unknown;
  // mysql2 answers [rows, fields]; better-sqlite3 answers the rows.
  return (dialectOf(knex) === 'mysql' ? (result as [T[]])[0] : result) as T[];
}

type HeadRow = { id: number; receiver_street: string | null; receiver_phone: string | null } & WeatherRow;

/**
 * Items, events, street, phone and weather of `ids`. `heads`: the street, phone and weather already read with the
 * rows (a look-up page, see lookupShipments), which saves a query.
 */
export async function loadShipmentExtras(knex: Knex, ids: number[], known?: HeadRow[]): Promise<Map<number, ShipmentExtras>> {
  const out = new Map<number, ShipmentExtras>();
  if (ids.length === 0) return out;
  const marks = ids.map(() => '?').join(', ');
  const [heads, items, events] = await Promise.all([
    known ?? rowsOf<HeadRow>(knex, HEADS_SQL(marks), ids),
    rowsOf<ItemRow>(knex, ITEMS_SQL(marks), ids),
    rowsOf<EventRow>(knex, EVENTS_SQL(marks), ids),
  ]);
  for (const h of heads) {
    const weather = h.fetched_at === null ? null : { temp_c: h.temp_c, humidity_pct: h.humidity_pct, wind_kph: h.wind_kph, condition: h.condition, provider: h.provider, fetched_at: h.fetched_at };
    out.set(Number(h.id), { receiver_street: h.receiver_street, receiver_phone: h.receiver_phone, items: [], events: [], weather });
  }
  for (const i of items) out.get(Number(i.shipment_id))?.items.push(i);
  for (const e of events) out.get(Number(e.shipment_id))?.events.push(e);
  return out;
}

/**
 * Someone asking about particular shipments (where is this parcel, this card, this customer's
 * order) rather than browsing: a tracking number, a reference or a phone. Those answers come
 * whole (items, timeline, weather), which is what the question needs in one request.
 */
export function isLookup(filters: ShipmentFilters): boolean {
  return filters.tracking_number !== undefined || filters.reference !== undefined || filters.phone_key !== undefined;
}

/**
 * A look-up page (see isLookup): the list query on its forced index (models/shipment-queries.ts),
 * with the receiver's street and phone and the location's weather joined in, so whole shipments need only
 * the items and events queries after it.
 */
export async function lookupShipments(
  knex: Knex,
  filters: ShipmentFilters,
  opts: { after?: ShipmentKeyset | null; limit: number },
): Promise<{ rows: ShipmentSummaryRow[]; heads: HeadRow[]; next: ShipmentKeyset | null }> {
  const q = buildShipmentListQuery(knex, filters, { after: opts.after, limit: opts.limit + 1 })
    .select('shipments.receiver_street', 'shipments.receiver_phone', 'locations.temp_c as w_temp_c', 'locations.humidity_pct as w_humidity_pct', 'locations.wind_kph as w_wind_kph', 'locations.condition as w_condition', 'locations.provider as w_provider', 'locations.fetched_at as w_fetched_at')
    .leftJoin('locations', 'locations.id', 'shipments.location_id');
  const all = (await q) as (ShipmentSummaryRow & { receiver_street: string | null; receiver_phone: string | null; w_temp_c: number | null; w_humidity_pct: number | null; w_wind_kph: number | null; w_condition: string | null; w_provider: string | null; w_fetched_at: number | null })[];
  const more = all.length > opts.limit;
  const page = more ? all.slice(0, opts.limit) : all;
  const last = page.at(-1);
  const { order } = chooseShipmentIndex(filters);
  const next = more && last ? (order === 'id_desc' ? { id: Number(last.id) } : { id: Number(last.id), updated_at: Number(last.updated_at) }) : null;
  const heads = page.map((r) => ({ id: Number(r.id), receiver_street: r.receiver_street, receiver_phone: r.receiver_phone, temp_c: r.w_temp_c, humidity_pct: r.w_humidity_pct, wind_kph: r.w_wind_kph, condition: r.w_condition, provider: r.w_provider, fetched_at: r.w_fetched_at }));
  return { rows: page, heads, next };
}
