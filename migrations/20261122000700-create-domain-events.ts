import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The outbox: events written in the same transaction as the change they describe, read by
  // whatever notifies the outside world (webhooks), so a notification is never lost or invented.
  await knex.schema.createTable('domain_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('type', 64).notNullable();
    t.text('data').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('dispatched_at').nullable();
    t.index(['dispatched_at', 'id'], 'domain_events_pending_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('domain_events');
}
