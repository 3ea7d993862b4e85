import type { Knex } from 'knex';
import { isLate, listShipments, type ShipmentFilters, type ShipmentKeyset } from '../../models/shipment-queries.ts';
import { iso } from '../../models/db.ts';
import { findReceiverStreets } from '../../models/shipments.ts';
import type { ApiDeps } from '../context.ts';
import type { ApiRouter } from '../context.ts';
import { sendCsv } from '../csv-export.ts';
import { ShipmentExportQuery } from '../import-schemas.ts';
import { parseRequest } from '../schemas.ts';
import { shipmentFilters } from './shipments.ts';

/** Rows per database read: one keyset page of the list, on the index the list would use. */
export const EXPORT_PAGE_ROWS = 2_000;

const COLUMNS = [
  'id',
  'source',
  'shop_id',
  'reference',
  'order_id',
  'carrier',
  'tracking_number',
  'status',
  'status_at',
  'shipped_at',
  'receiver_street',
  'receiver_postal_code',
  'receiver_city',
  'receiver_country',
  'created_at',
  'updated_at',
  // Added after the first release, at the end so that readers by position keep working.
  'receiver_name',
  'order_placed_at',
  'promised_delivery_at',
  'late',
  'estimated_delivery_at',
  'estimated_delivery_from',
  'estimated_delivery_to',
  'carrier_remark',
  'proof_of_delivery_url',
  'tracking_url',
  'pickup_point_code',
  'pickup_point_name',
  'transport_id',
  'shipping_label_id',
  'distribution_party',
];

/**
 * `GET /shipments/export.csv`: every shipment the list would show for the same filters, in the
 * list's order, as one streamed CSV (api/csv-export.ts). Registered before `/shipments/:id`.
 */
export function exportRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.get('/shipments/export.csv', async (ctx) => {
    const q = parseRequest(ShipmentExportQuery, ctx.query);
    const filters = await shipmentFilters(deps, q);
    sendCsv(ctx, 'shipments.csv', COLUMNS, shipmentRows(deps.knex, filters));
  });
}

async function* shipmentRows(knex: Knex, filters: ShipmentFilters): AsyncGenerator<unknown[]> {
  let after: ShipmentKeyset | null = null;
  for (;;) {
    const page = await listShipments(knex, filters, { after, limit: EXPORT_PAGE_ROWS });
    // The list's summary has no street: one primary-key read per page adds it.
    const streets = page.rows.length > 0 ? await findReceiverStreets(knex, page.rows.map((r) => r.id)) : new Map<number, string | null>();
    for (const r of page.rows) {
      yield [
        Number(r.id),
        r.source,
        r.shop_id === null ? null : Number(r.shop_id),
        r.reference,
        r.order_id,
        r.carrier,
        r.tracking_number,
        r.status,
        iso(r.status_at),
        iso(r.shipped_at),
        streets.get(Number(r.id)) ?? null,
        r.receiver_postal_code,
        r.receiver_city,
        r.receiver_country,
        iso(r.created_at),
        iso(r.updated_at),
        r.receiver_name,
        iso(r.order_placed_at),
        iso(r.promised_delivery_at),
        isLate(r, filters.now ?? Date.now()),
        iso(r.estimated_delivery_at),
        iso(r.estimated_delivery_from),
        iso(r.estimated_delivery_to),
        r.carrier_remark,
        r.proof_of_delivery_url,
        r.tracking_url,
        r.pickup_point_code,
        r.pickup_point_name,
        r.transport_id,
        r.shipping_label_id,
        r.distribution_party,
      ];
    }
    if (!page.next) return;
    after = page.next;
  }
}
