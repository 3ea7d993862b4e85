import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startWeb, type WebHandle } from '../../api/create-web.ts';
import { createWorker, type Worker } from '../../crawler/create-worker.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import type { AdapterEnv, AdapterSet } from '../helpers/adapters.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';
import { answerOf, type ApiAnswer } from '../helpers/api.ts';

/**
 * The API and a real worker (the production `createWorker`) on one adapter set, over real HTTP:
 * files go in through `POST /imports` exactly as a client sends them.
 */
export interface ImportHarness {
  url: string;
  token: string;
  env: AdapterEnv;
  web: WebHandle;
  request(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<Answer>;
  /** Uploads `content` as the raw body (text/csv unless `contentType` says otherwise). */
  upload(query: string, content: string | Buffer, opts?: { contentType?: string }): Promise<Answer>;
  /** Polls GET /imports/:id until it succeeded or failed. */
  waitForImport(id: number, timeoutMs?: number): Promise<any>;
  /** Starts another worker on the same database and queue (stopped by close()). */
  startWorker(batchRows?: number): Promise<Worker>;
  /** Uploads and waits; fails the test if the upload is not a 202. */
  importFile(query: string, content: string | Buffer): Promise<any>;
  close(): Promise<void>;
}

export type Answer = ApiAnswer;

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

export async function startImportHarness(
  set: AdapterSet,
  opts: { maxUploadBytes?: number; batchRows?: number; worker?: boolean; deletions?: { batchRows?: number; budgetMs?: number } } = {},
): Promise<ImportHarness> {
  const env = await set.setup();
  const token = randomBytes(24).toString('base64url');
  const secretBox = createSecretBox(randomBytes(32).toString('base64'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const web = await startWeb(
    { knex: env.knex, queue: env.queue, secretBox, apiToken: token, platforms: platformsFromEnv({ BOL_LOGIN_URL: 'http://127.0.0.1:9' }), logger, imports: { maxUploadBytes: opts.maxUploadBytes, defaultFeedTimezone: 'Asia/Dubai' } },
    0,
  );
  const workers: Worker[] = [];
  const startWorker = async (batchRows = opts.batchRows ?? 200): Promise<Worker> => {
    const worker = createWorker({
      knex: env.knex,
      queue: env.queue,
      secretBox,
      logger,
      platforms: platformsFromEnv({ BOL_LOGIN_URL: 'http://127.0.0.1:9', BOL_API_URL: 'http://127.0.0.1:9' }),
      rateMargin: { ratio: 0.03, jitterMs: 50 },
      prefetch: 2,
      retryPolicy: { baseDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 3 },
      imports: { batchRows },
      deletions: opts.deletions,
    });
    await worker.start();
    workers.push(worker);
    return worker;
  };
  if (opts.worker !== false) await startWorker();

  const request: ImportHarness['request'] = async (method, p, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const auth = o.token === undefined ? token : o.token;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(web.url + p, { method, headers, body });
    return answerOf(res);
  };
  const upload: ImportHarness['upload'] = async (query, content, o = {}) => {
    const res = await fetch(`${web.url}/imports?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': o.contentType ?? 'text/csv' },
      body: content,
    });
    return answerOf(res);
  };
  const waitForImport: ImportHarness['waitForImport'] = async (id, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await request('GET', `/imports/${id}`);
      if (answer.body?.status === 'succeeded' || answer.body?.status === 'failed') return answer.body;
      if (Date.now() > deadline) throw new Error(`import ${id} did not finish in time: ${answer.text}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  };
  return {
    url: web.url,
    token,
    env,
    web,
    request,
    upload,
    waitForImport,
    startWorker,
    async importFile(query, content) {
      const answer = await upload(query, content);
      if (answer.status !== 202) throw new Error(`upload answered ${answer.status}: ${answer.text}`);
      return waitForImport(answer.body.id);
    },
    async close() {
      await web.close(1_000);
      await Promise.all(workers.map((w) => w.stop(5_000)));
      await env.teardown();
    },
  };
}

/** `hooks.before` starts one harness per adapter set for a whole file. */
export function perSetImportHarness(
  hooks: { before(fn: () => Promise<void>): void; after: { always(fn: () => Promise<void>): void } },
  set: AdapterSet,
  opts: Parameters<typeof startImportHarness>[1] = {},
): () => ImportHarness {
  let harness: ImportHarness | undefined;
  hooks.before(async () => {
    harness = await startImportHarness(set, opts);
  });
  hooks.after.always(async () => {
    await harness?.close();
  });
  return () => {
    if (!harness) throw new Error(`the ${set.name} harness did not start`);
    return harness;
  };
}
