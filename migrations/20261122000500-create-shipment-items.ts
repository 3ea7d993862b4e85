import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('shipment_items', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('shipment_id').unsigned().notNullable().references('shipments.id').onDelete('CASCADE');
    // The platform's order item id, or another stable key for items from files.
    t.string('item_key', 128).notNullable();
    t.string('ean', 32).nullable();
    t.string('sku', 128).nullable();
    t.string('title', 512).nullable();
    t.integer('quantity').notNullable().defaultTo(1);
    t.integer('quantity_shipped').nullable();
    t.decimal('unit_price', 12, 2).nullable();
    t.unique(['shipment_id', 'item_key'], { indexName: 'shipment_items_shipment_key_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('shipment_items');
}
