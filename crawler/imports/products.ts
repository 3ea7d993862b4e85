import type { Knex } from 'knex';
import { Readable } from 'node:stream';
import { dialectOf } from '../../config/database.ts';
import { PRODUCT_NAME_MAX, PRODUCT_SKU_MAX, skuKeyOf } from '../../models/product.ts';
import { cellOf } from './columns.ts';
import { emptyOutcome, rowError, type BatchInput, type BatchOutcome } from './batch.ts';

/**
 * Catalogue rows (the Acme / Fulfil brief): `name,sku,description[,active]`.
 * - SKU identity is case-insensitive (`sku_key`); the displayed SKU is the spelling written last.
 * - A later row overwrites an earlier one, in the same file (batches run in file order) and in
 *   the catalogue.
 * - `active` from the file when it has the column; otherwise new products are active and
 *   existing ones keep their flag (and the same for `description`).
 * - Rows that change nothing are not written at all: re-importing a file touches no row (and
 *   costs one indexed read per batch).
 * CSV imports emit no product events: those come from the products API only.
 */
interface ProductInput {
  sku: string;
  skuKey: string;
  name: string;
  /** undefined: the file has no description column, the product keeps its own. */
  description: string | null | undefined;
  active: boolean | undefined;
}

interface StoredProduct {
  sku: string;
  name: string;
  description: string | null;
  active: boolean;
}

/** A TEXT column holds 65,535 bytes: a longer description is a bad row, not a failed batch. */
const DESCRIPTION_MAX_BYTES = 65_535;
/** Below this many new products a plain INSERT is as fast as a bulk load. */
const BULK_LOAD_MIN_ROWS = 200;

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 'active', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'inactive', 'off']);

export async function processProductBatch(trx: Knex.Transaction, input: BatchInput): Promise<BatchOutcome> {
  const out = emptyOutcome();
  const hasActive = input.cols.index.active !== undefined;
  const parsed: ProductInput[] = [];
  for (const row of input.rows) {
    const sku = cellOf(row.cells, input.cols, 'sku');
    const name = cellOf(row.cells, input.cols, 'name');
    const descriptionAt = input.cols.index.description;
    const description = descriptionAt === undefined ? null : (row.cells[descriptionAt] ?? '');
    const activeText = cellOf(row.cells, input.cols, 'active').toLowerCase();
    if (!sku) out.errors.push(rowError(row, 'sku is missing'));
    else if (sku.length > PRODUCT_SKU_MAX) out.errors.push(rowError(row, `sku is longer than ${PRODUCT_SKU_MAX} characters`));
    else if (!name) out.errors.push(rowError(row, 'name is missing'));
    else if (name.length > PRODUCT_NAME_MAX) out.errors.push(rowError(row, `name is longer than ${PRODUCT_NAME_MAX} characters`));
    else if (description !== null && description.length > 16_383 && Buffer.byteLength(description) > DESCRIPTION_MAX_BYTES) {
      out.errors.push(rowError(row, `description is longer than ${DESCRIPTION_MAX_BYTES.toLocaleString('en')} bytes`));
    }
    else if (hasActive && activeText !== '' && !TRUE_WORDS.has(activeText) && !FALSE_WORDS.has(activeText)) {
      out.errors.push(rowError(row, `active "${activeText.slice(0, 20)}" is not one of true/false, yes/no, 1/0`));
    } else {
      parsed.push({
        sku,
        skuKey: skuKeyOf(sku),
        name,
        description: description === null ? undefined : description === '' ? null : description,
        active: hasActive && activeText !== '' ? TRUE_WORDS.has(activeText) : undefined,
      });
    }
  }
  if (parsed.length === 0) return out;

  const now = Date.now();
  const keys = [...new Set(parsed.map((p) => p.skuKey))];
  // Load first (MySQL, while the file brings mostly new SKUs): every SKU goes in through one bulk
  // load that skips the ones the catalogue has; only those are then read and compared. That saves
  // looking up thousands of SKUs that turn out to be new.
  const loaded = dialectOf(trx) === 'mysql' && input.hint?.mostlyNew && keys.length >= BULK_LOAD_MIN_ROWS ? await loadFirst(trx, parsed, now) : new Set<string>();

  // What the catalogue holds for the other SKUs now, then each row in file order against it
  // (a SKU loaded above starts from nothing, as it did in the load).
  const state = new Map<string, StoredProduct>();
  const toRead = loaded.size > 0 ? keys.filter((k) => !loaded.has(k)) : keys;
  for (let i = 0; i < toRead.length; i += 2000) {
    const found: { sku: string; sku_key: string; name: string; description: string | null; active: boolean | number }[] = await trx('products')
      .select('sku', 'sku_key', 'name', 'description', 'active')
      .whereIn('sku_key', toRead.slice(i, i + 2000));
    for (const f of found) state.set(f.sku_key, { sku: f.sku, name: f.name, description: f.description, active: Boolean(f.active) });
  }
  const changed = new Map<string, StoredProduct>();
  const isNew = new Set<string>();
  for (const p of parsed) {
    const before = state.get(p.skuKey);
    const after: StoredProduct = {
      sku: p.sku,
      name: p.name,
      description: p.description === undefined ? (before?.description ?? null) : p.description,
      active: p.active ?? before?.active ?? true,
    };
    if (!before) {
      out.inserted++;
      isNew.add(p.skuKey);
    } else if (before.sku === after.sku && before.name === after.name && before.description === after.description && before.active === after.active) {
      out.unchanged++;
      continue;
    } else {
      out.updated++;
    }
    state.set(p.skuKey, after);
    changed.set(p.skuKey, after);
  }

  // SKUs the load wrote are already in their final state.
  let rows = [...changed]
    .filter(([skuKey]) => !loaded.has(skuKey))
    .map(([skuKey, p]) => ({ sku: p.sku, sku_key: skuKey, name: p.name, description: p.description, active: p.active, created_at: now, updated_at: now }));
  // Without an `active` column an existing product keeps its flag, even if another import or
  // the API changed it since the read above.
  const merge = ['sku', 'name', 'updated_at', ...(input.cols.index.description !== undefined ? ['description'] : []), ...(hasActive ? ['active'] : [])];
  if (dialectOf(trx) === 'mysql') {
    const fresh = rows.filter((r) => isNew.has(r.sku_key));
    if (fresh.length >= BULK_LOAD_MIN_ROWS && (await bulkLoadNewProducts(trx, fresh, merge))) rows = rows.filter((r) => !isNew.has(r.sku_key));
  }
  // Statements of at most 1,000 rows and ~4 MB: inside MySQL's max_allowed_packet and SQLite's variable limit.
  let part: typeof rows = [];
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
  return out;
}

