import type { Knex } from 'knex';
import { isUniqueViolation } from '../../models/db.ts';
import { AppError, ConflictError, NotFoundError } from '../../lib/errors.ts';
import { recordEvents } from '../../models/domain-events.ts';
import {
  deleteProducts,
  findLastProductId,
  findProductBySku,
  findProductOrFail,
  findProductRow,
  findProductsPage,
  findProductsUpTo,
  insertProduct,
  lockProduct,
  updateProduct,
  type NewProduct,
  type ProductFilters,
  type ProductRow,
} from '../../models/products.ts';
import type { ApiDeps } from '../context.ts';
import type { ApiContext, ApiRouter } from '../context.ts';
import { sendCsv } from '../csv-export.ts';
import { presentProduct } from '../../crawler/deletions/product-view.ts';
import { CreateProductBody, DeleteAllProductsBody, ProductFilterQuery, ProductListQuery, ReplaceProductBody, UpdateProductBody } from '../import-schemas.ts';
import { decodeIdCursor, encodeIdCursor } from '../keyset-cursor.ts';
import { parseRequest } from '../schemas.ts';
import { answerDeletion } from './deletions.ts';
import { deletionKeyOf, findActiveDeletion } from '../../models/deletions.ts';
import { pathId } from './params.ts';

const DEFAULT_LIMIT = 50;
const EXPORT_PAGE = 2_000;

export { presentProduct };

/**
 * The catalogue: keyset list with substring filters, CRUD, delete-all behind a confirmation,
 * and a streamed CSV export in the import's own format (it imports back unchanged). Every change
 * records `product.created` / `product.updated` / `product.deleted` in its own transaction (the
 * outbox); CSV imports record none.
 */
export function productRoutes(router: ApiRouter, deps: ApiDeps): void {
  const whileCatalogueStands = async (_ctx: ApiContext, next: () => Promise<unknown>) => {
    await refuseWhileCatalogueDeleted(deps.knex);
    await next();
  };
  router.get('/products', whileCatalogueStands, async (ctx) => {
    const q = parseRequest(ProductListQuery, ctx.query);
    const filters: ProductFilters = { sku: q.sku, name: q.name, description: q.description, active: q.active };
    const afterId = q.cursor === undefined ? null : decodeIdCursor(filters, q.cursor);
    const limit = q.limit ?? DEFAULT_LIMIT;
    const rows = await findProductsPage(deps.knex, filters, { afterId, limit: limit + 1 });
    const page = rows.slice(0, limit);
    ctx.body = { data: page.map(presentProduct), next_cursor: rows.length > limit ? encodeIdCursor(filters, Number(page.at(-1)!.id)) : null };
  });

  router.post('/products', whileCatalogueStands, async (ctx) => {
    const body = parseRequest(CreateProductBody, ctx.request.body);
    const product = await deps.knex.transaction(async (trx) => {
      const id = await insertProduct(trx, { sku: body.sku, name: body.name, description: body.description ?? null, active: body.active ?? true }, Date.now()).catch((err: unknown) =>
        rethrowSkuTaken(err, trx, body.sku),
      );
      const created = presentProduct(await loadRow(trx, id));
      await recordEvents(trx, [{ type: 'product.created', data: created }]);
      return created;
    });
    ctx.status = 201;
    ctx.set('Location', `/products/${product.id}`);
    ctx.body = product;
  });

  // The whole catalogue goes in batches on the workers: 202 with the deletion to follow.
  router.delete('/products', async (ctx) => {
    parseRequest(DeleteAllProductsBody, await readSmallJsonBody(ctx));
    await answerDeletion(ctx, deps, { target: 'products' });
  });

  // Before /products/:id, which would read "export.csv" as an id.
  router.get('/products/export.csv', whileCatalogueStands, async (ctx) => {
    const q = parseRequest(ProductFilterQuery, ctx.query);
    const filters: ProductFilters = { sku: q.sku, name: q.name, description: q.description, active: q.active };
    sendCsv(ctx, 'products.csv', ['name', 'sku', 'description', 'active'], productRows(deps.knex, filters));
  });

  router.get('/products/:id', whileCatalogueStands, async (ctx) => {
    ctx.body = presentProduct(await findProductOrFail(deps.knex, pathId(ctx)));
  });

  router.put('/products/:id', whileCatalogueStands, async (ctx) => {
    const id = pathId(ctx);
    const body = parseRequest(ReplaceProductBody, ctx.request.body);
    ctx.body = await changeProduct(deps.knex, id, { sku: body.sku, name: body.name, description: body.description ?? null, active: body.active ?? true });
  });

  router.patch('/products/:id', whileCatalogueStands, async (ctx) => {
    const id = pathId(ctx);
    const body = parseRequest(UpdateProductBody, ctx.request.body);
    ctx.body = await changeProduct(deps.knex, id, body);
  });

  router.delete('/products/:id', whileCatalogueStands, async (ctx) => {
    const id = pathId(ctx);
    await deps.knex.transaction(async (trx) => {
      const row = await findProductOrFail(trx, id);
      await deleteProducts(trx, [id]);
      await recordEvents(trx, [{ type: 'product.deleted', data: presentProduct(row) }]);
    });
    ctx.status = 204;
  });
}

