import type { Knex } from 'knex';
import { enqueue } from '../../crawler/jobs.ts';
import { headerProblem } from '../../crawler/imports/columns.ts';
import { importEventData } from '../../crawler/imports/import-events.ts';
import { AppError } from '../../lib/errors.ts';
import { createImportFileStore } from '../../models/import-file-store.ts';
import {
  findImport,
  findImportErrorsPage,
  findImportOrFail,
  findRecentImports,
  firstImportErrors,
  insertImport,
  markImportFailed,
  type Import,
  type ImportErrorRow,
  type ImportOptions,
} from '../../models/imports.ts';
import type { ApiDeps, ApiImportSettings } from '../context.ts';
import type { ApiContext, ApiRouter } from '../context.ts';
import { sendCsv } from '../csv-export.ts';
import { CreateImportQuery, ImportListQuery } from '../import-schemas.ts';
import { parseRequest } from '../schemas.ts';
import { receiveUpload } from '../upload.ts';
import { pathId } from './params.ts';
import { streamProgress } from '../progress-stream.ts';
import { refuseWhileCatalogueDeleted } from './products.ts';

/** Upload settings (config/config.ts), passed down from the roots. */
export const DEFAULT_API_IMPORT_SETTINGS: ApiImportSettings = { maxUploadBytes: 256 * 1024 * 1024, defaultFeedTimezone: 'Asia/Dubai' };

/** How often an open event stream looks at its import. */
export const IMPORT_EVENTS_POLL_MS = 300;
const ERRORS_PAGE = 1_000;

export interface ImportRouteDeps extends ApiDeps {
  streamsSignal: AbortSignal;
}

/** The public shape of an import: its summary (crawler/imports/import-events.ts) with its first row errors. */
export function presentImport(imp: Import, errors: ImportErrorRow[]) {
  const { error, created_at, started_at, finished_at, updated_at, ...summary } = importEventData(imp);
  // `errors` keeps its place in the JSON, before `error` and the times.
  return { ...summary, errors: errors.map((e) => ({ line: Number(e.line), record: Number(e.record), reason: e.reason })), error, created_at, started_at, finished_at, updated_at };
}

/** The route that takes uploads: the JSON body parser must leave its body alone (api/app.ts). */
export function isUploadRequest(method: string, path: string): boolean {
  return method === 'POST' && path.replace(/\/+$/, '') === '/imports';
}

/**
 * Imports: upload a CSV file (stored, then processed by workers in batches), follow it
 * (`GET /imports/:id`, its Server-Sent Events), and get every row error as CSV.
 */
export function importRoutes(router: ApiRouter, deps: ImportRouteDeps): void {
  const settings = { ...DEFAULT_API_IMPORT_SETTINGS, ...deps.imports };

  router.post('/imports', async (ctx) => {
    // Everything that can be refused without the body is refused before reading it.
    let query: ReturnType<typeof CreateImportQuery.parse>;
    try {
      query = parseRequest(CreateImportQuery, ctx.query);
      // A catalogue import while the catalogue is being deleted would be half deleted: 409.
      if (query.type === 'products') await refuseWhileCatalogueDeleted(deps.knex);
    } catch (err) {
      // Refused before the body was read: throw the body away, close after the answer.
      ctx.req.resume();
      ctx.set('Connection', 'close');
      throw err;
    }
    const store = createImportFileStore(deps.knex);
    const upload = await receiveUpload(ctx, store, settings.maxUploadBytes);
    const problem = headerProblem(query.type, upload.sizeBytes === 0 ? null : upload.header);
    if (problem) {
      await store.remove(upload.key);
      throw new AppError('invalid_file', `The file cannot be imported as ${query.type}: ${problem}.`, { status: 422, details: [{ field: 'file', reason: problem }] });
    }
    const options: ImportOptions = query.type === 'status_feed' ? { event: query.event, timezone: query.timezone ?? settings.defaultFeedTimezone } : {};
    let imp: Import;
    try {
      imp = await insertImport(deps.knex, {
        type: query.type,
        status: 'queued',
        filename: upload.filename,
        options,
        storage: store.kind,
        upload_key: upload.key,
        size_bytes: upload.sizeBytes,
        rows_total: upload.rowsCounted,
        content_sha256: upload.sha256,
        step: 0,
        checkpoint: null,
        rows_processed: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        failed_rows: 0,
        error: null,
        started_at: null,
        finished_at: null,
      });
    } catch (err) {
      await store.remove(upload.key).catch(() => {});
      throw err;
    }
    try {
      await enqueue(deps.queue, 'import.batch', { import_id: imp.id, step: 0 });
    } catch (err) {
      ctx.state.log.error({ error: err instanceof Error ? err.message : String(err) }, 'import not queued');
      await markImportFailed(deps.knex, imp.id, 'The queue did not accept the import; upload the file again.');
      await store.remove(upload.key).catch(() => {});
      throw new AppError('import_not_started', 'The import could not be queued (the queue did not answer); upload the file again.', { status: 503, expose: true });
    }
    ctx.status = 202;
    ctx.set('Location', `/imports/${imp.id}`);
    ctx.body = presentImport(imp, []);
  });

  router.get('/imports', async (ctx) => {
    const q = parseRequest(ImportListQuery, ctx.query);
    const imports = await findRecentImports(deps.knex, q.limit ?? 20);
    ctx.body = { data: imports.map((i) => presentImport(i, [])) };
  });

  router.get('/imports/:id', async (ctx) => {
    const imp = await findImportOrFail(deps.knex, pathId(ctx));
    ctx.body = presentImport(imp, await firstImportErrors(deps.knex, imp.id));
  });

  router.get('/imports/:id/errors.csv', async (ctx) => {
    const imp = await findImportOrFail(deps.knex, pathId(ctx));
    sendCsv(ctx, `import-${imp.id}-errors.csv`, ['line', 'record', 'reason', 'row'], errorRows(deps.knex, imp.id));
  });

  router.get('/imports/:id/events', async (ctx) => {
    const imp = await findImportOrFail(deps.knex, pathId(ctx));
    await streamImport(ctx, deps, imp);
  });
}

async function* errorRows(knex: Knex, importId: number): AsyncGenerator<unknown[]> {
  let afterId = 0;
  for (;;) {
    const rows = await findImportErrorsPage(knex, importId, afterId, ERRORS_PAGE);
    for (const r of rows) yield [Number(r.line), Number(r.record), r.reason, r.raw];
    if (rows.length < ERRORS_PAGE) return;
    afterId = Number(rows.at(-1)!.id);
  }
}

const FINAL = new Set(['succeeded', 'failed']);

/** Server-Sent Events for one import, like a sync run's (api/progress-stream.ts). */
async function streamImport(ctx: ApiContext, deps: ImportRouteDeps, first: Import): Promise<void> {
  const snapshot = async (imp: Import) => ({ view: presentImport(imp, await firstImportErrors(deps.knex, imp.id)), final: FINAL.has(imp.status) });
  streamProgress(ctx, deps.streamsSignal, {
    id: first.id,
    label: 'import events',
    pollMs: IMPORT_EVENTS_POLL_MS,
    first: await snapshot(first),
    async read() {
      const imp = await findImport(deps.knex, first.id);
      return imp && (await snapshot(imp));
    },
  });
}
