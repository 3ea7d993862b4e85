import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tracking_events', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('shipment_id').unsigned().notNullable().references('shipments.id').onDelete('CASCADE');
    t.string('source', 16).notNullable(); // bol | dhl | csv ...
    t.string('status', 32).nullable(); // canonical; NULL when no mapping rule knows the raw status
    t.string('raw_status', 128).notNullable(); // the source's own words, always kept
    t.text('description').nullable();
    t.string('location', 255).nullable();
    t.bigInteger('occurred_at').notNullable();
    // Hash of source, raw status, time and description: the same observation seen twice is one row.
    t.string('dedupe_key', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['shipment_id', 'dedupe_key'], { indexName: 'tracking_events_dedupe_unique' });
    t.index(['shipment_id', 'occurred_at'], 'tracking_events_timeline_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tracking_events');
}