/**
 * While the catalogue is being deleted it answers 409 `catalogue_being_deleted` (with the
 * deletion to follow) to reads and writes alike: a half-deleted catalogue is nothing to read, and
 * a product written meanwhile would survive a "delete all".
 */
export async function refuseWhileCatalogueDeleted(knex: Knex): Promise<void> {
  const active = await findActiveDeletion(knex, deletionKeyOf({ target: 'products' }));
  if (active) {
    throw new ConflictError('catalogue_being_deleted', `The catalogue is being deleted (deletion ${active.id}, ${Number(active.rows_deleted)} of ${Number(active.rows_total)} products so far); follow it at /deletions/${active.id}.`, {
      deletion_id: active.id,
    });
  }
}

async function changeProduct(knex: Knex, id: number, patch: Partial<NewProduct>) {
  return knex.transaction(async (trx) => {
    if (!(await lockProduct(trx, id))) throw new NotFoundError('product', id);
    await updateProduct(trx, id, patch, Date.now()).catch((err: unknown) => rethrowSkuTaken(err, trx, patch.sku ?? ''));
    const after = presentProduct(await loadRow(trx, id));
    await recordEvents(trx, [{ type: 'product.updated', data: after }]);
    return after;
  });
}

/**
 * The body of a DELETE: the app's JSON parser reads POST, PUT and PATCH bodies only, and
 * `DELETE /products` carries its confirmation in one. Small by nature: 16 KB at most.
 */
async function readSmallJsonBody(ctx: ApiContext): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) {
      ctx.set('Connection', 'close');
      throw new AppError('payload_too_large', 'The request body is too large.', { status: 413 });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'The request body is not valid JSON; send a JSON object.', { status: 400 });
  }
}

/** The product just written in this transaction. */
async function loadRow(trx: Knex.Transaction, id: number): Promise<ProductRow> {
  return (await findProductRow(trx, id))!;
}

async function rethrowSkuTaken(err: unknown, trx: Knex.Transaction, sku: string): Promise<never> {
  if (!isUniqueViolation(err)) throw err;
  const other = await findProductBySku(trx, sku);
  throw new ConflictError('sku_taken', `Another product already has the SKU "${other?.sku ?? sku}" (SKUs are compared ignoring case); change that product instead.`, {
    field: 'sku',
    product_id: other ? Number(other.id) : null,
  });
}

async function* productRows(knex: Knex, filters: ProductFilters): AsyncGenerator<unknown[]> {
  let afterId: number | null = null;
  for (;;) {
    const rows = await findProductsPage(knex, filters, { afterId, limit: EXPORT_PAGE });
    for (const r of rows) yield [r.name, r.sku, r.description, Boolean(r.active)];
    if (rows.length < EXPORT_PAGE) return;
    afterId = Number(rows.at(-1)!.id);
  }
}
