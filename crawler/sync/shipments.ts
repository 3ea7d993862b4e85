import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { phoneKey } from '../../models/phone-key.ts';
import type { ShipmentItemRecord, ShipmentRecord, TrackingEventRecord } from '../connectors/types.ts';
import { dialectOf } from '../../models/db.ts';
import { recordEvents, type DomainEvent } from '../../models/domain-events.ts';
import { iso } from '../../models/db.ts';

/**
 * How shipment records become rows. Every write is an upsert keyed by the record's natural
 * key, so a page stored twice (at-least-once delivery) leaves the same rows as stored once.
 */


export function eventDedupeKey(e: TrackingEventRecord): string {
  return createHash('sha256')
    .update([e.source, e.rawStatus, e.occurredAt, e.description ?? '', e.location ?? ''].join('\u0000'))
    .digest('hex')
    .slice(0, 40);
}

/** Which of `platformIds` the shop already has (optionally: stored by sync run `runId`). */
export async function findKnownPlatformIds(knex: Knex, shopId: number, platformIds: string[], runId?: number): Promise<Set<string>> {
  if (platformIds.length === 0) return new Set();
  const q = knex('shipments').select('platform_id').where({ shop_id: shopId }).whereIn('platform_id', platformIds);
  if (runId !== undefined) q.andWhere({ synced_run_id: runId });
  const rows: { platform_id: string }[] = await q;
  return new Set(rows.map((r) => r.platform_id));
}

export async function upsertShipments(trx: Knex.Transaction, opts: { shopId: number; runId: number; source: string; records: ShipmentRecord[]; phoneKeyDigits?: number }): Promise<number> {
  const { shopId, runId, source, records } = opts;
  if (records.length === 0) return 0;
  const now = Date.now();
  const rows = records.map((r) => ({
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
    synced_run_id: runId,
    created_at: now,
    updated_at: now,
  }));
  // `status` is derived from events below and `created_at` is the first sighting: neither is overwritten.
  const merged = Object.keys(rows[0]!).filter((c) => c !== 'created_at' && c !== 'shop_id' && c !== 'platform_id');
  await trx('shipments').insert(rows).onConflict(['shop_id', 'platform_id']).merge(merged);

  const ids: { id: number; platform_id: string; created_at: number }[] = await trx('shipments')
    .select('id', 'platform_id', 'created_at')
    .where({ shop_id: shopId })
    .whereIn('platform_id', records.map((r) => r.platformId));
  const idOf = new Map(ids.map((r) => [r.platform_id, Number(r.id)]));
  // `created_at` is never overwritten: the rows stamped with this call's `now` are the new ones.
  const created = new Set(ids.filter((r) => Number(r.created_at) === now).map((r) => Number(r.id)));

  await upsertShipmentItems(trx, records.map((r) => ({ shipmentId: idOf.get(r.platformId)!, items: r.items })));


  const events = records.flatMap((r) => r.events.map((e) => eventRow(idOf.get(r.platformId)!, e, now)));
  if (events.length > 0) await trx('tracking_events').insert(events).onConflict(['shipment_id', 'dedupe_key']).ignore();
  await refreshCurrentStatus(trx, [...idOf.values()], { created });
  return records.length;
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
  // Chunked: a file shipment may carry many articles, and drivers cap the bound parameters.
  for (let i = 0; i < rows.length; i += 500) {
    await trx('shipment_items')
      .insert(rows.slice(i, i + 500))
      .onConflict(['shipment_id', 'item_key'])
      .merge(['ean', 'sku', 'title', 'quantity', 'quantity_shipped', 'unit_price']);
  }
}

