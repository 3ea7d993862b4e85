import type { Knex } from 'knex';
import { dialectOf, isLockConflict } from '../../config/database.ts';
import type { Logger } from '../../config/logger.ts';
import { ShutdownError } from '../../lib/errors.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { createImportFileStore } from '../../models/import-file-store.ts';
import { Import, presentImport, readImportCheckpoint, type ImportCheckpoint, type ImportOptions, type ImportType } from '../../models/import.ts';
import { mayHaveLostSuccessor, type JobContext } from '../consume.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { DEFAULT_IMPORT_SETTINGS, rowError, writeOnly, type BatchHint, type BatchInput, type BatchOutcome, type BatchProcessor, type ImportSettings } from '../imports/batch.ts';
import { headerProblem, resolveColumns } from '../imports/columns.ts';
import { productBatches } from '../imports/products.ts';
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

const PROCESSORS: Record<ImportType, BatchProcessor<unknown>> = {
  products: productBatches as BatchProcessor<unknown>,
  shipments: writeOnly(processShipmentListBatch) as BatchProcessor<unknown>,
  status_feed: writeOnly(processStatusFeedBatch) as BatchProcessor<unknown>,
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
    // Behind: this job committed batches before, maybe without publishing the next job.
    if (mayHaveLostSuccessor(ctx) && imp.step > payload.step) await enqueue(deps.queue, 'import.batch', { import_id: imp.id, step: imp.step });
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
  const dialect = dialectOf(deps.knex);
  const provenance = { importId: imp.id, sameContent: await sameContentImports(deps.knex, imp) };
  const readBatch = () => reader.next(batchRows).then((batch) => prepareBatch(imp, batch, { options, settings, dialect, provenance, hint: { mostlyNew } }));
  let reading = readBatch();
  // MySQL: once this batch's rows are written, the next batch's transaction opens and its type's
  // `begin` (the bulk load of new products) runs while this one records its checkpoint and
  // commits. This batch writes no rows after that point, so the next one may wait for it, never
  // the other way round.
  const overlap = dialect === 'mysql' && PROCESSORS[imp.type].begin !== undefined;
  let open: OpenBatch | undefined;
  try {
    let waitStartedAt = performance.now();
    let batch = await reading;
    for (;;) {
      const readWaitMs = Math.round(performance.now() - waitStartedAt);
      if ('problem' in batch) {
        await failImport(deps.knex, imp.id, `The file cannot be imported: ${batch.problem}.`);
        return;
      }
      const more = !batch.done && Date.now() - startedAt < budgetMs && !ctx.signal.aborted;
      // Parse and prepare the next batch while this one is written (the writes wait on the database).
      if (more) {
        reading = readBatch();
        // Awaited below; until then a failure must not count as unhandled.
        reading.catch(() => {});
      }
      const commitStartedAt = performance.now();
      let opening: Promise<OpenBatch | undefined> | undefined;
      const hint = { mostlyNew };
      const afterWrite = () => {
        if (!overlap || !more) return;
        opening = reading.then((next) => ('problem' in next ? undefined : openBatch(deps.knex, imp, next, hint))).catch(() => undefined);
      };
      const committing = commitBatch(deps.knex, { imp, step, cp, batch, processedSoFar, mostlyNew }, open, afterWrite);
      committing.catch(() => {});
      open = undefined;
      waitStartedAt = performance.now();
      // A failure here is thrown only after this batch's commit has settled and its step is the
      // job's payload: a retry must not start from a step already committed.
      let failure: { error: unknown } | undefined;
      const next = more ? await reading.catch((error: unknown) => void (failure = { error })) : undefined;
      let outcome: Awaited<typeof committing>;
      try {
        outcome = await committing;
      } finally {
        open = opening ? await opening : undefined;
      }
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
      if (failure) throw failure.error;
      // Shutting down: the job goes back to the queue with the payload set above.
      if (ctx.signal.aborted) throw new ShutdownError();
      if (!more || !next) {
        await enqueue(deps.queue, 'import.batch', { import_id: imp.id, step });
        return;
      }
      batch = next;
    }
  } finally {
    // A transaction opened ahead for a batch this job will not commit.
    if (open) await open.trx.rollback().catch(() => {});
    reader.close();
  }
}

