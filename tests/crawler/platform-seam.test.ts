import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { z } from 'zod';
import { startWeb } from '../../api/create-web.ts';
import { createLogger } from '../../config/logger.ts';
import { platformsFromEnv, registerPlatform } from '../../crawler/connectors/platforms.ts';
import type { PlatformConnector, PlatformSession, ShipmentRecord, StepContext, StepFetch } from '../../crawler/connectors/types.ts';
import { createWorker } from '../../crawler/create-worker.ts';
import { startSyncRun } from '../../crawler/sync/start-sync-run.ts';
import { UnprocessableError } from '../../lib/errors.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import { findSyncRun, type SyncRun } from '../../models/sync-runs.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';

/**
 * The platform seam, tried as someone adding a platform would: a made-up platform ("tinyshop")
 * with its own HTTP server, registered through the registry alone, synced end to end by the
 * production API and worker. Its two streams (shipments and returns) page newest first; returns are
 * stored as shipments too (the engine stores every stream's records as shipments).
 */

const API_KEY = `key-${randomBytes(6).toString('hex')}`;

interface TinyRecord {
  id: string;
  order: string;
  tracking: string;
}

/** The platform's data, newest first; tests add to it. */
const data: Record<'shipments' | 'returns', TinyRecord[]> = {
  shipments: Array.from({ length: 12 }, (_, i) => ({ id: `S${100 - i}`, order: `O${100 - i}`, tracking: `TT${100 - i}` })),
  returns: Array.from({ length: 7 }, (_, i) => ({ id: `R${50 - i}`, order: `O${50 - i}`, tracking: `RT${50 - i}` })),
};
const PAGE_SIZE = 5;
const requests = { me: 0, pages: 0 };

/** GET /me (the key's owner) and GET /{shipments|returns}?page=N, behind an x-api-key header. */
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://tinyshop');
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.headers['x-api-key'] !== API_KEY) return json(401, { error: 'unknown key' });
  if (url.pathname === '/me') {
    requests.me++;
    return json(200, { shop: 'tiny' });
  }
  const stream = url.pathname.slice(1);
  if (stream !== 'shipments' && stream !== 'returns') return json(404, { error: 'no such path' });
  requests.pages++;
  const page = Number(url.searchParams.get('page') ?? '1');
  const items = data[stream].slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return json(200, { items, next_page: page * PAGE_SIZE < data[stream].length ? page + 1 : null });
});

interface TinySession extends PlatformSession {
  get(path: string): Promise<Response>;
}

function tinyStream(path: 'shipments' | 'returns') {
  return {
    async fetchStep(session: TinySession, checkpoint: unknown, ctx: StepContext): Promise<StepFetch> {
      const page = z.object({ page: z.number().int().positive() }).nullable().parse(checkpoint)?.page ?? 1;
      try {
        const answer = await session.get(`/${path}?page=${page}`);
        const body = (await answer.json()) as { items: TinyRecord[]; next_page: number | null };
        const known = await ctx.findStored(body.items.map((r) => r.id));
        const fresh = body.items.filter((r) => !known.has(r.id));
        // Newest first: an incremental run is done at the first record the shop has.
        const reachedKnown = ctx.type === 'incremental' && known.size > 0;
        return { records: fresh.map(toShipmentRecord), pagesFetched: 1, next: body.next_page === null || reachedKnown ? null : { page: body.next_page } };
      } catch (failure) {
        return { records: [], pagesFetched: 0, next: { page }, failure };
      }
    },
  };
}

function toShipmentRecord(r: TinyRecord): ShipmentRecord {
  return {
    platformId: r.id,
    orderId: r.order,
    reference: null,
    fulfilmentMethod: null,
    shippedAt: null,
    carrier: null,
    trackingNumber: r.tracking,
    receiver: { postalCode: null, city: null, country: null, phone: null },
    items: [],
    events: [],
  };
}

const tinyshop: PlatformConnector<{ api_key: string }, { url: string }, TinySession> = {
  name: 'tinyshop',
  credentials: z.object({ api_key: z.string().min(1) }).strict(),
  settings: z.object({ TINYSHOP_URL: z.string().url().default('https://tinyshop.invalid') }).transform((e) => ({ url: e.TINYSHOP_URL })),
  async checkCredentials(settings, credentials) {
    const answer = await fetch(`${settings.url}/me`, { headers: { 'x-api-key': credentials.api_key } });
    if (answer.status === 401) throw new UnprocessableError('credentials_refused', 'tinyshop does not know this key.', { field: 'credentials' });
    if (!answer.ok) throw new Error(`tinyshop answered ${answer.status}`);
    return null;
  },
  async openSession(settings, opening) {
    let sent = 0;
    const carried = z.object({ steps: z.number() }).catch({ steps: 0 }).parse(opening.rateState);
    return {
      get(path) {
        sent++;
        return fetch(`${settings.url}${path}`, { headers: { 'x-api-key': opening.credentials.api_key }, signal: opening.signal });
      },
      requests: () => sent,
      rateState: () => ({ steps: carried.steps + 1 }),
    };
  },
  streams: { shipments: tinyStream('shipments'), returns: tinyStream('returns') },
};

