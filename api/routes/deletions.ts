import { startDeletion, type DeletionRequest } from '../../crawler/deletions/start-deletion.ts';
import { AppError } from '../../lib/errors.ts';
import { findDeletion, findDeletionOrFail, type Deletion } from '../../models/deletions.ts';
import type { ApiContext, ApiDeps, ApiRouter } from '../context.ts';
import { presentDeletion } from '../present.ts';
import { streamUntilFinished } from '../progress-stream.ts';
import { pathId } from './params.ts';

/** How often an open event stream looks at its deletion. */
const DELETION_EVENTS_POLL_MS = 500;

export interface DeletionRouteDeps extends ApiDeps {
  /** Aborts when the server shuts down: open event streams end so the server can close. */
  streamsSignal: AbortSignal;
}

/** Follow a big delete: `GET /deletions/:id`, and its progress as Server-Sent Events. */
export function deletionRoutes(router: ApiRouter, deps: DeletionRouteDeps): void {
  router.get('/deletions/:id', async (ctx) => {
    ctx.body = presentDeletion(await findDeletionOrFail(deps.knex, pathId(ctx)));
  });

  router.get('/deletions/:id/events', async (ctx) => {
    const first = await findDeletionOrFail(deps.knex, pathId(ctx));
    streamUntilFinished(ctx, deps.streamsSignal, { label: 'deletion events', pollMs: DELETION_EVENTS_POLL_MS, first, load: (id) => findDeletion(deps.knex, id), present: presentDeletion });
  });
}

/**
 * Answers a big delete: 202 with the deletion to follow (`Location: /deletions/:id`), the one
 * already under way when there is one.
 */
export async function answerDeletion(ctx: ApiContext, deps: Pick<ApiDeps, 'knex' | 'queue'>, request: DeletionRequest): Promise<void> {
  let deletion: Deletion;
  try {
    ({ deletion } = await startDeletion({ knex: deps.knex, queue: deps.queue }, request));
  } catch (err) {
    if (err instanceof AppError) throw err;
    ctx.state.log.error({ error: err instanceof Error ? err.message : String(err) }, 'deletion not started');
    throw new AppError('deletion_not_started', 'The deletion could not be queued (the queue or the database did not answer); try again.', { status: 503, expose: true });
  }
  ctx.status = 202;
  ctx.set('Location', `/deletions/${deletion.id}`);
  ctx.body = presentDeletion(deletion);
}
