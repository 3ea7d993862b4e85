import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { bearerAuth } from '../api/middleware/auth.ts';
import { errorMapper } from '../api/middleware/errors.ts';
import type { ApiState } from '../api/context.ts';
import { scrapeMetrics, watchQueue } from '../lib/metrics.ts';
import type { Queue } from '../lib/queue/port.ts';
import { isLanedQueue } from '../lib/queue/lanes.ts';
import type { Logger } from '../config/logger.ts';

/**
 * Reports the job queue's depth (`jobs`, and `paced` for its paced lane) and the delivery queue's
 * at every scrape; returns the undo.
 */
export function watchQueues(queues: { queue: Queue; deliveryQueue?: Queue }): () => void {
  const { queue } = queues;
  const unwatch = isLanedQueue(queue) ? [watchQueue('jobs', queue.lanes.working), watchQueue('paced', queue.lanes.paced)] : [watchQueue('jobs', queue)];
  if (queues.deliveryQueue && queues.deliveryQueue !== queues.queue) unwatch.push(watchQueue('deliveries', queues.deliveryQueue));
  return () => unwatch.forEach((undo) => undo());
}

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's and the clock's `GET /metrics` on METRICS_PORT (they serve no API): the same
 * Prometheus text as the web's, behind the same tokens (API_TOKEN or METRICS_TOKEN) and the same
 * error answers.
 */
export async function startMetricsListener(opts: {
  port: number;
  apiToken: string;
  metricsToken?: string;
  queues: { queue: Queue; deliveryQueue?: Queue };
  logger: Logger;
}): Promise<MetricsListener> {
  const app = new Koa<ApiState>();
  const router = new Router<ApiState>();
  router.get('/metrics', async (ctx) => {
    const { contentType, body } = await scrapeMetrics();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  });
  app.use(async (ctx, next) => {
    ctx.state.log = opts.logger;
    await next();
  });
  app.use(errorMapper());
  app.use(bearerAuth(opts.apiToken, { publicPaths: [], alsoAccepted: { '/metrics': opts.metricsToken } }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  const unwatch = watchQueues(opts.queues);
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ port }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        unwatch();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
