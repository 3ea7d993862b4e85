import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { NotFoundError } from '../lib/errors.ts';
import { iso } from './db.ts';

/**
 * A product of the seller's catalogue. Its identity is the SKU compared case-insensitively
 * (`sku_key`, the lower-case form, is unique); `sku` keeps the spelling written last.
 */
export class Product extends BaseModel {
  static override tableName = 'products';

  id!: number;
  sku!: string;
  sku_key!: string;
  name!: string;
  description!: string | null;
  active!: boolean | number;
}

export const PRODUCT_SKU_MAX = 128;
export const PRODUCT_NAME_MAX = 255;

/** The identity of a SKU: trimmed, lower case. `ABC-1` and ` abc-1` are one product. */
export function skuKeyOf(sku: string): string {
  return sku.trim().toLowerCase();
}

export async function findProductOrFail(knex: Knex, id: number): Promise<Product> {
  const product = await Product.query(knex).findById(id);
  if (!product) throw new NotFoundError('product', id);
  return product;
}

export interface ProductFilters {
  /** Substrings, case-insensitive. */
  sku?: string;
  name?: string;
  description?: string;
  active?: boolean;
}

/** Escapes LIKE wildcards so a filter is a plain substring (`50%` finds "50%", not "50 anything"). */
function likeSubstring(value: string): string {
  // `!` as the escape character: a backslash means different things in MySQL and SQLite literals.
  return `%${value.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * One keyset page of the catalogue, by id ascending after `afterId`. Substring filters are
 * `LIKE` on the lower-cased value (MySQL's ci collations and SQLite's LIKE both ignore ASCII case;
 * lower-casing both sides covers the rest), so they scan: the catalogue is hundreds of thousands
 * of rows, which MySQL scans in well under a second, and the page stops at `limit` matches.
 */
export function buildProductListQuery(knex: Knex, f: ProductFilters, opts: { afterId?: number | null; limit: number }): Knex.QueryBuilder {
  const q = knex('products').select('id', 'sku', 'name', 'description', 'active', 'created_at', 'updated_at');
  if (f.active !== undefined) q.where('active', f.active);
  const like = (column: string, value: string | undefined) => {
    if (value !== undefined) q.whereRaw(`lower(??) like ? escape '!'`, [column, likeSubstring(value)]);
  };
  like('sku_key', f.sku);
  like('name', f.name);
  like('description', f.description);
  if (opts.afterId) q.where('id', '>', opts.afterId);
  return q.orderBy('id', 'asc').limit(opts.limit);
}

export interface ProductRow {
  id: number;
  sku: string;
  name: string;
  description: string | null;
  active: boolean | number;
  created_at: number;
  updated_at: number;
}

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
