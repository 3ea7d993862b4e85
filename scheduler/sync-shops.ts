import type { Knex } from 'knex';
import type { Logger } from '../config/logger.ts';
import { AppError } from '../lib/errors.ts';
import type { Queue } from '../lib/queue/port.ts';
import { startSyncRun } from '../crawler/sync/start-sync-run.ts';
import { listActiveShopsForSync } from '../models/shops.ts';
import { hasSucceededInitialRun } from '../models/sync-runs.ts';
import { claimFire, lastClaimedFires } from '../models/clock-fires.ts';

/**
 * Periodic shop syncs. Every active shop is synced every `sync_interval_minutes` (PATCH
 * /shops/:id): its slots are that interval apart, shifted by `id mod interval` minutes so that
 * shops do not all start on the same minute. Each slot of each shop is a fire of its own
 * (`shop.sync:<id>` in clock_fires), claimed once across all clocks. A shop is first due at the
 * first slot after it was created (whoever connects it usually starts the initial sync).
 *
 * Paused shops and shops whose credentials were refused are not synced. A shop that never
 * finished an initial sync gets one; the others get an incremental sync. A sync already queued
 * or running (409) is fine: that slot is simply skipped.
 */

const MINUTE_MS = 60_000;
export const SHOP_SYNC_PREFIX = 'shop.sync:';

export function shopSlotAt(shop: { id: number; sync_interval_minutes: number }, at: number): number {
  const minutes = Math.max(1, Math.floor(shop.sync_interval_minutes));
  const every = minutes * MINUTE_MS;
  const offset = (shop.id % minutes) * MINUTE_MS;
  return Math.floor((at - offset) / every) * every + offset;
}

export async function syncDueShops(deps: { knex: Knex; queue: Queue; logger: Logger; clockId: string }, now: number): Promise<number[]> {
  const { knex } = deps;
  const shops = await listActiveShopsForSync(knex);
  if (shops.length === 0) return [];
  const last = await lastClaimedFires(knex, SHOP_SYNC_PREFIX);
  const started: number[] = [];
  for (const shop of shops) {
    const slot = shopSlotAt(shop, now);
    const schedule = `${SHOP_SYNC_PREFIX}${shop.id}`;
    if ((last.get(schedule) ?? -Infinity) >= slot || slot <= shop.created_at) continue;
    if (!(await claimFire(knex, { schedule, dueAt: slot, clockId: deps.clockId, now }))) continue;
    const type = (await hasSucceededInitialRun(knex, shop.id)) ? 'incremental' : 'initial';
    try {
      const run = await startSyncRun({ knex, queue: deps.queue }, shop.id, type);
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
