import type { Knex } from 'knex';
import type { Queue } from '../../lib/queue/port.ts';
import { findActiveImports } from '../../models/imports.ts';
import { enqueue } from '../jobs.ts';

/**
 * The in-process queue forgets its jobs when the process stops; imports do not. At start in
 * embedded mode, every import still queued or running gets a job for its current batch again
 * (it resumes from its checkpoint). With RabbitMQ the jobs are durable and this is not needed.
 */
export async function resumeActiveImports(knex: Knex, queue: Queue): Promise<number> {
  const imports = await findActiveImports(knex);
  for (const imp of imports) await enqueue(queue, 'import.batch', { import_id: imp.id, step: imp.step });
  return imports.length;
}
