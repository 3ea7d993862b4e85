import type { Knex } from 'knex';

/**
 * When a sync step of the shop began sending requests that no commit has accounted for yet (epoch
 * ms; NULL: every request the shop's steps sent is in its stored rate state). A step that finds
 * it set knows an earlier holder (a worker killed mid-step, a commit that failed) may have spent
 * part of the shop's limits, and lets those requests age out first.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shops', (t) => {
    t.bigInteger('sending_since').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shops', (t) => {
    t.dropColumn('sending_since');
  });
}
