import { hash } from 'node:crypto';
import type { Knex } from 'knex';
import { presentShipmentEvent, presentTrackingEvent } from '../../api/present.ts';
import { keptEventTypes, recordEvents, type DomainEvent } from '../../models/domain-events.ts';
import { phoneKey } from '../../models/phone-key.ts';
import { INITIAL_STATUS } from '../../models/shipment.ts';
import type { ShipmentItemRecord, ShipmentRecord, TrackingEventRecord } from '../../models/records.ts';
import type { CarrierDeliveryInfo } from '../connectors/carrier-connector.ts';
import {
  findShipmentEventRows,
  findShipmentIdsByPlatformId,
  findShipmentPlatformIds,
  findShipmentStatusesForUpdate,
  markShipmentsChanged,
  SHIPMENT_EVENT_COLUMNS,
  type ShipmentEventRow,
  type SyncedShipmentRow,
  updateCarrierDelivery,
  updateStatusesFromEvents,
  upsertShipmentItemRows,
  upsertSyncedShipmentRows,
} from '../../models/shipments.ts';
import { findDecidingEvents, findStoredEventKeys, insertTrackingEvents, type TrackingEventRow } from '../../models/tracking-events.ts';

/**
 * How shipment records become rows. Every write is an upsert keyed by the record's natural
 * key, so a page stored twice (at-least-once delivery) leaves the same rows as stored once.
 * The statements themselves are in models/shipments.ts and models/tracking-events.ts.
 */

export function eventDedupeKey(e: TrackingEventRecord): string {
  // One-shot hash: this runs for every event of every shipment a sync stores.
  return hash('sha256', [e.source, e.rawStatus, e.occurredAt, e.description ?? '', e.location ?? ''].join('\u0000'), 'hex').slice(0, 40);
}

/** Which of `platformIds` the shop already has (optionally: stored by sync run `runId`). */
export async function findKnownPlatformIds(knex: Knex, shopId: number, platformIds: string[], runId?: number): Promise<Set<string>> {
  if (platformIds.length === 0) return new Set();
  return new Set(await findShipmentPlatformIds(knex, shopId, platformIds, runId));
}

export async function upsertShipments(trx: Knex.Transaction, opts: { shopId: number; runId: number; source: string; records: ShipmentRecord[]; phoneKeyDigits?: number }): Promise<number> {
  const { shopId, runId, source, records } = opts;
  if (records.length === 0) return 0;
  const now = Date.now();
  // The rows of each record's events, keyed later: a new shipment's status is derived from them.
  const eventsOf = records.map((r) => r.events.map((e) => eventRow(0, e, now)));
  const rows: SyncedShipmentRow[] = records.map((r, i) => ({
    shop_id: shopId,
    source,
    platform_id: r.platformId,
    order_id: r.orderId,
    reference: r.reference,
    fulfilment_method: r.fulfilmentMethod,
    carrier: r.carrier,
    tracking_number: r.trackingNumber,
    shipped_at: r.shippedAt,
    receiver_postal_code: r.receiver.postalCode,
    receiver_city: r.receiver.city,
    receiver_country: r.receiver.country,
    receiver_phone: r.receiver.phone,
    phone_key: phoneKey(r.receiver.phone, opts.phoneKeyDigits),
    ...deliveryColumns(r),
    // Written only if the row is new: then these events are all it has.
    ...latestStatus(eventsOf[i]!),
    synced_run_id: runId,
    created_at: now,
    updated_at: now,
  }));
  await upsertSyncedShipmentRows(trx, rows);

  const ids = await findShipmentIdsByPlatformId(trx, shopId, records.map((r) => r.platformId));
  const idOf = new Map(ids.map((r) => [r.platform_id, r.id]));
  // `created_at` is never overwritten: the rows stamped with this call's `now` are the new ones.
  const created = new Set(ids.filter((r) => r.created_at === now).map((r) => r.id));

  await upsertShipmentItems(trx, records.map((r) => ({ shipmentId: idOf.get(r.platformId)!, items: r.items })));

  const events = records.flatMap((r, i) => eventsOf[i]!.map((e) => ({ ...e, shipment_id: idOf.get(r.platformId)! })));
  if (events.length > 0) await insertTrackingEvents(trx, events);
  // A new shipment's status was written with it; only stored ones are refreshed from their events.
  const stored = [...idOf.values()].filter((id) => !created.has(id));
  const createdRows = rows.filter((r) => created.has(idOf.get(r.platform_id)!)).map((r) => shipmentEventRowOf(idOf.get(r.platform_id)!, r));
  await refreshCurrentStatus(trx, stored, { createdRows });
  return records.length;
}

