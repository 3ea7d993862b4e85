import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import { ShutdownError } from '../../lib/errors.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { createImportFileStore } from '../../models/import-file-store.ts';
import { Import, presentImport, readImportCheckpoint, type ImportCheckpoint, type ImportOptions, type ImportType } from '../../models/import.ts';
import type { JobContext } from '../consume.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { DEFAULT_IMPORT_SETTINGS, rowError, type BatchInput, type BatchOutcome, type ImportSettings } from '../imports/batch.ts';
import { headerProblem, resolveColumns } from '../imports/columns.ts';
import { processProductBatch } from '../imports/products.ts';
import { openBatchReader, type BatchRead, type RowError } from '../imports/read-batch.ts';
import { processShipmentListBatch } from '../imports/shipment-list.ts';
import { processStatusFeedBatch } from '../imports/status-feed.ts';

export interface ImportBatchDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  settings?: Partial<ImportSettings>;
  /** Rows per batch (IMPORT_BATCH_ROWS); tests make it small to cross many checkpoints. */
  batchRows?: number;
  /** How long one job goes on committing batches before it hands over to the next job. */
  budgetMs?: number;
}

export const DEFAULT_BATCH_ROWS = 5_000;
/**
 * A job commits batch after batch for about this long, then hands over to a new job: jobs stay
 * short (a deploy waits for at most one batch), while the next batch is parsed as the current one
 * is written.
 */
export const DEFAULT_JOB_BUDGET_MS = 3_000;

const PROCESSORS: Record<ImportType, (trx: Knex.Transaction, input: BatchInput) => Promise<BatchOutcome>> = {
  products: processProductBatch,
  shipments: processShipmentListBatch,
  status_feed: processStatusFeedBatch,
};

type Payload = JobPayload<'import.batch'>;

/**
 * Batches of an import, from its checkpoint: read up to `batchRows` records, turn them into rows
 * (per type), and commit the rows, their row errors, the new checkpoint and the counters in one
 * transaction; the next batch is parsed meanwhile. After about `budgetMs` the job enqueues its
 * successor for the next step and ends. The last batch marks the import succeeded and records
 * `import.succeeded` in the same transaction, then the stored file is removed.
 *
 * As with sync runs, only one job of an import is in flight (the next is published after the
 * commits), which also keeps file order: a later row overwrites an earlier one. Each commit moves
 * `step` on only if it is still the step the job read (`WHERE step = ?`), so a duplicate job
 * (a redelivery, a stale publish) commits nothing.
 */
export async function handleImportBatch(deps: ImportBatchDeps, payload: Payload, ctx: JobContext): Promise<void> {
  const imp = await Import.query(deps.knex).findById(payload.import_id);
  if (!imp || imp.status === 'succeeded' || imp.status === 'failed') return;
  if (imp.step !== payload.step) {
    // Redelivered after its worker committed batches but maybe before it published the next job:
    // publish it again (a duplicate is harmless, see above).
    if (ctx.redelivered && imp.step > payload.step) await enqueue(deps.queue, 'import.batch', { import_id: imp.id, step: imp.step });
    return;
  }
  if (ctx.signal.aborted) throw new ShutdownError();
  const log = deps.logger.child({ import_id: imp.id, type: imp.type });
  const settings = { ...DEFAULT_IMPORT_SETTINGS, ...deps.settings };
  const batchRows = deps.batchRows ?? DEFAULT_BATCH_ROWS;
  const budgetMs = deps.budgetMs ?? DEFAULT_JOB_BUDGET_MS;
  const store = createImportFileStore(deps.knex);
  if (imp.status === 'queued') await Import.query(deps.knex).patch({ status: 'running', started_at: Date.now() }).where({ id: imp.id, status: 'queued' });
  const options = (typeof imp.options === 'string' ? JSON.parse(imp.options) : (imp.options ?? {})) as ImportOptions;

  if (imp.size_bytes > 0 && !(await store.exists(imp.upload_key))) {
    await failImport(deps.knex, imp.id, 'The uploaded file is no longer stored, so the import cannot go on; upload the file again (rows already imported stay).');
    return;
  }
  const startedAt = Date.now();
  let cp = readImportCheckpoint(imp.checkpoint);
  let step = imp.step;
  let processedSoFar = Number(imp.rows_processed);
  // A first import of a catalogue is mostly new products, a re-import mostly known ones.
  let mostlyNew = processedSoFar === 0 || Number(imp.inserted) > processedSoFar / 2;
  const reader = openBatchReader(store.read(imp.upload_key, cp.offset), cp);
  let reading: Promise<BatchRead> = reader.next(batchRows);
  try {
    for (;;) {
      const waitStartedAt = performance.now();
      const batch = await reading;
      const readWaitMs = Math.round(performance.now() - waitStartedAt);
      const problem = headerProblem(imp.type, batch.header);
      if (problem) {
        await failImport(deps.knex, imp.id, `The file cannot be imported: ${problem}.`);
        return;
      }
      const more = !batch.done && Date.now() - startedAt < budgetMs && !ctx.signal.aborted;
      // Parse the next batch while this one is written (the writes wait on the database).
      if (more) {
        reading = reader.next(batchRows);
        // Awaited on the next turn; until then a failure must not count as unhandled.
        reading.catch(() => {});
      }
      const commitStartedAt = performance.now();
      const outcome = await commitBatch(deps.knex, { imp, step, cp, batch, options, settings, processedSoFar, mostlyNew });
      const commitMs = Math.round(performance.now() - commitStartedAt);
      if (!outcome) {
        log.info({ step }, 'batch already committed by another delivery; dropping this one');
        return;
      }
      log.debug({ step, rows: outcome.processed, inserted: outcome.inserted, updated: outcome.updated, done: batch.done, read_wait_ms: readWaitMs, commit_ms: commitMs }, 'import batch committed');
      step += 1;
      processedSoFar += outcome.processed;
      mostlyNew = outcome.inserted > outcome.processed / 2;
      cp = outcome.checkpoint;
      // A retry of this job (a later batch failed, or shutdown) resumes at the step committed last.
      ctx.setPayload({ import_id: imp.id, step });
      if (batch.done) {
        // The rows are in; the file is not needed any more (a 100 MB upload is 100 chunk rows on MySQL).
        await store.remove(imp.upload_key).catch((err: unknown) => log.warn({ error: String(err) }, 'could not remove the uploaded file'));
        log.info({ rows: processedSoFar }, 'import succeeded');
        return;
      }
      // Shutting down: the job goes back to the queue with the payload set above.
      if (ctx.signal.aborted) throw new ShutdownError();
      if (!more) {
        await enqueue(deps.queue, 'import.batch', { import_id: imp.id, step });
        return;
      }
    }
  } finally {
    reader.close();
  }
}

