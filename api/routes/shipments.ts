import { NotFoundError } from '../../lib/errors.ts';
import { Shipment, ShipmentItem, TrackingEvent } from '../../models/shipment.ts';
import { listShipments, phoneKeyOf, type ShipmentFilters } from '../../models/shipment-queries.ts';
import type { ApiDeps } from '../app.ts';
import type { ApiRouter } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { presentShipmentDetail, presentShipmentSummary } from '../present.ts';
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
    const filters: ShipmentFilters = {
      shop_id: q.shop_id,
      status: q.status,
      carrier: q.carrier,
      tracking_number: q.tracking_number,
      reference: q.reference,
      // The schema has checked it has enough digits to make a key.
      phone_key: q.phone === undefined ? undefined : (phoneKeyOf(q.phone) ?? undefined),
      updated_since: q.updated_since,
    };
    const after = q.cursor === undefined ? null : decodeCursor(filters, q.cursor);
    const page = await listShipments(deps.knex, filters, { after, limit: q.limit ?? DEFAULT_LIMIT });
    ctx.body = {
      data: page.rows.map(presentShipmentSummary),
      next_cursor: page.next ? encodeCursor(filters, page.next) : null,
    };
  });

  router.get('/shipments/:id', async (ctx) => {
    const id = pathId(ctx);
    const shipment = await Shipment.query(deps.knex).findById(id);
    if (!shipment) throw new NotFoundError('shipment', id);
    const [items, events] = await Promise.all([
      ShipmentItem.query(deps.knex).where('shipment_id', id).orderBy('id'),
      TrackingEvent.query(deps.knex).where('shipment_id', id).orderBy([{ column: 'occurred_at' }, { column: 'id' }]),
    ]);
    ctx.body = presentShipmentDetail(shipment, items, events);
  });
}
