import type { Knex } from 'knex';
import { isUniqueViolation } from '../../models/db.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { ConflictError } from '../../lib/errors.ts';
import { failSyncRun, findActiveSyncRun, findLatestStreamCursor, hasSucceededInitialRun, insertSyncRun, type Stream, type SyncRun, type SyncType } from '../../models/sync-runs.ts';
import { enqueue } from '../jobs.ts';

export interface StartSyncDeps {
  knex: Knex;
  queue: Queue;
}

/**
 * Creates a queued sync run and enqueues its first page. The `active_key` unique index makes a
 * second concurrent start fail in the database, whoever asks (API, clock, two clocks).
 */
export async function startSyncRun(
  deps: StartSyncDeps,
  shopId: number,
  type: SyncType,
  stream: Stream = 'shipments',
  /** The caller knows the shop finished an initial sync (the clock: it has synced before). */
  opts: { initialDone?: boolean } = {},
): Promise<SyncRun> {
  if (type === 'incremental' && !opts.initialDone && !(await hasSucceededInitialRun(deps.knex, shopId, stream))) {
    throw new ConflictError('initial_sync_required', 'This shop has no finished initial sync yet; start one with {"type":"initial"} first.', { shop_id: shopId });
  }
  let run: SyncRun;
  try {
    // The stream's cursor carries over from run to run (an incremental run starts where the last stored).
    run = await insertSyncRun(deps.knex, { shop_id: shopId, stream, type, cursor: await findLatestStreamCursor(deps.knex, shopId, stream) });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const active = await findActiveSyncRun(deps.knex, shopId, stream);
    throw new ConflictError('sync_already_running', `A sync of this shop is already ${active?.status ?? 'running'} (sync run ${active?.id}, ${active?.type}); wait for it to finish.`, {
      shop_id: shopId,
      sync_run_id: active?.id,
    });
  }
  try {
    await enqueue(deps.queue, 'sync.page', { sync_run_id: run.id, step: 0 });
  } catch (err) {
    // Without its first job the run would hold the shop's active slot forever.
    await failSyncRun(deps.knex, run.id, 'The queue did not accept the first job; start the sync again.');
    throw err;
  }
  return run;
}
