import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { foundOrFail } from './db.ts';

/** `deleting`: a deletion job is removing its shipments; the shop row goes last. */
export const SHOP_STATUSES = ['active', 'paused', 'credentials_refused', 'deleting'] as const;
export type ShopStatus = (typeof SHOP_STATUSES)[number];

export class Shop extends BaseModel {
  static override tableName = 'shops';

  id!: number;
  name!: string;
  /** The name of its platform connector (crawler/connectors/platforms.ts). */
  platform!: string;
  status!: ShopStatus;
  status_reason!: string | null;
  sync_interval_minutes!: number;
  /** The platform's limits and the shop's position in them, carried from one sync step to the next (JSON). */
  rate_state!: string | null;
  last_synced_at!: number | null;
  /** When the clock syncs it next (epoch ms); null: not placed yet (scheduler/sync-shops.ts). */
  next_sync_at!: number | null;
  /** A sync step began sending at this time and has not committed (crawler/handlers/sync-page.ts); null: none. */
  sending_since!: number | null;
}

export type ShopPatch = Partial<Pick<Shop, 'name' | 'status' | 'status_reason' | 'sync_interval_minutes'>>;

export async function findShop(knex: Knex, id: number): Promise<Shop | undefined> {
  return Shop.query(knex).findById(id);
}

export async function findShopOrFail(knex: Knex, id: number): Promise<Shop> {
  return foundOrFail(await findShop(knex, id), 'shop', id);
}

/** Every shop, by id. */
export async function listShops(knex: Knex): Promise<Shop[]> {
  return Shop.query(knex).orderBy('id');
}

/** A new active shop with no sync behind it, first due at its first slot after now; returns its id. */
export async function insertShop(knex: Knex, shop: Pick<Shop, 'name' | 'platform' | 'sync_interval_minutes'>): Promise<number> {
  const inserted = await Shop.query(knex).insert({ ...shop, status: 'active', status_reason: null, rate_state: null, last_synced_at: null });
  // The slot depends on the id, known only now.
  await knex('shops').where({ id: inserted.id }).update({ next_sync_at: nextSlotAfter({ id: inserted.id, sync_interval_minutes: shop.sync_interval_minutes }, Date.now()) });
  return inserted.id;
}

const MINUTE_MS = 60_000;

/**
 * The periodic sync slot of `shop` at or before `at`: slots are `sync_interval_minutes` apart,
 * shifted by `id mod interval` minutes so that shops do not all start on the same minute.
 */
export function shopSlotAt(shop: Pick<Shop, 'id' | 'sync_interval_minutes'>, at: number): number {
  const minutes = Math.max(1, Math.floor(shop.sync_interval_minutes));
  const every = minutes * MINUTE_MS;
  const offset = (shop.id % minutes) * MINUTE_MS;
  return Math.floor((at - offset) / every) * every + offset;
}

/** The first slot of `shop` after `at`. */
export function nextSlotAfter(shop: Pick<Shop, 'id' | 'sync_interval_minutes'>, at: number): number {
  return shopSlotAt(shop, at) + Math.max(1, Math.floor(shop.sync_interval_minutes)) * MINUTE_MS;
}

/** Changes a shop; false when there is no such shop. A new interval has its next sync placed again. */
export async function updateShop(knex: Knex, id: number, patch: ShopPatch): Promise<boolean> {
  const placed = patch.sync_interval_minutes === undefined ? patch : { ...patch, next_sync_at: null };
  return (await Shop.query(knex).patch(placed).where('id', id)) > 0;
}

/** Deletes a shop; foreign keys cascade to its credentials, sync runs and shipments. False when there was none. */
export async function deleteShop(knex: Knex, id: number): Promise<boolean> {
  return (await knex('shops').where({ id }).delete()) > 0;
}

/** The shop is being deleted from now on: no sync starts or continues, no change is accepted. */
export async function markShopDeleting(trx: Knex | Knex.Transaction, id: number): Promise<boolean> {
  return (await trx('shops').where({ id }).update({ status: 'deleting', status_reason: null, updated_at: Date.now() })) > 0;
}

