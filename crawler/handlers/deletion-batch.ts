import type { Knex } from 'knex';
import { ShutdownError } from '../../lib/errors.ts';
import { advanceDeletion, countDeletedRows, failDeletion, finishDeletion, findDeletion, type Deletion } from '../../models/deletions.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { deleteProducts, findProductsUpTo } from '../../models/products.ts';
import { deleteShopShipments, findShopShipmentIds } from '../../models/shipments.ts';
import { deleteShop } from '../../models/shops.ts';
import { mayHaveLostSuccessor, type JobContext } from '../consume.ts';
import { presentProduct } from '../deletions/product-view.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import type { BatchedDeleteDeps } from './tables-prune.ts';

/** `batchRows`: rows per transaction (default 1,000 products, 2,000 shipments with their items and events). */
export type DeletionBatchDeps = BatchedDeleteDeps;

const DEFAULT_BUDGET_MS = 5_000;
const PRODUCT_BATCH = 1_000;
const SHIPMENT_BATCH = 2_000;

/**
 * One step of a deletion: batches of its target's rows, each deleted in its own short transaction
 * together with the deletion's counter (and, for products, their `product.deleted` events), for a
 * few seconds; then the next step is published, so a big delete never holds one worker slot or one
 * lock for long. Nothing is half-done: a batch commits whole or not at all, and a job that dies is
 * delivered again and carries on from the rows left (they are the progress). The last step of a
 * shop deletion deletes the shop row itself, whose foreign keys take its credentials and sync runs.
 */
export async function handleDeletionBatch(deps: DeletionBatchDeps, payload: JobPayload<'deletion.batch'>, ctx: JobContext): Promise<void> {
  const { knex } = deps;
  const deletion = await findDeletion(knex, payload.deletion_id);
  if (!deletion || deletion.status === 'succeeded' || deletion.status === 'failed') return;
  if (deletion.step !== payload.step) {
    if (mayHaveLostSuccessor(ctx) && deletion.step === payload.step + 1) await enqueue(deps.queue, 'deletion.batch', { deletion_id: deletion.id, step: deletion.step });
    return;
  }
  const deleteBatch = batchDeleter(deps, deletion);
  const deadline = Date.now() + (deps.budgetMs ?? DEFAULT_BUDGET_MS);
  // At least one batch per step, however short the budget: every step moves the deletion on.
  do {
    // The rows left are where the next delivery of this job starts: nothing else to save.
    if (ctx.signal.aborted) throw new ShutdownError();
    if (!(await deleteBatch())) {
      await knex.transaction(async (trx) => {
        if (deletion.target === 'shop' && deletion.shop_id !== null) await deleteShop(trx, deletion.shop_id);
        await finishDeletion(trx, deletion.id, Date.now());
      });
      deps.logger.info({ deletion_id: deletion.id, target: deletion.target, shop_id: deletion.shop_id }, 'deletion finished');
      return;
    }
  } while (Date.now() < deadline);
  if (await advanceDeletion(knex, deletion.id, deletion.step, Date.now())) await enqueue(deps.queue, 'deletion.batch', { deletion_id: deletion.id, step: deletion.step + 1 });
}

/** Deletes one batch of the deletion's target; resolves false once nothing is left. */
function batchDeleter(deps: DeletionBatchDeps, deletion: Deletion): () => Promise<boolean> {
  const { knex } = deps;
  if (deletion.target === 'products') {
    const lastId = Number(deletion.last_product_id ?? 0);
    const batch = deps.batchRows ?? PRODUCT_BATCH;
    return () =>
      knex.transaction(async (trx) => {
        const rows = await findProductsUpTo(trx, lastId, batch);
        if (rows.length === 0) return false;
        await deleteProducts(
          trx,
          rows.map((r) => Number(r.id)),
        );
        await recordEvents(trx, rows.map((r) => ({ type: 'product.deleted' as const, data: presentProduct(r) })));
        await countDeletedRows(trx, deletion.id, rows.length, Date.now());
        return true;
      });
  }
  const shopId = Number(deletion.shop_id);
  const batch = deps.batchRows ?? SHIPMENT_BATCH;
  return () =>
    knex.transaction(async (trx) => {
      const ids = await findShopShipmentIds(trx, shopId, batch);
      if (ids.length === 0) return false;
      await countDeletedRows(trx, deletion.id, await deleteShopShipments(trx, shopId, ids), Date.now());
      return true;
    });
}

/** Given up after repeated failures: the deletion fails with the reason; asking again starts a new one. */
export async function giveUpDeletion(knex: Knex, deletionId: number, error: unknown): Promise<void> {
  await failDeletion(knex, deletionId, `The deletion stopped after repeated failures: ${error instanceof Error ? error.message : String(error)}. Ask for it again to carry on.`);
}
