import { startSyncRun } from '../../crawler/sync/start-sync-run.ts';
import { AppError, ConflictError } from '../../lib/errors.ts';
import { findShopOrFail, type Shop } from '../../models/shops.ts';
import { findSyncRun, findSyncRunOrFail, listShopSyncRuns, type SyncRun } from '../../models/sync-runs.ts';
import { presentSyncRun } from '../present.ts';
import type { ApiDeps } from '../context.ts';
import type { ApiContext, ApiRouter } from '../context.ts';
import { parseRequest, StartSyncBody, SyncListQuery } from '../schemas.ts';
import { pathId } from './params.ts';
import { streamUntilFinished } from '../progress-stream.ts';

/** How often an open event stream looks at its sync run. */
export const SYNC_EVENTS_POLL_MS = 500;
/** A comment line this often keeps proxies from closing a stream that has nothing to say. */
const DEFAULT_RUN_LIST_LIMIT = 50;

export interface SyncRouteDeps extends ApiDeps {
  /** Aborts when the server shuts down: open event streams end so the server can close. */
  streamsSignal: AbortSignal;
}

export function syncRoutes(router: ApiRouter, deps: SyncRouteDeps): void {
  router.post('/shops/:id/syncs', async (ctx) => {
    const shopId = pathId(ctx);
    const body = parseRequest(StartSyncBody, ctx.request.body);
    const shop = await findShopOrFail(deps.knex, shopId);
    if (shop.status !== 'active') throw shopNotActive(shop);
    let run: SyncRun;
    try {
      run = await startSyncRun({ knex: deps.knex, queue: deps.queue }, shopId, body.type);
    } catch (err) {
      if (err instanceof AppError) throw err;
      // startSyncRun has already released the shop's slot; the client may simply try again.
      ctx.state.log.error({ error: err instanceof Error ? err.message : String(err) }, 'sync run not started');
      throw new AppError('sync_not_started', 'The sync run could not be queued (the queue or the database did not answer); try again.', { status: 503, expose: true });
    }
    ctx.status = 202;
    ctx.set('Location', `/syncs/${run.id}`);
    ctx.body = presentSyncRun(run);
  });

  router.get('/shops/:id/syncs', async (ctx) => {
    const shopId = pathId(ctx);
    const query = parseRequest(SyncListQuery, ctx.query);
    await findShopOrFail(deps.knex, shopId);
    const runs = await listShopSyncRuns(deps.knex, shopId, query.limit ?? DEFAULT_RUN_LIST_LIMIT);
    ctx.body = { data: runs.map(presentSyncRun) };
  });

  router.get('/syncs/:id', async (ctx) => {
    ctx.body = presentSyncRun(await findSyncRunOrFail(deps.knex, pathId(ctx)));
  });

  router.get('/syncs/:id/events', async (ctx) => {
    // Everything that can fail with a JSON error happens before the stream starts.
    const run = await findSyncRunOrFail(deps.knex, pathId(ctx));
    streamSyncRun(ctx, deps, run);
  });
}

function shopNotActive(shop: Shop): ConflictError {
  const details = { shop_id: shop.id, status: shop.status, status_reason: shop.status_reason };
  if (shop.status === 'credentials_refused') {
    return new ConflictError(
      'shop_not_active',
      `${shop.platform} refused this shop's credentials${shop.status_reason ? ` (${shop.status_reason})` : ''}; replace them with PATCH /shops/${shop.id} first.`,
      details,
    );
  }
  if (shop.status === 'deleting') return new ConflictError('shop_not_active', 'This shop is being deleted.', details);
  return new ConflictError('shop_not_active', `This shop is ${shop.status}; set "status":"active" with PATCH /shops/${shop.id} first.`, details);
}

/** Server-Sent Events for one sync run (api/progress-stream.ts). */
function streamSyncRun(ctx: ApiContext, deps: SyncRouteDeps, first: SyncRun): void {
  streamUntilFinished(ctx, deps.streamsSignal, { label: 'sync run events', pollMs: SYNC_EVENTS_POLL_MS, first, load: (id) => findSyncRun(deps.knex, id), present: presentSyncRun });
}
