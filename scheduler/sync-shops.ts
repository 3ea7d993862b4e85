import type { Knex } from 'knex';
import type { Logger } from '../config/logger.ts';
import { AppError } from '../lib/errors.ts';
import type { Queue } from '../lib/queue/port.ts';
import { startSyncRun } from '../crawler/sync/start-sync-run.ts';
import { findShopsDueForSync, moveNextSync, nextSlotAfter, shopSlotAt, type ShopSyncSlot } from '../models/shops.ts';

/**
 * Periodic shop syncs. Every active shop is synced every `sync_interval_minutes` (PATCH
 * /shops/:id): its slots are that interval apart, shifted by `id mod interval` minutes so that
 * shops do not all start on the same minute (10,000 shops on 15 minutes: about 667 a minute). A
 * shop's next slot is stored on it (`next_sync_at`), so a fire reads only the shops due, as one
 * range of an index, and moves each one's next slot by compare-and-set: of two clocks only the one
 * that moved it starts its sync. A clock that was down syncs a shop once for the slots it missed.
 *
 * A shop whose next slot is not placed yet (new, or its interval changed) is placed by the next
 * fire: it syncs now when its current slot began after it was created and after its last sync,
 * else at its next slot. A shop is therefore first due at the first slot after it was created
 * (whoever connects it usually starts the initial sync).
 *
 * Paused shops and shops whose credentials were refused are not read. A shop that never finished a
 * sync gets an initial one; the others get an incremental sync. A sync already queued or running
 * (409) is fine: that slot is simply skipped.
 */

/** Due shops one fire starts at most; any beyond are still due at the next minute's fire. */
const DUE_SHOPS_PER_FIRE = 2_000;

/** Whether `shop` syncs at this fire; its next slot is the one after the current one either way. */
function isDue(shop: ShopSyncSlot, slot: number): boolean {
  if (shop.next_sync_at !== null) return true;
  return slot > shop.created_at && (shop.last_synced_at ?? -Infinity) < slot;
}

export async function syncDueShops(deps: { knex: Knex; queue: Queue; logger: Logger; clockId: string }, now: number): Promise<number[]> {
  const { knex } = deps;
  const due = await findShopsDueForSync(knex, now, DUE_SHOPS_PER_FIRE);
  const started: number[] = [];
  for (const shop of due) {
    if (!(await moveNextSync(knex, shop.id, shop.next_sync_at, nextSlotAfter(shop, now)))) continue;
    if (!isDue(shop, shopSlotAt(shop, now))) continue;
    // Only a finished sync sets last_synced_at, and an incremental needs a finished initial first.
    const type = shop.last_synced_at === null ? 'initial' : 'incremental';
    try {
      const run = await startSyncRun({ knex, queue: deps.queue }, shop.id, type, 'shipments', { initialDone: type === 'incremental' });
      started.push(shop.id);
      deps.logger.info({ shop_id: shop.id, sync_run_id: run.id, type }, 'periodic sync started');
    } catch (err) {
      if (err instanceof AppError && err.status === 409) {
        deps.logger.debug({ shop_id: shop.id, reason: err.code }, 'periodic sync skipped: a sync of the shop is already active');
        continue;
      }
      deps.logger.error({ err, shop_id: shop.id }, 'periodic sync not started');
    }
  }
  return started;
}
