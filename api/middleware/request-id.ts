import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type pino from 'pino';
import type { ApiState } from '../context.ts';

/** An incoming id is kept only if it is short and plain, so it cannot forge log lines. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `X-Request-Id` in (kept when a proxy sent one) and out, a child logger per request, and one
 * log line per request when its response is done (so streamed responses log their real length).
 * The line carries the method, the path without its query string (filters can hold phone
 * numbers), the status and the error code: never a body, never a header.
 */
export function requestId(root: pino.Logger): Koa.Middleware<ApiState> {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = root.child({ request_id: id });
    ctx.set('X-Request-Id', id);
    const startedAt = performance.now();
    const { method, path } = ctx;
    ctx.res.once('close', () => {
      const line = {
        method,
        path,
        status: ctx.status,
        duration_ms: Math.round(performance.now() - startedAt),
        ...(ctx.state.errorCode ? { error_code: ctx.state.errorCode } : {}),
        ...(ctx.res.writableFinished ? {} : { aborted: true }),
      };
      // Health probes arrive every few seconds; they would drown everything else at info.
      if (path === '/health' && ctx.status < 400) ctx.state.log.debug(line, 'request');
      else ctx.state.log.info(line, 'request');
    });
    await next();
  };
}