registerPlatform(tinyshop);

test.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
test.after.always(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

eachAdapterSet((set) => {
  test.serial(`${set.name}: a platform added through the registry alone connects through the API and syncs both its streams end to end`, async (t) => {
    const env = await set.setup();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const platforms = platformsFromEnv({ TINYSHOP_URL: url });
    const secretBox = createSecretBox(randomBytes(32).toString('base64'));
    const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    const apiToken = randomBytes(24).toString('base64url');
    const web = await startWeb({ knex: env.knex, queue: env.queue, secretBox, apiToken, platforms, logger }, 0);
    const worker = createWorker({ knex: env.knex, queue: env.queue, secretBox, logger, platforms, rateMargin: { ratio: 0.03, jitterMs: 50 }, prefetch: 2 });
    await worker.start();
    t.teardown(async () => {
      await worker.stop(5_000);
      await web.close(100);
      await env.teardown();
    });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(web.url + path, { method, headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };
    const waitForRun = async (id: number): Promise<SyncRun> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const run = await findSyncRun(env.knex, id);
        if (run && (run.status === 'succeeded' || run.status === 'failed')) return run;
        if (Date.now() > deadline) throw new Error(`sync run ${id} did not end: ${JSON.stringify(run)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const stored = async (shopId: number) =>
      (await env.knex('shipments').select('platform_id', 'source', 'tracking_number').where({ shop_id: shopId }).orderBy('platform_id')) as { platform_id: string; source: string; tracking_number: string }[];

    // Connecting: the platform's own credential schema and check decide.
    const wrongShape = await call('POST', '/shops', { name: 'Tiny', platform: 'tinyshop', credentials: { client_id: 'a', client_secret: 'b' } });
    t.is(wrongShape.status, 400);
    t.deepEqual(wrongShape.body.error.details.map((d: { field: string }) => d.field).sort(), ['credentials.api_key', 'credentials.client_id', 'credentials.client_secret']);
    const refused = await call('POST', '/shops', { name: 'Tiny', platform: 'tinyshop', credentials: { api_key: 'not-the-key' } });
    t.is(refused.status, 422);
    t.is(refused.body.error.code, 'credentials_refused');
    const created = await call('POST', '/shops', { name: 'Tiny', platform: 'tinyshop', credentials: { api_key: API_KEY } });
    t.is(created.status, 201, JSON.stringify(created.body));
    t.like(created.body, { platform: 'tinyshop', status: 'active', has_credentials: true });
    const shopId: number = created.body.id;

    // The shipments stream: three pages (5 + 5 + 2), through the API.
    const started = await call('POST', `/shops/${shopId}/syncs`, { type: 'initial' });
    t.is(started.status, 202, JSON.stringify(started.body));
    const shipments = await waitForRun(started.body.id);
    t.like(shipments, { status: 'succeeded', stream: 'shipments', pages_fetched: 3, records_upserted: 12, requests_made: 3, error: null });
    t.like((await call('GET', `/syncs/${started.body.id}`)).body, { status: 'succeeded', records_upserted: 12 });

    // The returns stream: two pages (5 + 2), started as the engine starts any stream's run.
    const returnsRun = await startSyncRun({ knex: env.knex, queue: env.queue }, shopId, 'initial', 'returns');
    const returns = await waitForRun(returnsRun.id);
    t.like(returns, { status: 'succeeded', stream: 'returns', pages_fetched: 2, records_upserted: 7, error: null });

    const rows = await stored(shopId);
    t.deepEqual(rows.map((r) => r.platform_id), [...data.shipments, ...data.returns].map((r) => r.id).sort());
    t.true(rows.every((r) => r.source === 'tinyshop'), 'every shipment is written with the platform as its source');
    t.is(rows.find((r) => r.platform_id === 'S100')?.tracking_number, 'TT100');

    // The carried rate state is the connector's own JSON, saved with each step.
    const shop = await env.knex('shops').where({ id: shopId }).first();
    t.deepEqual(JSON.parse(shop.rate_state), { steps: 5 });

    // An incremental run stops where the platform's newest-first list reaches what the shop has.
    data.shipments.unshift({ id: 'S101', order: 'O101', tracking: 'TT101' });
    const pagesBefore = requests.pages;
    const incremental = await call('POST', `/shops/${shopId}/syncs`, { type: 'incremental' });
    t.is(incremental.status, 202, JSON.stringify(incremental.body));
    t.like(await waitForRun(incremental.body.id), { status: 'succeeded', pages_fetched: 1, records_upserted: 1 });
    t.is(requests.pages - pagesBefore, 1, 'one page asked for');
    t.true((await stored(shopId)).some((r) => r.platform_id === 'S101'));
    data.shipments.shift();
  });
});
