import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import type { ImportCheckpoint } from '../../models/import.ts';

/**
 * Reads an uploaded file in batches of records, starting at the checkpoint's byte offset.
 *
 * csv-parse streams: quoted fields with line breaks, CRLF or LF, a BOM, no final newline (the
 * real Fulfil file has all of these). The checkpoint after a batch is the byte offset just after
 * its last record (csv-parse's `info.bytes`), which is always outside any quoted field, so a
 * fresh parser can start there on another worker. One reader serves the consecutive batches of
 * one job, so the next batch is parsed while the current one is being written.
 */
export interface CsvRow {
  cells: string[];
  /** Physical line where the record starts (the header is line 1). */
  line: number;
  /** Record number: the header is 0, the first data row 1. */
  record: number;
}

export interface RowError {
  line: number;
  record: number;
  reason: string;
  raw: string | null;
}

export interface BatchRead {
  header: string[] | null;
  rows: CsvRow[];
  /** Records csv-parse could not read (e.g. a quote never closed). */
  errors: RowError[];
  next: Pick<ImportCheckpoint, 'offset' | 'line' | 'record'>;
  done: boolean;
}

export interface BatchReader {
  /** The next batch of at most `maxRows` rows; `done` once the file is read to its end. */
  next(maxRows: number): Promise<BatchRead>;
  close(): void;
}

type ParsedItem = { record: string[]; info: { bytes: number; lines: number; records: number } };

export function openBatchReader(source: Readable, from: Pick<ImportCheckpoint, 'offset' | 'line' | 'record' | 'header'>): BatchReader {
  const skipped: { afterRecords: number; reason: string; raw: string | null }[] = [];
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    // A stray quote inside an unquoted field ("5" screen") is kept as written instead of failing the row.
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      const e = err as (CsvError & { records?: number }) | undefined;
      skipped.push({ afterRecords: e?.records ?? 0, reason: describeCsvError(e), raw: raw ?? null });
      return undefined;
    },
  });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  const records = (parser as AsyncIterable<ParsedItem>)[Symbol.asyncIterator]();

  // Position in this reader's stream (all relative to `from`).
  let header = from.header;
  let consumed = 0;
  let bytes = 0;
  let lines = 0;
  let overcount = 0;
  let skippedTaken = 0;
  let ended = false;
  const endLineOf = new Map<number, number>([[0, 0]]);

  return {
    async next(maxRows) {
      const rows: CsvRow[] = [];
      while (!ended && rows.length < maxRows) {
        const item = await records.next();
        if (item.done) {
          ended = true;
          break;
        }
        const { record, info } = item.value;
        // csv-parse counts a CRLF inside a quoted field as two lines: take the extra one back.
        overcount += record.reduce((n, cell) => n + countCrlf(cell), 0);
        consumed = info.records;
        bytes = info.bytes;
        lines = info.lines - overcount;
        endLineOf.set(info.records, lines);
        const breaks = record.reduce((n, cell) => n + countLineBreaks(cell), 0);
        const skippedBefore = skipped.length === 0 ? 0 : skipped.filter((x) => x.afterRecords < info.records).length;
        const absolute = from.record + info.records - 1 + skippedBefore;
        if (header === null) header = record;
        else rows.push({ cells: record, line: from.line + lines - breaks, record: absolute });
      }
      // Only records the parser skipped *before* the last record read belong to this batch; later
      // ones lie past the checkpoint and the next batch (or the next reader) meets them again.
      const mine = skipped.slice(skippedTaken).filter((s) => ended || s.afterRecords < consumed);
      const errors: RowError[] = mine.map((s, i) => ({
        line: from.line + (endLineOf.get(s.afterRecords) ?? lines) + 1,
        record: from.record + s.afterRecords + skippedTaken + i,
        reason: s.reason,
        raw: s.raw === null ? null : s.raw.slice(0, 1000),
      }));
      skippedTaken += mine.length;
      return {
        header,
        rows,
        errors,
        next: { offset: from.offset + bytes, line: from.line + lines, record: from.record + consumed + skippedTaken },
        done: ended,
      };
    },
    close() {
      source.unpipe(parser);
      source.destroy();
      parser.destroy();
    },
  };
}

/** One batch from a fresh reader (tests, and a job's first batch). */
export async function readBatch(source: Readable, from: Pick<ImportCheckpoint, 'offset' | 'line' | 'record' | 'header'>, maxRows: number): Promise<BatchRead> {
  const reader = openBatchReader(source, from);
  try {
    return await reader.next(maxRows);
  } finally {
    reader.close();
  }
}

/** Line breaks as an editor shows them: LF, CRLF and a lone CR each end one line. */
function countLineBreaks(s: string): number {
  if (s.indexOf('\n') === -1 && s.indexOf('\r') === -1) return 0;
  return (s.match(/\r\n|\n|\r/g) ?? []).length;
}

function countCrlf(s: string): number {
  if (s.indexOf('\r') === -1) return 0;
  return (s.match(/\r\n/g) ?? []).length;
}

function describeCsvError(err: (CsvError & { code?: string }) | undefined): string {
  switch (err?.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed: this row and everything after it up to the end of the file could not be read';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted field is followed by more text before the next comma; write a quote inside a quoted field as two quotes ("")';
    default:
      return `the row is not valid CSV (${err?.message ?? 'unreadable'})`;
  }
}
