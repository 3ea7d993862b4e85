import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One carrier API key's position: its daily quota, the pace of its single chain of poll jobs
  // (carried from job to job like a shop's rate state), and which step of the chain is current.
  await knex.schema.createTable('tracking_keys', (t) => {
    t.string('carrier', 16).primary();
    t.integer('step').notNullable().defaultTo(0);
    // idle | running: whether a tracking.poll job of this key exists
    t.string('chain', 16).notNullable().defaultTo('idle');
    t.bigInteger('heartbeat_at').notNullable().defaultTo(0);
    t.text('rate_state').nullable();
    // Days since the epoch (UTC): the quota resets at 00:00 GMT.
    t.integer('quota_day').notNullable().defaultTo(0);
    t.integer('calls_today').notNullable().defaultTo(0);
    t.integer('planned_today').notNullable().defaultTo(0);
    t.bigInteger('blocked_until').notNullable().defaultTo(0);
    t.bigInteger('updated_at').notNullable();
  });
  // One row per shipment a carrier connector tracks: when it is next due, how often it was
  // polled today (at most 10), and whether the clock has put it on its key's chain.
  await knex.schema.createTable('tracking_polls', (t) => {
    t.bigInteger('shipment_id').unsigned().primary().references('shipments.id').onDelete('CASCADE');
    t.string('carrier', 16).notNullable();
    // waiting | planned | stopped
    t.string('state', 16).notNullable().defaultTo('waiting');
    // 0 out_for_delivery, 1 in_transit, 2 the rest
    t.integer('priority').notNullable();
    t.bigInteger('next_poll_at').notNullable();
    t.bigInteger('planned_at').nullable();
    t.integer('polls_day').notNullable().defaultTo(0);
    t.integer('polls_today').notNullable().defaultTo(0);
    t.bigInteger('last_polled_at').nullable();
    t.string('last_result', 32).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['carrier', 'state', 'priority', 'next_poll_at'], 'tracking_polls_due_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tracking_polls');
  await knex.schema.dropTable('tracking_keys');
}
