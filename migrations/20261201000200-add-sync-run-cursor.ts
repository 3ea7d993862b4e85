import type { Knex } from 'knex';

/**
 * A stream's cursor: where the shop's next run of the stream starts (Shopify: the newest
 * `updatedAt` stored). Written by the step that stored the records it covers, in the same
 * transaction; a new run starts from the cursor of the shop's latest run of the stream.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_runs', (t) => {
    t.text('cursor').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_runs', (t) => {
    t.dropColumn('cursor');
  });
}
