import type { Knex } from 'knex';
import { deleteRowsById, dialectOf } from './db.ts';
import { FINAL_STATUSES, type ShipmentStatus } from './shipment.ts';
import type { ItemRow } from './shipment-details.ts';

/**
 * The statements of the shipments aggregate (`shipments` and its `shipment_items`). How records
 * become these rows, and what a status change announces, is crawler/sync/'s part; these
 * functions take rows as stored, with the knex or transaction first. Id lists are bounded by
 * the caller (at most 500 per call, the drivers' cap on bound parameters).
 */

/**
 * A shop's shipment as a sync writes it. `status` and `status_at` are derived from its events:
 * they are written when the row is new (the caller derives them from the events it inserts with
 * it) and never overwritten here; a stored shipment's status is refreshed from its stored events.
 */
export interface SyncedShipmentRow {
  status: string;
  status_at: number | null;
  shop_id: number;
  source: string;
  platform_id: string;
  order_id: string | null;
  reference: string | null;
  fulfilment_method: string | null;
  carrier: string | null;
  tracking_number: string | null;
  shipped_at: number | null;
  receiver_postal_code: string | null;
  receiver_city: string | null;
  receiver_country: string | null;
  receiver_phone: string | null;
  phone_key: string | null;
  receiver_name: string | null;
  tracking_url: string | null;
  order_placed_at: number | null;
  promised_delivery_at: number | null;
  pickup_point_code: string | null;
  pickup_point_name: string | null;
  transport_id: string | null;
  shipping_label_id: string | null;
  distribution_party: string | null;
  synced_run_id: number;
  created_at: number;
  updated_at: number;
}

/** The columns a file may say about a shipment; what it leaves null keeps what another file said. */
export const FILE_SHIPMENT_COLUMNS = ['reference', 'carrier', 'tracking_number', 'receiver_street', 'receiver_postal_code', 'receiver_city', 'receiver_country', 'receiver_phone', 'phone_key'] as const;
type FileShipmentColumns = Record<(typeof FILE_SHIPMENT_COLUMNS)[number], string | null>;

/** A shipment from an uploaded file: no shop, keyed by `(source, external_key)`. */
export type FileShipmentRow = FileShipmentColumns & { shop_id: null; source: string; external_key: string; status: string; created_at: number; updated_at: number };

export type StoredFileShipment = FileShipmentColumns & { id: number; external_key: string; created_at: number };

/** An item as written (a read gives `unit_price` DECIMAL as a string on MySQL). */
export type ShipmentItemRow = Omit<ItemRow, 'unit_price'> & { unit_price: number | null };

/** Which of `platformIds` the shop already has (optionally: stored by sync run `runId`). */
export async function findShipmentPlatformIds(knex: Knex | Knex.Transaction, shopId: number, platformIds: string[], runId?: number): Promise<string[]> {
  const q = knex('shipments').select('platform_id').where({ shop_id: shopId }).whereIn('platform_id', platformIds);
  if (runId !== undefined) q.andWhere({ synced_run_id: runId });
  const rows: { platform_id: string }[] = await q;
  return rows.map((r) => r.platform_id);
}

/** Columns an upsert writes only into a new row: the first sighting, the key, the derived status. */
const INSERT_ONLY_COLUMNS = new Set(['created_at', 'shop_id', 'platform_id', 'status', 'status_at']);

/**
 * Upserts a shop's shipments on `(shop_id, platform_id)`. `created_at`, `status` and `status_at`
 * are written into new rows only; every other column of the rows is overwritten.
 */
export async function upsertSyncedShipmentRows(trx: Knex.Transaction, rows: SyncedShipmentRow[]): Promise<void> {
  if (rows.length === 0) return;
  const merged = Object.keys(rows[0]!).filter((c) => !INSERT_ONLY_COLUMNS.has(c));
  // Chunked like the items: SQLite's multi-row insert is a compound SELECT of at most 500 terms.
  for (let i = 0; i < rows.length; i += 500) await trx('shipments').insert(rows.slice(i, i + 500)).onConflict(['shop_id', 'platform_id']).merge(merged);
}

