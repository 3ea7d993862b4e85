import type Router from '@koa/router';
import type Koa from 'koa';
import type pino from 'pino';

/** What the middleware puts on `ctx.state` for the routes. */
export interface ApiState {
  requestId: string;
  /** The root logger's child for this request, carrying its request id. */
  log: pino.Logger;
  /** Set by the error mapper: the error code answered, for the request log line. */
  errorCode?: string;
}

export type ApiContext = Koa.ParameterizedContext<ApiState, Router.RouterParamContext<ApiState>>;
export type ApiRouter = Router<ApiState>;
