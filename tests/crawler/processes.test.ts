import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import test from 'ava';
import { startBolSandbox } from '../../sandbox/bol/index.ts';
import { destroyRabbitTopology } from '../../lib/queue/rabbitmq.ts';
import { ADAPTER_SETS, TEST_AMQP_URL, TEST_DATABASE_URL, randomSuffix } from '../helpers/adapters.ts';
import { crawlHarness, newClient, sandboxIds } from './harness.ts';

/**
 * Real `worker` processes, as the Procfile runs them, killed without warning. Only on MySQL +
 * RabbitMQ: the in-process queue lives and dies with its one process, so there is no other
 * process to hand over to (embedded mode resumes its runs at the next start instead).
 */
const set = ADAPTER_SETS.find((s) => s.name === 'mysql+rabbitmq')!;

function startWorkerProcess(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'crawler/worker.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}

test('mysql+rabbitmq: three worker processes, one killed (SIGKILL) mid-sync: the sync finishes with nothing lost or duplicated and no 429; SIGTERM stops a worker within 25 s', async (t) => {
  t.timeout(180_000);
  const a = newClient();
  const b = newClient();
  const limits = { list: { capacity: 5, windowMs: 1_000 }, detail: { capacity: 25, windowMs: 1_000 } };
  const bol = await startBolSandbox({ seed: 21, shipments: 200, clients: [a, b], limits, latencyMs: 10 });
  const prefix = `test.${randomSuffix()}`;
  const env = await set.setup({ queuePrefix: prefix });
  const h = crawlHarness(env, bol);
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await env.teardown();
    // The worker processes also declared their webhook delivery queues (boot/runtime.ts).
    await destroyRabbitTopology(TEST_AMQP_URL, `${prefix}.deliveries`).catch(() => {});
    await bol.close();
  });

  const database = (env.knex.client.config.connection as { database: string }).database;
  const dbUrl = new URL(TEST_DATABASE_URL);
  dbUrl.pathname = `/${database}`;
  const processEnv = {
    DATABASE_URL: dbUrl.toString(),
    AMQP_URL: TEST_AMQP_URL,
    QUEUE_PREFIX: prefix,
    API_TOKEN: 'x'.repeat(32),
    SECRETS_KEY: h.secretsKey,
    BOL_LOGIN_URL: bol.url,
    BOL_API_URL: bol.url,
    LOG_LEVEL: 'warn',
    WORKER_PREFETCH: '2',
    RATE_LIMIT_JITTER_MS: '150',
  };
  for (let i = 0; i < 3; i++) children.push(startWorkerProcess(processEnv));

  const shopA = await h.addShop(a);
  const shopB = await h.addShop(b);
  const runs = await Promise.all([h.startSync(shopA.id, 'initial'), h.startSync(shopB.id, 'initial')]);
  await h.waitForRun(runs[0]!.id, { until: (r) => r.records_upserted >= 60 });
  children[0]!.kill('SIGKILL');
  children.push(startWorkerProcess(processEnv));

  const done = await Promise.all(runs.map((r) => h.waitForRun(r.id, { timeoutMs: 150_000 })));
  t.deepEqual(done.map((r) => r.status), ['succeeded', 'succeeded'], done.map((r) => r.error).join(' / '));
  t.deepEqual(await h.storedPlatformIds(shopA.id), sandboxIds(bol));
  t.deepEqual(await h.storedPlatformIds(shopB.id), sandboxIds(bol));
  const dup = await env.knex('shipment_items').select('shipment_id', 'item_key').count({ n: '*' }).groupBy('shipment_id', 'item_key').having(env.knex.raw('count(*) > 1'));
  t.deepEqual(dup, [], 'no duplicated items');
  const stats = bol.stats();
  t.is(stats.tooManyRequests.total, 0);
  for (const c of [a, b]) t.true(stats.windows[c.clientId]!.detail.maxInWindow <= limits.detail.capacity);

  const survivor = children[1]!;
  const stopStartedAt = Date.now();
  survivor.kill('SIGTERM');
  const [code] = await once(survivor, 'exit');
  t.is(code, 0);
  t.true(Date.now() - stopStartedAt < 25_000);
});