/**
 * The status of a shipment whose only events are `events`, by the rule the database applies
 * (updateStatusesFromEvents): its latest status event by `occurred_at`, the later-inserted one of
 * a tie; an event repeated within the list is stored once, where it first appears. No status
 * event: INITIAL_STATUS.
 */
export function latestStatus(events: readonly TrackingEventRow[]): { status: string; status_at: number | null } {
  const seen = new Set<string>();
  let latest: TrackingEventRow | undefined;
  for (const e of events) {
    if (seen.has(e.dedupe_key)) continue;
    seen.add(e.dedupe_key);
    if (e.status !== null && (latest === undefined || e.occurred_at >= latest.occurred_at)) latest = e;
  }
  return latest ? { status: latest.status!, status_at: latest.occurred_at } : { status: INITIAL_STATUS, status_at: null };
}

/** What a `shipment.created` event says of a shipment just inserted as `row` with id `id`. */
function shipmentEventRowOf(id: number, row: SyncedShipmentRow): ShipmentEventRow {
  return Object.fromEntries(SHIPMENT_EVENT_COLUMNS.map((c) => [c, c === 'id' ? id : row[c]])) as ShipmentEventRow;
}

/** The columns of what a platform says of the order and its delivery (absent on a record: null). */
function deliveryColumns(r: ShipmentRecord) {
  return {
    receiver_name: r.receiver.name?.slice(0, 255) ?? null,
    tracking_url: r.trackingUrl?.slice(0, 1024) ?? null,
    order_placed_at: r.orderPlacedAt ?? null,
    promised_delivery_at: r.promisedDeliveryAt ?? null,
    pickup_point_code: r.pickupPoint?.code?.slice(0, 64) ?? null,
    pickup_point_name: r.pickupPoint?.name?.slice(0, 255) ?? null,
    transport_id: r.transportId?.slice(0, 64) ?? null,
    shipping_label_id: r.shippingLabelId?.slice(0, 64) ?? null,
    distribution_party: r.distributionParty?.slice(0, 32) ?? null,
  };
}

/** Items keyed by (shipment, item key): a later answer updates them, a repeated one changes nothing. */
export async function upsertShipmentItems(trx: Knex.Transaction, shipments: { shipmentId: number; items: ShipmentItemRecord[] }[]): Promise<void> {
  const rows = shipments.flatMap(({ shipmentId, items }) =>
    items.map((i) => ({
      shipment_id: shipmentId,
      item_key: i.key,
      ean: i.ean,
      sku: i.sku,
      title: i.title?.slice(0, 512) ?? null,
      quantity: i.quantity,
      quantity_shipped: i.quantityShipped,
      unit_price: i.unitPrice,
    })),
  );
  await upsertShipmentItemRows(trx, rows);
}

/**
 * The row of one tracking event. `timeless`: the observation carries no time of its own, so it
 * is identified without one (see crawler/sync/file-shipments.ts).
 */
export function eventRow(shipmentId: number, e: TrackingEventRecord, now: number, timeless = false): TrackingEventRow {
  return {
    shipment_id: shipmentId,
    source: e.source,
    status: e.status,
    raw_status: e.rawStatus.slice(0, 128),
    description: e.description,
    location: e.location,
    occurred_at: e.occurredAt,
    dedupe_key: eventDedupeKey(timeless ? { ...e, occurredAt: 0 } : e),
    created_at: now,
  };
}

/**
 * Current status = the status of the latest event *by the time it happened*, not by arrival
 * (shared/PRODUCT.md). Events no rule maps (status NULL) are kept in the timeline but never
 * move the current status.
 *
 * This is the one place a shipment's status changes, so it is also where subscribers hear of it:
 * `shipment.status_changed` (old and new status, and the tracking event that decided it) for
 * each shipment whose status moved, and `shipment.created` (with its status) for the ids in
 * `opts.created` (shipments the caller has just inserted: they announce no status change) and
 * for `opts.createdRows` (shipments just inserted with their status already derived, which need
 * no refresh), all in one outbox insert in the caller's transaction.
 */
