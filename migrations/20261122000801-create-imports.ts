import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  const mysql = knex.client.config.client !== 'better-sqlite3';
  await knex.schema.createTable('imports', (t) => {
    t.increments('id').primary();
    t.string('type', 16).notNullable(); // products | shipments | status_feed
    t.string('status', 16).notNullable(); // queued | running | succeeded | failed
    t.string('filename', 255).nullable();
    // Per-type settings fixed at upload: the status feed's event kind and time zone.
    t.text('options').nullable();
    // Where the uploaded bytes are (models/import-file-store.ts): a key into import_file_chunks
    // on MySQL, a file beside the database on SQLite.
    t.string('storage', 16).notNullable();
    t.string('upload_key', 64).notNullable();
    t.bigInteger('size_bytes').notNullable();
    t.integer('rows_total').nullable();
    // The batch the next job must process, and where it starts (byte offset, line, record):
    // saved in the same transaction as the batch's rows, like a sync run's checkpoint.
    t.integer('step').notNullable().defaultTo(0);
    t.text('checkpoint').nullable();
    t.integer('rows_processed').notNullable().defaultTo(0);
    t.integer('inserted').notNullable().defaultTo(0);
    t.integer('updated').notNullable().defaultTo(0);
    t.integer('unchanged').notNullable().defaultTo(0);
    t.integer('failed_rows').notNullable().defaultTo(0);
    t.text('error').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('started_at').nullable();
    t.bigInteger('finished_at').nullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['status', 'id'], 'imports_status_idx');
  });

  await knex.schema.createTable('import_errors', (t) => {
    t.bigIncrements('id').primary();
    t.integer('import_id').unsigned().notNullable().references('imports.id').onDelete('CASCADE');
    // Physical line where the row starts (the header is line 1) and its record number (the
    // header is record 0): a quoted field may span lines, so the two differ.
    t.integer('line').notNullable();
    t.integer('record').notNullable();
    t.string('reason', 512).notNullable();
    t.text('raw').nullable();
    // A batch committed twice (redelivery) must not report its rows twice.
    t.unique(['import_id', 'record', 'reason'], { indexName: 'import_errors_row_unique' });
    t.index(['import_id', 'id'], 'import_errors_import_idx');
  });

  // Uploaded files on a shared database: web and worker processes share no disk (Heroku-style
  // dynos), so the bytes travel through MySQL in chunks small enough for max_allowed_packet.
  await knex.schema.createTable('import_file_chunks', (t) => {
    t.string('upload_key', 64).notNullable();
    t.integer('seq').notNullable();
    if (mysql) t.specificType('data', 'longblob').notNullable();
    else t.binary('data').notNullable();
    t.primary(['upload_key', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('import_file_chunks');
  await knex.schema.dropTable('import_errors');
  await knex.schema.dropTable('imports');
}
