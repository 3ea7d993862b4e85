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
  token_refresh_sealed!: string | null;
  token_issued_at!: number | null;
  token_version!: number;
  token_claimed_until!: number | null;
  updated_at!: number;
}

/** Stores (or replaces) a shop's credentials sealed with the current key; a replaced secret drops its token. */
export async function saveShopCredentials(knex: Knex, box: SecretBox, shopId: number, credentials: ShopCredentials): Promise<void> {
  const { keyId, sealed } = box.seal(JSON.stringify(credentials));
  const row = { shop_id: shopId, key_id: keyId, sealed, ...NO_TOKEN, updated_at: Date.now() };
  await knex('shop_credentials').insert(row).onConflict('shop_id').merge();
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
  /** When the platform handed it out; unset for tokens stored before it was kept. */
  issuedAt?: number;
  /** The rotating refresh token that came with it, if any. */
  refreshToken?: string;
  /** The stored pair's version: every replace moves it on (read back by loadShopToken). */
  version?: number;
}

const NO_TOKEN = { token_key_id: null, token_sealed: null, token_expires_at: null, token_refresh_sealed: null, token_issued_at: null, token_claimed_until: null };

export async function loadShopToken(knex: Knex, box: SecretBox, shopId: number): Promise<StoredToken | null> {
  const row = await ShopCredential.query(knex).findById(shopId);
  return row ? tokenOf(box, row) : null;
}

/**
 * The credentials as saved (the connector's schema checks them again before use) and the token,
 * from one read of the row: a sync step needs both as it starts, and hundreds of steps start
 * together when many shops' syncs do.
 */
export async function loadShopCredentialsAndToken(knex: Knex, box: SecretBox, shopId: number): Promise<{ credentials: ShopCredentials; token: StoredToken | null } | null> {
  const row = await ShopCredential.query(knex).findById(shopId);
  return row ? { credentials: JSON.parse(box.open(row.sealed)) as ShopCredentials, token: tokenOf(box, row) } : null;
}

function tokenOf(box: SecretBox, row: ShopCredential): StoredToken | null {
  if (!row.token_sealed || !row.token_expires_at) return null;
  return {
    accessToken: box.open(row.token_sealed),
    expiresAt: Number(row.token_expires_at),
    ...(row.token_issued_at ? { issuedAt: Number(row.token_issued_at) } : {}),
    ...(row.token_refresh_sealed ? { refreshToken: box.open(row.token_refresh_sealed) } : {}),
    version: Number(row.token_version),
  };
}

function sealedToken(box: SecretBox, token: StoredToken) {
  const { keyId, sealed } = box.seal(token.accessToken);
  return {
    token_key_id: keyId,
    token_sealed: sealed,
    token_expires_at: token.expiresAt,
    token_issued_at: token.issuedAt ?? null,
    // Sealed with the current key like the access token, so one key id covers both.
    token_refresh_sealed: token.refreshToken === undefined ? null : box.seal(token.refreshToken).sealed,
    token_claimed_until: null,
  };
}

export async function saveShopToken(knex: Knex, box: SecretBox, shopId: number, token: StoredToken): Promise<void> {
  await knex('shop_credentials').where({ shop_id: shopId }).update({ ...sealedToken(box, token), token_version: knex.raw('?? + 1', ['token_version']) });
}

/** The stored pair is still the one `seen` (null: still none): a compare-and-set on its version. */
function stillSeen(q: Knex.QueryBuilder, seen: StoredToken | null): Knex.QueryBuilder {
  return seen?.version === undefined ? q.whereNull('token_sealed') : q.where('token_version', seen.version);
}

/**
 * Claims the refresh of a rotating token for `forMs`: true for exactly one caller while the
 * stored pair is still `seen` and no live claim is held. A claimer that dies lets the claim
 * lapse, and the next one refreshes with the same stored refresh token.
 */
export async function claimTokenRefresh(knex: Knex, shopId: number, seen: StoredToken | null, forMs: number): Promise<boolean> {
  const now = Date.now();
  const changed = await stillSeen(knex('shop_credentials').where({ shop_id: shopId }), seen)
    .where((q) => q.whereNull('token_claimed_until').orWhere('token_claimed_until', '<', now))
    .update({ token_claimed_until: now + forMs });
  return changed > 0;
}

/**
 * Lets go of a claim made with claimTokenRefresh whose refresh failed, while the stored pair is
 * still `seen`: the next worker claims at once instead of when the claim lapses.
 */
export async function releaseTokenRefresh(knex: Knex, shopId: number, seen: StoredToken | null): Promise<void> {
  await stillSeen(knex('shop_credentials').where({ shop_id: shopId }), seen).update({ token_claimed_until: null });
}

/** Stores `next` in place of `seen` (compare-and-set); false when another pair landed first. */
export async function replaceShopToken(knex: Knex, box: SecretBox, shopId: number, seen: StoredToken | null, next: StoredToken): Promise<boolean> {
  const changed = await stillSeen(knex('shop_credentials').where({ shop_id: shopId }), seen).update({ ...sealedToken(box, next), token_version: knex.raw('?? + 1', ['token_version']) });
  return changed > 0;
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
      if (row.token_refresh_sealed) patch.token_refresh_sealed = box.seal(box.open(row.token_refresh_sealed)).sealed;
    }
    await knex('shop_credentials').where({ shop_id: row.shop_id }).update(patch);
  }
  return stale.length;
}