/** The id and first sighting of each of the shop's shipments named by `platformIds`. */
export async function findShipmentIdsByPlatformId(trx: Knex.Transaction, shopId: number, platformIds: string[]): Promise<{ id: number; platform_id: string; created_at: number }[]> {
  const rows: { id: number; platform_id: string; created_at: number }[] = await trx('shipments')
    .select('id', 'platform_id', 'created_at')
    .where({ shop_id: shopId })
    .whereIn('platform_id', platformIds);
  return rows.map((r) => ({ id: Number(r.id), platform_id: r.platform_id, created_at: Number(r.created_at) }));
}

/** Items keyed by (shipment, item key): a later answer updates them, a repeated one changes nothing. */
export async function upsertShipmentItemRows(trx: Knex.Transaction, rows: ShipmentItemRow[]): Promise<void> {
  // Chunked: a file shipment may carry many articles, and drivers cap the bound parameters.
  for (let i = 0; i < rows.length; i += 500) {
    await trx('shipment_items')
      .insert(rows.slice(i, i + 500))
      .onConflict(['shipment_id', 'item_key'])
      .merge(['ean', 'sku', 'title', 'quantity', 'quantity_shipped', 'unit_price']);
  }
}

/** The current status of each shipment, read for the update that follows in this transaction. */
export async function findShipmentStatusesForUpdate(trx: Knex.Transaction, shipmentIds: number[]): Promise<Map<number, string>> {
  const q = trx(shipmentsByPrimaryKey(trx)).select('id', 'status').whereIn('id', shipmentIds).orderBy('id');
  // MySQL: read the status this transaction will overwrite, not an older snapshot of it. The
  // rows are locked in id order, the order every other status refresh locks them in.
  if (dialectOf(trx) === 'mysql') q.forUpdate();
  return new Map((await q).map((r: { id: number; status: string }) => [Number(r.id), r.status]));
}

/**
 * `shipments` for a statement that names its rows by id and locks them. MySQL: the primary key,
 * forced. While the table is small (a few hundred rows: every shop's first pages), MariaDB
 * prefers a full scan of a covering secondary index (`location_id, status` holds `id` and
 * `status`) to a range on the key, and a locking read or update then locks every shop's rows, in
 * that index's order: two shops committing at once deadlock. By the key only the named rows are
 * locked.
 */
function shipmentsByPrimaryKey(trx: Knex.Transaction): string | Knex.Raw {
  return dialectOf(trx) === 'mysql' ? trx.raw('?? force index (primary)', ['shipments']) : 'shipments';
}

/**
 * Sets each shipment's `status` and `status_at` to those of its latest status event by the time
 * it happened (events with a NULL status never count); a shipment without one keeps its status.
 */
export async function updateStatusesFromEvents(trx: Knex.Transaction, shipmentIds: number[]): Promise<void> {
  // One statement for the whole batch; the correlated subqueries use tracking_events_timeline_idx.
  const latest = (column: string) =>
    trx.raw(
      `(select e.${column} from tracking_events e where e.shipment_id = shipments.id and e.status is not null order by e.occurred_at desc, e.id desc limit 1)`,
    );
  await trx(shipmentsByPrimaryKey(trx))
    .whereIn('id', shipmentIds)
    .whereExists(trx('tracking_events as e').select(trx.raw('1')).whereRaw('e.shipment_id = shipments.id').whereNotNull('e.status'))
    .update({ status: latest('status'), status_at: latest('occurred_at') });
}

/** What a shipment event (outbox) says about its shipment. */
export const SHIPMENT_EVENT_COLUMNS = ['id', 'shop_id', 'source', 'platform_id', 'order_id', 'reference', 'carrier', 'tracking_number', 'status', 'status_at'] as const;
export type ShipmentEventRow = Record<(typeof SHIPMENT_EVENT_COLUMNS)[number], string | number | null>;

/** The columns a shipment event carries, by id. */
export async function findShipmentEventRows(trx: Knex.Transaction, shipmentIds: number[]): Promise<ShipmentEventRow[]> {
  return trx('shipments').select(...SHIPMENT_EVENT_COLUMNS).whereIn('id', shipmentIds).orderBy('id');
}

/** Marks shipments as changed (`updated_at`), so clients following `updated_since` see them again. */
export async function markShipmentsChanged(trx: Knex.Transaction, shipmentIds: number[], now: number): Promise<void> {
  await trx('shipments').whereIn('id', shipmentIds).update({ updated_at: now });
}

