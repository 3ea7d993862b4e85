import type { Knex } from 'knex';
import type { Queue } from '../../lib/queue/port.ts';
import { isUniqueViolation } from '../../models/db.ts';
import { deletionKeyOf, failDeletion, findActiveDeletion, insertDeletion, listActiveDeletions, type Deletion } from '../../models/deletions.ts';
import { countProductsUpTo, findLastProductId } from '../../models/products.ts';
import { countShopShipments } from '../../models/shipments.ts';
import { markShopDeleting } from '../../models/shops.ts';
import { enqueue } from '../jobs.ts';

export interface StartDeletionDeps {
  knex: Knex;
  queue: Queue;
}

export type DeletionRequest = { target: 'products' } | { target: 'shop'; shopId: number };

/**
 * Creates a queued deletion and enqueues its first step; asking again while one of the same
 * target is queued or running answers that one (the `active_key` unique index decides between
 * two requests at once). A shop is marked `deleting` in the deletion's own transaction, so from
 * the answer on no sync starts or continues and no change to it is accepted. The catalogue's
 * deletion takes the products that exist now (up to the highest id).
 */
export async function startDeletion(deps: StartDeletionDeps, request: DeletionRequest): Promise<{ deletion: Deletion; created: boolean }> {
  const key = deletionKeyOf(request);
  const active = await findActiveDeletion(deps.knex, key);
  if (active) return { deletion: active, created: false };
  let deletion: Deletion;
  try {
    deletion = await deps.knex.transaction(async (trx) => {
      if (request.target === 'products') {
        const lastId = await findLastProductId(trx);
        return insertDeletion(trx, { target: 'products', shopId: null, lastProductId: lastId, rowsTotal: await countProductsUpTo(trx, lastId), key });
      }
      await markShopDeleting(trx, request.shopId);
      return insertDeletion(trx, { target: 'shop', shopId: request.shopId, lastProductId: null, rowsTotal: await countShopShipments(trx, request.shopId), key });
    });
  } catch (err) {
    const other = isUniqueViolation(err) ? await findActiveDeletion(deps.knex, key) : undefined;
    if (other) return { deletion: other, created: false };
    throw err;
  }
  try {
    await enqueue(deps.queue, 'deletion.batch', { deletion_id: deletion.id, step: 0 });
  } catch (err) {
    // Without its first job the deletion would hold its target's slot for ever; asking again starts anew.
    await failDeletion(deps.knex, deletion.id, 'The queue did not accept the first job; ask for the deletion again.');
    throw err;
  }
  return { deletion, created: true };
}

/** Publishes again the current step of every unfinished deletion (embedded mode: nothing survives in the in-process queue). */
export async function resumeActiveDeletions(knex: Knex, queue: Queue): Promise<number> {
  const active = await listActiveDeletions(knex);
  for (const d of active) await enqueue(queue, 'deletion.batch', { deletion_id: d.id, step: d.step });
  return active.length;
}