/** What the periodic sync needs of a shop to place its slots. */
export interface ShopSyncSlot {
  id: number;
  sync_interval_minutes: number;
  created_at: number;
  last_synced_at: number | null;
  next_sync_at: number | null;
}

/**
 * Up to `limit` active shops whose next periodic sync is due at `now`, or not placed yet, soonest
 * first: one range of `shops_sync_due_idx (status, next_sync_at)`, however many shops there are.
 */
export async function findShopsDueForSync(knex: Knex, now: number, limit: number): Promise<ShopSyncSlot[]> {
  const rows: Record<string, unknown>[] = await knex('shops')
    .select('id', 'sync_interval_minutes', 'created_at', 'last_synced_at', 'next_sync_at')
    .where({ status: 'active' })
    .andWhere((q) => q.whereNull('next_sync_at').orWhere('next_sync_at', '<=', now))
    .orderBy('next_sync_at')
    .limit(limit);
  const ms = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((s) => ({
    id: Number(s.id),
    sync_interval_minutes: Number(s.sync_interval_minutes),
    created_at: Number(s.created_at),
    last_synced_at: ms(s.last_synced_at),
    next_sync_at: ms(s.next_sync_at),
  }));
}

/**
 * Moves a shop's next periodic sync from `from` (what the caller read) to `to`: a compare-and-set,
 * so of two clocks that read the same due shop only one moves it, and only that one syncs it.
 */
export async function moveNextSync(knex: Knex, id: number, from: number | null, to: number): Promise<boolean> {
  return compareAndSet(knex, id, 'next_sync_at', from, to);
}

/** Sets the shop's `column` to `to` where it still holds `from`; false when it no longer does. */
async function compareAndSet(knex: Knex, id: number, column: 'next_sync_at' | 'sending_since', from: number | null, to: number): Promise<boolean> {
  const q = knex('shops').where({ id });
  if (from === null) q.whereNull(column);
  else q.andWhere(column, from);
  return (await q.update({ [column]: to })) > 0;
}

/**
 * What a committed sync step leaves on its shop: the rate state for the next step, the time of a
 * finished sync, and a refusal of its credentials (a person must replace them). True when the
 * shop was still active.
 */
export async function saveShopStepState(
  trx: Knex.Transaction,
  shopId: number,
  state: { rateState: string; now: number; syncedAt?: number; refusedReason?: string; keepClaim?: boolean },
): Promise<boolean> {
  // The commit accounts for every request the step sent: no claim is left open, unless the run's
  // next step is already sending under it (`keepClaim`).
  const patch: Record<string, unknown> = { rate_state: state.rateState, updated_at: state.now };
  if (!state.keepClaim) patch.sending_since = null;
  if (state.syncedAt !== undefined) patch.last_synced_at = state.syncedAt;
  if (state.refusedReason !== undefined) Object.assign(patch, { status: 'credentials_refused', status_reason: state.refusedReason });
  // One statement in the usual case; a second one only for a shop paused or deleted meanwhile.
  if ((await trx('shops').where({ id: shopId, status: 'active' }).update(patch)) > 0) return true;
  await trx('shops').where({ id: shopId }).update(patch);
  return false;
}

/**
 * Claims the shop's sending for a sync step: sets `sending_since` to `at` where it still is
 * `from` (what the caller read). False when another step changed it first.
 */
export async function claimShopSending(knex: Knex, shopId: number, from: number | null, at: number): Promise<boolean> {
  return compareAndSet(knex, shopId, 'sending_since', from, at);
}

/** A step that sent nothing and comes back later keeps its claim and leaves the shop's rate state (its lanes' blocks). */
export async function saveShopRateState(knex: Knex, shopId: number, rateState: string, now: number): Promise<void> {
  await knex('shops').where({ id: shopId }).update({ rate_state: rateState, updated_at: now });
}
