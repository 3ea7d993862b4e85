import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { foundOrFail } from './db.ts';

/**
 * Terminology:
 * - import: one uploaded CSV file, processed by workers in batches, with per-row results.
 * - batch: the rows one `import.batch` job processes and commits together with the checkpoint.
 * - checkpoint: where the next batch starts in the file (byte offset, line, record), plus the
 *   file's header, saved in the same transaction as the batch's rows.
 * - row error: one row that could not be imported (its line, record number and the reason); the
 *   rest of the file still imports.
 */
export const IMPORT_TYPES = ['products', 'shipments', 'status_feed'] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];
export const IMPORT_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
/** The partner status feed files, one per event kind (shared/data/zywa-card-status). */
export const FEED_EVENTS = ['pickup', 'delivery_exception', 'delivered', 'returned'] as const;
export type FeedEvent = (typeof FEED_EVENTS)[number];

export interface ImportOptions {
  event?: FeedEvent;
  /** IANA zone of the feed's timestamps that carry none. */
  timezone?: string;
}

export interface ImportCheckpoint {
  /** Byte offset of the next batch's first record. */
  offset: number;
  /** Physical lines before it (the line the last committed record ended on). */
  line: number;
  /** Records (header included) before it. */
  record: number;
  /** The header's cells, as written; null until the first batch read it. */
  header: string[] | null;
  /**
   * The file's record delimiter, found at its start; null until then. A reader starting at a
   * later offset cannot tell it from the text (a quoted field may hold other line breaks).
   */
  newline: CsvNewline | null;
  /** Raw statuses no mapping rule knows, with how many rows carried them. */
  unmapped: Record<string, number>;
  /** The file is read to its end. */
  done: boolean;
}

export type CsvNewline = '\r\n' | '\n' | '\r';

export const FIRST_IMPORT_CHECKPOINT: ImportCheckpoint = { offset: 0, line: 0, record: 0, header: null, newline: null, unmapped: {}, done: false };

export class Import extends BaseModel {
  static override tableName = 'imports';
  static override jsonAttributes = ['options', 'checkpoint'];

  id!: number;
  type!: ImportType;
  status!: ImportStatus;
  filename!: string | null;
  options!: ImportOptions | null;
  storage!: 'database' | 'file';
  upload_key!: string;
  size_bytes!: number;
  rows_total!: number | null;
  step!: number;
  checkpoint!: ImportCheckpoint | null;
  /** SHA-256 of the uploaded bytes (null for imports stored before it was recorded). */
  content_sha256!: string | null;
  rows_processed!: number;
  inserted!: number;
  updated!: number;
  unchanged!: number;
  failed_rows!: number;
  error!: string | null;
  started_at!: number | null;
  finished_at!: number | null;
}

/** A row that could not be imported: where it is in the file, why, and its text (for errors.csv). */
export interface ImportErrorRow {
  line: number;
  record: number;
  reason: string;
  raw: string | null;
}

export function readImportCheckpoint(value: unknown): ImportCheckpoint {
  if (value === null || value === undefined) return FIRST_IMPORT_CHECKPOINT;
  const parsed = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<ImportCheckpoint>;
  return { ...FIRST_IMPORT_CHECKPOINT, ...parsed };
}

export async function findImport(db: Knex | Knex.Transaction, id: number): Promise<Import | undefined> {
  return Import.query(db).findById(id);
}

export async function findImportOrFail(knex: Knex, id: number): Promise<Import> {
  return foundOrFail(await findImport(knex, id), 'import', id);
}

/** The latest imports first. */
export async function findRecentImports(knex: Knex, limit: number): Promise<Import[]> {
  return Import.query(knex).orderBy('id', 'desc').limit(limit);
}

/** The imports that are queued or running. */
export async function findActiveImports(knex: Knex): Promise<Import[]> {
  return Import.query(knex).whereIn('status', ['queued', 'running']);
}

/** The ids of the imports of this type whose uploaded bytes had this SHA-256. */
export async function findSameContentImportIds(knex: Knex, type: ImportType, contentSha256: string): Promise<number[]> {
  const ids = (await knex('imports').where({ type, content_sha256: contentSha256 }).pluck('id')) as (number | string)[];
  return ids.map(Number);
}