/** The imports of this type whose uploaded bytes were the same as this one's, this one included. */
async function sameContentImports(knex: Knex, imp: Import): Promise<Set<number>> {
  if (!imp.content_sha256) return new Set([imp.id]);
  const ids = (await knex('imports').where({ type: imp.type, content_sha256: imp.content_sha256 }).pluck('id')) as (number | string)[];
  return new Set([imp.id, ...ids.map(Number)]);
}

/** A parsed batch, checked against its header and prepared by its type (no database work yet). */
interface PreparedBatch {
  header: string[];
  next: BatchRead['next'];
  done: boolean;
  /** Records read, bad ones included. */
  processed: number;
  /** Rows refused before the type saw them: unreadable CSV, a wrong number of fields. */
  errors: RowError[];
  prepared: unknown;
}

async function prepareBatch(imp: Import, batch: BatchRead, context: Pick<BatchInput, 'options' | 'settings' | 'dialect' | 'hint' | 'provenance'>): Promise<PreparedBatch | { problem: string }> {
  const problem = headerProblem(imp.type, batch.header);
  if (problem) return { problem };
  const header = batch.header!;
  const errors: RowError[] = [...batch.errors];
  const rows = batch.rows.filter((row) => {
    if (row.cells.length === header.length) return true;
    errors.push(rowError(row, `has ${row.cells.length} field${row.cells.length === 1 ? '' : 's'}, the header has ${header.length}`));
    return false;
  });
  const cols = resolveColumns(imp.type, header);
  const prepared = await PROCESSORS[imp.type].prepare({ ...context, rows, cols, uploadedAt: Number(imp.created_at) });
  return { header, next: batch.next, done: batch.done, processed: batch.rows.length + batch.errors.length, errors, prepared };
}

interface CommitInput {
  imp: Import;
  step: number;
  cp: ImportCheckpoint;
  batch: PreparedBatch;
  processedSoFar: number;
  mostlyNew: boolean;
}

/** A batch's transaction, opened with its type's `begin` under way. */
interface OpenBatch {
  trx: Knex.Transaction;
  begun: Promise<unknown>;
}

/**
 * READ COMMITTED on MySQL: a transaction opened ahead must read what the batch before it
 * committed, not a snapshot from before.
 */
async function openBatch(knex: Knex, imp: Import, batch: PreparedBatch, hint: BatchHint): Promise<OpenBatch> {
  const trx = dialectOf(knex) === 'mysql' ? await knex.transaction({ isolationLevel: 'read committed' }) : await knex.transaction();
  const processor = PROCESSORS[imp.type];
  const begun = processor.begin ? processor.begin(trx, batch.prepared, hint) : Promise.resolve(undefined);
  begun.catch(() => {});
  return { trx, begun };
}

/**
 * One batch in one transaction (opened ahead, or here); null when another delivery committed
 * this step first. `afterWrite` runs once the batch's rows are written, before its checkpoint.
 */
async function commitBatch(knex: Knex, input: CommitInput, ahead?: OpenBatch, afterWrite?: () => void): Promise<(BatchOutcome & { processed: number; checkpoint: ImportCheckpoint }) | null> {
  const { imp, step, cp, batch } = input;
  const { header, processed, done, errors } = batch;
  const hint = { mostlyNew: input.mostlyNew };
  let { trx, begun } = ahead ?? (await openBatch(knex, imp, batch, hint));
  try {
    let early: unknown;
    try {
      early = await begun;
    } catch (err) {
      // Opened ahead and chosen as a deadlock's victim: the batch before has committed by now.
      if (!ahead || !isLockConflict(err)) throw err;
      await trx.rollback().catch(() => {});
      ({ trx, begun } = await openBatch(knex, imp, batch, hint));
      early = await begun;
    }
    const outcome = await PROCESSORS[imp.type].write(trx, batch.prepared, hint, early);
    const rowErrors = [...errors, ...outcome.errors].sort((a, b) => a.record - b.record);
    for (let i = 0; i < rowErrors.length; i += 500) {
      await trx('import_errors')
        .insert(rowErrors.slice(i, i + 500).map((e) => ({ import_id: imp.id, line: e.line, record: e.record, reason: e.reason.slice(0, 512), raw: e.raw })))
        .onConflict(['import_id', 'record', 'reason'])
        .ignore();
    }
    afterWrite?.();
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
    await trx.commit();
    return { ...outcome, processed, checkpoint };
  } catch (err) {
    await trx.rollback().catch(() => {});
    if (err instanceof StaleStep) return null;
    throw err;
  }
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
