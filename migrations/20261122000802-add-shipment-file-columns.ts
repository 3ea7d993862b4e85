import type { Knex } from 'knex';

/**
 * Shipments from files have no shop and no platform id: `external_key` is their natural key
 * within their `source` (a parcelLab row: carrier + tracking number; a status feed row: the
 * reference), so a file imported twice leaves the same rows. `receiver_street` comes with the
 * parsed receiver address of shipment lists.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shipments', (t) => {
    t.string('external_key', 191).nullable();
    t.string('receiver_street', 255).nullable();
  });
  await knex.schema.alterTable('shipments', (t) => {
    t.unique(['source', 'external_key'], { indexName: 'shipments_source_external_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shipments', (t) => {
    t.dropUnique(['source', 'external_key'], 'shipments_source_external_unique');
  });
  await knex.schema.alterTable('shipments', (t) => {
    t.dropColumn('external_key');
    t.dropColumn('receiver_street');
  });
}
