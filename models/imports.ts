import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { NotFoundError } from '../lib/errors.ts';
import { iso } from './db.ts';

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

export async function findImportOrFail(knex: Knex, id: number): Promise<Import> {
  const found = await Import.query(knex).findById(id);
  if (!found) throw new NotFoundError('import', id);
  return found;
}

/** How many row errors `GET /imports/:id` shows; `errors.csv` has them all. */
export const FIRST_ERRORS_SHOWN = 20;

export async function firstImportErrors(knex: Knex, importId: number, limit = FIRST_ERRORS_SHOWN): Promise<ImportErrorRow[]> {
  return knex('import_errors').select('line', 'record', 'reason', 'raw').where({ import_id: importId }).orderBy('id').limit(limit);
}

/** The public shape of an import (no storage internals). */
export function presentImport(imp: Import, errors: ImportErrorRow[]) {
  const options = (typeof imp.options === 'string' ? JSON.parse(imp.options) : imp.options) as ImportOptions | null;
  const cp = readImportCheckpoint(imp.checkpoint);
  return {
    id: Number(imp.id),
    type: imp.type,
    status: imp.status,
    filename: imp.filename,
    size_bytes: Number(imp.size_bytes),
    event: options?.event ?? null,
    timezone: options?.timezone ?? null,
    rows_total: imp.rows_total === null ? null : Number(imp.rows_total),
    rows_processed: Number(imp.rows_processed),
    inserted: Number(imp.inserted),
    updated: Number(imp.updated),
    unchanged: Number(imp.unchanged),
    failed_rows: Number(imp.failed_rows),
    unmapped_statuses: cp.unmapped,
    errors: errors.map((e) => ({ line: Number(e.line), record: Number(e.record), reason: e.reason })),
    error: imp.error,
    created_at: iso(imp.created_at),
    started_at: iso(imp.started_at),
    finished_at: iso(imp.finished_at),
    updated_at: iso(imp.updated_at),
  };
}

export type PresentedImport = ReturnType<typeof presentImport>;

/** What webhook subscribers hear about a finished import: the summary, without the row errors. */
export function importEventData(imp: Import): Record<string, unknown> {
  const { errors: _errors, ...summary } = presentImport(imp, []);
  return summary;
}
