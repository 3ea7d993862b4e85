import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('shops', (t) => {
    t.increments('id').primary();
    t.string('name', 200).notNullable();
    t.string('platform', 32).notNullable();
    // active | paused | credentials_refused (a person must replace the credentials)
    t.string('status', 32).notNullable().defaultTo('active');
    t.text('status_reason').nullable();
    t.integer('sync_interval_minutes').notNullable().defaultTo(15);
    // The provider's limits and our position in them, carried from one page job to the next.
    t.text('rate_state').nullable();
    t.bigInteger('last_synced_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['platform', 'status'], 'shops_platform_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('shops');
}
