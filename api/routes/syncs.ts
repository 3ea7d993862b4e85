import { PassThrough } from 'node:stream';
import { startSyncRun } from '../../crawler/sync/start-sync-run.ts';
import { AppError, ConflictError } from '../../lib/errors.ts';
import { findShopOrFail, type Shop } from '../../models/shop.ts';
import { findSyncRunOrFail, presentSyncRun, SyncRun } from '../../models/sync-run.ts';
import type { ApiDeps } from '../app.ts';
import type { ApiContext, ApiRouter } from '../context.ts';
import { parseRequest, StartSyncBody, SyncListQuery } from '../schemas.ts';
import { pathId } from './params.ts';

/** How often an open event stream looks at its sync run. */
export const SYNC_EVENTS_POLL_MS = 500;
/** A comment line this often keeps proxies from closing a stream that has nothing to say. */
const KEEP_ALIVE_MS = 15_000;
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
    const runs = await SyncRun.query(deps.knex)
      .where('shop_id', shopId)
      .orderBy('id', 'desc')
      .limit(query.limit ?? DEFAULT_RUN_LIST_LIMIT);
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
  return new ConflictError('shop_not_active', `This shop is ${shop.status}; set "status":"active" with PATCH /shops/${shop.id} first.`, details);
}

const FINAL = new Set(['succeeded', 'failed']);

/**
 * Server-Sent Events for one sync run: `event: progress` with the run now, again whenever it
 * changes (polled from the database, which every worker writes to: no cross-process pub/sub
 * needed), then `event: done` once it succeeded or failed, and the stream ends. A client reading
 * with EventSource should close it on `done`; if it reconnects anyway it gets the final state and
 * `done` again at once. `event: deleted` ends the stream if the run disappears (shop deleted).
 */
function streamSyncRun(ctx: ApiContext, deps: SyncRouteDeps, first: SyncRun): void {
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.type = 'text/event-stream; charset=utf-8';
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('Connection', 'keep-alive');
  // nginx and Heroku-style routers buffer responses unless told not to.
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = stream;

  let eventId = 0;
  const send = (event: string, data: unknown): void => {
    eventId += 1;
    stream.write(`event: ${event}\nid: ${eventId}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const open = (): boolean => !stream.destroyed && !stream.writableEnded && !deps.streamsSignal.aborted;

  void (async () => {
    const keepAlive = setInterval(() => {
      if (open()) stream.write(': keep-alive\n\n');
    }, KEEP_ALIVE_MS);
    try {
      let shown = presentSyncRun(first);
      let shownJson = JSON.stringify(shown);
      send('progress', shown);
      if (FINAL.has(first.status)) {
        send('done', shown);
        return;
      }
      while (open()) {
        await pause(SYNC_EVENTS_POLL_MS, stream, deps.streamsSignal);
        if (!open()) return;
        let run: SyncRun | undefined;
        try {
          run = await SyncRun.query(deps.knex).findById(first.id);
        } catch (err) {
          // The database blinked: say nothing and look again at the next tick.
          ctx.state.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'sync run events: read failed');
          continue;
        }
        if (!open()) return;
        if (!run) {
          send('deleted', { id: first.id });
          return;
        }
        shown = presentSyncRun(run);
        const json = JSON.stringify(shown);
        if (json !== shownJson) {
          shownJson = json;
          send('progress', shown);
        }
        if (FINAL.has(run.status)) {
          send('done', shown);
          return;
        }
      }
    } finally {
      clearInterval(keepAlive);
      if (!stream.destroyed) stream.end();
    }
  })().catch((err: unknown) => {
    ctx.state.log.error({ error: err instanceof Error ? err.message : String(err) }, 'sync run events: stream failed');
    stream.destroy();
  });
}

/** Waits `ms`, or less if the client goes away or the server shuts down. */
function pause(ms: number, stream: PassThrough, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stream.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
