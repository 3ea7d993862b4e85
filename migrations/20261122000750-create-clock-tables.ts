import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per fire of a schedule: the INSERT is the claim. A second clock (started by mistake,
  // or catching up after a restart) hits the unique key and enqueues nothing.
  await knex.schema.createTable('clock_fires', (t) => {
    t.bigIncrements('id').primary();
    t.string('schedule', 128).notNullable();
    t.bigInteger('due_at').notNullable();
    t.string('claimed_by', 64).notNullable();
    t.bigInteger('claimed_at').notNullable();
    t.unique(['schedule', 'due_at'], { indexName: 'clock_fires_schedule_due_unique' });
    t.index(['due_at'], 'clock_fires_due_idx');
  });
  // Where a schedule stands in a feed it follows (the shipments change feed, by updated_at and id).
  await knex.schema.createTable('clock_cursors', (t) => {
    t.string('name', 64).primary();
    t.bigInteger('position').notNullable();
    t.bigInteger('last_id').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('clock_cursors');
  await knex.schema.dropTable('clock_fires');
}
