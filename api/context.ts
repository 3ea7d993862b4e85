import type Router from '@koa/router';
import type Koa from 'koa';
import type { Knex } from 'knex';
import type pino from 'pino';
import type { Platforms } from '../crawler/connectors/platforms.ts';
import type { Queue } from '../lib/queue/port.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { AddressPolicy } from '../lib/ssrf.ts';

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

/** What the app is built from (webDepsFromConfig in api/create-web.ts; tests pass their own). */
export interface ApiDeps {
  knex: Knex;
  queue: Queue;
  /** Trailing phone digits that identify a customer (PHONE_KEY_DIGITS); unset: 9. */
  phoneKeyDigits?: number;
  /** Where webhook re-sends are queued (boot/runtime.ts); unset: `queue`. */
  deliveryQueue?: Queue;
  secretBox: SecretBox;
  /** Every route but /health requires `Authorization: Bearer <apiToken>`. */
  apiToken: string;
  /** `GET /metrics` also takes this bearer token (METRICS_TOKEN). */
  metricsToken?: string;
  /** The platforms shops can be connected on, with their settings. Unset: every registered one, on its default settings. */
  platforms?: Platforms;
  logger: pino.Logger;
  /** Upload limit and the status feed's default time zone (config). Unset: 256 MB, Asia/Dubai. */
  imports?: Partial<ApiImportSettings>;
  /** Webhook URL address policy (config) and the test button's timeout. Unset: https to public addresses only. */
  webhooks?: ApiWebhookSettings;
}

export interface ApiImportSettings {
  /** Larger uploads are refused with a 413 (IMPORT_MAX_UPLOAD_MB). */
  maxUploadBytes: number;
  /** The zone of status feed timestamps written without one, when the upload names none (STATUS_FEED_TIMEZONE). */
  defaultFeedTimezone: string;
}

export interface ApiWebhookSettings extends AddressPolicy {
  timeoutMs?: number;
}
