import type { Knex } from 'knex';
import type { Dialect } from '../../models/db.ts';
import type { ImportOptions } from '../../models/imports.ts';
import type { ResolvedColumns } from './columns.ts';
import type { CsvRow, RowError } from './read-batch.ts';

/** What a type's batch processor gets: the rows of one batch, already of the header's width. */
export interface BatchInput {
  rows: CsvRow[];
  cols: ResolvedColumns;
  options: ImportOptions;
  /** When the import was uploaded: the time of observations that carry none. */
  uploadedAt: number;
  settings: ImportSettings;
  /** The database the batch will be written to (what is worth preparing depends on it). */
  dialect: Dialect;
  /** What the batches before this one looked like, as far as known when it is prepared. */
  hint: BatchHint;
  /** This import, and every import of the same type with the same content (itself included). */
  provenance: { importId: number; sameContent: ReadonlySet<number> };
}

/** What the import's rows looked like so far: mostly new records (products load first then). */
export interface BatchHint {
  mostlyNew: boolean;
}

/**
 * An import type's batch work in two parts. `prepare` needs no database (checking and shaping
 * the rows), so it runs as soon as a batch is parsed, while the previous batch is still being
 * written; `write` applies the prepared batch inside the batch's transaction.
 */
export interface BatchProcessor<P> {
  prepare(input: BatchInput): Promise<P>;
  /**
   * The first part of `write`, which on MySQL may start before the previous batch has committed
   * (in a transaction of its own): it may only insert rows that do not exist yet, so that
   * whatever the previous batch holds makes it wait, and what it learns is passed to `write`.
   */
  begin?(trx: Knex.Transaction, prepared: P, hint: BatchHint): Promise<unknown>;
  /** `begun`: what `begin` resolved to in this transaction (undefined for a type without one). */
  write(trx: Knex.Transaction, prepared: P, hint: BatchHint, begun: unknown): Promise<BatchOutcome>;
}

/** A type whose batch has nothing worth preparing ahead: all of it happens in `write`. */
export function writeOnly(write: (trx: Knex.Transaction, input: BatchInput) => Promise<BatchOutcome>): BatchProcessor<BatchInput> {
  return { prepare: async (input) => input, write: (trx, input) => write(trx, input) };
}

export interface BatchOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
  /** Raw statuses no mapping rule knows, counted per row. */
  unmapped: Record<string, number>;
}

/** Settings of the import processing (config/config.ts), passed down from the roots. */
export interface ImportSettings {
  /** How many trailing digits of a phone identify a customer (PHONE_KEY_DIGITS, default 9). */
  phoneKeyDigits: number;
}

export const DEFAULT_IMPORT_SETTINGS: ImportSettings = { phoneKeyDigits: 9 };

export function emptyOutcome(): BatchOutcome {
  return { inserted: 0, updated: 0, unchanged: 0, errors: [], unmapped: {} };
}
