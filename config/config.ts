import { z } from 'zod';
import { envProblems, envUrl } from '../lib/env.ts';
import { decodeSecretsKey, MIN_GENERATED_SECRET_CHARS } from '../lib/secret-box.ts';
import { readCarriers, type CarrierSettings } from '../crawler/connectors/carriers.ts';
import { readPlatforms, type Platforms } from '../crawler/connectors/platforms.ts';

/**
 * The environment of shared/PRODUCT.md ("Fixed interface"), validated once at boot.
 * Only the process roots call `loadConfig`; everything else receives the typed result.
 */

const secretsKey = z
  .string()
  .refine((v) => decodeSecretsKey(v) !== undefined, `must be 32 bytes encoded as base64 (openssl rand -base64 32), or a generated secret of at least ${MIN_GENERATED_SECRET_CHARS} characters`);


const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = () =>
  z
    .enum(['true', 'false', '1', '0'], { errorMap: () => ({ message: 'must be true or false' }) })
    .default('false')
    .transform((v) => v === 'true' || v === '1');

const schema = z.object({
  DATABASE_URL: envUrl(['mysql:', 'mariadb:']).optional(),
  AMQP_URL: envUrl(['amqp:', 'amqps:']).optional(),
  CLOUDAMQP_URL: envUrl(['amqp:', 'amqps:']).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** A bearer token for `GET /metrics` alone, so a Prometheus scraper does not hold the API token. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Workers and the clock serve `/metrics` on this port; unset: no listener. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Delivered domain events, delivery logs and clock fires older than this many days are pruned. */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  SECRETS_KEY: secretsKey.optional(),
  SECRETS_KEY_PREVIOUS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((k) => k.trim()).filter(Boolean) : []))
    .pipe(z.array(secretsKey)),
  WEATHERAPI_URL: envUrl(['http:', 'https:']).default('https://api.weatherapi.com'),
  WEATHERAPI_KEY: z.string().optional(),
  OPEN_METEO_URL: envUrl(['http:', 'https:']).default('https://api.open-meteo.com'),
  OPEN_METEO_GEOCODING_URL: envUrl(['http:', 'https:']).default('https://geocoding-api.open-meteo.com'),
  DATA_DIR: z.string().default('data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9._-]+$/i, 'letters, digits, dot, dash and underscore only').default('shipsync'),
  WORKER_PREFETCH: positiveInt(4),
  /** Sync steps and carrier polls a worker holds at once while they wait on their provider's pace. */
  WORKER_PACED_JOBS: z.coerce.number().int().min(0).max(10_000).default(250),
  JOB_DELIVERY_LIMIT: positiveInt(5),
  JOB_MAX_ATTEMPTS: positiveInt(8),
  /** Safety margin on every provider limit, so jitter between our clock and theirs never costs a 429. */
  RATE_LIMIT_MARGIN: z.coerce.number().min(0).max(1).default(0.03),
  RATE_LIMIT_JITTER_MS: z.coerce.number().int().min(0).max(10_000).default(50),
  /** Uploads larger than this are refused with a 413. */
  IMPORT_MAX_UPLOAD_MB: z.coerce.number().positive().max(10_240).default(256),
  /** Rows an import batch job processes and commits at once. */
  IMPORT_BATCH_ROWS: z.coerce.number().int().min(10).max(100_000).default(5_000),
  /** The zone of partner status feed timestamps that carry none, unless an upload names one. */
  STATUS_FEED_TIMEZONE: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Dubai')
    .default('Asia/Dubai'),
  /** How many trailing digits of a phone identify a customer (syncs, imports and look-ups alike). */
  PHONE_KEY_DIGITS: z.coerce.number().int().min(6).max(15).default(9),
  /** Webhook URLs may be plain http (local development and tests). */
  WEBHOOK_ALLOW_HTTP: flag(),
  /** Webhook URLs may reach loopback and private addresses (local development and tests); metadata addresses never. */
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: flag(),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  databaseUrl: string | undefined;
  amqpUrl: string | undefined;
  /** Embedded mode: SQLite file + in-process queue, no services needed. */
  embedded: boolean;
  port: number;
  apiToken: string | undefined;
  /** Also accepted by `GET /metrics` (besides the API token). */
  metricsToken: string | undefined;
  /** The metrics listener of workers and the clock; undefined: off. */
  metricsPort: number | undefined;
  /** How long delivered events, delivery logs and clock fires are kept. */
  retentionDays: number;
  secretsKey: string | undefined;
  previousSecretsKeys: string[];
  /** Every registered platform with the settings its connector read from the environment (BOL_LOGIN_URL, …). */
  platforms: Platforms;
  /** Every registered carrier connector's settings (DHL_API_URL, DHL_API_KEY, …), by connector name. */
  carriers: CarrierSettings;
  weather: { weatherApiUrl: string; weatherApiKey: string | undefined; openMeteoUrl: string; openMeteoGeocodingUrl: string };
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  queuePrefix: string;
  workerPrefetch: number;
  workerPacedJobs: number;
  jobDeliveryLimit: number;
  jobMaxAttempts: number;
  rateMargin: { ratio: number; jitterMs: number };
  imports: { maxUploadBytes: number; batchRows: number; defaultFeedTimezone: string };
  /** Trailing phone digits that identify a customer, for every source and the look-up. */
  phoneKeyDigits: number;
  /** The address policy of webhook URLs (lib/ssrf.ts). */
  webhooks: { allowHttp: boolean; allowPrivateAddresses: boolean };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`shipsync cannot start; fix the environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Validates the whole environment and reports every problem at once, not the first one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset: `FOO= npm start` should mean "no FOO".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) problems.push(...envProblems(parsed.error));
  // Each platform connector reads its own variables; their problems are reported with the rest.
  const { platforms, problems: platformProblems } = readPlatforms(cleaned);
  problems.push(...platformProblems);
  // So does each carrier connector.
  const { carriers, problems: carrierProblems } = readCarriers(cleaned);
  problems.push(...carrierProblems);
  if (!parsed.success || !carriers || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const amqpUrl = e.AMQP_URL ?? e.CLOUDAMQP_URL;
  if (e.DATABASE_URL) {
    // With a shared database, secrets cannot be generated per process: every process must agree.
    if (!e.API_TOKEN) problems.push('API_TOKEN: required when DATABASE_URL is set');
    if (!e.SECRETS_KEY) problems.push('SECRETS_KEY: required when DATABASE_URL is set (openssl rand -base64 32)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl: e.DATABASE_URL,
    amqpUrl,
    embedded: !e.DATABASE_URL && !amqpUrl,
    port: e.PORT,
    apiToken: e.API_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    retentionDays: e.RETENTION_DAYS,
    secretsKey: e.SECRETS_KEY,
    previousSecretsKeys: e.SECRETS_KEY_PREVIOUS,
    platforms,
    carriers,
    weather: { weatherApiUrl: e.WEATHERAPI_URL, weatherApiKey: e.WEATHERAPI_KEY, openMeteoUrl: e.OPEN_METEO_URL, openMeteoGeocodingUrl: e.OPEN_METEO_GEOCODING_URL },
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    queuePrefix: e.QUEUE_PREFIX,
    workerPrefetch: e.WORKER_PREFETCH,
    workerPacedJobs: e.WORKER_PACED_JOBS,
    jobDeliveryLimit: e.JOB_DELIVERY_LIMIT,
    jobMaxAttempts: e.JOB_MAX_ATTEMPTS,
    rateMargin: { ratio: e.RATE_LIMIT_MARGIN, jitterMs: e.RATE_LIMIT_JITTER_MS },
    imports: {
      maxUploadBytes: Math.round(e.IMPORT_MAX_UPLOAD_MB * 1024 * 1024),
      batchRows: e.IMPORT_BATCH_ROWS,
      defaultFeedTimezone: e.STATUS_FEED_TIMEZONE,
    },
    phoneKeyDigits: e.PHONE_KEY_DIGITS,
    webhooks: { allowHttp: e.WEBHOOK_ALLOW_HTTP, allowPrivateAddresses: e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES },
  };
}
