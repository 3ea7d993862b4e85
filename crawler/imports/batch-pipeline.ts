import type { Knex } from 'knex';
import { dialectOf, isLockConflict } from '../../models/db.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { advanceImportStep, findImport, insertImportErrors, type Import, type ImportCheckpoint, type ImportType } from '../../models/imports.ts';
import { writeOnly, type BatchHint, type BatchInput, type BatchOutcome, type BatchProcessor } from './batch.ts';
import { headerProblem, resolveColumns } from './columns.ts';
import { importEventData } from './import-events.ts';
import { productBatches } from './products.ts';
import { rowError, type BatchRead, type BatchReader, type RowError } from './read-batch.ts';
import { processShipmentListBatch } from './shipment-list.ts';
import { processStatusFeedBatch } from './status-feed.ts';

/**
 * An import job's batches, one ahead of the other: while a batch is written in its transaction,
 * the next one is read and prepared by its type (no database work). On MySQL, once the written
 * batch's rows are in, the next batch's transaction opens and its type's `begin` (the bulk load
 * of new products) runs while the first records its checkpoint and commits. The written batch
 * writes no rows after that point, so the next one may wait for it, never the other way round;
 * if it still loses a lock conflict it is redone in a fresh transaction.
 */

const PROCESSORS: Record<ImportType, BatchProcessor<unknown>> = {
  products: productBatches as BatchProcessor<unknown>,
  shipments: writeOnly(processShipmentListBatch) as BatchProcessor<unknown>,
  status_feed: writeOnly(processStatusFeedBatch) as BatchProcessor<unknown>,
};

/** Where the import stands before a batch: what its commit moves on from. */
export interface CommitState {
  step: number;
  cp: ImportCheckpoint;
  processedSoFar: number;
  /** A first import of a catalogue is mostly new products, a re-import mostly known ones. */
  mostlyNew: boolean;
}

export type BatchOrProblem = PreparedBatch | { problem: string };
export type CommitOutcome = BatchOutcome & { processed: number; checkpoint: ImportCheckpoint };

export interface BatchPipeline {
  /** Reads and prepares the job's first batch. */
  first(hint: BatchHint): Promise<BatchOrProblem>;
  /**
   * Commits `batch` at `state`; with `readNext`, reads and prepares the next batch meanwhile.
   * Settles once the commit has: `outcome` null means another delivery committed this step.
   * A failure to read the next batch comes back as `readFailure`, for the caller to throw once
   * the commit is accounted for (a retry must not start from a step already committed).
   */
  commit(batch: PreparedBatch, state: CommitState, readNext: boolean): Promise<{ outcome: CommitOutcome | null; next?: BatchOrProblem; readFailure?: { error: unknown }; commitMs: number }>;
  /** Rolls back a transaction opened ahead for a batch this job will not commit. */
  close(): Promise<void>;
}

export function createBatchPipeline(
  knex: Knex,
  imp: Import,
  reader: BatchReader,
  context: Pick<BatchInput, 'options' | 'settings' | 'dialect' | 'provenance'> & { batchRows: number },
): BatchPipeline {
  const overlap = dialectOf(knex) === 'mysql' && PROCESSORS[imp.type].begin !== undefined;
  const read = (hint: BatchHint) => reader.next(context.batchRows).then((batch) => prepareBatch(imp, batch, { ...context, hint }));
  let open: OpenBatch | undefined;
  return {
    first: read,
    async commit(batch, state, readNext) {
      const startedAt = performance.now();
      const hint = { mostlyNew: state.mostlyNew };
      const reading = readNext ? read(hint) : undefined;
      // Awaited below; until then a failure must not count as unhandled.
      reading?.catch(() => {});
      let opening: Promise<OpenBatch | undefined> | undefined;
      const afterWrite = () => {
        if (!overlap || !reading) return;
        opening = reading.then((next) => ('problem' in next ? undefined : openBatch(knex, imp, next, hint))).catch(() => undefined);
      };
      const committing = commitBatch(knex, { imp, ...state, batch }, open, afterWrite);
      committing.catch(() => {});
      open = undefined;
      let readFailure: { error: unknown } | undefined;
      const next = reading ? await reading.catch((error: unknown) => void (readFailure = { error })) : undefined;
      let outcome: CommitOutcome | null;
      try {
        outcome = await committing;
      } finally {
        open = opening ? await opening : undefined;
      }
      return { outcome, next: next ?? undefined, readFailure, commitMs: Math.round(performance.now() - startedAt) };
    },
    async close() {
      if (open) await open.trx.rollback().catch(() => {});
      open = undefined;
    },
  };
}

/** A parsed batch, checked against its header and prepared by its type (no database work yet). */
export interface PreparedBatch {
  header: string[];
  next: BatchRead['next'];
  done: boolean;
  /** Records read, bad ones included. */
  processed: number;
  /** Rows refused before the type saw them: unreadable CSV, a wrong number of fields. */
  errors: RowError[];
  prepared: unknown;
}

async function prepareBatch(imp: Import, batch: BatchRead, context: Pick<BatchInput, 'options' | 'settings' | 'dialect' | 'hint' | 'provenance'>): Promise<BatchOrProblem> {
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

interface CommitInput extends CommitState {
  imp: Import;
  batch: PreparedBatch;
}

/** A batch's transaction, opened with its type's `begin` under way. */
interface OpenBatch {
  trx: Knex.Transaction;
  begun: Promise<unknown>;
}

/**
 * A transaction opened ahead must read what the batch before it committed, not a snapshot from
 * before: MySQL connections read committed (models/db.ts), SQLite's one writer waits for it.
 */
async function openBatch(knex: Knex, imp: Import, batch: PreparedBatch, hint: BatchHint): Promise<OpenBatch> {
  const trx = await knex.transaction();
  const processor = PROCESSORS[imp.type];
  const begun = processor.begin ? processor.begin(trx, batch.prepared, hint) : Promise.resolve(undefined);
  begun.catch(() => {});
  return { trx, begun };
}

/**
 * One batch in one transaction (opened ahead, or here); null when another delivery committed
 * this step first. `afterWrite` runs once the batch's rows are written, before its checkpoint.
 */
async function commitBatch(knex: Knex, input: CommitInput, ahead?: OpenBatch, afterWrite?: () => void): Promise<CommitOutcome | null> {
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
    await insertImportErrors(trx, imp.id, rowErrors);
    afterWrite?.();
    const unmapped = { ...cp.unmapped };
    for (const [raw, n] of Object.entries(outcome.unmapped)) unmapped[raw.slice(0, 64)] = (unmapped[raw.slice(0, 64)] ?? 0) + n;
    const checkpoint: ImportCheckpoint = { ...batch.next, header, unmapped, done };
    const advanced = await advanceImportStep(trx, imp.id, {
      step,
      checkpoint,
      processed,
      inserted: outcome.inserted,
      updated: outcome.updated,
      unchanged: outcome.unchanged,
      failedRows: rowErrors.length,
      // The step check makes processedSoFar current.
      rowsTotal: input.processedSoFar + processed,
      now: Date.now(),
    });
    if (!advanced) throw new StaleStep();
    if (done) {
      const finished = await findImport(trx, imp.id);
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
