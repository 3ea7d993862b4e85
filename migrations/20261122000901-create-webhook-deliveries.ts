import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per delivery attempt of one event to one webhook. A row is written `pending` before
  // its job is published (by the relay, in the same transaction that claims the event), so a job
  // lost between commit and publish is found again by the relay's sweep.
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.integer('webhook_id').unsigned().notNullable().references('webhooks.id').onDelete('CASCADE');
    // domain_events.id; NULL for webhook.test events, which live only here.
    t.bigInteger('event_id').nullable();
    // The webhook-id header and the body's "id": the same for every attempt of one event.
    t.string('message_id', 64).notNullable();
    t.string('event_type', 64).notNullable();
    t.bigInteger('event_created_at').notNullable();
    t.integer('attempt').notNullable();
    t.string('trigger', 16).notNullable(); // event | manual | test
    t.string('status', 16).notNullable(); // pending | succeeded | failed
    t.integer('status_code').nullable();
    t.integer('duration_ms').nullable();
    t.string('error', 1000).nullable();
    // pending: when its job is due; failed: when the next attempt is due (NULL: none will follow).
    t.bigInteger('scheduled_at').nullable();
    t.bigInteger('next_attempt_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('attempted_at').nullable();
    t.index(['webhook_id', 'id'], 'webhook_deliveries_log_idx');
    t.index(['status', 'scheduled_at'], 'webhook_deliveries_pending_idx');
    t.index(['event_id'], 'webhook_deliveries_event_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
}
