import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { ApiClient } from './api-client.ts';

/**
 * `shipsync import <type> <file>`: streams the file to `POST /imports` (never read whole), then
 * follows `GET /imports/:id/events` with a progress bar, and prints the counts and the first row
 * errors. A status feed's event kind defaults to what the file name says (`pickup.csv`,
 * `delivery-exceptions.csv`, `delivered.csv`, `returned.csv`).
 */
export interface ImportCommand {
  url: string;
  token: string;
  type: string;
  file: string;
  event?: string;
  timezone?: string;
}

export interface ImportView {
  id: number;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  rows_total: number | null;
  rows_processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  failed_rows: number;
  errors: { line: number; reason: string }[];
  error: string | null;
}

export function eventFromFileName(file: string): string | undefined {
  const name = path.basename(file).toLowerCase();
  if (name.includes('exception')) return 'delivery_exception';
  if (name.includes('pickup') || name.includes('pick-up')) return 'pickup';
  if (name.includes('deliver')) return 'delivered';
  if (name.includes('return')) return 'returned';
  return undefined;
}

export async function runImport(cmd: ImportCommand, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let size: number;
  try {
    size = statSync(cmd.file).size;
  } catch {
    process.stderr.write(`There is no file at ${cmd.file}.\n`);
    return 2;
  }
  const query = new URLSearchParams({ type: cmd.type });
  const event = cmd.event ?? (cmd.type === 'status_feed' ? eventFromFileName(cmd.file) : undefined);
  if (event) query.set('event', event);
  if (cmd.timezone) query.set('timezone', cmd.timezone);
  out.write(`Uploading ${path.basename(cmd.file)} (${(size / 1024 / 1024).toFixed(1)} MB) as ${cmd.type}${event ? ` (${event})` : ''}…\n`);
  const res = await fetch(new URL(`/imports?${query}`, cmd.url), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${cmd.token}`,
      'content-type': 'text/csv',
      'content-length': String(size),
      'content-disposition': `attachment; filename="${path.basename(cmd.file).replace(/["\\\r\n]/g, '_')}"`,
    },
    body: Readable.toWeb(createReadStream(cmd.file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const started = (await res.json()) as ImportView & { error?: { message: string; details?: { field: string; reason: string }[] } };
  if (res.status !== 202) {
    const err = started.error as unknown as { message: string; details?: unknown } | undefined;
    process.stderr.write(`shipsync answered ${res.status}: ${err?.message ?? JSON.stringify(started)}\n`);
    if (Array.isArray(err?.details)) for (const d of err.details as { field: string; reason: string }[]) process.stderr.write(`  ${d.field}: ${d.reason}\n`);
    return 1;
  }
  const bar = new cliProgress.SingleBar(
    { format: ' import {type} |{bar}| {value}/{total} rows · {inserted} new · {updated} changed · {failed} bad · {status}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, started.rows_total ?? 1), 0, { type: cmd.type, inserted: 0, updated: 0, failed: 0, status: 'queued' });
  const final = await new ApiClient(cmd.url, cmd.token).followEvents<ImportView>(`/imports/${started.id}/events`, (imp) => {
    if (imp.rows_total !== null && imp.rows_total !== bar.getTotal()) bar.setTotal(Math.max(1, imp.rows_total));
    bar.update(imp.rows_processed, { inserted: imp.inserted, updated: imp.updated, failed: imp.failed_rows, status: imp.status });
  });
  bar.stop();
  if (final.status === 'failed') {
    out.write(`Import ${final.id} failed: ${final.error}\n`);
    return 1;
  }
  out.write(`Import ${final.id} succeeded: ${final.rows_processed} row${final.rows_processed === 1 ? '' : 's'}, ${final.inserted} new, ${final.updated} changed, ${final.unchanged} unchanged, ${final.failed_rows} bad.\n`);
  for (const e of final.errors.slice(0, 10)) out.write(`  line ${e.line}: ${e.reason}\n`);
  if (final.failed_rows > 0) out.write(`All row errors: curl -H "Authorization: Bearer $API_TOKEN" ${new URL(`/imports/${final.id}/errors.csv`, cmd.url)}\n`);
  return 0;
}

