import type { ApiRouter } from '../context.ts';
import type { ApiDeps } from '../context.ts';
import { pingDatabase } from '../../models/ping.ts';

/** How long a dependency may take to answer before /health calls it down. */
const CHECK_TIMEOUT_MS = 3_000;

/** `GET /health`, the one public route: 200 once the database and the queue answer, 503 otherwise. */
export function healthRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.get('/health', async (ctx) => {
    const [database, queue] = await Promise.all([check(() => pingDatabase(deps.knex)), check(() => deps.queue.ping())]);
    ctx.set('Cache-Control', 'no-store');
    if (database && queue) {
      ctx.body = { status: 'ok' };
      return;
    }
    ctx.status = 503;
    ctx.body = { status: 'unavailable', checks: { database: database ? 'ok' : 'error', queue: queue ? 'ok' : 'error' } };
  });
}

async function check(probe: () => PromiseLike<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve(probe()).then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
