import { iso } from '../../models/db.ts';
import type { ProductRow } from '../../models/products.ts';

/**
 * The public shape of a product: in API responses (api/routes/products.ts) and in `product.*`
 * events, including the `product.deleted` events a catalogue deletion records on a worker.
 */
export function presentProduct(p: ProductRow) {
  return {
    id: Number(p.id),
    sku: p.sku,
    name: p.name,
    description: p.description,
    active: Boolean(p.active),
    created_at: iso(p.created_at),
    updated_at: iso(p.updated_at),
  };
}
