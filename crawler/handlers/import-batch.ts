import type { Knex } from 'knex';
import { dialectOf } from '../../models/db.ts';
import type { Logger } from '../../config/logger.ts';
import { ShutdownError } from '../../lib/errors.ts';
import { importRows } from '../../lib/metrics.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { createImportFileStore } from '../../models/import-file-store.ts';
import { failActiveImport, findImport, findSameContentImportIds, markImportRunning, readImportCheckpoint, type Import, type ImportOptions } from '../../models/imports.ts';
import { mayHaveLostSuccessor, type JobContext } from '../consume.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { DEFAULT_IMPORT_SETTINGS, type ImportSettings } from '../imports/batch.ts';
import { createBatchPipeline, type CommitOutcome, type CommitState } from '../imports/batch-pipeline.ts';
import { importEventData } from '../imports/import-events.ts';
import { openBatchReader } from '../imports/read-batch.ts';

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

type Payload = JobPayload<'import.batch'>;

/**
 * Batches of an import, from its checkpoint: read up to `batchRows` records, turn them into rows
 * (per type), and commit the rows, their row errors, the new checkpoint and the counters in one
 * transaction; the next batch is parsed meanwhile (crawler/imports/batch-pipeline.ts). After about `budgetMs` the job enqueues its
 * successor for the next step and ends. The last batch marks the import succeeded and records
 * `import.succeeded` in the same transaction, then the stored file is removed.
 *
 * As with sync runs, only one job of an import is in flight (the next is published after the
 * commits), which also keeps file order: a later row overwrites an earlier one. Each commit moves
 * `step` on only if it is still the step the job read (`WHERE step = ?`), so a duplicate job
 * (a redelivery, a stale publish) commits nothing.
 */
export async function handleImportBatch(deps: ImportBatchDeps, payload: Payload, ctx: JobContext): Promise<void> {
  const imp = await findImport(deps.knex, payload.import_id);
  if (!imp || imp.status === 'succeeded' || imp.status === 'failed') return;
  if (imp.step !== payload.step) {
    // Behind: this job committed batches before, maybe without publishing the next job.
    if (mayHaveLostSuccessor(ctx) && imp.step > payload.step) await enqueue(deps.queue, 'import.batch', { import_id: imp.id, step: imp.step });
    return;
  }
  if (ctx.signal.aborted) throw new ShutdownError();
  const log = deps.logger.child({ import_id: imp.id, type: imp.type });
  const settings = { ...DEFAULT_IMPORT_SETTINGS, ...deps.settings };
  const budgetMs = deps.budgetMs ?? DEFAULT_JOB_BUDGET_MS;
  const store = createImportFileStore(deps.knex);
  if (imp.status === 'queued') await markImportRunning(deps.knex, imp.id);
  const options = (typeof imp.options === 'string' ? JSON.parse(imp.options) : (imp.options ?? {})) as ImportOptions;

  if (imp.size_bytes > 0 && !(await store.exists(imp.upload_key))) {
    await failImport(deps.knex, imp.id, 'The uploaded file is no longer stored, so the import cannot go on; upload the file again (rows already imported stay).');
    return;
  }
  const startedAt = Date.now();
  const processedSoFar = Number(imp.rows_processed);
  const state: CommitState = {
    step: imp.step,
    cp: readImportCheckpoint(imp.checkpoint),
    processedSoFar,
    // A first import of a catalogue is mostly new products, a re-import mostly known ones.
    mostlyNew: processedSoFar === 0 || Number(imp.inserted) > processedSoFar / 2,
  };
  const reader = openBatchReader(store.read(imp.upload_key, state.cp.offset), state.cp);
  const pipeline = createBatchPipeline(deps.knex, imp, reader, {
    options,
    settings,
    dialect: dialectOf(deps.knex),
    provenance: { importId: imp.id, sameContent: await sameContentImports(deps.knex, imp) },
    batchRows: deps.batchRows ?? DEFAULT_BATCH_ROWS,
  });
  try {
    let batch = await pipeline.first({ mostlyNew: state.mostlyNew });
    for (;;) {
      if ('problem' in batch) {
        await failImport(deps.knex, imp.id, `The file cannot be imported: ${batch.problem}.`);
        return;
      }
      const more = !batch.done && Date.now() - startedAt < budgetMs && !ctx.signal.aborted;
      const { outcome, next, readFailure, commitMs } = await pipeline.commit(batch, state, more);
      if (!outcome) {
        log.info({ step: state.step }, 'batch already committed by another delivery; dropping this one');
        return;
      }
      log.debug({ step: state.step, rows: outcome.processed, inserted: outcome.inserted, updated: outcome.updated, done: batch.done, commit_ms: commitMs }, 'import batch committed');
      countImportRows(imp.type, outcome);
      state.step += 1;
      state.processedSoFar += outcome.processed;
      state.mostlyNew = outcome.inserted > outcome.processed / 2;
      state.cp = outcome.checkpoint;
      // A retry of this job (a later batch failed, or shutdown) resumes at the step committed last.
      ctx.setPayload({ import_id: imp.id, step: state.step });
      if (batch.done) {
        // The rows are in; the file is not needed any more (a 100 MB upload is 100 chunk rows on MySQL).
        await store.remove(imp.upload_key).catch((err: unknown) => log.warn({ error: String(err) }, 'could not remove the uploaded file'));
        log.info({ rows: state.processedSoFar }, 'import succeeded');
        return;
      }
      if (readFailure) throw readFailure.error;
      // Shutting down: the job goes back to the queue with the payload set above.
      if (ctx.signal.aborted) throw new ShutdownError();
      if (!next) {
        await enqueue(deps.queue, 'import.batch', { import_id: imp.id, step: state.step });
        return;
      }
      batch = next;
    }
  } finally {
    await pipeline.close();
    reader.close();
  }
}

/** The imports of this type whose uploaded bytes were the same as this one's, this one included. */
async function sameContentImports(knex: Knex, imp: Import): Promise<Set<number>> {
  if (!imp.content_sha256) return new Set([imp.id]);
  return new Set([imp.id, ...(await findSameContentImportIds(knex, imp.type, imp.content_sha256))]);
}

/** The import stops here: failed with a reason a person can act on, and `import.failed` recorded. */
export async function failImport(knex: Knex, importId: number, reason: string): Promise<void> {
  const uploadKey = await knex.transaction(async (trx) => {
    const failed = await failActiveImport(trx, importId, reason);
    if (!failed) return null;
    await recordEvents(trx, [{ type: 'import.failed', data: importEventData(failed) }]);
    return failed.upload_key;
  });
  // Nothing will read the file again.
  if (uploadKey) await createImportFileStore(knex).remove(uploadKey).catch(() => {});
}

/** The rows of a committed batch, for the import metrics. */
function countImportRows(type: string, outcome: Pick<CommitOutcome, 'inserted' | 'updated' | 'unchanged' | 'errors'>): void {
  importRows.inc({ type, result: 'inserted' }, outcome.inserted);
  importRows.inc({ type, result: 'updated' }, outcome.updated);
  importRows.inc({ type, result: 'unchanged' }, outcome.unchanged);
  importRows.inc({ type, result: 'failed' }, outcome.errors.length);
}
