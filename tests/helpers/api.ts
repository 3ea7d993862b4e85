import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startWeb, type WebHandle } from '../../api/create-web.ts';
import { createSecretBox, type SecretBox } from '../../lib/secret-box.ts';
import { startBolSandbox, type BolSandbox } from '../../sandbox/bol/index.ts';
import type { ApiWebhookSettings } from '../../api/context.ts';
import type { AdapterEnv, AdapterSet } from './adapters.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';

/**
 * The API on one adapter set, over real HTTP, with a bol sandbox as its login server.
 * Everything the API logs is kept in `logLines`, so tests can check what never reaches a log.
 */
export interface ApiHarness {
  url: string;
  token: string;
  env: AdapterEnv;
  bol: BolSandbox;
  /** Credentials the bol sandbox accepts. */
  bolClient: { clientId: string; clientSecret: string };
  secretBox: SecretBox;
  logLines: string[];
  web: WebHandle;
  request(method: string, path: string, opts?: RequestOptions): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export interface RequestOptions {
  /** Sent as JSON unless it is a string (sent as is). */
  body?: unknown;
  /** Default: the right bearer token; null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: any;
}

/** `platformEnv`: more platform settings (`SHOPIFY_API_URL`, …) beside the bol sandbox's. */
export async function startApi(set: AdapterSet, opts: { bolLoginUrl?: string; webhooks?: ApiWebhookSettings; platformEnv?: Record<string, string> } = {}): Promise<ApiHarness> {
  const env = await set.setup();
  const bolClient = { clientId: `client-${randomBytes(4).toString('hex')}`, clientSecret: `secret-${randomBytes(12).toString('hex')}` };
  const bol = await startBolSandbox({ clients: [bolClient], shipments: 0 });
  const token = randomBytes(24).toString('base64url');
  const secretBox = createSecretBox(randomBytes(32).toString('base64'));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const web = await startWeb({ knex: env.knex, queue: env.queue, secretBox, apiToken: token, platforms: platformsFromEnv({ BOL_LOGIN_URL: opts.bolLoginUrl ?? bol.url, ...opts.platformEnv }), logger, webhooks: opts.webhooks }, 0);

  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { ...o.headers };
    const auth = o.token === undefined ? token : o.token;
    if (auth !== null) headers.authorization ??= `Bearer ${auth}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(web.url + path, { method, headers, body });
    } catch (err) {
      const cause = (err as { cause?: { message?: string; code?: string } }).cause;
      throw new Error(`${method} ${path.slice(0, 200)}: ${cause?.code ?? ''} ${cause?.message ?? String(err)}`, { cause: err });
    }
    return answerOf(res);
  };

  return {
    url: web.url,
    token,
    env,
    bol,
    bolClient,
    secretBox,
    logLines,
    web,
    request,
    async close() {
      await web.close(1_000);
      await bol.close();
      await env.teardown();
    },
  };
}

/** A fetch response read whole: its text, and its JSON when it is JSON. */
export async function answerOf(res: Response): Promise<ApiAnswer> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/**
 * One harness per adapter set for a whole test file: `const api = perSetHarness(test, set)`, then
 * `api()` inside tests. `seed` runs once after start (ava runs a file's before hooks concurrently,
 * so data the tests share must be made in the same hook).
 */
export function perSetHarness(
  hooks: { before(fn: () => Promise<void>): void; after: { always(fn: () => Promise<void>): void } },
  set: AdapterSet,
  opts: { bolLoginUrl?: string; webhooks?: ApiWebhookSettings; seed?: (harness: ApiHarness) => Promise<void> } = {},
): () => ApiHarness {
  let harness: ApiHarness | undefined;
  hooks.before(async () => {
    harness = await startApi(set, opts);
    await opts.seed?.(harness);
  });
  hooks.after.always(async () => {
    await harness?.close();
  });
  return () => {
    if (!harness) throw new Error(`the ${set.name} harness did not start`);
    return harness;
  };
}

/** Creates a shop through the API with the sandbox's good credentials; returns its body. */
export async function createShop(api: ApiHarness, name = `shop ${randomBytes(3).toString('hex')}`): Promise<{ id: number } & Record<string, unknown>> {
  const answer = await api.request('POST', '/shops', {
    body: { name, platform: 'bol', credentials: { client_id: api.bolClient.clientId, client_secret: api.bolClient.clientSecret } },
  });
  if (answer.status !== 201) throw new Error(`creating a shop answered ${answer.status}: ${answer.text}`);
  return answer.body;
}