/** The file shipments of `source` stored under these external keys. */
export async function findFileShipmentRows(trx: Knex | Knex.Transaction, source: string, externalKeys: string[]): Promise<StoredFileShipment[]> {
  const rows: StoredFileShipment[] = await trx('shipments')
    .select('id', 'external_key', 'created_at', ...FILE_SHIPMENT_COLUMNS)
    .where({ source })
    .whereIn('external_key', externalKeys);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/**
 * Upserts file shipments on `(source, external_key)`. A column the row leaves null keeps what
 * another file said (a status feed knows the phone, a shipment list the address):
 * `COALESCE(new, old)`; `status` and `created_at` keep theirs.
 */
export async function upsertFileShipmentRows(trx: Knex.Transaction, rows: FileShipmentRow[], now: number): Promise<void> {
  const mysql = dialectOf(trx) === 'mysql';
  const keep = (column: string) => trx.raw(mysql ? 'COALESCE(VALUES(??), ??)' : 'COALESCE(excluded.??, shipments.??)', [column, column]);
  const merge: Record<string, Knex.Raw | number> = Object.fromEntries(FILE_SHIPMENT_COLUMNS.map((c) => [c, keep(c)]));
  merge.updated_at = now;
  await trx('shipments').insert(rows).onConflict(['source', 'external_key']).merge(merge);
}

/** Shipments of any source whose `reference` is one of `references`, oldest first. */
export async function findShipmentsByReference(trx: Knex.Transaction, references: string[]): Promise<{ id: number; reference: string; source: string; external_key: string | null }[]> {
  const rows: { id: number; reference: string; source: string; external_key: string | null }[] = await trx('shipments')
    .select('id', 'reference', 'source', 'external_key')
    .whereIn('reference', references)
    .orderBy('id', 'asc');
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** Points shipments at their location. Not a change a client follows: `updated_at` stays as it is. */
export async function setShipmentsLocation(knex: Knex, shipmentIds: number[], locationId: number): Promise<void> {
  await knex('shipments').whereIn('id', shipmentIds).update({ location_id: locationId });
}

/** Which of `locationIds` some shipment that is not final still goes to. */
export async function findActiveLocationIds(knex: Knex, locationIds: number[]): Promise<Set<number>> {
  const rows: { location_id: number | string }[] = await knex('shipments')
    .distinct('location_id')
    .whereIn('location_id', locationIds)
    .whereNotIn('status', FINAL_STATUSES as string[]);
  return new Set(rows.map((r) => Number(r.location_id)));
}

export interface ExpiryCandidate {
  id: number;
  status_at: number | null;
  shipped_at: number | null;
  created_at: number;
}

/** Up to `limit` shipments that are not final, by id after `afterId`: what the expiry looks at next. */
export async function findUnfinishedShipments(knex: Knex, afterId: number, limit: number): Promise<ExpiryCandidate[]> {
  const rows: { id: number | string; status_at: number | null; shipped_at: number | null; created_at: number }[] = await knex('shipments')
    .select('id', 'status_at', 'shipped_at', 'created_at')
    .whereNotIn('status', FINAL_STATUSES as string[])
    .andWhere('id', '>', afterId)
    .orderBy('id')
    .limit(limit);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** The receiver's street of each of `shipmentIds` (the list's summary has none). */
export async function findReceiverStreets(knex: Knex, shipmentIds: number[]): Promise<Map<number, string | null>> {
  const found: { id: number; receiver_street: string | null }[] = await knex('shipments').select('id', 'receiver_street').whereIn('id', shipmentIds);
  return new Map(found.map((f) => [Number(f.id), f.receiver_street]));
}

export type StoredItem = { sku: string | null; title: string | null; quantity: number; unit_price: number | null };

/** The stored articles of these shipments, by `<shipment id>|<item key>`. */
export async function findStoredItems(trx: Knex.Transaction, shipmentIds: number[]): Promise<Map<string, StoredItem>> {
  const items = new Map<string, StoredItem>();
  for (let i = 0; i < shipmentIds.length; i += 500) {
    const found: { shipment_id: number; item_key: string; sku: string | null; title: string | null; quantity: number; unit_price: string | number | null }[] = await trx(
      'shipment_items',
    )
      .select('shipment_id', 'item_key', 'sku', 'title', 'quantity', 'unit_price')
      .whereIn('shipment_id', shipmentIds.slice(i, i + 500));
    for (const f of found) {
      items.set(`${Number(f.shipment_id)}|${f.item_key}`, { sku: f.sku, title: f.title, quantity: Number(f.quantity), unit_price: f.unit_price === null ? null : Number(f.unit_price) });
    }
  }
  return items;
}

/**
 * Gives a stored shipment the receiver's phone when it has none yet (no `phone_key`): a phone the
 * shipment already has, from its platform or an earlier file, is kept.
 */
export async function fillShipmentPhone(trx: Knex.Transaction, id: number, phone: string, phoneKey: string | null): Promise<void> {
  await trx('shipments').where({ id }).whereNull('phone_key').update({ receiver_phone: phone, phone_key: phoneKey });
}

/** The carrier's view of a shipment's delivery, as its last poll gave it (see CarrierDeliveryInfo). */
export interface CarrierDeliveryRow {
  estimated_delivery_at: number | null;
  estimated_delivery_from: number | null;
  estimated_delivery_to: number | null;
  carrier_remark: string | null;
  proof_of_delivery_url: string | null;
}
const CARRIER_DELIVERY_COLUMNS = ['estimated_delivery_at', 'estimated_delivery_from', 'estimated_delivery_to', 'carrier_remark', 'proof_of_delivery_url'] as const;

/**
 * Writes what a poll says of a shipment's delivery, `next` of what is stored, when it differs,
 * and then counts the shipment as changed (`updated_at`): a new estimate is news to whoever
 * follows the feed. Returns whether it changed (false, too, when the shipment is gone).
 */
export async function updateCarrierDelivery(trx: Knex.Transaction, id: number, next: (stored: CarrierDeliveryRow) => CarrierDeliveryRow, now: number): Promise<boolean> {
  const raw = (await trx('shipments').select(CARRIER_DELIVERY_COLUMNS).where({ id }).first()) as Record<string, number | string | null> | undefined;
  if (!raw) return false;
  const ms = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  const text = (v: number | string | null | undefined) => (v === null || v === undefined ? null : String(v));
  const stored: CarrierDeliveryRow = {
    estimated_delivery_at: ms(raw.estimated_delivery_at),
    estimated_delivery_from: ms(raw.estimated_delivery_from),
    estimated_delivery_to: ms(raw.estimated_delivery_to),
    carrier_remark: text(raw.carrier_remark),
    proof_of_delivery_url: text(raw.proof_of_delivery_url),
  };
  const row = next(stored);
  if (CARRIER_DELIVERY_COLUMNS.every((c) => row[c] === stored[c])) return false;
  await trx('shipments').where({ id }).update({ ...row, updated_at: now });
  return true;
}

/** A shipment's current status; undefined when it is gone. */
export async function findShipmentStatus(trx: Knex.Transaction, shipmentId: number): Promise<ShipmentStatus | undefined> {
  const row = (await trx('shipments').select('status').where({ id: shipmentId }).first()) as { status: ShipmentStatus } | undefined;
  return row?.status;
}

/** Up to `limit` ids of the shop's shipments, lowest first (the `(shop_id, id)` index). */
export async function findShopShipmentIds(knex: Knex | Knex.Transaction, shopId: number, limit: number): Promise<{ id: number }[]> {
  return knex('shipments').select('id').where({ shop_id: shopId }).orderBy('id').limit(limit);
}

/** How many shipments the shop has. */
export async function countShopShipments(knex: Knex | Knex.Transaction, shopId: number): Promise<number> {
  return Number(((await knex('shipments').where({ shop_id: shopId }).count({ n: '*' }).first()) as { n: number | string } | undefined)?.n ?? 0);
}

/**
 * Deletes these shipments of the shop with their events, items and polls; returns how many
 * shipments. The children go first, one statement each: the foreign keys would cascade too, but
 * InnoDB cascades row by row (bench:big-deletes: about 45% slower).
 */
export async function deleteShopShipments(trx: Knex.Transaction, shopId: number, ids: { id: number }[]): Promise<number> {
  const shipmentIds = ids.map((r) => Number(r.id));
  for (const child of ['tracking_events', 'shipment_items', 'tracking_polls']) await trx(child).whereIn('shipment_id', shipmentIds).delete();
  return deleteRowsById(trx, 'shipments', ids, (q) => q.where({ shop_id: shopId }));
}
