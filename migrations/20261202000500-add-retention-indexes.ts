import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The retention prune finds rows by age: an index range of old rows, never a scan of the table.
  await knex.schema.alterTable('domain_events', (t) => {
    t.index(['created_at', 'id'], 'domain_events_created_idx');
  });
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.index(['created_at', 'id'], 'webhook_deliveries_created_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropIndex(['created_at', 'id'], 'webhook_deliveries_created_idx');
  });
  await knex.schema.alterTable('domain_events', (t) => {
    t.dropIndex(['created_at', 'id'], 'domain_events_created_idx');
  });
}
