import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createKnex, type Dialect } from '../../models/db.ts';
import { migrateLatest } from '../../migrations/index.ts';
import { pacedPrefix } from '../../lib/queue/index.ts';
import { isLanedQueue } from '../../lib/queue/lanes.ts';
import { openJobQueue } from '../../crawler/jobs.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { destroyRabbitTopology } from '../../lib/queue/rabbitmq.ts';

/**
 * The two adapter sets every integration suite runs on (shared/STYLE.md, "Tests"): MySQL +
 * RabbitMQ, the production pair, and SQLite + the in-process queue, the embedded defaults.
 * Each `setup()` makes a fresh, migrated database and a queue nobody else uses (a random
 * RabbitMQ prefix), and its `teardown()` removes both.
 *
 *   eachAdapterSet((set) => {
 *     test(`${set.name}: something a user notices`, async (t) => { const env = await set.setup(); ... });
 *   });
 */

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface AdapterEnv {
  knex: Knex;
  queue: Queue;
  dialect: Dialect;
  /** Closes the connections and deletes the database and the queue topology. Safe to call twice. */
  teardown(): Promise<void>;
}

export interface AdapterSet {
  name: 'mysql+rabbitmq' | 'sqlite+in-process';
  dialect: Dialect;
  setup(opts?: { queuePrefix?: string }): Promise<AdapterEnv>;
}

export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

async function setupMysqlRabbit(opts: { queuePrefix?: string } = {}): Promise<AdapterEnv> {
  const dbName = `shipsync_test_${randomSuffix()}`;
  const serverUrl = new URL(TEST_DATABASE_URL);
  serverUrl.pathname = '/';
  const admin = createKnex({ databaseUrl: serverUrl.toString(), poolMax: 1 });
  let knex: Knex | undefined;
  let queue: Queue | undefined;
  const prefix = opts.queuePrefix ?? `test.${randomSuffix()}`;
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    await knex?.destroy().catch(() => {});
    if (queue) {
      await queue.close().catch(() => {});
      await deleteQueueTopology(queue, prefix).catch(() => {});
    }
    await admin.raw('DROP DATABASE IF EXISTS ??', [dbName]).catch(() => {});
    await admin.destroy().catch(() => {});
  };
  try {
    await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4', [dbName]);
    const dbUrl = new URL(TEST_DATABASE_URL);
    dbUrl.pathname = `/${dbName}`;
    knex = createKnex({ databaseUrl: dbUrl.toString() });
    await migrateLatest(knex);
    queue = await openJobQueue({ amqpUrl: TEST_AMQP_URL, prefix });
    return { knex, queue, dialect: 'mysql', teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** The RabbitMQ adapter can delete what it declared, delay queues included; the helper covers the rest. */
async function deleteQueueTopology(queue: Queue, prefix: string): Promise<void> {
  if (isLanedQueue(queue)) {
    await deleteQueueTopology(queue.lanes.working, prefix);
    await deleteQueueTopology(queue.lanes.paced, pacedPrefix(prefix));
    return;
  }
  const withTopology = queue as Queue & { deleteTopology?: () => Promise<void> };
  if (typeof withTopology.deleteTopology === 'function') await withTopology.deleteTopology();
  else await destroyRabbitTopology(TEST_AMQP_URL, prefix);
}

async function setupSqliteInProcess(): Promise<AdapterEnv> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipsync-test-'));
  const knex = createKnex({ sqliteFile: path.join(dir, 'shipsync.sqlite') });
  let queue: Queue | undefined;
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    await queue?.close().catch(() => {});
    await knex.destroy().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await migrateLatest(knex);
    queue = await openJobQueue({});
    return { knex, queue, dialect: 'sqlite', teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}

export const ADAPTER_SETS: readonly AdapterSet[] = [
  { name: 'mysql+rabbitmq', dialect: 'mysql', setup: setupMysqlRabbit },
  { name: 'sqlite+in-process', dialect: 'sqlite', setup: () => setupSqliteInProcess() },
];

/** Registers a file's tests once per adapter set; put `set.name` in every title. */
export function eachAdapterSet(register: (set: AdapterSet) => void): void {
  for (const set of ADAPTER_SETS) register(set);
}
