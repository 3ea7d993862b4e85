import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { foundOrFail } from './db.ts';

export const SYNC_TYPES = ['initial', 'incremental'] as const;
export type SyncType = (typeof SYNC_TYPES)[number];
export const SYNC_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];
/** A platform stream's name (crawler/connectors/types.ts, PlatformStream); the API starts `shipments` runs. */
export type Stream = string;

export class SyncRun extends BaseModel {
  static override tableName = 'sync_runs';
  static override jsonAttributes = ['checkpoint', 'cursor'];

  id!: number;
  shop_id!: number;
  stream!: Stream;
  type!: SyncType;
  status!: SyncStatus;
  active_key!: string | null;
  step!: number;
  checkpoint!: unknown;
  /** Where the shop's next run of the stream starts (the stream's own JSON, like the checkpoint), or null. */
  cursor!: unknown;
  pages_fetched!: number;
  records_upserted!: number;
  requests_made!: number;
  error!: string | null;
  started_at!: number | null;
  finished_at!: number | null;
}

export function activeKeyOf(shopId: number, stream: Stream): string {
  return `${shopId}:${stream}`;
}

export async function findSyncRun(knex: Knex, id: number): Promise<SyncRun | undefined> {
  return SyncRun.query(knex).findById(id);
}

export async function findSyncRunOrFail(knex: Knex, id: number): Promise<SyncRun> {
  return foundOrFail(await findSyncRun(knex, id), 'sync run', id);
}

/** Whether the shop has finished an initial sync (of `stream`; unset: of any stream). */
export async function hasSucceededInitialRun(knex: Knex, shopId: number, stream?: Stream): Promise<boolean> {
  const q = SyncRun.query(knex).findOne({ shop_id: shopId, type: 'initial', status: 'succeeded', ...(stream === undefined ? {} : { stream }) });
  return (await q) !== undefined;
}

/**
 * A queued run at step 0, holding `cursor` (the stream's cursor it starts from); the `active_key`
 * unique index refuses a second active run of the shop's stream.
 */
export async function insertSyncRun(knex: Knex, run: Pick<SyncRun, 'shop_id' | 'stream' | 'type'> & { cursor?: unknown }): Promise<SyncRun> {
  return SyncRun.query(knex).insertAndFetch({
    ...run,
    cursor: run.cursor ?? null,
    status: 'queued',
    active_key: activeKeyOf(run.shop_id, run.stream),
    step: 0,
    checkpoint: null,
    pages_fetched: 0,
    records_upserted: 0,
    requests_made: 0,
  });
}

/**
 * The stream's cursor as the shop's latest run holding one left it, or null. A cursor is only ever
 * written by the step that stored what it covers, so a failed run's cursor is as good as a
 * finished one's.
 */
export async function findLatestStreamCursor(knex: Knex, shopId: number, stream: Stream): Promise<unknown> {
  // Every run starts with the cursor of the run before it, so the latest run holds the latest
  // cursor: one row along (shop_id, id), where looking for the latest non-null one would walk all
  // of a shop's runs whenever its platform keeps no cursor.
  const run = await SyncRun.query(knex).select('cursor').where({ shop_id: shopId, stream }).orderBy('id', 'desc').first();
  return run?.cursor ?? null;
}

/** The shop's queued or running run of `stream`, if any. */
export async function findActiveSyncRun(knex: Knex, shopId: number, stream: Stream): Promise<SyncRun | undefined> {
  return SyncRun.query(knex).findOne({ active_key: activeKeyOf(shopId, stream) });
}

/** Every queued or running run. */
export async function listActiveSyncRuns(knex: Knex): Promise<SyncRun[]> {
  return SyncRun.query(knex).whereIn('status', ['queued', 'running']);
}

/** How many sync runs are queued and how many running: a range of the `(status, id)` index each. */
export async function countActiveSyncRuns(knex: Knex): Promise<{ queued: number; running: number }> {
  const rows: { status: string; n: number | string }[] = await knex('sync_runs').select('status').count({ n: '*' }).whereIn('status', ['queued', 'running']).groupBy('status');
  const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { queued: of('queued'), running: of('running') };
}

/** The shop's runs, newest first. */
export async function listShopSyncRuns(knex: Knex, shopId: number, limit: number): Promise<SyncRun[]> {
  return SyncRun.query(knex).where('shop_id', shopId).orderBy('id', 'desc').limit(limit);
}

export async function markSyncRunRunning(knex: Knex, id: number): Promise<void> {
  await SyncRun.query(knex).patch({ status: 'running', started_at: Date.now() }).where({ id, status: 'queued' });
}

/** Fails a queued or running run and frees its shop's slot; false when it had ended already. */
export async function failSyncRun(knex: Knex, id: number, reason: string): Promise<boolean> {
  const changed = await SyncRun.query(knex)
    .patch({ status: 'failed', error: reason, active_key: null, finished_at: Date.now() })
    .where({ id })
    .whereIn('status', ['queued', 'running']);
  return changed > 0;
}

/** What one committed step adds to its run. */
export interface SyncStepCommit {
  /** The connector's checkpoint for the next step; null at the end. */
  checkpoint: unknown;
  /** The stream's cursor moved by this step's records; unset: unchanged. */
  cursor?: unknown;
  /** The run ends with this: `succeeded`, or `failed` with `error`; unset: it goes on. */
  outcome?: { status: 'succeeded' } | { status: 'failed'; error: string };
  pagesFetched: number;
  recordsUpserted: number;
  requestsMade: number;
  now: number;
}

/**
 * Moves the run from `run.step` to the next step (compare-and-set on the step). False when
 * another delivery of the same step committed first: the caller rolls back.
 */
export async function commitSyncRunStep(trx: Knex.Transaction, run: Pick<SyncRun, 'id' | 'step' | 'active_key'>, step: SyncStepCommit): Promise<boolean> {
  const ended = step.outcome !== undefined;
  const changed = await trx('sync_runs')
    .where({ id: run.id, step: run.step })
    .update({
      step: run.step + 1,
      checkpoint: JSON.stringify(step.checkpoint),
      ...(step.cursor === undefined ? {} : { cursor: JSON.stringify(step.cursor) }),
      status: step.outcome?.status ?? 'running',
      error: step.outcome?.status === 'failed' ? step.outcome.error : null,
      active_key: ended ? null : run.active_key,
      finished_at: ended ? step.now : null,
      pages_fetched: trx.raw('pages_fetched + ?', [step.pagesFetched]),
      records_upserted: trx.raw('records_upserted + ?', [step.recordsUpserted]),
      requests_made: trx.raw('requests_made + ?', [step.requestsMade]),
      updated_at: step.now,
    });
  return changed > 0;
}
