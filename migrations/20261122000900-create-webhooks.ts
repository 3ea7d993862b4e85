import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhooks', (t) => {
    t.increments('id').primary();
    t.string('url', 2048).notNullable();
    t.string('description', 500).nullable();
    // JSON array of event types; a handful of rows, matched in memory by the relay.
    t.text('events').notNullable();
    // False when a person switched it off or delivery disabled it (disabled_reason says which).
    t.boolean('active').notNullable().defaultTo(true);
    t.text('disabled_reason').nullable();
    t.bigInteger('disabled_at').nullable();
    // The signing secret (whsec_...), sealed with the secret box; key ids let a key rotation find it.
    t.string('secret_key_id', 16).notNullable();
    t.text('secret_sealed').notNullable();
    // During a secret rotation the previous secret signs too, until it expires.
    t.string('previous_secret_key_id', 16).nullable();
    t.text('previous_secret_sealed').nullable();
    t.bigInteger('previous_secret_expires_at').nullable();
    // The circuit: failed attempts in a row, since when, and until when nothing is sent
    // (a dead receiver costs one attempt per backoff step, not one per event).
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.bigInteger('failing_since').nullable();
    t.bigInteger('blocked_until').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhooks');
}
