import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import Busboy from 'busboy';
import { parse as parseSync } from 'csv-parse/sync';
import { AppError, ValidationError } from '../lib/errors.ts';
import type { ImportFileStore } from '../models/import-file-store.ts';
import type { ApiContext } from './context.ts';

/**
 * Receiving an uploaded CSV file: as the raw body (`Content-Type: text/csv`) or as the `file`
 * field of a multipart form. The body is streamed into the import file store as it arrives,
 * never held whole: a 100 MB file costs the web process a chunk or two of memory, and the answer
 * comes as soon as the last chunk is stored.
 *
 * On the way through, one pass over the bytes: the size limit (413 once exceeded), a check that
 * the bytes are text (415 for a zip, gzip or any file with NUL bytes), the header row (so a file
 * without the columns its type needs is refused at once), and a count of the rows (outside quoted
 * fields, so a description with line breaks is one row) for the progress bar's total, and the
 * content's SHA-256 (a re-import of the same content knows which rows later ones supersede).
 */
export interface ReceivedUpload {
  key: string;
  sizeBytes: number;
  filename: string | null;
  header: string[] | null;
  /** Data rows counted while receiving (blank lines included: the worker's count is exact). */
  rowsCounted: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

/** Content types taken as CSV. Excel on Windows labels CSV files `application/vnd.ms-excel`. */
const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel', 'text/comma-separated-values', 'text/x-csv']);

export async function receiveUpload(ctx: ApiContext, store: ImportFileStore, maxBytes: number): Promise<ReceivedUpload> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) throw tooLarge(ctx, maxBytes);
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (ctx.get('content-encoding') && ctx.get('content-encoding') !== 'identity') {
    throw unsupported(ctx, 'Send the file uncompressed (no Content-Encoding).');
  }
  if (type === 'multipart/form-data') return receiveMultipart(ctx, store, maxBytes);
  if (!CSV_TYPES.has(type)) {
    throw unsupported(
      ctx,
      `A ${type ? `"${type}"` : 'body without a Content-Type'} is not a CSV file: send the file as the body with "Content-Type: text/csv", or as the "file" field of a multipart/form-data form.`,
    );
  }
  const inspector = new UploadInspector(maxBytes);
  // pipe() does not pass errors on: a client that goes away mid-upload must end the save (which
  // then removes what it stored), not leave it waiting.
  const abort = () => inspector.destroy(new AppError('request_aborted', 'The upload was aborted before the file arrived.', { status: 400 }));
  ctx.req.once('aborted', abort);
  ctx.req.once('error', abort);
  try {
    const stored = await store.save(ctx.req.pipe(inspector));
    // A raw body may name its file the way a download does: `Content-Disposition: attachment; filename="x.csv"`.
    const filename = /filename="?([^";]+)"?/i.exec(ctx.get('content-disposition'))?.[1]?.trim().slice(0, 255) || null;
    return inspector.received(stored, filename);
  } catch (err) {
    throw settle(ctx, err, maxBytes);
  }
}

function receiveMultipart(ctx: ApiContext, store: ImportFileStore, maxBytes: number): Promise<ReceivedUpload> {
  return new Promise<ReceivedUpload>((resolve, reject) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: ctx.req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024 } });
    } catch {
      reject(new ValidationError([{ field: 'body', reason: 'is not a multipart/form-data body (its boundary is missing)' }]));
      return;
    }
    let saving: Promise<ReceivedUpload> | undefined;
    busboy.on('file', (name: string, file: Readable, info: { filename: string; mimeType: string }) => {
      if (name !== 'file' || saving) {
        file.resume();
        return;
      }
      const mime = info.mimeType.toLowerCase();
      const looksCsv = CSV_TYPES.has(mime) || (mime === 'application/octet-stream' && /\.(csv|txt)$/i.test(info.filename ?? ''));
      if (!looksCsv) {
        file.resume();
        reject(unsupported(ctx, `The "file" part is "${mime}", not a CSV file (text/csv).`));
        return;
      }
      const inspector = new UploadInspector(maxBytes);
      ctx.req.once('aborted', () => inspector.destroy(new AppError('request_aborted', 'The upload was aborted before the file arrived.', { status: 400 })));
      saving = store.save(file.pipe(inspector)).then((stored) => inspector.received(stored, info.filename?.slice(0, 255) || null));
      // Too large or not text: answer at once (settle() stops reading the rest of the body).
      saving.catch((err: unknown) => {
        file.resume();
        reject(err);
      });
    });
    busboy.on('error', (err: unknown) => reject(err));
    busboy.on('close', () => {
      if (!saving) reject(new ValidationError([{ field: 'file', reason: 'is required: the multipart form has no "file" field with the CSV file' }]));
      else saving.then(resolve, reject);
    });
    ctx.req.on('aborted', () => reject(new AppError('request_aborted', 'The upload was aborted before the file arrived.', { status: 400 })));
    ctx.req.pipe(busboy);
  }).catch((err: unknown) => {
    throw settle(ctx, err, maxBytes);
  });
}

