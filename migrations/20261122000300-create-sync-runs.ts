import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sync_runs', (t) => {
    t.increments('id').primary();
    t.integer('shop_id').unsigned().notNullable().references('shops.id').onDelete('CASCADE');
    t.string('stream', 32).notNullable();
    t.string('type', 16).notNullable(); // initial | incremental
    t.string('status', 16).notNullable(); // queued | running | succeeded | failed
    // "<shop_id>:<stream>" while queued or running, NULL after: the unique index makes
    // "one active sync run per shop and stream" a database fact, not a race between requests.
    t.string('active_key', 64).nullable().unique('sync_runs_active_key_unique');
    t.integer('step').notNullable().defaultTo(0);
    t.text('checkpoint').nullable();
    t.integer('pages_fetched').notNullable().defaultTo(0);
    t.integer('records_upserted').notNullable().defaultTo(0);
    t.integer('requests_made').notNullable().defaultTo(0);
    t.text('error').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('started_at').nullable();
    t.bigInteger('finished_at').nullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['shop_id', 'id'], 'sync_runs_shop_id_idx');
    t.index(['status', 'id'], 'sync_runs_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sync_runs');
}
