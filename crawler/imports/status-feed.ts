import type { Knex } from 'knex';
import type { FeedEvent } from '../../models/imports.ts';
import { STATUS_FEED_EVENT_STATUS } from '../status-mapping.ts';
import { addFileEvents, FILE_SOURCE, referenceKey, findShipmentIdsByReference, upsertFileShipments, type FileEvent } from '../sync/file-shipments.ts';
import { cellOf } from './columns.ts';
import { emptyOutcome, type BatchInput, type BatchOutcome } from './batch.ts';
import { rowError } from './read-batch.ts';
import { cleanPhone } from './phones.ts';
import { phoneKey } from '../../models/phone-key.ts';
import { fillShipmentPhone } from '../../models/shipments.ts';
import { parseFeedTimestamp } from './timestamps.ts';

/**
 * Partner status feed rows (the Zywa brief): `ID, Card ID, <phone>, Timestamp[, Comment]`, one
 * file per event kind. Each row becomes a tracking event of that kind on the shipment whose
 * reference is the card id, created (source 'csv') if shipsync does not know it. The current
 * status is the latest event by time, so the files may arrive in any order.
 */
interface FeedRow {
  index: number;
  reference: string;
  phone: string | null;
  occurredAt: number;
  comment: string | null;
}

export async function processStatusFeedBatch(trx: Knex.Transaction, input: BatchInput): Promise<BatchOutcome> {
  const out = emptyOutcome();
  const event = input.options.event as FeedEvent;
  const zone = input.options.timezone ?? 'UTC';
  const parsed: FeedRow[] = [];
  input.rows.forEach((row, index) => {
    const reference = cellOf(row.cells, input.cols, 'reference');
    if (!reference) return void out.errors.push(rowError(row, 'card id (the shipment reference) is missing'));
    if (reference.length > 128) return void out.errors.push(rowError(row, 'card id is longer than 128 characters'));
    const time = parseFeedTimestamp(cellOf(row.cells, input.cols, 'timestamp'), zone);
    if (!time.ok) return void out.errors.push(rowError(row, time.reason));
    const comment = cellOf(row.cells, input.cols, 'comment');
    parsed.push({ index, reference, phone: cleanPhone(cellOf(row.cells, input.cols, 'phone')), occurredAt: time.ms, comment: comment || null });
  });
  if (parsed.length === 0) return out;

  const references = [...new Set(parsed.map((r) => r.reference))];
  const known = await findShipmentIdsByReference(trx, references);
  // Unknown references get a file shipment; known ones without a phone learn it from the feed.
  const lastPhone = new Map(parsed.filter((r) => r.phone).map((r) => [r.reference, r.phone!]));
  const { ids: created, created: createdIds } = await upsertFileShipments(
    trx,
    references
      .filter((ref) => !known.has(ref))
      .map((ref) => {
        const phone = lastPhone.get(ref) ?? null;
        return {
          externalKey: referenceKey(ref),
          reference: ref,
          carrier: null,
          trackingNumber: null,
          receiver: { street: null, postalCode: null, city: null, country: null, phone, phoneKey: phoneKey(phone, input.settings.phoneKeyDigits) },
          items: [],
        };
      }),
  );
  for (const [ref, phone] of lastPhone) {
    const id = known.get(ref);
    if (id !== undefined) {
      await fillShipmentPhone(trx, id, phone, phoneKey(phone, input.settings.phoneKeyDigits));
    }
  }
  const idOf = (ref: string) => known.get(ref) ?? created.get(referenceKey(ref))!;

  const events: FileEvent[] = parsed.map((r) => ({
    shipmentId: idOf(r.reference),
    event: { source: FILE_SOURCE, status: STATUS_FEED_EVENT_STATUS[event], rawStatus: event, description: r.comment, location: null, occurredAt: r.occurredAt },
  }));
  const fresh = await addFileEvents(trx, events, { created: createdIds });
  for (const isNew of fresh) {
    if (isNew) out.inserted++;
    else out.unchanged++;
  }
  return out;
}
