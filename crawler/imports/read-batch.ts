import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Papa from 'papaparse';
import { nextTurn } from '../../lib/next-turn.ts';
import type { CsvNewline, ImportCheckpoint, ImportErrorRow } from '../../models/imports.ts';

/**
 * Reads an uploaded file in batches of records, starting at the checkpoint's byte offset.
 *
 * Papa Parse's core parser does the CSV: quoted fields with line breaks, doubled quotes, CRLF or
 * LF (the file's first line break decides, as spreadsheets write one kind per file; the
 * checkpoint keeps it), no final newline; a BOM is skipped here. It is handed the decoded text
 * that has arrived so far, record by record (`step`), and stopped once the batch is full; until
 * the file has ended, a record still arriving is left for the next call. The cursor after the
 * last record taken is where the checkpoint goes: always outside any quoted field, so a fresh
 * reader can start there on another worker. One reader serves the consecutive batches of one
 * job, so the next batch is parsed while the current one is being written. (Papa's core parser
 * is about five times the speed of csv-parse, which a 500,000-row catalogue notices.)
 */
export interface CsvRow {
  cells: string[];
  /** Physical line where the record starts (the header is line 1). */
  line: number;
  /** Record number: the header is 0, the first data row 1. */
  record: number;
}

/** A row that could not be imported, as `import_errors` stores it. */
export type RowError = ImportErrorRow;

export interface BatchRead {
  header: string[] | null;
  rows: CsvRow[];
  /** Records that are not valid CSV (e.g. a quote never closed). */
  errors: RowError[];
  next: Pick<ImportCheckpoint, 'offset' | 'line' | 'record' | 'newline'>;
  done: boolean;
}

export interface BatchReader {
  /** The next batch of at most `maxRows` rows; `done` once the file is read to its end. */
  next(maxRows: number): Promise<BatchRead>;
  close(): void;
}

/**
 * A record that has not ended after this many characters is taken for a quote that never
 * closes: the rest of the file cannot be read (and is not held in memory to find out).
 */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

const NEVER_CLOSED = 'a quoted field is never closed: this row and everything after it up to the end of the file could not be read';
const BAD_CLOSING_QUOTE =
  'a quoted field is followed by more text before the next comma (write a quote inside a quoted field as two quotes ""); this row and everything after it up to the end of the file could not be read';

/** Where a reader starts: a checkpoint (the record delimiter may be unknown yet). */
export type ReadFrom = Pick<ImportCheckpoint, 'offset' | 'line' | 'record' | 'header'> & { newline?: CsvNewline | null };

export function openBatchReader(source: Readable, from: ReadFrom): BatchReader {
  const chunks = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const decoder = new StringDecoder('utf8');
  let header = from.header;
  /** Decoded text not parsed yet; it starts at byte `offset` of the file. */
  let text = '';
  let offset = from.offset;
  /** Lines fully read, and the number the next record gets. */
  let line = from.line;
  let record = from.record;
  let newline = from.newline ?? null;
  let eof = false;
  let ended = false;

  /** More text from the source; false at its end. */
  async function fill(): Promise<boolean> {
    if (eof) return false;
    const chunk = await chunks.next();
    if (chunk.done) {
      eof = true;
      text += decoder.end();
      return false;
    }
    text += typeof chunk.value === 'string' ? chunk.value : decoder.write(chunk.value);
    if (offset === 0 && text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
      offset = 3;
    }
    return true;
  }

  return {
    async next(maxRows) {
      const rows: CsvRow[] = [];
      const errors: RowError[] = [];
      // Records still wanted in this batch (the header, when not read yet, is one more).
      const wanted = () => maxRows + (header === null ? 1 : 0) - rows.length - errors.length;
      while (!ended && wanted() > 0) {
        newline ??= newlineOf(text, eof);
        if (newline === null) {
          if (!(await fill())) newline = newlineOf(text, true) ?? '\n';
          continue;
        }
        const want = wanted();
        // Record by record (`step`), to know where each ends and to stop at the batch's last.
        let taken = 0;
        let consumed = 0;
        const parser = new Papa.Parser({
          delimiter: ',',
          newline,
          quoteChar: '"',
          escapeChar: '"',
          step: (result: { data: string[][]; errors: { code: string }[]; meta: { cursor: number } }) => {
            consumed = result.meta.cursor;
            const cells = result.data[0]!;
            const startLine = line + 1;
            line += 1 + cells.reduce((n, cell) => n + countLineBreaks(cell), 0);
            // An empty line is no record (and a file's last newline ends the last record).
            if (cells.length === 1 && cells[0] === '') return;
            const bad = result.errors.some((e) => e.code === 'MissingQuotes') ? NEVER_CLOSED : result.errors.some((e) => e.code === 'InvalidQuotes') ? BAD_CLOSING_QUOTE : null;
            if (header === null) header = cells;
            else if (bad) errors.push({ line: startLine, record, reason: bad, raw: rawOf(cells) });
            else rows.push({ cells, line: startLine, record });
            record += 1;
            if (++taken === want) parser.abort();
          },
        });
        // Complete records only, unless the file has ended: the last one may still be arriving.
        parser.parse(text, 0, !eof);
        if (consumed === 0) {
          if (eof) {
            ended = true;
            break;
          }
          if (text.length > MAX_RECORD_CHARS) {
            // One record has no end in sight: report it and stop reading (see MAX_RECORD_CHARS).
            errors.push({ line: line + 1, record, reason: NEVER_CLOSED, raw: text.slice(0, 1000) });
            offset += Buffer.byteLength(text);
            record += 1;
            text = '';
            ended = true;
            break;
          }
          await fill();
          continue;
        }
        const consumedText = consumed === text.length ? text : text.slice(0, consumed);
        // Text after the parsed records waits for the next call.
        offset += Buffer.byteLength(consumedText);
        text = text.slice(consumed);
        if (eof && text.length === 0) ended = true;
        // Records already decoded are parsed without waiting for I/O: the batch being written
        // meanwhile must not wait for its replies.
        await nextTurn();
      }
      return { header, rows, errors, next: { offset, line, record, newline }, done: ended };
    },
    close() {
      source.destroy();
    },
  };
}

/** One batch from a fresh reader at a checkpoint, as a job on another worker starts (the tests read batches this way). */
export async function readBatch(source: Readable, from: ReadFrom, maxRows: number): Promise<BatchRead> {
  const reader = openBatchReader(source, from);
  try {
    return await reader.next(maxRows);
  } finally {
    reader.close();
  }
}

/**
 * The record delimiter, from the first line break of the file's text (null until one has
 * arrived, unless the text is complete). A line break inside a quoted header cell would mislead
 * this; headers have none.
 */
function newlineOf(text: string, complete: boolean): CsvNewline | null {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (cr >= 0 && (lf === -1 || cr < lf)) {
    if (cr + 1 < text.length) return text[cr + 1] === '\n' ? '\r\n' : '\r';
    return complete ? '\r' : null;
  }
  if (lf >= 0) return '\n';
  return complete ? '\n' : null;
}

/** Line breaks as an editor shows them: LF, CRLF and a lone CR each end one line. */
function countLineBreaks(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  // A CR ends a line of its own unless an LF follows it.
  for (let i = s.indexOf('\r'); i !== -1; i = s.indexOf('\r', i + 1)) if (s.charCodeAt(i + 1) !== 10) n++;
  return n;
}

/** A bad row, for the import's report: where it is, why, and its text. */
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
