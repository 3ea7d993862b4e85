import type { Knex } from 'knex';
import type { ShipmentItemRecord } from '../connectors/types.ts';
import { mapParcelLabStatus } from '../status-mapping.ts';
import { addFileEvents, FILE_SOURCE, findFileShipments, upsertFileShipments, type FileEvent, type FileShipmentRecord } from '../sync/file-shipments.ts';
import { parseAddress } from './address.ts';
import { cellOf } from './columns.ts';
import { emptyOutcome, type BatchInput, type BatchOutcome } from './batch.ts';
import { rowError, type CsvRow } from './read-batch.ts';
import { findStoredItems } from '../../models/shipments.ts';

/**
 * Shipment lists (the parcelLab format): one row per article; rows with the same carrier and
 * tracking number are one shipment, whose fields repeat on each of its rows (the last row's
 * win). The receiver address is parsed into street, postal code, city and ISO country (those
 * feed the weather refresh); the status column becomes a tracking event (status-mapping.md).
 * A status no rule knows is kept with its raw text and counted in the import's
 * `unmapped_statuses`; it does not move the shipment's status.
 */
interface ListRow {
  row: CsvRow;
  externalKey: string;
  item: ShipmentItemRecord;
  rawStatus: string;
}

export function shipmentListKey(carrier: string | null, trackingNumber: string): string {
  return `tn:${(carrier ?? '').toUpperCase()}:${trackingNumber}`;
}

export async function processShipmentListBatch(trx: Knex.Transaction, input: BatchInput): Promise<BatchOutcome> {
  const out = emptyOutcome();
  const { records, rows } = readListRows(input, out);
  if (rows.length === 0) return out;

  // Compare with what is stored, to count each row as inserted, updated or unchanged.
  const before = await findFileShipments(trx, [...records.keys()]);
  const beforeItems = await findStoredItems(trx, [...before.values()].map((s) => s.id));

  const { ids, created } = await upsertFileShipments(trx, [...records.values()]);
  const events: FileEvent[] = [];
  const eventOfRow: number[] = [];
  for (const r of rows) {
    if (!r.rawStatus) {
      eventOfRow.push(-1);
      continue;
    }
    const status = mapParcelLabStatus(r.rawStatus);
    if (!status) out.unmapped[r.rawStatus] = (out.unmapped[r.rawStatus] ?? 0) + 1;
    eventOfRow.push(events.length);
    events.push({
      shipmentId: ids.get(r.externalKey)!,
      event: { source: FILE_SOURCE, status, rawStatus: r.rawStatus, description: null, location: null, occurredAt: input.uploadedAt },
      timeless: true,
    });
  }
  const fresh = await addFileEvents(trx, events, { created });

  for (const [i, r] of rows.entries()) {
    const stored = before.get(r.externalKey);
    const record = records.get(r.externalKey)!;
    const oldItem = stored ? beforeItems.get(`${stored.id}|${r.item.key}`) : undefined;
    if (!stored || !oldItem) {
      out.inserted++;
      continue;
    }
    const sameShipment =
      stored.carrier === record.carrier &&
      stored.receiver_street === record.receiver.street &&
      stored.receiver_postal_code === record.receiver.postalCode &&
      stored.receiver_city === record.receiver.city &&
      stored.receiver_country === record.receiver.country;
    const sameItem = oldItem.sku === r.item.sku && oldItem.title === r.item.title && oldItem.quantity === r.item.quantity && oldItem.unit_price === r.item.unitPrice;
    const eventAt = eventOfRow[i]!;
    const newEvent = eventAt >= 0 && fresh[eventAt] === true;
    if (sameShipment && sameItem && !newEvent) out.unchanged++;
    else out.updated++;
  }
  return out;
}

/**
 * The batch's rows checked (bad ones into `out.errors`) and grouped: one record per shipment,
 * with its articles (a repeated article: the later row wins), and the rows in file order.
 */
function readListRows(input: BatchInput, out: BatchOutcome): { records: Map<string, FileShipmentRecord>; rows: ListRow[] } {
  const records = new Map<string, FileShipmentRecord>();
  const rows: ListRow[] = [];
  for (const row of input.rows) {
    const cell = (name: string) => cellOf(row.cells, input.cols, name);
    const trackingNumber = cell('tracking_number');
    const carrier = cell('carrier') || null;
    if (!trackingNumber) {
      out.errors.push(rowError(row, 'tracking_number is missing'));
      continue;
    }
    if (trackingNumber.length > 128 || (carrier?.length ?? 0) > 64) {
      out.errors.push(rowError(row, 'tracking_number (128) or carrier (64 characters) is too long'));
      continue;
    }
    const quantityText = cell('article_quantity');
    const quantity = quantityText === '' ? 1 : Number(quantityText);
    if (!Number.isInteger(quantity) || quantity < 0 || quantity > 1_000_000) {
      out.errors.push(rowError(row, `article_quantity "${quantityText.slice(0, 20)}" is not a whole number`));
      continue;
    }
    const priceText = cell('article_price').replace(/\s/g, '');
    const price = priceText === '' ? null : Number(/^\d+,\d{1,2}$/.test(priceText) ? priceText.replace(',', '.') : priceText);
    if (price !== null && (!Number.isFinite(price) || price < 0 || price >= 1e10)) {
      out.errors.push(rowError(row, `article_price "${priceText.slice(0, 20)}" is not a price`));
      continue;
    }
    const sku = cell('sku') || null;
    const title = cell('article_name') || null;
    const externalKey = shipmentListKey(carrier, trackingNumber);
    const address = parseAddress(cell('receiver_address'));
    records.set(externalKey, {
      externalKey,
      reference: null,
      carrier,
      trackingNumber,
      receiver: {
        street: address.street?.slice(0, 255) ?? null,
        postalCode: address.postalCode?.slice(0, 16) ?? null,
        city: address.city?.slice(0, 128) ?? null,
        country: address.country,
        phone: null,
        phoneKey: null,
      },
      items: [],
    });
    rows.push({
      row,
      externalKey,
      item: { key: `${sku ?? ''}|${title ?? ''}`.slice(0, 128), ean: null, sku, title, quantity, quantityShipped: null, unitPrice: price },
      rawStatus: cell('status'),
    });
  }
  for (const r of rows) {
    const items = records.get(r.externalKey)!.items;
    const at = items.findIndex((i) => i.key === r.item.key);
    if (at >= 0) items[at] = r.item;
    else items.push(r.item);
  }
  return { records, rows };
}

