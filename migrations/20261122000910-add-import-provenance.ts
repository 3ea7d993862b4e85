import type { Knex } from 'knex';

/**
 * Which row of which import wrote a product last, and each import's content hash. Re-importing
 * a file whose SKUs repeat across batches would otherwise write each repeated SKU twice: its
 * earlier row first, then the later one back. With the provenance, an earlier row of the same
 * content is known to be superseded and is skipped, so the same file changes nothing.
 * API writes clear it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('imports', (t) => {
    t.string('content_sha256', 64).nullable();
    t.index(['type', 'content_sha256'], 'imports_content_idx');
  });
  await knex.schema.alterTable('products', (t) => {
    t.bigInteger('import_id').nullable();
    t.integer('import_record').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('products', (t) => {
    t.dropColumn('import_id');
    t.dropColumn('import_record');
  });
  await knex.schema.alterTable('imports', (t) => {
    t.dropIndex(['type', 'content_sha256'], 'imports_content_idx');
    t.dropColumn('content_sha256');
  });
}
