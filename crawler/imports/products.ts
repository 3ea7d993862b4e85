import type { Knex } from 'knex';
import { nextTurn } from '../../lib/next-turn.ts';
import { dialectOf } from '../../models/db.ts';
import {
  buildProductsLoadText,
  findLoadedSkuKeys,
  findProductsBySkuKeys,
  loadProducts,
  PRODUCT_NAME_MAX,
  PRODUCT_SKU_MAX,
  skuKeyOf,
  upsertProducts,
  type ImportedProductRow,
} from '../../models/products.ts';
import { cellOf } from './columns.ts';
import { emptyOutcome, type BatchHint, type BatchInput, type BatchOutcome, type BatchProcessor } from './batch.ts';
import { rowError } from './read-batch.ts';

/**
 * Catalogue rows (the Acme / Fulfil brief): `name,sku,description[,active]`.
 * - SKU identity is case-insensitive (`sku_key`); the displayed SKU is the spelling written last.
 * - A later row overwrites an earlier one, in the same file (batches run in file order) and in
 *   the catalogue.
 * - `active` from the file when it has the column; otherwise new products are active and
 *   existing ones keep their flag (and the same for `description`).
 * - Rows that change nothing are not written at all: re-importing a file touches no row (and
 *   costs one indexed read per batch).
 * - Each written product remembers the import and record that wrote it. A row of a file whose
 *   product was written by a later record of the same content (a re-import, or a resumed one) is
 *   superseded: writing it would only be undone by that later record, so it is skipped and counts
 *   as unchanged. That is what makes re-importing a file whose SKUs repeat across batches change
 *   nothing.
 * CSV imports emit no product events: those come from the products API only.
 */
interface ProductInput {
  /** The row's record number in the file. */
  record: number;
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

/** A batch checked and shaped, before any database work. */
interface PreparedProducts {
  out: BatchOutcome;
  parsed: ProductInput[];
  hasActive: boolean;
  hasDescription: boolean;
  /**
   * The batch as if every SKU in it were new: each SKU's final values (the last row wins), the
   * counts its rows make then, and (MySQL, enough rows) the text to bulk-load them. A first
   * import of a catalogue mostly takes this path, so it is built before the batch's turn.
   */
  asNew: Map<string, { product: StoredProduct; record: number; updated: number; unchanged: number }>;
  asNewLoad: Buffer | null;
  provenance: BatchInput['provenance'];
}

/** Which row wrote a product last. */
interface WrittenBy {
  importId: number | null;
  record: number | null;
}

export const productBatches: BatchProcessor<PreparedProducts> = { prepare: prepareProducts, begin: loadNewProducts, write: writeProducts };

/** Rows checked between two turns of the event loop (see lib/next-turn.ts). */
const ROWS_PER_TURN = 1000;

async function prepareProducts(input: BatchInput): Promise<PreparedProducts> {
  const out = emptyOutcome();
  const hasActive = input.cols.index.active !== undefined;
  const parsed: ProductInput[] = [];
  for (const [i, row] of input.rows.entries()) {
    if (i % ROWS_PER_TURN === ROWS_PER_TURN - 1) await nextTurn();
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
        record: row.record,
        sku,
        skuKey: skuKeyOf(sku),
        name,
        description: description === null ? undefined : description === '' ? null : description,
        active: hasActive && activeText !== '' ? TRUE_WORDS.has(activeText) : undefined,
      });
    }
  }
  const asNew: PreparedProducts['asNew'] = new Map();
  for (const p of parsed) {
    const seen = asNew.get(p.skuKey);
    const after = applyRow(seen?.product, p);
    if (!seen) asNew.set(p.skuKey, { product: after, record: p.record, updated: 0, unchanged: 0 });
    else if (sameProduct(seen.product, after)) seen.unchanged++;
    else {
      seen.updated++;
      seen.product = after;
      seen.record = p.record;
    }
  }
  // Only worth building while the import brings mostly new SKUs (the hint of the batches so far).
  const asNewLoad = input.dialect === 'mysql' && input.hint.mostlyNew && asNew.size >= BULK_LOAD_MIN_ROWS ? await buildProductsLoadText(asNew, ([skuKey, { product, record }]) => [skuKey, product, record]) : null;
  return { out, parsed, hasActive, hasDescription: input.cols.index.description !== undefined, asNew, asNewLoad, provenance: input.provenance };
}

/** A product after a row of the file: what the row has, and what the product had for the columns the file lacks. */
function applyRow(before: StoredProduct | undefined, p: ProductInput): StoredProduct {
  return {
    sku: p.sku,
    name: p.name,
    description: p.description === undefined ? (before?.description ?? null) : p.description,
    active: p.active ?? before?.active ?? true,
  };
}

function sameProduct(a: StoredProduct, b: StoredProduct): boolean {
  return a.sku === b.sku && a.name === b.name && a.description === b.description && a.active === b.active;
}

/**
 * Load first (MySQL, while the file brings mostly new SKUs): every SKU goes in through one bulk
 * load that skips the ones the catalogue has; only those are then read and compared. That saves
 * looking up thousands of SKUs that turn out to be new. The SKUs it inserted, or null.
 */
