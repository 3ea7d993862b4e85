import type { Knex } from 'knex';
import { Model } from 'objection';
import type { SecretBox } from '../lib/secret-box.ts';

/**
 * A shop's platform credentials: the JSON its platform connector's schema validated (bol:
 * `client_id`, `client_secret`), sealed at rest. Only ever read inside the crawler and the credential check.
 */
export type ShopCredentials = Record<string, unknown>;

export class ShopCredential extends Model {
  static override tableName = 'shop_credentials';
  static override idColumn = 'shop_id';

  shop_id!: number;
  key_id!: string;
  sealed!: string;
  token_key_id!: string | null;
  token_sealed!: string | null;
  token_expires_at!: number | null;
  updated_at!: number;
}

/** Stores (or replaces) a shop's credentials sealed with the current key; a replaced secret drops its token. */
export async function saveShopCredentials(knex: Knex, box: SecretBox, shopId: number, credentials: ShopCredentials): Promise<void> {
  const { keyId, sealed } = box.seal(JSON.stringify(credentials));
  const row = { shop_id: shopId, key_id: keyId, sealed, token_key_id: null, token_sealed: null, token_expires_at: null, updated_at: Date.now() };
  await knex('shop_credentials').insert(row).onConflict('shop_id').merge();
}

/** The credentials as saved; the connector's schema checks them again before use. */
export async function loadShopCredentials(knex: Knex, box: SecretBox, shopId: number): Promise<ShopCredentials | null> {
  const row = await ShopCredential.query(knex).findById(shopId);
  return row ? (JSON.parse(box.open(row.sealed)) as ShopCredentials) : null;
}

/** Which of these shops have credentials stored. */
export async function findShopIdsWithCredentials(knex: Knex, shopIds: number[]): Promise<Set<number>> {
  if (shopIds.length === 0) return new Set();
  const rows: { shop_id: number }[] = await knex('shop_credentials').select('shop_id').whereIn('shop_id', shopIds);
  return new Set(rows.map((r) => Number(r.shop_id)));
}

export interface StoredToken {
  accessToken: string;
  expiresAt: number;
}

export async function loadShopToken(knex: Knex, box: SecretBox, shopId: number): Promise<StoredToken | null> {
  const row = await ShopCredential.query(knex).findById(shopId);
  if (!row?.token_sealed || !row.token_expires_at) return null;
  return { accessToken: box.open(row.token_sealed), expiresAt: row.token_expires_at };
}

export async function saveShopToken(knex: Knex, box: SecretBox, shopId: number, token: StoredToken): Promise<void> {
  const { keyId, sealed } = box.seal(token.accessToken);
  await knex('shop_credentials').where({ shop_id: shopId }).update({ token_key_id: keyId, token_sealed: sealed, token_expires_at: token.expiresAt });
}

/** Re-seals every credential and token still sealed with an older key. Returns how many rows changed. */
export async function resealCredentials(knex: Knex, box: SecretBox): Promise<number> {
  const stale = await ShopCredential.query(knex).where('key_id', '!=', box.keyId).orWhere('token_key_id', '!=', box.keyId);
  for (const row of stale) {
    const patch: Record<string, unknown> = {};
    const cred = box.seal(box.open(row.sealed));
    patch.key_id = cred.keyId;
    patch.sealed = cred.sealed;
    if (row.token_sealed) {
      const tok = box.seal(box.open(row.token_sealed));
      patch.token_key_id = tok.keyId;
      patch.token_sealed = tok.sealed;
    }
    await knex('shop_credentials').where({ shop_id: row.shop_id }).update(patch);
  }
  return stale.length;
}
