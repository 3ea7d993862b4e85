import { iso } from '../../models/db.ts';
import { readImportCheckpoint, type Import, type ImportOptions } from '../../models/imports.ts';

/**
 * An import's public summary (no storage internals, no row errors): the data of its
 * `import.succeeded` / `import.failed` events, and what `GET /imports` shows of it
 * (api/routes/imports.ts, `presentImport`, adds the first row errors).
 */
export function importEventData(imp: Import) {
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
    error: imp.error,
    created_at: iso(imp.created_at),
    started_at: iso(imp.started_at),
    finished_at: iso(imp.finished_at),
    updated_at: iso(imp.updated_at),
  };
}
