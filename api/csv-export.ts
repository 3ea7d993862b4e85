import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { ApiContext } from './context.ts';

/**
 * Streamed CSV answers (exports, an import's errors): rows come from an async generator that
 * reads the database a page at a time, csv-stringify writes them, and Koa pipes the result to
 * the client with backpressure: a slow client slows the reads, and memory stays flat however
 * many rows there are.
 *
 * For spreadsheets: a UTF-8 byte-order mark (Excel reads the file as UTF-8 then), CRLF records,
 * and every text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or CR
 * first: OWASP "CSV injection") starts with a `'` instead, which shows the text as written.
 */
export function neutraliseCell(value: unknown): unknown {
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(value)) return `'${value}`;
  return value;
}

export function sendCsv(ctx: ApiContext, filename: string, columns: string[], rows: AsyncIterable<unknown[]>): void {
  const source = Readable.from(
    (async function* () {
      for await (const row of rows) yield row.map(neutraliseCell);
    })(),
  );
  const csv = stringify({
    header: true,
    columns,
    bom: true,
    record_delimiter: 'windows',
    cast: { boolean: (v) => (v ? 'true' : 'false'), date: (d) => d.toISOString() },
  });
  source.on('error', (err) => csv.destroy(err));
  ctx.status = 200;
  ctx.type = 'text/csv; charset=utf-8';
  ctx.set('Content-Disposition', `attachment; filename="${filename}"`);
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = source.pipe(csv);
}
