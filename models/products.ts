import type { Knex } from 'knex';
import { Readable } from 'node:stream';
import { nextTurn } from '../lib/next-turn.ts';
import { foundOrFail } from './db.ts';

/**
 * The `products` table: the seller's catalogue, written by the products API and by CSV imports.
 * A product's identity is the SKU compared case-insensitively (`sku_key`, the lower-case form, is
 * unique); `sku` keeps the spelling written last.
 */

export const PRODUCT_SKU_MAX = 128;
export const PRODUCT_NAME_MAX = 255;

/** The identity of a SKU: trimmed, lower case. `ABC-1` and ` abc-1` are one product. */
export function skuKeyOf(sku: string): string {
  return sku.trim().toLowerCase();
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

/** The columns of a product the API shows and its events carry. */
const PRODUCT_COLUMNS = ['id', 'sku', 'name', 'description', 'active', 'created_at', 'updated_at'] as const;

export interface ProductRow {
  id: number;
  sku: string;
  name: string;
  description: string | null;
  active: boolean | number;
  created_at: number;
  updated_at: number;
}

/**
 * One keyset page of the catalogue, by id ascending after `afterId`. Substring filters are
 * `LIKE` on the lower-cased value (MySQL's ci collations and SQLite's LIKE both ignore ASCII case;
 * lower-casing both sides covers the rest), so they scan: the catalogue is hundreds of thousands
 * of rows, which MySQL scans in well under a second, and the page stops at `limit` matches.
 */
export async function findProductsPage(knex: Knex, f: ProductFilters, opts: { afterId?: number | null; limit: number }): Promise<ProductRow[]> {
  const q = knex('products').select(...PRODUCT_COLUMNS);
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

/** The product's row as the API shows it, or undefined. */
export async function findProductRow(db: Knex | Knex.Transaction, id: number): Promise<ProductRow | undefined> {
  return db('products').select(...PRODUCT_COLUMNS).where({ id }).first();
}

export async function findProductOrFail(db: Knex | Knex.Transaction, id: number): Promise<ProductRow> {
  return foundOrFail(await findProductRow(db, id), 'product', id);
}

/** Locks the product's row for the rest of the transaction; false when there is none. */
export async function lockProduct(trx: Knex.Transaction, id: number): Promise<boolean> {
  return (await trx('products').select('id').where({ id }).forUpdate().first()) !== undefined;
}

/** The product holding this SKU (compared ignoring case), if any. */
export async function findProductBySku(db: Knex | Knex.Transaction, sku: string): Promise<{ id: number; sku: string } | undefined> {
  return db('products').select('id', 'sku').where({ sku_key: skuKeyOf(sku) }).first();
}

export interface NewProduct {
  sku: string;
  name: string;
  description: string | null;
  active: boolean;
}

/** Inserts one product (a taken SKU raises the database's unique violation); its id. */
export async function insertProduct(trx: Knex.Transaction, p: NewProduct, now: number): Promise<number> {
  const [id] = await trx('products').insert({ sku: p.sku, sku_key: skuKeyOf(p.sku), name: p.name, description: p.description, active: p.active, created_at: now, updated_at: now });
  return Number(id);
}

/**
 * Changes the given fields of one product. The product is then no longer written by an import
 * row (crawler/imports/products.ts, provenance). A taken SKU raises the unique violation.
 */
export async function updateProduct(trx: Knex.Transaction, id: number, patch: Partial<NewProduct>, now: number): Promise<void> {
  const update: Record<string, unknown> = { updated_at: now, import_id: null, import_record: null };
  if (patch.sku !== undefined) Object.assign(update, { sku: patch.sku, sku_key: skuKeyOf(patch.sku) });
  if (patch.name !== undefined) update.name = patch.name;
  if (patch.description !== undefined) update.description = patch.description;
  if (patch.active !== undefined) update.active = patch.active;
  await trx('products').where({ id }).update(update);
}

export async function deleteProducts(trx: Knex.Transaction, ids: number[]): Promise<void> {
  await trx('products').whereIn('id', ids).delete();
}

/** The highest product id now (0 for an empty catalogue). */
export async function findLastProductId(knex: Knex): Promise<number> {
  const top = (await knex('products').max('id as max').first()) as { max: number | null } | undefined;
  return Number(top?.max ?? 0);
}

/** The first `limit` products by id with an id up to `lastId`. */
export async function findProductsUpTo(trx: Knex.Transaction, lastId: number, limit: number): Promise<ProductRow[]> {
  return trx('products').select(...PRODUCT_COLUMNS).where('id', '<=', lastId).orderBy('id').limit(limit);
}

/** A product as an import compares it, with the import row that wrote it last. */
export interface CatalogueEntry {
  sku: string;
  sku_key: string;
  name: string;
  description: string | null;
  active: boolean | number;
  import_id: number | string | null;
  import_record: number | null;
}

/** What the catalogue holds for these SKU keys, 2,000 keys a query. */
export async function findProductsBySkuKeys(trx: Knex.Transaction, keys: string[]): Promise<CatalogueEntry[]> {
  const found: CatalogueEntry[] = [];
  for (let i = 0; i < keys.length; i += 2000) {
    const part: CatalogueEntry[] = await trx('products')
      .select('sku', 'sku_key', 'name', 'description', 'active', 'import_id', 'import_record')
      .whereIn('sku_key', keys.slice(i, i + 2000));
    found.push(...part);
  }
  return found;
}

/** A product row as an import writes it. */
export interface ImportedProductRow {
  sku: string;
  sku_key: string;
  name: string;
  description: string | null;
  active: boolean;
  import_id: number;
  import_record: number;
  created_at: number;
  updated_at: number;
}

/**
 * Insert-or-merge on `sku_key`, updating only the `merge` columns of a product that exists, in
 * statements of at most 1,000 rows and ~4 MB: inside MySQL's max_allowed_packet and SQLite's
 * variable limit.
 */
export async function upsertProducts(trx: Knex.Transaction, rows: ImportedProductRow[], merge: string[]): Promise<void> {
  let part: ImportedProductRow[] = [];
  let bytes = 0;
  const flush = async () => {
    if (part.length === 0) return;
    await trx('products').insert(part).onConflict('sku_key').merge(merge);
    part = [];
    bytes = 0;
  };
  for (const r of rows) {
    part.push(r);
    bytes += r.name.length + (r.description?.length ?? 0) + r.sku.length * 2 + 64;
    if (part.length >= 1000 || bytes > 4_000_000) await flush();
  }
  await flush();
}

/** A product's values as a bulk load writes them. */
export interface LoadedProduct {
  sku: string;
  name: string;
  description: string | null;
  active: boolean;
}

/** Rows encoded between two turns of the event loop (see lib/next-turn.ts). */
const ROWS_PER_TURN = 1000;

/**
 * Products as the text `loadProducts` reads (LOAD DATA's default format: tab-separated,
 * backslash escapes, `\N` for NULL): `sku, sku_key, name, description, active, import_record`
 * per line. Built apart from the load, so a batch's text can be ready before its transaction.
 */
export async function buildProductsLoadText<T>(items: Iterable<T>, productOf: (item: T) => [skuKey: string, product: LoadedProduct, record: number]): Promise<Buffer> {
  const parts: Buffer[] = [];
  let text = '';
  let n = 0;
  for (const item of items) {
    const [skuKey, p, record] = productOf(item);
    text += `${tsvField(p.sku)}\t${tsvField(skuKey)}\t${tsvField(p.name)}\t${tsvField(p.description)}\t${p.active ? '1' : '0'}\t${record}\n`;
    if (++n % ROWS_PER_TURN === 0) {
      parts.push(Buffer.from(text, 'utf8'));
      text = '';
      await nextTurn();
    }
  }
  parts.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(parts);
}

/** A field of LOAD DATA's default format: backslash escapes, `\N` for NULL. */
function tsvField(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0'));
}

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;

/** Whether this MySQL server takes `LOAD DATA LOCAL INFILE` (MariaDB does by default, MySQL 8 not). */
let bulkLoadRefused = false;

/**
 * Products into MySQL through `LOAD DATA LOCAL INFILE` from a buffer in its default format
 * (tab-separated, backslash escapes, `\N` for NULL; `sku, sku_key, name, description, active,
 * import_record` per line): the server's bulk path, about twice the rate of a multi-row INSERT,
 * inside the caller's transaction. `IGNORE`: a SKU the catalogue already has is skipped.
 * Null when the server refuses local loads (then nobody in this process asks again).
 */
export async function loadProducts(trx: Knex.Transaction, text: Buffer, importId: number, now: number): Promise<{ affectedRows: number } | null> {
  if (bulkLoadRefused) return null;
  try {
    const [result] = (await trx
      .raw(
        "LOAD DATA LOCAL INFILE 'shipsync-products.tsv' IGNORE INTO TABLE products CHARACTER SET utf8mb4 " +
          "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (sku, sku_key, name, description, active, import_record) SET import_id = ?, created_at = ?, updated_at = ?",
        [importId, now, now],
      )
      .options({ infileStreamFactory: () => Readable.from([text]) })) as unknown as [{ affectedRows: number }];
    return { affectedRows: Number(result.affectedRows) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ER_NOT_ALLOWED_COMMAND' || code === 'ER_LOAD_INFILE_CAPABILITY_DISABLED' || code === 'ER_CLIENT_LOCAL_FILES_DISABLED') {
      bulkLoadRefused = true;
      return null;
    }
    throw err;
  }
}

/**
 * The SKU keys of the products the last `loadProducts` of this transaction inserted: the
 * auto-increment range it started (from `LAST_INSERT_ID()`) with its `created_at`, a short
 * primary-key range instead of thousands of look-ups. LAST_INSERT_ID() is the first id the load
 * generated (the OK packet of a LOAD DATA carries none: mysql2 reports 0); a load takes
 * consecutive ids.
 */
export async function findLoadedSkuKeys(trx: Knex.Transaction, now: number): Promise<string[]> {
  const mine = (await trx('products').select('sku_key').where('id', '>=', trx.raw('LAST_INSERT_ID()')).andWhere({ created_at: now })) as { sku_key: string }[];
  return mine.map((r) => r.sku_key);
}

/** How many products have an id up to `lastId`. */
export async function countProductsUpTo(knex: Knex | Knex.Transaction, lastId: number): Promise<number> {
  return Number(((await knex('products').where('id', '<=', lastId).count({ n: '*' }).first()) as { n: number | string } | undefined)?.n ?? 0);
}
