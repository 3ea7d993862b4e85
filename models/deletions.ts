import type { Knex } from 'knex';
import { BaseModel } from './base.ts';
import { foundOrFail } from './db.ts';

/**
 * Big deletes done by workers (`deletion.batch` jobs): the whole catalogue, or one shop with its
 * shipments. Terms: a deletion's `target` is what it empties (`products`, `shop`); it moves as a
 * chain like a sync run (`step`, one job in flight), and the target's table itself is its
 * progress, so a job that died is resumed by the next from whatever rows are left.
 */
export const DELETION_TARGETS = ['products', 'shop'] as const;
export type DeletionTarget = (typeof DELETION_TARGETS)[number];
export const DELETION_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type DeletionStatus = (typeof DELETION_STATUSES)[number];

export class Deletion extends BaseModel {
  static override tableName = 'deletions';

  id!: number;
  target!: DeletionTarget;
  shop_id!: number | null;
  last_product_id!: number | null;
  status!: DeletionStatus;
  active_key!: string | null;
  step!: number;
  rows_total!: number;
  rows_deleted!: number;
  error!: string | null;
  started_at!: number | null;
  finished_at!: number | null;
}

/** The one active deletion a target may have: the catalogue, or `shop:<id>`. */
export function deletionKeyOf(target: { target: 'products' } | { target: 'shop'; shopId: number }): string {
  return target.target === 'products' ? 'products' : `shop:${target.shopId}`;
}

export async function findDeletion(knex: Knex, id: number): Promise<Deletion | undefined> {
  return Deletion.query(knex).findById(id);
}

export async function findDeletionOrFail(knex: Knex, id: number): Promise<Deletion> {
  return foundOrFail(await findDeletion(knex, id), 'deletion', id);
}

/** The queued or running deletion of `key` (deletionKeyOf), if any. */
export async function findActiveDeletion(knex: Knex, key: string): Promise<Deletion | undefined> {
  return Deletion.query(knex).findOne({ active_key: key });
}

/** Every queued or running deletion (to resume them in embedded mode). */
export async function listActiveDeletions(knex: Knex): Promise<Deletion[]> {
  return Deletion.query(knex).whereIn('status', ['queued', 'running']);
}

/** A queued deletion at step 0; the `active_key` unique index refuses a second one of the same target. */
export async function insertDeletion(
  knex: Knex,
  d: { target: DeletionTarget; shopId: number | null; lastProductId: number | null; rowsTotal: number; key: string },
): Promise<Deletion> {
  return Deletion.query(knex).insertAndFetch({
    target: d.target,
    shop_id: d.shopId,
    last_product_id: d.lastProductId,
    status: 'queued',
    active_key: d.key,
    step: 0,
    rows_total: d.rowsTotal,
    rows_deleted: 0,
    error: null,
    started_at: null,
    finished_at: null,
  });
}

/** Adds a committed batch to the counter, in the batch's own transaction. */
export async function countDeletedRows(trx: Knex.Transaction, id: number, rows: number, now: number): Promise<void> {
  await trx('deletions')
    .where({ id })
    .update({ rows_deleted: trx.raw('rows_deleted + ?', [rows]), status: 'running', started_at: trx.raw('COALESCE(started_at, ?)', [now]), updated_at: now });
}

/** Moves the chain on: true when `step` was still the deletion's (false: a duplicate got there first). */
export async function advanceDeletion(knex: Knex, id: number, step: number, now: number): Promise<boolean> {
  return (await knex('deletions').where({ id, step }).whereIn('status', ['queued', 'running']).update({ step: step + 1, status: 'running', updated_at: now })) > 0;
}

/** The deletion is done: nothing of its target is left. */
export async function finishDeletion(trx: Knex | Knex.Transaction, id: number, now: number): Promise<void> {
  await trx('deletions').where({ id }).whereIn('status', ['queued', 'running']).update({ status: 'succeeded', active_key: null, finished_at: now, updated_at: now });
}

export async function failDeletion(knex: Knex, id: number, reason: string, now = Date.now()): Promise<void> {
  await knex('deletions').where({ id }).whereIn('status', ['queued', 'running']).update({ status: 'failed', error: reason, active_key: null, finished_at: now, updated_at: now });
}
