import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { iso } from './db.ts';
import { NotFoundError } from '../lib/errors.ts';

export const SYNC_TYPES = ['initial', 'incremental'] as const;
export type SyncType = (typeof SYNC_TYPES)[number];
export const SYNC_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export type Stream = 'shipments';

export class SyncRun extends BaseModel {
  static override tableName = 'sync_runs';
  static override jsonAttributes = ['checkpoint'];

  id!: number;
  shop_id!: number;
  stream!: Stream;
  type!: SyncType;
  status!: SyncStatus;
  active_key!: string | null;
  step!: number;
  checkpoint!: unknown;
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

export async function findSyncRunOrFail(knex: Knex, id: number): Promise<SyncRun> {
  const run = await SyncRun.query(knex).findById(id);
  if (!run) throw new NotFoundError('sync run', id);
  return run;
}

/** The public shape of a sync run (no checkpoint internals, no lease keys). */
export function presentSyncRun(run: SyncRun) {
  return {
    id: run.id,
    shop_id: run.shop_id,
    stream: run.stream,
    type: run.type,
    status: run.status,
    pages_fetched: run.pages_fetched,
    records_upserted: run.records_upserted,
    requests_made: run.requests_made,
    error: run.error,
    created_at: iso(run.created_at),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    updated_at: iso(run.updated_at),
  };
}