/** A new import's row, as the upload route writes it. */
export type NewImport = Pick<
  Import,
  | 'type'
  | 'status'
  | 'filename'
  | 'options'
  | 'storage'
  | 'upload_key'
  | 'size_bytes'
  | 'rows_total'
  | 'content_sha256'
  | 'step'
  | 'checkpoint'
  | 'rows_processed'
  | 'inserted'
  | 'updated'
  | 'unchanged'
  | 'failed_rows'
  | 'error'
  | 'started_at'
  | 'finished_at'
>;

export async function insertImport(knex: Knex, values: NewImport): Promise<Import> {
  return Import.query(knex).insertAndFetch(values);
}

/** A queued import is running from now (a no-op when a delivery before this one started it). */
export async function markImportRunning(knex: Knex, id: number): Promise<void> {
  await Import.query(knex).patch({ status: 'running', started_at: Date.now() }).where({ id, status: 'queued' });
}

/** Marks the import failed with a reason, whatever its status. */
export async function markImportFailed(knex: Knex, id: number, reason: string): Promise<void> {
  await Import.query(knex).patch({ status: 'failed', error: reason, finished_at: Date.now() }).where({ id });
}

/** Fails the import if it is still queued or running: its row then, or undefined when it was not. */
export async function failActiveImport(trx: Knex.Transaction, id: number, reason: string): Promise<Import | undefined> {
  const now = Date.now();
  const changed = await trx('imports').where({ id }).whereIn('status', ['queued', 'running']).update({ status: 'failed', error: reason, finished_at: now, updated_at: now });
  if (changed === 0) return undefined;
  return findImport(trx, id);
}

/** What one committed batch adds to its import. */
export interface ImportStepCommit {
  /** The step the batch was read at: the update only applies while the import is still there. */
  step: number;
  checkpoint: ImportCheckpoint;
  /** Records read by the batch, bad ones included. */
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  failedRows: number;
  /** Records read before and with this batch: the file's `rows_total` once the checkpoint is `done`. */
  rowsTotal: number;
  now: number;
}

/**
 * Moves the import on by one step: the new checkpoint, the batch's counts added, and once the
 * checkpoint is `done`, `succeeded`. False when the import is not at `step` any more (another delivery
 * committed it).
 */
export async function advanceImportStep(trx: Knex.Transaction, id: number, c: ImportStepCommit): Promise<boolean> {
  const { done } = c.checkpoint;
  const changed = await trx('imports')
    .where({ id, step: c.step })
    .update({
      step: c.step + 1,
      checkpoint: JSON.stringify(c.checkpoint),
      status: done ? 'succeeded' : 'running',
      rows_processed: trx.raw('rows_processed + ?', [c.processed]),
      inserted: trx.raw('inserted + ?', [c.inserted]),
      updated: trx.raw('updated + ?', [c.updated]),
      unchanged: trx.raw('unchanged + ?', [c.unchanged]),
      failed_rows: trx.raw('failed_rows + ?', [c.failedRows]),
      // Not `rows_processed + ?`: MySQL would see rows_processed already incremented by the
      // assignment above, SQLite would not; the caller's total is current under the step check.
      ...(done ? { rows_total: c.rowsTotal, finished_at: c.now } : {}),
      updated_at: c.now,
    });
  return changed > 0;
}

/** Row errors of a batch, 500 a statement; a row error stored before (a redone batch) is kept once. */
export async function insertImportErrors(trx: Knex.Transaction, importId: number, errors: ImportErrorRow[]): Promise<void> {
  for (let i = 0; i < errors.length; i += 500) {
    await trx('import_errors')
      .insert(errors.slice(i, i + 500).map((e) => ({ import_id: importId, line: e.line, record: e.record, reason: e.reason.slice(0, 512), raw: e.raw })))
      .onConflict(['import_id', 'record', 'reason'])
      .ignore();
  }
}

/** How many row errors `GET /imports/:id` shows; `errors.csv` has them all. */
export const FIRST_ERRORS_SHOWN = 20;

export async function firstImportErrors(knex: Knex, importId: number, limit = FIRST_ERRORS_SHOWN): Promise<ImportErrorRow[]> {
  return knex('import_errors').select('line', 'record', 'reason', 'raw').where({ import_id: importId }).orderBy('id').limit(limit);
}

/** The import's row errors after the one with id `afterId`, in the order they were stored. */
export async function findImportErrorsPage(knex: Knex, importId: number, afterId: number, limit: number): Promise<(ImportErrorRow & { id: number })[]> {
  return knex('import_errors').select('id', 'line', 'record', 'reason', 'raw').where({ import_id: importId }).andWhere('id', '>', afterId).orderBy('id').limit(limit);
}