function eventRow(shipmentId: number, e: TrackingEventRecord, now: number) {
  return {
    shipment_id: shipmentId,
    source: e.source,
    status: e.status,
    raw_status: e.rawStatus.slice(0, 128),
    description: e.description,
    location: e.location,
    occurred_at: e.occurredAt,
    dedupe_key: eventDedupeKey(e),
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
 * `opts.created` (shipments the caller has just inserted: they announce no status change), all
 * in one outbox insert in the caller's transaction.
 */
export async function refreshCurrentStatus(trx: Knex.Transaction, shipmentIds: number[], opts: { created?: ReadonlySet<number> } = {}): Promise<void> {
  if (shipmentIds.length === 0) return;
  const created = opts.created ?? new Set<number>();
  const beforeQuery = trx('shipments').select('id', 'status').whereIn('id', shipmentIds);
  // MySQL: read the status this transaction will overwrite, not an older snapshot of it.
  if (dialectOf(trx) === 'mysql') beforeQuery.forUpdate();
  const before = new Map((await beforeQuery).map((r: { id: number; status: string }) => [Number(r.id), r.status]));
  // One statement for the whole batch; the correlated subqueries use tracking_events_timeline_idx.
  const latest = (column: string) =>
    trx.raw(
      `(select e.${column} from tracking_events e where e.shipment_id = shipments.id and e.status is not null order by e.occurred_at desc, e.id desc limit 1)`,
    );
  await trx('shipments')
    .whereIn('id', shipmentIds)
    .whereExists(trx('tracking_events as e').select(trx.raw('1')).whereRaw('e.shipment_id = shipments.id').whereNotNull('e.status'))
    .update({ status: latest('status'), status_at: latest('occurred_at') });
  await recordShipmentEvents(trx, shipmentIds, before, created);
}

/** What a shipment event says about its shipment. */
const SHIPMENT_EVENT_COLUMNS = ['id', 'shop_id', 'source', 'platform_id', 'order_id', 'reference', 'carrier', 'tracking_number', 'status', 'status_at'] as const;
type ShipmentEventRow = Record<(typeof SHIPMENT_EVENT_COLUMNS)[number], string | number | null>;

async function recordShipmentEvents(trx: Knex.Transaction, shipmentIds: number[], before: Map<number, string>, created: ReadonlySet<number>): Promise<void> {
  const after: ShipmentEventRow[] = await trx('shipments').select(...SHIPMENT_EVENT_COLUMNS).whereIn('id', shipmentIds).orderBy('id');
  const moved = after.filter((r) => !created.has(Number(r.id)) && before.has(Number(r.id)) && before.get(Number(r.id)) !== r.status);
  if (moved.length === 0 && created.size === 0) return;
  const causes = await decidingEvents(trx, moved.map((r) => Number(r.id)));
  const events: DomainEvent[] = [];
  for (const row of after) {
    const id = Number(row.id);
    if (created.has(id)) events.push({ type: 'shipment.created', data: { shipment: shipmentEventData(row) } });
  }
  for (const row of moved) {
    events.push({
      type: 'shipment.status_changed',
      data: { shipment: shipmentEventData(row), old_status: before.get(Number(row.id)) ?? null, new_status: row.status, tracking_event: causes.get(Number(row.id)) ?? null },
    });
  }
  await recordEvents(trx, events);
}

function shipmentEventData(r: ShipmentEventRow) {
  return {
    id: Number(r.id),
    shop_id: r.shop_id === null ? null : Number(r.shop_id),
    source: r.source,
    platform_id: r.platform_id,
    order_id: r.order_id,
    reference: r.reference,
    carrier: r.carrier,
    tracking_number: r.tracking_number,
    status: r.status,
    status_at: iso(r.status_at === null ? null : Number(r.status_at)),
  };
}

/** The tracking event each shipment's current status comes from: its latest status event by time. */
async function decidingEvents(trx: Knex.Transaction, shipmentIds: number[]) {
  const found = new Map<number, { status: string; raw_status: string; description: string | null; location: string | null; source: string; occurred_at: string | null }>();
  if (shipmentIds.length === 0) return found;
  const rows: { shipment_id: number; status: string; raw_status: string; description: string | null; location: string | null; source: string; occurred_at: number }[] = await trx('tracking_events as e')
    .join('shipments as s', function () {
      this.on('s.id', '=', 'e.shipment_id').andOn('s.status_at', '=', 'e.occurred_at');
    })
    .select('e.shipment_id', 'e.status', 'e.raw_status', 'e.description', 'e.location', 'e.source', 'e.occurred_at')
    .whereIn('s.id', shipmentIds)
    .whereNotNull('e.status')
    .orderBy('e.id', 'desc');
  for (const e of rows) {
    const id = Number(e.shipment_id);
    if (found.has(id)) continue;
    found.set(id, { status: e.status, raw_status: e.raw_status, description: e.description, location: e.location, source: e.source, occurred_at: iso(Number(e.occurred_at)) });
  }
  return found;
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
  const known: { dedupe_key: string }[] = await trx('tracking_events')
    .select('dedupe_key')
    .where({ shipment_id: shipmentId })
    .whereIn('dedupe_key', rows.map((r) => r.dedupe_key));
  const seen = new Set(known.map((k) => k.dedupe_key));
  const fresh = rows.filter((r) => !seen.has(r.dedupe_key));
  if (fresh.length === 0) return 0;
  await trx('tracking_events').insert(fresh).onConflict(['shipment_id', 'dedupe_key']).ignore();
  await trx('shipments').where({ id: shipmentId }).update({ updated_at: now });
  await refreshCurrentStatus(trx, [shipmentId]);
  return fresh.length;
}
