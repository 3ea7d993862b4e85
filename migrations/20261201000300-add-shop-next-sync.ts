import type { Knex } from 'knex';

/**
 * When each shop's next periodic sync is due (epoch ms; NULL: not placed yet, the clock places
 * it). The clock's `shops.sync` fire reads the due shops as one range of `shops_sync_due_idx`
 * instead of every shop and every shop's last fire.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shops', (t) => {
    t.bigInteger('next_sync_at').nullable();
    t.index(['status', 'next_sync_at'], 'shops_sync_due_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shops', (t) => {
    t.dropIndex(['status', 'next_sync_at'], 'shops_sync_due_idx');
    t.dropColumn('next_sync_at');
  });
}
