import type { Knex } from 'knex';
import type { ShipmentItemRecord, TrackingEventRecord } from '../../models/records.ts';
import { findFileShipmentRows, findShipmentsByReference, markShipmentsChanged, upsertFileShipmentRows, type FileShipmentRow, type StoredFileShipment } from '../../models/shipments.ts';
import { findStoredEventKeys, insertTrackingEvents, type TrackingEventRow } from '../../models/tracking-events.ts';
import { eventRow, refreshCurrentStatus, upsertShipmentItems } from './shipments.ts';
import { INITIAL_STATUS } from '../../models/shipment.ts';

/**
 * How rows of uploaded files become shipments, items and tracking events, with the row
 * conventions of sync/shipments.ts: upserts on natural keys (a file imported twice leaves the
 * same rows), events deduplicated with `eventDedupeKey`, the current status derived by
 * `refreshCurrentStatus` (latest event by the time it happened, whatever order files arrive in).
 *
 * Shipments from files have no shop (`shop_id` NULL) and `source` 'csv'; their natural key is
 * `external_key` (unique with `source`): `tn:<CARRIER>:<tracking number>` for shipment lists,
 * `ref:<reference>` for status feed rows about a shipment shipsync did not know.
 */
export const FILE_SOURCE = 'csv';

export interface FileShipmentRecord {
  externalKey: string;
  reference: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  receiver: {
    street: string | null;
    postalCode: string | null;
    city: string | null;
    country: string | null;
    phone: string | null;
    phoneKey: string | null;
  };
  items: ShipmentItemRecord[];
}

/** An event to add to a stored shipment. `timeless`: the source gave no time of its own (see below). */
export interface FileEvent {
  shipmentId: number;
  event: TrackingEventRecord;
  /**
   * The observation carries no time of its own (a shipment list's status column): it is stored
   * at the import's time, but identified without it, so re-importing the file, or another file
   * that says the same status, adds nothing.
   */
  timeless?: boolean;
}

/** The file shipments already stored under these external keys. */
export async function findFileShipments(trx: Knex | Knex.Transaction, externalKeys: string[]): Promise<Map<string, StoredFileShipment>> {
  const found = new Map<string, StoredFileShipment>();
  for (const keys of chunk([...new Set(externalKeys)], 500)) {
    for (const r of await findFileShipmentRows(trx, FILE_SOURCE, keys)) found.set(r.external_key, r);
  }
  return found;
}

/**
 * Upserts file shipments and their items; returns each external key's shipment id. A column
 * the record leaves null keeps what another file said (a status feed knows the phone, a shipment
 * list the address): `COALESCE(new, old)`.
 */
export async function upsertFileShipments(trx: Knex.Transaction, records: FileShipmentRecord[]): Promise<UpsertedFileShipments> {
  if (records.length === 0) return { ids: new Map(), created: new Set() };
  const now = Date.now();
  // The last record of a key wins (a later row overwrites an earlier one).
  const byKey = new Map(records.map((r) => [r.externalKey, r]));
  const rows = [...byKey.values()].map((r): FileShipmentRow => ({
    shop_id: null,
    source: FILE_SOURCE,
    external_key: r.externalKey,
    reference: r.reference,
    carrier: r.carrier,
    tracking_number: r.trackingNumber,
    receiver_street: r.receiver.street,
    receiver_postal_code: r.receiver.postalCode,
    receiver_city: r.receiver.city,
    receiver_country: r.receiver.country,
    receiver_phone: r.receiver.phone,
    phone_key: r.receiver.phoneKey,
    status: INITIAL_STATUS,
    created_at: now,
    updated_at: now,
  }));
  for (const part of chunk(rows, 500)) await upsertFileShipmentRows(trx, part, now);
  const stored = await findFileShipments(trx, [...byKey.keys()]);
  const ids = new Map([...stored.values()].map((s) => [s.external_key, s.id]));
  // `created_at` is never overwritten: the rows stamped with this call's `now` are the new ones.
  const created = new Set([...stored.values()].filter((s) => Number(s.created_at) === now).map((s) => s.id));

  await upsertShipmentItems(trx, [...byKey.values()].map((r) => ({ shipmentId: ids.get(r.externalKey)!, items: r.items })));

  return { ids, created };
}

export interface UpsertedFileShipments {
  /** Each external key's shipment id. */
  ids: Map<string, number>;
  /** The shipments this call inserted (they get `shipment.created` from `addFileEvents`). */
  created: Set<number>;
}

/**
 * Shipments of any source whose `reference` is one of `references` (a status feed's card id
 * names the shipment by its reference): per reference, the file shipment made for it if there
 * is one, else the oldest.
 */
export async function findShipmentIdsByReference(trx: Knex.Transaction, references: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const refs of chunk([...new Set(references)], 500)) {
    for (const r of await findShipmentsByReference(trx, refs)) {
      const own = r.source === FILE_SOURCE && r.external_key === referenceKey(r.reference);
      if (own || !found.has(r.reference)) found.set(r.reference, r.id);
    }
  }
  return found;
}

export function referenceKey(reference: string): string {
  return `ref:${reference}`;
}

/**
 * Adds tracking events to stored shipments: the same observation is stored once, shipments that
 * got a new event count as changed (`updated_at`, so `updated_since` followers see them), and
 * their current status follows the latest event by time. `created`: the shipments the batch
 * inserted, announced with their status. Returns which of `events` were new.
 */
export async function addFileEvents(trx: Knex.Transaction, events: FileEvent[], opts: { created?: ReadonlySet<number> } = {}): Promise<boolean[]> {
  const created = opts.created ?? new Set<number>();
  if (events.length === 0) {
    for (const ids of chunk([...created], 500)) await refreshCurrentStatus(trx, ids, { created });
    return [];
  }
  const now = Date.now();
  const rows = events.map((e) => eventRow(e.shipmentId, e.event, now, e.timeless));
  const known = new Set<string>();
  const shipmentIds = [...new Set(rows.map((r) => r.shipment_id))];
  for (const ids of chunk(shipmentIds, 500)) {
    const found = await findStoredEventKeys(trx, ids, [...new Set(rows.filter((r) => ids.includes(r.shipment_id)).map((r) => r.dedupe_key))]);
    for (const f of found) known.add(`${f.shipment_id}:${f.dedupe_key}`);
  }
  const fresh: TrackingEventRow[] = [];
  const isNew = rows.map((r) => {
    const id = `${r.shipment_id}:${r.dedupe_key}`;
    if (known.has(id)) return false;
    known.add(id);
    fresh.push(r);
    return true;
  });
  for (const part of chunk(fresh, 500)) await insertTrackingEvents(trx, part);
  const changed = [...new Set(fresh.map((r) => r.shipment_id))];
  for (const ids of chunk(changed, 500)) await markShipmentsChanged(trx, ids, now);
  // New shipments are announced (`shipment.created`) and moved ones too (`shipment.status_changed`):
  // refreshCurrentStatus records both in this transaction's outbox.
  for (const ids of chunk([...new Set([...changed, ...created])], 500)) await refreshCurrentStatus(trx, ids, { created });
  return isNew;
}

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