function settle(ctx: ApiContext, err: unknown, maxBytes: number): unknown {
  if (err instanceof TooLarge) return tooLarge(ctx, maxBytes);
  if (err instanceof NotText) return unsupported(ctx, 'The file is not text: a CSV file has no NUL bytes (is it a spreadsheet, zip or gzip file? export it as CSV first).');
  return err;
}

/** Answering before the body is read: throw the rest away and close the connection after the answer. */
function stopReading(ctx: ApiContext): void {
  if (!ctx.req.complete) {
    ctx.req.unpipe();
    ctx.req.resume();
    ctx.set('Connection', 'close');
  }
}

function tooLarge(ctx: ApiContext, maxBytes: number): AppError {
  stopReading(ctx);
  return new AppError('payload_too_large', `The file is larger than the upload limit of ${formatBytes(maxBytes)} (IMPORT_MAX_UPLOAD_MB); split it into smaller files.`, {
    status: 413,
    details: { max_bytes: maxBytes },
  });
}

function unsupported(ctx: ApiContext, message: string): AppError {
  stopReading(ctx);
  return new AppError('unsupported_media_type', message, { status: 415 });
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MB` : `${Math.round(n / 1024)} KB`;
}

class TooLarge extends Error {}
class NotText extends Error {}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const HEADER_MAX_BYTES = 64 * 1024;

/** Passes the bytes through, counting, sniffing, and keeping the header line. */
class UploadInspector extends Transform {
  private size = 0;
  private inQuotes = false;
  private newlines = 0;
  private lastByte = -1;
  private headerBytes: Buffer[] = [];
  private headerDone = false;
  private sniffed = false;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return done(new TooLarge());
    if (!this.sniffed) {
      this.sniffed = true;
      const head = chunk.subarray(0, 8192);
      const magic = head.subarray(0, 4).toString('hex');
      if (head.includes(0) || magic.startsWith('1f8b') || magic === '504b0304') return done(new NotText());
    }
    this.scan(chunk);
    this.hash.update(chunk);
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1]!;
    done(null, chunk);
  }

  /** Record ends: newlines outside quoted fields. `""` inside a quoted field toggles twice. */
  private scan(buf: Buffer): void {
    let i = 0;
    let nextQuote = buf.indexOf(QUOTE, 0);
    const firstNewlineBefore = this.newlines;
    while (i < buf.length) {
      if (this.inQuotes) {
        if (nextQuote < 0) break;
        this.inQuotes = false;
        i = nextQuote + 1;
        nextQuote = buf.indexOf(QUOTE, i);
        continue;
      }
      const nl = buf.indexOf(NEWLINE, i);
      if (nl >= 0 && (nextQuote < 0 || nl < nextQuote)) {
        if (!this.headerDone && this.newlines === firstNewlineBefore && this.newlines === 0) {
          this.headerBytes.push(buf.subarray(0, nl));
          this.headerDone = true;
        }
        this.newlines++;
        i = nl + 1;
      } else if (nextQuote >= 0) {
        this.inQuotes = true;
        i = nextQuote + 1;
        nextQuote = buf.indexOf(QUOTE, i);
      } else {
        break;
      }
    }
    if (!this.headerDone && this.newlines === 0) {
      const kept = this.headerBytes.reduce((n, b) => n + b.length, 0);
      if (kept < HEADER_MAX_BYTES) this.headerBytes.push(buf.subarray(0, HEADER_MAX_BYTES - kept));
    }
  }

  /** The stored upload with what was learnt on the way through. Once the bytes have all passed. */
  received(stored: { key: string; sizeBytes: number }, filename: string | null): ReceivedUpload {
    return { ...stored, filename, header: this.header(), rowsCounted: this.rows(), sha256: this.hash.digest('hex') };
  }

  header(): string[] | null {
    const text = Buffer.concat(this.headerBytes).toString('utf8').replace(/^\uFEFF/, '').replace(/\r$/, '');
    if (text.trim() === '') return null;
    try {
      const rows = parseSync(text, { relax_column_count: true, relax_quotes: true }) as string[][];
      return rows[0] ?? null;
    } catch {
      return text.split(',');
    }
  }

  /** Records after the header; a last record without a final newline counts too. */
  rows(): number {
    const records = this.newlines + (this.size > 0 && this.lastByte !== NEWLINE ? 1 : 0);
    return Math.max(0, records - 1);
  }
}
