import type { z } from 'zod';
import { NotFoundError } from '../../lib/errors.ts';
import { carrierCodesFor } from '../../models/carriers.ts';
import { isLookup, loadShipmentExtras, lookupShipments } from '../../models/shipment-details.ts';
import { findShipmentSummary, listShipments, type ShipmentFilters } from '../../models/shipment-queries.ts';
import { phoneKey } from '../../models/phone-key.ts';
import type { ApiDeps } from '../context.ts';
import type { ApiRouter } from '../context.ts';
import { decodeCursor, encodeCursor } from '../keyset-cursor.ts';
import { presentShipmentSummary, presentShipmentWithExtras } from '../present.ts';
import { parseRequest, ShipmentListQuery } from '../schemas.ts';
import { pathId } from './params.ts';

const DEFAULT_LIMIT = 50;

/**
 * The shipment list (filters, keyset pages on one index each: models/shipment-queries.ts) and
 * one shipment with its items and tracking timeline.
 */
export function shipmentRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.get('/shipments', async (ctx) => {
    const q = parseRequest(ShipmentListQuery, ctx.query);
    const filters = await shipmentFilters(deps, q);
    const after = q.cursor === undefined ? null : decodeCursor(filters, q.cursor);
    const limit = q.limit ?? DEFAULT_LIMIT;
    let data: unknown[];
    let next;
    if (isLookup(filters)) {
      const page = await lookupShipments(deps.knex, filters, { after, limit });
      const extras = await loadShipmentExtras(deps.knex, page.rows.map((r) => Number(r.id)), page.heads);
      data = page.rows.map((r) => presentShipmentWithExtras(r, extras.get(Number(r.id)), filters.now));
      next = page.next;
    } else {
      const page = await listShipments(deps.knex, filters, { after, limit });
      data = page.rows.map((r) => presentShipmentSummary(r, filters.now));
      next = page.next;
    }
    ctx.body = {
      data,
      next_cursor: next ? encodeCursor(filters, next) : null,
    };
  });

  router.get('/shipments/:id', async (ctx) => {
    const id = pathId(ctx);
    const [row, extras] = await Promise.all([
      findShipmentSummary(deps.knex, id),
      loadShipmentExtras(deps.knex, [id]),
    ]);
    if (!row) throw new NotFoundError('shipment', id);
    ctx.body = presentShipmentWithExtras(row, extras.get(id));
  });
}

/** The list's query parameters as filters; the CSV export takes the same ones. */
export async function shipmentFilters(deps: ApiDeps, q: Omit<z.infer<typeof ShipmentListQuery>, 'limit' | 'cursor'>): Promise<ShipmentFilters> {
  const filters: ShipmentFilters = {
    shop_id: q.shop_id,
    status: q.status,
    carrier: q.carrier,
    tracking_number: q.tracking_number,
    reference: q.reference,
    // The schema has checked it has enough digits to make a key.
    phone_key: q.phone === undefined ? undefined : (phoneKey(q.phone, deps.phoneKeyDigits) ?? undefined),
    updated_since: q.updated_since,
    attention: q.attention,
    now: Date.now(),
  };
  // A carrier by code or name, any case (models/carriers.ts): `dhl` finds DHLFORYOU and DHL_DE too.
  if (filters.carrier !== undefined) filters.carrier_codes = await carrierCodesFor(deps.knex, filters.carrier);
  return filters;
}
