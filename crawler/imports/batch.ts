import type { ImportOptions } from '../../models/import.ts';
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
  /** What the import's rows looked like so far: mostly new records (products load first then). */
  hint?: { mostlyNew: boolean };
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

export function rowError(row: CsvRow, reason: string): RowError {
  return { line: row.line, record: row.record, reason, raw: rawOf(row.cells) };
}

/** The row as CSV text again (for errors.csv), cut at 1,000 characters. */
export function rawOf(cells: string[]): string {
  return cells
    .map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
    .join(',')
    .slice(0, 1000);
}

export function emptyOutcome(): BatchOutcome {
  return { inserted: 0, updated: 0, unchanged: 0, errors: [], unmapped: {} };
}