export async function refreshCurrentStatus(
  trx: Knex.Transaction,
  shipmentIds: number[],
  opts: { created?: ReadonlySet<number>; createdRows?: readonly ShipmentEventRow[] } = {},
): Promise<void> {
  const createdRows = opts.createdRows ?? [];
  const created = opts.created ?? new Set<number>();
  const { before, after } = shipmentIds.length > 0 ? await refreshStatuses(trx, shipmentIds) : { before: new Map<number, string>(), after: [] };
  const moved = after.filter((r) => !created.has(Number(r.id)) && before.has(Number(r.id)) && before.get(Number(r.id)) !== r.status);
  const announced = [...createdRows, ...after.filter((r) => created.has(Number(r.id)))];
  if (moved.length === 0 && announced.length === 0) return;
  // Bodies (and the deciding events' read) only for what some webhook hears.
  const kept = await keptEventTypes(trx);
  const changed = kept('shipment.status_changed') ? moved : [];
  const causes = await findDecidingEvents(trx, changed.map((r) => Number(r.id)));
  const events: DomainEvent[] = kept('shipment.created') ? announced.map((row) => ({ type: 'shipment.created', data: { shipment: presentShipmentEvent(row) } })) : [];
  for (const row of changed) {
    const cause = causes.get(Number(row.id));
    events.push({
      type: 'shipment.status_changed',
      data: { shipment: presentShipmentEvent(row), old_status: before.get(Number(row.id)) ?? null, new_status: row.status, tracking_event: cause ? presentTrackingEvent(cause) : null },
    });
  }
  await recordEvents(trx, events, kept);
}

/** Each shipment's status before and its event row after the refresh from its stored events. */
async function refreshStatuses(trx: Knex.Transaction, shipmentIds: number[]): Promise<{ before: Map<number, string>; after: ShipmentEventRow[] }> {
  const before = await findShipmentStatusesForUpdate(trx, shipmentIds);
  await updateStatusesFromEvents(trx, shipmentIds);
  return { before, after: await findShipmentEventRows(trx, shipmentIds) };
}

/**
 * Appends tracking events to a shipment that is already stored (a carrier poll, the engine's
 * expiry): the same observation seen twice is stored once (`eventDedupeKey`), and the current
 * status follows the latest event by time. A shipment that got new events counts as changed
 * (`updated_at`), so clients following `updated_since` see its new status. Returns how many
 * events were new.
 */
export async function appendTrackingEvents(trx: Knex.Transaction, shipmentId: number, events: TrackingEventRecord[]): Promise<number> {
  if (events.length === 0) return 0;
  const now = Date.now();
  const rows = [...new Map(events.map((e) => eventRow(shipmentId, e, now)).map((r) => [r.dedupe_key, r])).values()];
  const known = await findStoredEventKeys(trx, [shipmentId], rows.map((r) => r.dedupe_key));
  const seen = new Set(known.map((k) => k.dedupe_key));
  const fresh = rows.filter((r) => !seen.has(r.dedupe_key));
  if (fresh.length === 0) return 0;
  await insertTrackingEvents(trx, fresh);
  await markShipmentsChanged(trx, [shipmentId], now);
  await refreshCurrentStatus(trx, [shipmentId]);
  return fresh.length;
}

/**
 * What a poll says of a shipment's delivery: the estimate, the carrier's remark and the proof of
 * delivery replace the stored ones, so the estimate is the carrier's latest. An answer without
 * any estimate (DHL drops it once a parcel is delivered) keeps the last one the carrier gave.
 */
export async function storeCarrierDelivery(trx: Knex.Transaction, shipmentId: number, d: CarrierDeliveryInfo, now: number): Promise<void> {
  const estimate = d.estimatedAt !== null || d.estimatedFrom !== null || d.estimatedTo !== null;
  await updateCarrierDelivery(trx, shipmentId, (stored) => ({
    estimated_delivery_at: estimate ? d.estimatedAt : stored.estimated_delivery_at,
    estimated_delivery_from: estimate ? d.estimatedFrom : stored.estimated_delivery_from,
    estimated_delivery_to: estimate ? d.estimatedTo : stored.estimated_delivery_to,
    carrier_remark: d.remark,
    proof_of_delivery_url: d.proofOfDeliveryUrl,
  }), now);
}
