import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createLogger } from '../../config/logger.ts';
import { createWorker, type Worker } from '../../crawler/create-worker.ts';
import type { WebhookOptions } from '../../crawler/webhooks/options.ts';
import type { AdapterSet } from '../helpers/adapters.ts';
import { startApi, type ApiHarness } from '../helpers/api.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';

/**
 * Webhook tests use real local receivers (node:http servers) and check signatures with the
 * `standardwebhooks` package: an independent implementation of the spec (its own base64 and
 * SHA-256), so a mistake in ours cannot verify itself.
 */

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with its n-th request (from 1): answer with a status, or never answer. */
export type Behaviour = (n: number, req: Received) => number | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  behave(b: Behaviour): void;
  /** Resolves once `count` requests arrived (or `until` holds); rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(behaviour: Behaviour = () => 200, host = '127.0.0.1'): Promise<Receiver> {
  const received: Received[] = [];
  let behave = behaviour;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      const what = behave(received.length, r);
      if (what === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(what, { 'content-type': 'text/plain' }).end(what < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/hooks`,
    port,
    received,
    behave(b) {
      behave = b;
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`the receiver got ${received.length} of ${count} requests in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received.slice(0, count);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Verifies a received request as a Standard Webhooks receiver would; returns the parsed body. */
export function verify(secret: string, r: Received): { id: string; type: string; created_at: string; data: any } {
  return new StandardWebhook(secret).verify(r.body, r.headers as Record<string, string>) as { id: string; type: string; created_at: string; data: any };
}

export function verifies(secret: string, r: Received): boolean {
  try {
    verify(secret, r);
    return true;
  } catch {
    return false;
  }
}

/** Short delays for tests: retries in tens of milliseconds, a 300 ms timeout, a fast relay. */
export const FAST: Partial<WebhookOptions> = {
  allowHttp: true,
  allowPrivateAddresses: true,
  timeoutMs: 300,
  baseDelayMs: 40,
  maxDelayMs: 200,
  slowAfterMs: 150,
  relayIntervalMs: 30,
};

export interface DeliveryHarness {
  api: ApiHarness;
  workers: Worker[];
  startWorker(opts?: Partial<WebhookOptions> & { prefetch?: number; bolUrl?: string }): Promise<Worker>;
  /** POST /webhooks; returns the webhook with its secret. */
  createWebhook(body: Record<string, unknown>): Promise<{ id: number; secret: string } & Record<string, any>>;
  deliveries(webhookId: number, query?: string): Promise<any[]>;
  /** Polls the delivery log until `until` holds. */
  waitForDeliveries(webhookId: number, until: (rows: any[]) => boolean, timeoutMs?: number): Promise<any[]>;
  close(): Promise<void>;
}

/** The API (allowing local receivers) on one adapter set, with workers started on demand. */
export async function deliveryHarness(set: AdapterSet): Promise<DeliveryHarness> {
  const api = await startApi(set, { webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 2_000 } });
  const workers: Worker[] = [];
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const h: DeliveryHarness = {
    api,
    workers,
    async startWorker(opts = {}) {
      const { prefetch, bolUrl, ...webhooks } = opts;
      const worker = createWorker({
        knex: api.env.knex,
        queue: api.env.queue,
        secretBox: api.secretBox,
        logger,
        platforms: platformsFromEnv({ BOL_LOGIN_URL: bolUrl ?? api.bol.url, BOL_API_URL: bolUrl ?? api.bol.url }),
        rateMargin: { ratio: 0.03, jitterMs: 50 },
        prefetch: prefetch ?? 4,
        retryPolicy: { baseDelayMs: 50, maxDelayMs: 500 },
        providerRetryMinDelayMs: 20,
        webhooks: { ...FAST, ...webhooks },
      });
      await worker.start();
      workers.push(worker);
      return worker;
    },
    async createWebhook(body) {
      const answer = await api.request('POST', '/webhooks', { body });
      if (answer.status !== 201) throw new Error(`creating a webhook answered ${answer.status}: ${answer.text}`);
      return answer.body;
    },
    async deliveries(webhookId, query = '') {
      const answer = await api.request('GET', `/webhooks/${webhookId}/deliveries${query}`);
      if (answer.status !== 200) throw new Error(`the delivery log answered ${answer.status}: ${answer.text}`);
      return answer.body.data;
    },
    async waitForDeliveries(webhookId, until, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rows = await h.deliveries(webhookId, '?limit=100');
        if (until(rows)) return rows;
        if (Date.now() > deadline) throw new Error(`the delivery log did not get there in time: ${JSON.stringify(rows, null, 1).slice(0, 2_000)}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop(2_000)));
      await api.close();
    },
  };
  return h;
}