/** Whether this MySQL server takes `LOAD DATA LOCAL INFILE` (MariaDB does by default, MySQL 8 not). */
let bulkLoadRefused = false;

type ProductRowValues = { sku: string; sku_key: string; name: string; description: string | null; active: boolean; created_at: number; updated_at: number };

/**
 * Products into MySQL through `LOAD DATA LOCAL INFILE` from a buffer built here (the rows are
 * already parsed and checked): the server's bulk path, about twice the rate of a multi-row
 * INSERT, inside the batch's transaction. `IGNORE`: a SKU the catalogue already has is skipped.
 * Null when the server refuses local loads (then nobody in this process asks again).
 */
async function loadProducts(trx: Knex.Transaction, rows: ProductRowValues[]): Promise<{ affectedRows: number; insertId: number } | null> {
  if (bulkLoadRefused) return null;
  const tsv = rows
    .map((r) => [tsvField(r.sku), tsvField(r.sku_key), tsvField(r.name), tsvField(r.description), r.active ? '1' : '0', String(r.created_at), String(r.updated_at)].join('\t'))
    .join('\n');
  try {
    const [result] = (await trx
      .raw(
        "LOAD DATA LOCAL INFILE 'shipsync-products.tsv' IGNORE INTO TABLE products CHARACTER SET utf8mb4 " +
          "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (sku, sku_key, name, description, active, created_at, updated_at)",
      )
      .options({ infileStreamFactory: () => Readable.from([Buffer.from(tsv, 'utf8')]) })) as unknown as [{ affectedRows: number; insertId: number }];
    return { affectedRows: Number(result.affectedRows), insertId: Number(result.insertId ?? 0) };
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
 * New products of a batch, already known to be new (their SKUs were looked up): bulk-loaded.
 * A SKU someone else created since the look-up is skipped by the load, so then they all go
 * through the upsert as well (idempotent). False when the server refuses local loads.
 */
async function bulkLoadNewProducts(trx: Knex.Transaction, rows: ProductRowValues[], merge: string[]): Promise<boolean> {
  const result = await loadProducts(trx, rows);
  if (!result) return false;
  if (result.affectedRows !== rows.length) await trx('products').insert(rows).onConflict('sku_key').merge(merge);
  return true;
}

/**
 * Load first: every SKU of the batch, with the values it would have as a new product (the last
 * row of each SKU wins, as in the file), bulk-loaded with `IGNORE`. Returns the SKUs the load
 * inserted; the caller reads and compares only the others. The inserted rows are found by the
 * auto-increment range the load started (`insertId`) and this batch's `created_at`, a short
 * primary-key range instead of thousands of look-ups.
 */
async function loadFirst(trx: Knex.Transaction, parsed: ProductInput[], now: number): Promise<Set<string>> {
  const asNew = new Map<string, StoredProduct>();
  for (const p of parsed) {
    const before = asNew.get(p.skuKey);
    asNew.set(p.skuKey, { sku: p.sku, name: p.name, description: p.description === undefined ? (before?.description ?? null) : p.description, active: p.active ?? before?.active ?? true });
  }
  const rows = [...asNew].map(([skuKey, p]) => ({ sku: p.sku, sku_key: skuKey, name: p.name, description: p.description, active: p.active, created_at: now, updated_at: now }));
  const result = await loadProducts(trx, rows);
  if (!result || result.affectedRows === 0) return new Set();
  if (result.affectedRows === rows.length) return new Set(asNew.keys());
  const mine = (result.insertId > 0
    ? await trx('products').select('sku_key').where('id', '>=', result.insertId).andWhere({ created_at: now })
    : await trx('products').select('sku_key').whereIn('sku_key', [...asNew.keys()]).andWhere({ created_at: now })) as { sku_key: string }[];
  return new Set(mine.map((r) => r.sku_key).filter((k) => asNew.has(k)));
}

/** A field of LOAD DATA's default format: backslash escapes, `\N` for NULL. */
function tsvField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0'));
}
