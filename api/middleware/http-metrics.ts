import type Koa from 'koa';
import { httpRequestDuration, httpRequests } from '../../lib/metrics.ts';
import type { ApiState } from '../context.ts';

/**
 * Counts every answer by method, route and status, with its latency. The route is the router's
 * pattern (`/shops/:id`), never the path itself, so ids do not make one series each; a path no
 * route matched is `unmatched`. Placed outside the error mapper, it sees the status answered.
 */
export function httpMetrics(): Koa.Middleware<ApiState> {
  return async (ctx, next) => {
    const endTimer = httpRequestDuration.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as unknown as { _matchedRoute?: string | RegExp })._matchedRoute;
      const labels = { method: ctx.method, route: typeof route === 'string' ? route : 'unmatched' };
      endTimer(labels);
      httpRequests.inc({ ...labels, status: String(ctx.status) });
    }
  };
}