interface CommitInput {
  imp: Import;
  step: number;
  cp: ImportCheckpoint;
  batch: BatchRead;
  options: ImportOptions;
  settings: ImportSettings;
  processedSoFar: number;
  mostlyNew: boolean;
}

/** One batch in one transaction; null when another delivery committed this step first. */
async function commitBatch(knex: Knex, input: CommitInput): Promise<(BatchOutcome & { processed: number; checkpoint: ImportCheckpoint }) | null> {
  const { imp, step, cp, batch } = input;
  const header = batch.header!;
  const cols = resolveColumns(imp.type, header);
  const errors: RowError[] = [...batch.errors];
  const rows = batch.rows.filter((row) => {
    if (row.cells.length === header.length) return true;
    errors.push(rowError(row, `has ${row.cells.length} field${row.cells.length === 1 ? '' : 's'}, the header has ${header.length}`));
    return false;
  });
  const processed = batch.rows.length + batch.errors.length;
  const done = batch.done;
  return knex
    .transaction(async (trx) => {
      const outcome = await PROCESSORS[imp.type](trx, { rows, cols, options: input.options, uploadedAt: Number(imp.created_at), settings: input.settings, hint: { mostlyNew: input.mostlyNew } });
      const rowErrors = [...errors, ...outcome.errors].sort((a, b) => a.record - b.record);
      for (let i = 0; i < rowErrors.length; i += 500) {
        await trx('import_errors')
          .insert(rowErrors.slice(i, i + 500).map((e) => ({ import_id: imp.id, line: e.line, record: e.record, reason: e.reason.slice(0, 512), raw: e.raw })))
          .onConflict(['import_id', 'record', 'reason'])
          .ignore();
      }
      const unmapped = { ...cp.unmapped };
      for (const [raw, n] of Object.entries(outcome.unmapped)) unmapped[raw.slice(0, 64)] = (unmapped[raw.slice(0, 64)] ?? 0) + n;
      const checkpoint: ImportCheckpoint = { ...batch.next, header, unmapped, done };
      const now = Date.now();
      const changed = await trx('imports')
        .where({ id: imp.id, step })
        .update({
          step: step + 1,
          checkpoint: JSON.stringify(checkpoint),
          status: done ? 'succeeded' : 'running',
          rows_processed: trx.raw('rows_processed + ?', [processed]),
          inserted: trx.raw('inserted + ?', [outcome.inserted]),
          updated: trx.raw('updated + ?', [outcome.updated]),
          unchanged: trx.raw('unchanged + ?', [outcome.unchanged]),
          failed_rows: trx.raw('failed_rows + ?', [rowErrors.length]),
          // Not `rows_processed + ?`: MySQL would see rows_processed already incremented by the
          // assignment above, SQLite would not. The step check makes processedSoFar current.
          ...(done ? { rows_total: input.processedSoFar + processed, finished_at: now } : {}),
          updated_at: now,
        });
      if (changed === 0) throw new StaleStep();
      if (done) {
        const finished = await Import.query(trx).findById(imp.id);
        await recordEvents(trx, [{ type: 'import.succeeded', data: importEventData(finished!) }]);
      }
      return { ...outcome, processed, checkpoint };
    })
    .catch((err: unknown) => {
      if (err instanceof StaleStep) return null;
      throw err;
    });
}

class StaleStep extends Error {}

/** The import stops here: failed with a reason a person can act on, and `import.failed` recorded. */
export async function failImport(knex: Knex, importId: number, reason: string): Promise<void> {
  const uploadKey = await knex.transaction(async (trx) => {
    const now = Date.now();
    const changed = await trx('imports').where({ id: importId }).whereIn('status', ['queued', 'running']).update({ status: 'failed', error: reason, finished_at: now, updated_at: now });
    if (changed === 0) return null;
    const failed = await Import.query(trx).findById(importId);
    await recordEvents(trx, [{ type: 'import.failed', data: importEventData(failed!) }]);
    return failed!.upload_key;
  });
  // Nothing will read the file again.
  if (uploadKey) await createImportFileStore(knex).remove(uploadKey).catch(() => {});
}

/** What subscribers hear about a finished import: the summary, without the row errors. */
function importEventData(imp: Import): Record<string, unknown> {
  const { errors: _errors, ...summary } = presentImport(imp, []);
  return summary;
}
