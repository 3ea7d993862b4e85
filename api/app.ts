import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import type { ApiDeps, ApiState } from './context.ts';
import { bearerAuth } from './middleware/auth.ts';
import { bodyParseError, errorMapper } from './middleware/errors.ts';
import { requestId } from './middleware/request-id.ts';
import { httpMetrics } from './middleware/http-metrics.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { deletionRoutes } from './routes/deletions.ts';
import { healthRoutes } from './routes/health.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { shipmentRoutes } from './routes/shipments.ts';
import { shopRoutes } from './routes/shops.ts';
import { syncRoutes } from './routes/syncs.ts';
import { exportRoutes } from './routes/exports.ts';
import { importRoutes, isUploadRequest } from './routes/imports.ts';
import { productRoutes } from './routes/products.ts';
import { webhookRoutes } from './routes/webhooks.ts';

/** The largest JSON body the API reads; larger ones are a 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

const streamStops = new WeakMap<Koa, AbortController>();

/**
 * Builds the Koa app from its deps; never listens (api/server.ts does). Middleware order:
 * request id and logging first (every answer carries X-Request-Id), the HTTP metrics (outside the
 * error mapper, so they count the status answered), then the error mapper (so it
 * sees everything after it), then auth (before the body parser: no token, nothing read), then
 * the routes.
 */
export function createApp(deps: ApiDeps): Koa<ApiState> {
  const app = new Koa<ApiState>();
  const streams = new AbortController();
  streamStops.set(app as unknown as Koa, streams);

  const router = buildRouter(deps, streams.signal);

  app.use(requestId(deps.logger));
  app.use(httpMetrics());
  app.use(errorMapper());
  app.use(bearerAuth(deps.apiToken, { publicPaths: ['/health'], alsoAccepted: { '/metrics': deps.metricsToken } }));
  const parseJsonBody = bodyParser({
    enableTypes: ['json'],
    // Every body is JSON: `curl -d '{…}'` (sent as form-urlencoded) works, anything else is a clear 400.
    detectJSON: () => true,
    jsonStrict: true,
    jsonLimit: MAX_BODY_BYTES,
    encoding: 'utf-8',
    onError: (err, ctx) => {
      // The parser stopped reading (too large, broken gzip): throw the rest away and close the
      // connection after the answer, or the client's next request on it would hit leftover body
      // bytes (and a client still sending would see a reset instead of our answer).
      if (!ctx.req.complete) {
        ctx.req.unpipe();
        ctx.req.resume();
        ctx.set('Connection', 'close');
      }
      throw bodyParseError(err);
    },
  });
  // Uploads are CSV streamed to storage by their route (api/upload.ts), never parsed as JSON.
  app.use((ctx, next) => (isUploadRequest(ctx.method, ctx.path) ? next() : parseJsonBody(ctx, next)));
  app.use(router.routes());
  app.use(router.allowedMethods());

  // Errors after the answer started (a stream that broke): nothing to answer, only to log.
  app.on('error', (err: unknown) => {
    deps.logger.error({ error: err instanceof Error ? err.message : String(err) }, 'response failed');
  });
  return app;
}

/** Ends the app's open event streams (server shutdown), so connections can drain. */
export function stopStreams(app: Koa<ApiState>): void {
  streamStops.get(app as unknown as Koa)?.abort();
}

function buildRouter(deps: ApiDeps, streamsSignal: AbortSignal): Router<ApiState> {
  const router = new Router<ApiState>();
  healthRoutes(router, deps);
  metricsRoutes(router, deps);
  openApiRoutes(router);
  shopRoutes(router, deps);
  syncRoutes(router, { ...deps, streamsSignal });
  // Before shipmentRoutes: `/shipments/:id` would take `export.csv` for an id.
  exportRoutes(router, deps);
  shipmentRoutes(router, deps);
  importRoutes(router, { ...deps, streamsSignal });
  productRoutes(router, deps);
  webhookRoutes(router, deps);
  deletionRoutes(router, { ...deps, streamsSignal });
  return router;
}

/** Every route as `METHOD /path` in OpenAPI spelling (`{id}`), so tests can hold the document to it. */
export function listRoutes(): string[] {
  // Registering routes only captures deps; nothing is called, so placeholders do.
  const router = buildRouter({} as ApiDeps, new AbortController().signal);
  return router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`));
}
