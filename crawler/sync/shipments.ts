import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { ShipmentRecord, TrackingEventRecord } from '../connectors/types.ts';

/**
 * How shipment records become rows. Every write is an upsert keyed by the record's natural
 * key, so a page stored twice (at-least-once delivery) leaves the same rows as stored once.
 */

/** The last 9 digits identify a customer's phone however it was written (+31 6…, 06…, 6…). */
export function phoneKey(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, '');
  return digits.length >= 6 ? digits.slice(-9) : null;
}

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

export async function upsertShipments(trx: Knex.Transaction, opts: { shopId: number; runId: number; source: string; records: ShipmentRecord[] }): Promise<number> {
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
    phone_key: phoneKey(r.receiver.phone),
    synced_run_id: runId,
    created_at: now,
    updated_at: now,
  }));
  // `status` is derived from events below and `created_at` is the first sighting: neither is overwritten.
  const merged = Object.keys(rows[0]!).filter((c) => c !== 'created_at' && c !== 'shop_id' && c !== 'platform_id');
  await trx('shipments').insert(rows).onConflict(['shop_id', 'platform_id']).merge(merged);

  const ids: { id: number; platform_id: string }[] = await trx('shipments')
    .select('id', 'platform_id')
    .where({ shop_id: shopId })
    .whereIn('platform_id', records.map((r) => r.platformId));
  const idOf = new Map(ids.map((r) => [r.platform_id, Number(r.id)]));

  const items = records.flatMap((r) =>
    r.items.map((i) => ({
      shipment_id: idOf.get(r.platformId)!,
      item_key: i.key,
      ean: i.ean,
      sku: i.sku,
      title: i.title?.slice(0, 512) ?? null,
      quantity: i.quantity,
      quantity_shipped: i.quantityShipped,
      unit_price: i.unitPrice,
    })),
  );
  if (items.length > 0) {
    await trx('shipment_items').insert(items).onConflict(['shipment_id', 'item_key']).merge(['ean', 'sku', 'title', 'quantity', 'quantity_shipped', 'unit_price']);
  }

  const events = records.flatMap((r) => r.events.map((e) => eventRow(idOf.get(r.platformId)!, e, now)));
  if (events.length > 0) await trx('tracking_events').insert(events).onConflict(['shipment_id', 'dedupe_key']).ignore();
  await refreshCurrentStatus(trx, [...idOf.values()]);
  return records.length;
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
 */
export async function refreshCurrentStatus(trx: Knex.Transaction, shipmentIds: number[]): Promise<void> {
  if (shipmentIds.length === 0) return;
  // One statement for the whole batch; the correlated subqueries use tracking_events_timeline_idx.
  const latest = (column: string) =>
    trx.raw(
      `(select e.${column} from tracking_events e where e.shipment_id = shipments.id and e.status is not null order by e.occurred_at desc, e.id desc limit 1)`,
    );
  await trx('shipments')
    .whereIn('id', shipmentIds)
    .whereExists(trx('tracking_events as e').select(trx.raw('1')).whereRaw('e.shipment_id = shipments.id').whereNotNull('e.status'))
    .update({ status: latest('status'), status_at: latest('occurred_at') });
}
