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

/** A new active shop with no sync behind it; returns its id. */
export async function insertShop(knex: Knex, shop: Pick<Shop, 'name' | 'platform' | 'sync_interval_minutes'>): Promise<number> {
  const inserted = await Shop.query(knex).insert({ ...shop, status: 'active', status_reason: null, rate_state: null, last_synced_at: null });
  return inserted.id;
}

/** Changes a shop; false when there is no such shop. */
export async function updateShop(knex: Knex, id: number, patch: ShopPatch): Promise<boolean> {
  return (await Shop.query(knex).patch(patch).where('id', id)) > 0;
}

/** Deletes a shop; foreign keys cascade to its credentials, sync runs and shipments. False when there was none. */
export async function deleteShop(knex: Knex, id: number): Promise<boolean> {
  return (await knex('shops').where({ id }).delete()) > 0;
}

/** The shop is being deleted from now on: no sync starts or continues, no change is accepted. */
export async function markShopDeleting(trx: Knex | Knex.Transaction, id: number): Promise<boolean> {
  return (await trx('shops').where({ id }).update({ status: 'deleting', status_reason: null, updated_at: Date.now() })) > 0;
}

/** Active shops with what the periodic sync needs to place their slots, by id. */
export async function listActiveShopsForSync(knex: Knex): Promise<{ id: number; sync_interval_minutes: number; created_at: number }[]> {
  const rows: Record<string, unknown>[] = await knex('shops').select('id', 'sync_interval_minutes', 'created_at').where({ status: 'active' }).orderBy('id');
  return rows.map((s) => ({ id: Number(s.id), sync_interval_minutes: Number(s.sync_interval_minutes), created_at: Number(s.created_at) }));
}

/**
 * What a committed sync step leaves on its shop: the rate state for the next step, the time of a
 * finished sync, and a refusal of its credentials (a person must replace them).
 */
export async function saveShopStepState(
  trx: Knex.Transaction,
  shopId: number,
  state: { rateState: string; now: number; syncedAt?: number; refusedReason?: string },
): Promise<void> {
  const patch: Record<string, unknown> = { rate_state: state.rateState, updated_at: state.now };
  if (state.syncedAt !== undefined) patch.last_synced_at = state.syncedAt;
  if (state.refusedReason !== undefined) Object.assign(patch, { status: 'credentials_refused', status_reason: state.refusedReason });
  await trx('shops').where({ id: shopId }).update(patch);
}
