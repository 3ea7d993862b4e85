import type { Shop } from '../models/shops.ts';
import type { SyncRun } from '../models/sync-runs.ts';
import type { Deletion } from '../models/deletions.ts';
import type { ShipmentItem, TrackingEvent } from '../models/shipment.ts';
import { isLate, type ShipmentSummaryRow } from '../models/shipment-queries.ts';
import type { ShipmentExtras, WeatherRow } from '../models/shipment-details.ts';
import type { ShipmentEventRow } from '../models/shipments.ts';
import type { DecidingEventRow } from '../models/tracking-events.ts';
import { iso } from '../models/db.ts';

/**
 * The public shapes of rows (snake_case, ISO timestamps), in the API's answers and in the data
 * of the events webhooks deliver. A shop never shows its credentials, not even the client id:
 * `has_credentials` is all a client learns.
 */

export function presentShop(shop: Shop, hasCredentials: boolean) {
  return {
    id: Number(shop.id),
    name: shop.name,
    platform: shop.platform,
    status: shop.status,
    status_reason: shop.status_reason,
    sync_interval_minutes: Number(shop.sync_interval_minutes),
    has_credentials: hasCredentials,
    created_at: iso(shop.created_at),
    updated_at: iso(shop.updated_at),
    last_synced_at: iso(shop.last_synced_at),
  };
}

type ShipmentNameFields = Record<'id' | 'shop_id' | 'source' | 'platform_id' | 'order_id' | 'reference', unknown>;

/** The fields that name a shipment, first in every shape that shows one. */
function presentShipmentNames<R extends ShipmentNameFields>(row: R) {
  return {
    id: Number(row.id),
    shop_id: row.shop_id === null ? null : Number(row.shop_id),
    source: row.source as R['source'],
    platform_id: row.platform_id as R['platform_id'],
    order_id: row.order_id as R['order_id'],
    reference: row.reference as R['reference'],
  };
}

/** A numeric column as a number: mysql2 may hand BIGINT and DECIMAL over as strings. (`iso` converts on its own.) */
function num(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}

/** `now`: when lateness is judged (the answer's time). */
export function presentShipmentSummary(row: ShipmentSummaryRow, now: number = Date.now()) {
  const estimated = [row.estimated_delivery_at, row.estimated_delivery_from, row.estimated_delivery_to];
  return {
    ...presentShipmentNames(row),
    fulfilment_method: row.fulfilment_method,
    carrier: row.carrier,
    tracking_number: row.tracking_number,
    status: row.status,
    status_at: iso(row.status_at),
    shipped_at: iso(row.shipped_at),
    receiver: { postal_code: row.receiver_postal_code, city: row.receiver_city, country: row.receiver_country, name: row.receiver_name },
    order_placed_at: iso(row.order_placed_at),
    promised_delivery_at: iso(row.promised_delivery_at),
    late: isLate(row, now),
    estimated_delivery: estimated.every((v) => v === null) ? null : { at: iso(estimated[0]!), from: iso(estimated[1]!), to: iso(estimated[2]!) },
    carrier_remark: row.carrier_remark,
    proof_of_delivery_url: row.proof_of_delivery_url,
    tracking_url: row.tracking_url,
    pickup_point: row.pickup_point_code === null && row.pickup_point_name === null ? null : { code: row.pickup_point_code, name: row.pickup_point_name },
    transport_id: row.transport_id,
    shipping_label_id: row.shipping_label_id,
    distribution_party: row.distribution_party,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** The `shipment` of a shipment event (`shipment.created`, `shipment.status_changed`). */
export function presentShipmentEvent(row: ShipmentEventRow) {
  return {
    ...presentShipmentNames(row),
    carrier: row.carrier,
    tracking_number: row.tracking_number,
    status: row.status,
    status_at: iso(num(row.status_at)),
  };
}

type ItemFields = Pick<ShipmentItem, 'item_key' | 'ean' | 'sku' | 'title' | 'quantity' | 'quantity_shipped' | 'unit_price'>;
type EventFields = Pick<TrackingEvent, 'raw_status' | 'description' | 'location' | 'source' | 'occurred_at'> & { status: string | null };

/** One event of a shipment's timeline; also the `tracking_event` that decided a status change. */
export function presentTrackingEvent<E extends EventFields | DecidingEventRow>(e: E) {
  return {
    status: e.status as E['status'],
    raw_status: e.raw_status,
    description: e.description,
    location: e.location,
    source: e.source,
    occurred_at: iso(e.occurred_at),
  };
}

/** The last observation at a shipment's location (contract weather.md: `fetched_at` beside it). */
export function presentWeather(w: WeatherRow | null) {
  if (!w || w.fetched_at === null) return null;
  return { temp_c: num(w.temp_c), condition: w.condition, fetched_at: iso(w.fetched_at), provider: w.provider, humidity_pct: num(w.humidity_pct), wind_kph: num(w.wind_kph) };
}

/** `now`: when lateness is judged (the answer's time), as for presentShipmentSummary. */
export function presentShipmentDetail(
  shipment: ShipmentSummaryRow & { receiver_street: string | null; receiver_phone: string | null },
  items: ItemFields[],
  events: EventFields[],
  weather: WeatherRow | null = null,
  now: number = Date.now(),
) {
  const summary = presentShipmentSummary(shipment, now);
  return {
    ...summary,
    receiver: { ...summary.receiver, street: shipment.receiver_street, phone: shipment.receiver_phone },
    items: items.map((i) => ({
      item_key: i.item_key,
      ean: i.ean,
      sku: i.sku,
      title: i.title,
      quantity: Number(i.quantity),
      quantity_shipped: num(i.quantity_shipped),
      // DECIMAL arrives as a string from MySQL and as a number from SQLite.
      unit_price: num(i.unit_price),
    })),
    events: events.map(presentTrackingEvent),
    weather: presentWeather(weather),
  };
}

/** A shipment whole: its list row with the extras models/shipment-details.ts loaded for it (none: empty). */
export function presentShipmentWithExtras(row: ShipmentSummaryRow, extras: ShipmentExtras | undefined, now: number = Date.now()) {
  return presentShipmentDetail({ ...row, receiver_street: extras?.receiver_street ?? null, receiver_phone: extras?.receiver_phone ?? null }, extras?.items ?? [], extras?.events ?? [], extras?.weather ?? null, now);
}

/** The public shape of a sync run (no checkpoint internals, no lease keys). */
export function presentSyncRun(run: SyncRun) {
  return {
    id: run.id,
    shop_id: run.shop_id,
    stream: run.stream,
    type: run.type,
    status: run.status,
    pages_fetched: run.pages_fetched,
    records_upserted: run.records_upserted,
    requests_made: run.requests_made,
    error: run.error,
    created_at: iso(run.created_at),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    updated_at: iso(run.updated_at),
  };
}

export function presentDeletion(d: Deletion) {
  return {
    id: d.id,
    target: d.target,
    shop_id: num(d.shop_id),
    status: d.status,
    rows_total: Number(d.rows_total),
    rows_deleted: Number(d.rows_deleted),
    error: d.error,
    created_at: iso(d.created_at),
    started_at: iso(d.started_at),
    finished_at: iso(d.finished_at),
    updated_at: iso(d.updated_at),
  };
}
