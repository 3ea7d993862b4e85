import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { NotFoundError } from '../lib/errors.ts';

export const PLATFORMS = ['bol'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const SHOP_STATUSES = ['active', 'paused', 'credentials_refused'] as const;
export type ShopStatus = (typeof SHOP_STATUSES)[number];

export class Shop extends BaseModel {
  static override tableName = 'shops';

  id!: number;
  name!: string;
  platform!: Platform;
  status!: ShopStatus;
  status_reason!: string | null;
  sync_interval_minutes!: number;
  rate_state!: string | null;
  last_synced_at!: number | null;
}

export async function findShopOrFail(knex: Knex, id: number): Promise<Shop> {
  const shop = await Shop.query(knex).findById(id);
  if (!shop) throw new NotFoundError('shop', id);
  return shop;
}
