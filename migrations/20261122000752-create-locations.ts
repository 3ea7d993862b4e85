import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A receiver place whose weather is cached: (country, postal code) normalised, with its last
  // observation. A failed fetch leaves the observation and its fetched_at as they were.
  await knex.schema.createTable('locations', (t) => {
    t.increments('id').primary();
    t.string('country', 2).notNullable();
    t.string('postal_code', 16).notNullable();
    t.string('city', 128).nullable();
    t.double('temp_c').nullable();
    // Provider condition texts can be longer than 30 characters: kept in full.
    t.text('condition').nullable();
    t.string('provider', 16).nullable();
    t.bigInteger('observed_at').nullable();
    t.bigInteger('fetched_at').nullable();
    // When the clock should fetch next; NULL while every shipment going there is final.
    t.bigInteger('next_fetch_at').nullable();
    t.bigInteger('fetch_started_at').nullable();
    t.text('last_error').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['country', 'postal_code'], { indexName: 'locations_country_postal_unique' });
    t.index(['next_fetch_at'], 'locations_due_idx');
  });
  await knex.schema.alterTable('shipments', (t) => {
    // Filled by the clock from the receiver's country and postal code (normalised).
    t.integer('location_id').unsigned().nullable();
  });
  await knex.schema.alterTable('shipments', (t) => {
    // "Does any shipment still going here need weather?" is one index probe per location.
    t.index(['location_id', 'status'], 'shipments_location_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shipments', (t) => {
    t.dropIndex(['location_id', 'status'], 'shipments_location_status_idx');
  });
  await knex.schema.alterTable('shipments', (t) => {
    t.dropColumn('location_id');
  });
  await knex.schema.dropTable('locations');
}
