import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('shop_credentials', (t) => {
    t.integer('shop_id').unsigned().primary().references('shops.id').onDelete('CASCADE');
    // Sealed with AES-256-GCM; key_id names the key so rotation can find what is left to re-seal.
    t.string('key_id', 16).notNullable();
    t.text('sealed').notNullable();
    // The platform's access token, sealed the same way, shared by every worker until it expires.
    t.string('token_key_id', 16).nullable();
    t.text('token_sealed').nullable();
    t.bigInteger('token_expires_at').nullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['key_id'], 'shop_credentials_key_id_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('shop_credentials');
}
