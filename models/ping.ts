import type { Knex } from 'knex';

/** Resolves once the database answers a trivial query (the health check's probe). */
export async function pingDatabase(knex: Knex): Promise<void> {
  await knex.raw('select 1');
}
