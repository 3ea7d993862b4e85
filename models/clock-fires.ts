import type { Knex } from 'knex';
import { deleteRowsById, isUniqueViolation } from './db.ts';

/**
 * The statements of `clock_fires`: one row per fire (a schedule's due time) some clock claimed,
 * unique by `(schedule, due_at)`, so two clocks never enqueue the same fire.
 */

/**
 * Claims one fire: inserts its `(schedule, due_at)` row. The unique key decides between two
 * clocks that try at once: the one whose insert fails skips the fire. Returns whether we won.
 */
export async function claimFire(knex: Knex, fire: { schedule: string; dueAt: number; clockId: string; now: number }): Promise<boolean> {
  try {
    await knex('clock_fires').insert({ schedule: fire.schedule, due_at: fire.dueAt, claimed_by: fire.clockId, claimed_at: fire.now });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** The latest due time of `schedule` any clock claimed, or null. */
export async function lastClaimedFire(knex: Knex, schedule: string): Promise<number | null> {
  const row = (await knex('clock_fires').where({ schedule }).max({ due_at: 'due_at' }).first()) as { due_at: number | string | null } | undefined;
  return row?.due_at === null || row?.due_at === undefined ? null : Number(row.due_at);
}

/**
 * Forgets up to `limit` fires due before `beforeMs` (claims only matter around their due time);
 * returns how many. Along the `due_at` index, then by primary key in one short statement.
 */
export async function pruneFires(knex: Knex, beforeMs: number, limit: number): Promise<number> {
  const rows: { id: number | string }[] = await knex('clock_fires').select('id').where('due_at', '<', beforeMs).orderBy('due_at').limit(limit);
  return deleteRowsById(knex, 'clock_fires', rows);
}
