import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A big delete (the whole catalogue, a shop with its shipments) done by workers in batches.
  // The table being emptied is the progress: a job that dies resumes from what is left.
  await knex.schema.createTable('deletions', (t) => {
    t.increments('id').primary();
    t.string('target', 16).notNullable(); // products | shop
    t.integer('shop_id').unsigned().nullable(); // the shop (no foreign key: the shop row goes last)
    // Products up to this id are deleted: the catalogue as it was when the deletion was asked for.
    t.bigInteger('last_product_id').nullable();
    t.string('status', 16).notNullable(); // queued | running | succeeded | failed
    // "products" or "shop:<id>" while queued or running, NULL after: one active deletion per target.
    t.string('active_key', 64).nullable().unique('deletions_active_key_unique');
    t.integer('step').notNullable().defaultTo(0);
    t.bigInteger('rows_total').notNullable().defaultTo(0);
    t.bigInteger('rows_deleted').notNullable().defaultTo(0);
    t.text('error').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('started_at').nullable();
    t.bigInteger('finished_at').nullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['status', 'id'], 'deletions_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('deletions');
}