async function loadNewProducts(trx: Knex.Transaction, prepared: PreparedProducts, hint: BatchHint): Promise<Set<string> | null> {
  if (!hint.mostlyNew || !prepared.asNewLoad) return null;
  return loadFirst(trx, prepared.asNewLoad, prepared.asNew, prepared.provenance.importId, Date.now());
}

async function writeProducts(trx: Knex.Transaction, prepared: PreparedProducts, _hint: BatchHint, begun: unknown): Promise<BatchOutcome> {
  const { out, hasActive, hasDescription, asNew, provenance } = prepared;
  let { parsed } = prepared;
  if (parsed.length === 0) return out;
  const now = Date.now();
  // The SKUs `loadNewProducts` (this type's `begin`) inserted, or null when it loaded nothing.
  const loaded = begun as Set<string> | null;
  if (loaded) {
    for (const skuKey of loaded) {
      const counts = asNew.get(skuKey)!;
      out.inserted += 1;
      out.updated += counts.updated;
      out.unchanged += counts.unchanged;
    }
    if (loaded.size > 0) parsed = parsed.filter((p) => !loaded.has(p.skuKey));
    if (parsed.length === 0) return out;
  }

  // What the catalogue holds for the other SKUs now, then each row in file order against it.
  const { state, writtenBy } = await readCatalogue(trx, [...new Set(parsed.map((p) => p.skuKey))]);
  const changed = new Map<string, StoredProduct & { record: number }>();
  const isNew = new Set<string>();
  for (const p of parsed) {
    const by = writtenBy.get(p.skuKey);
    if (by && by.importId !== null && by.record !== null && by.record > p.record && provenance.sameContent.has(by.importId)) {
      // Superseded: a later record of this same content wrote the product (see above).
      out.unchanged++;
      continue;
    }
    const before = state.get(p.skuKey);
    const after = applyRow(before, p);
    if (!before) {
      out.inserted++;
      isNew.add(p.skuKey);
    } else if (sameProduct(before, after)) {
      out.unchanged++;
      continue;
    } else {
      out.updated++;
    }
    state.set(p.skuKey, after);
    writtenBy.set(p.skuKey, { importId: provenance.importId, record: p.record });
    changed.set(p.skuKey, { ...after, record: p.record });
  }

  let rows = [...changed].map(([skuKey, p]) => ({
    sku: p.sku,
    sku_key: skuKey,
    name: p.name,
    description: p.description,
    active: p.active,
    import_id: provenance.importId,
    import_record: p.record,
    created_at: now,
    updated_at: now,
  }));
  // Without an `active` column an existing product keeps its flag, even if another import or
  // the API changed it since the read above.
  const merge = ['sku', 'name', 'import_id', 'import_record', 'updated_at', ...(hasDescription ? ['description'] : []), ...(hasActive ? ['active'] : [])];
  if (dialectOf(trx) === 'mysql') {
    const fresh = rows.filter((r) => isNew.has(r.sku_key));
    if (fresh.length >= BULK_LOAD_MIN_ROWS && (await bulkLoadNewProducts(trx, fresh, merge, provenance.importId, now))) rows = rows.filter((r) => !isNew.has(r.sku_key));
  }
  await upsertProducts(trx, rows, merge);
  return out;
}

/** What the catalogue holds for these SKU keys now, and which import row wrote each last. */
async function readCatalogue(trx: Knex.Transaction, keys: string[]): Promise<{ state: Map<string, StoredProduct>; writtenBy: Map<string, WrittenBy> }> {
  const state = new Map<string, StoredProduct>();
  const writtenBy = new Map<string, WrittenBy>();
  for (const f of await findProductsBySkuKeys(trx, keys)) {
    state.set(f.sku_key, { sku: f.sku, name: f.name, description: f.description, active: Boolean(f.active) });
    writtenBy.set(f.sku_key, { importId: f.import_id === null ? null : Number(f.import_id), record: f.import_record });
  }
  return { state, writtenBy };
}

/**
 * New products of a batch, already known to be new (their SKUs were looked up): bulk-loaded.
 * A SKU someone else created since the look-up is skipped by the load, so then they all go
 * through the upsert as well (idempotent). False when the server refuses local loads.
 */
async function bulkLoadNewProducts(
  trx: Knex.Transaction,
  rows: ImportedProductRow[],
  merge: string[],
  importId: number,
  now: number,
): Promise<boolean> {
  const result = await loadProducts(trx, await buildProductsLoadText(rows, (r) => [r.sku_key, r, r.import_record]), importId, now);
  if (!result) return false;
  if (result.affectedRows !== rows.length) await upsertProducts(trx, rows, merge);
  return true;
}

/**
 * Load first: every SKU of the batch with the values it ends the batch with as a new product,
 * bulk-loaded with `IGNORE`. Returns the SKUs the load inserted; the caller reads and compares
 * only the others. The inserted rows are found by the auto-increment range the load started
 * (from `LAST_INSERT_ID()`) and this batch's `created_at`, a short primary-key range instead of thousands of
 * look-ups.
 */
async function loadFirst(trx: Knex.Transaction, text: Buffer, asNew: Map<string, unknown>, importId: number, now: number): Promise<Set<string>> {
  const result = await loadProducts(trx, text, importId, now);
  if (!result || result.affectedRows === 0) return new Set();
  if (result.affectedRows === asNew.size) return new Set(asNew.keys());
  return new Set((await findLoadedSkuKeys(trx, now)).filter((k) => asNew.has(k)));
}
