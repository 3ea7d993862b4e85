import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('products', (t) => {
    t.bigIncrements('id').primary();
    // The SKU as last written (the displayed spelling) and its lower-case form, which is the
    // product's identity: `ABC-1` and `abc-1` are one product (shared/data/README.md, fulfil).
    t.string('sku', 128).notNullable();
    t.string('sku_key', 128).notNullable();
    t.string('name', 255).notNullable();
    t.text('description').nullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['sku_key'], { indexName: 'products_sku_key_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('products');
}
