import type { Knex } from 'knex';

/**
 * Job chains that stand still (scheduler/sweep-stalled-chains.ts): sync runs, imports and
 * deletions are all rows with a `status`, the `step` in flight and an `updated_at` every commit moves.
 */
export type ChainTable = 'sync_runs' | 'imports' | 'deletions';

export interface StalledChain {
  id: number;
  step: number;
  /** As read, for the compare-and-set of `takeStalledChain`. */
  updated_at: number | string;
}

/** Queued or running chains of `table` that have not moved since `cutoff`, oldest id first. */
export async function findStalledChains(knex: Knex, table: ChainTable, cutoff: number, limit: number): Promise<StalledChain[]> {
  const rows: { id: number | string; step: number | string; updated_at: number | string }[] = await knex(table)
    .select('id', 'step', 'updated_at')
    .whereIn('status', ['queued', 'running'])
    .andWhere('updated_at', '<', cutoff)
    .orderBy('id')
    .limit(limit);
  return rows.map((r) => ({ id: Number(r.id), step: Number(r.step), updated_at: r.updated_at }));
}

/**
 * Moves a stalled chain's `updated_at` to `now` if it is still as read (same step, same
 * `updated_at`, still active); false when it moved meanwhile or another sweep took it.
 */
export async function takeStalledChain(knex: Knex, table: ChainTable, chain: StalledChain, now: number): Promise<boolean> {
  const taken = await knex(table).where({ id: chain.id, step: chain.step, updated_at: chain.updated_at }).whereIn('status', ['queued', 'running']).update({ updated_at: now });
  return taken > 0;
}
