import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('shipments', (t) => {
    t.bigIncrements('id').primary();
    // NULL for shipments that came from a file rather than a shop.
    t.integer('shop_id').unsigned().nullable().references('shops.id').onDelete('CASCADE');
    t.string('source', 16).notNullable(); // bol | csv | ...
    t.string('platform_id', 64).nullable();
    t.string('order_id', 64).nullable();
    t.string('reference', 128).nullable();
    t.string('fulfilment_method', 8).nullable();
    t.string('carrier', 64).nullable();
    t.string('tracking_number', 128).nullable();
    t.string('status', 32).notNullable().defaultTo('pending');
    t.bigInteger('status_at').nullable();
    t.bigInteger('shipped_at').nullable();
    t.string('receiver_postal_code', 16).nullable();
    t.string('receiver_city', 128).nullable();
    t.string('receiver_country', 2).nullable();
    t.string('receiver_phone', 32).nullable();
    // The last 9 digits of the phone: the same customer whichever way the number was written.
    t.string('phone_key', 16).nullable();
    t.integer('synced_run_id').unsigned().nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();

    t.unique(['shop_id', 'platform_id'], { indexName: 'shipments_shop_platform_unique' });
    // One index per list filter, each ending in id so a keyset page is one index range scan
    // (see models/shipment-queries.ts, which names the index each filter set must use).
    t.index(['shop_id', 'status', 'id'], 'shipments_shop_status_idx');
    t.index(['shop_id', 'id'], 'shipments_shop_idx');
    t.index(['status', 'id'], 'shipments_status_idx');
    t.index(['carrier', 'id'], 'shipments_carrier_idx');
    t.index(['tracking_number', 'id'], 'shipments_tracking_number_idx');
    t.index(['reference', 'id'], 'shipments_reference_idx');
    t.index(['phone_key', 'id'], 'shipments_phone_key_idx');
    t.index(['updated_at', 'id'], 'shipments_updated_idx');
    t.index(['shop_id', 'updated_at', 'id'], 'shipments_shop_updated_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('shipments');
}
