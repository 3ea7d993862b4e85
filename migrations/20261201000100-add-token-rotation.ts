import type { Knex } from 'knex';

/**
 * Rotating tokens (Shopify's expiring offline tokens): the refresh token that came with the
 * access token (sealed with the same key), when the pair was issued (the refresh margin scales
 * with a token's life), and a version with a claim, so exactly one worker refreshes a rotating
 * token while the others wait for its pair (models/shop-credentials.ts, claimTokenRefresh).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shop_credentials', (t) => {
    t.text('token_refresh_sealed').nullable();
    t.bigInteger('token_issued_at').nullable();
    t.integer('token_version').notNullable().defaultTo(0);
    t.bigInteger('token_claimed_until').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shop_credentials', (t) => {
    t.dropColumn('token_refresh_sealed');
    t.dropColumn('token_issued_at');
    t.dropColumn('token_version');
    t.dropColumn('token_claimed_until');
  });
}
