/**
 * What the benchmarks share: a throw-away MySQL database, a free port, the app's processes run as
 * the Procfile runs them, and their memory as /proc tells it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { createKnex } from '../models/db.ts';
import { migrateLatest } from '../migrations/index.ts';
import { SyncRun } from '../models/sync-runs.ts';
import type { RateRule } from '../lib/rate-limiter.ts';
import type { BolSandbox } from '../sandbox/bol/index.ts';
import { pacedPrefix } from '../lib/queue/index.ts';
import { destroyRabbitTopology } from '../lib/queue/rabbitmq.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchDatabase {
  /** `shipsync_bench_<random>`. */
  name: string;
  /** `databaseUrl` with the new database as its path. */
  url: string;
  /** Open on the new database, migrated. */
  knex: Knex;
  /** Drops the database and closes `knex`. */
  drop(): Promise<void>;
}

/** A new, migrated database `shipsync_bench_<random>` on the MySQL server of `databaseUrl`. */
export async function createBenchDatabase(databaseUrl: string): Promise<BenchDatabase> {
  const name = `shipsync_bench_${randomUUID().slice(0, 8)}`;
  const admin = knexFactory({ client: 'mysql2', connection: databaseUrl });
  try {
    await admin.raw(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  } finally {
    await admin.destroy();
  }
  const u = new URL(databaseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const knex = createKnex({ databaseUrl: url });
  await migrateLatest(knex);
  return {
    name,
    url,
    knex,
    async drop() {
      await knex.raw(`DROP DATABASE ${name}`);
      await knex.destroy();
    },
  };
}

/** A TCP port nothing listens on at the moment, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The Procfile's `name` process (`web`, `worker`, ...) with its command's own Node flags, in a
 * process of its own, with this process's env and `env` over it. `nodeArgs` go after the
 * Procfile's flags and before the script: a flag there wins over the Procfile's (Node takes the
 * last), where the same flag in NODE_OPTIONS would lose to it.
 */
export function spawnProcfileProcess(name: string, env: Record<string, string>, stdout: 'inherit' | 'ignore' = 'inherit', nodeArgs: string[] = []): ChildProcess {
  const line = readFileSync(path.join(root, 'Procfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [command, ...args] = (line?.slice(name.length + 1).trim() ?? '').split(/\s+/);
  if (command !== 'node' || args.length === 0) throw new Error(`the Procfile has no "${name}: node …" line`);
  const script = args.pop()!;
  return spawn(process.execPath, [...args, ...nodeArgs, script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] });
}

/** Runs `script` (a path from the repository's root) with tsx in a process of its own, with this process's env and `env` over it. */
export function spawnProcess(script: string, env: Record<string, string>, stdout: 'inherit' | 'ignore' = 'inherit'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] });
}

/** Waits (up to 30 s) until `${url}/health` answers 200; throws when `child`, the process behind it, exits first. */
export async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const what = child.spawnargs.at(-1);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then((res) => res.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start (no 200 from ${url}/health in 30 s)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends SIGTERM to `child` and waits until it has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The pid of a process on this machine whose command name is one of `names` (a local database server, the broker), if any. */
export function findLocalProcess(names: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) return Number(entry);
    } catch {
      // Exited while we looked.
    }
  }
  return undefined;
}

/** CPU seconds a process has used (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The middle value of `xs` (the upper one of an even count). */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/**
 * A limit as `capacity/windowMs` (e.g. `250/10000`) from the env variable `name`, else `fallback`.
 * A malformed value stops the benchmark: a NaN limit would pace nothing and the figures would lie.
 */
export function parseLimit(name: string, fallback: string): RateRule {
  const value = process.env[name] ?? fallback;
  const parts = value.split('/');
  const [capacity, windowMs] = parts.map(Number);
  if (parts.length !== 2 || !Number.isInteger(capacity) || capacity! <= 0 || !Number.isInteger(windowMs) || windowMs! <= 0) {
    throw new Error(`${name} must be capacity/windowMs in positive whole numbers, e.g. ${fallback}; got "${value}"`);
  }
  return { capacity: capacity!, windowMs: windowMs! };
}

/** The list pages a bol crawl of `sandbox` needs: every page of each fulfilment method up to and including the short (or empty) last one. */
export function listPagesNeeded(sandbox: BolSandbox): number {
  const byMethod = { FBR: 0, FBB: 0 };
  for (const s of sandbox.shipments) byMethod[s.fulfilmentMethod] += 1;
  return Object.values(byMethod).reduce((sum, n) => sum + Math.floor(n / 50) + 1, 0);
}

/** A process's resident memory now (VmRSS), in MB. */
export const rssMb = (pid: number) => statusMb(pid, 'VmRSS');

/** A process's peak resident memory over its life (VmHWM), in MB. */
export const peakRssMb = (pid: number) => statusMb(pid, 'VmHWM');

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
}

/** The sync run once it has ended, read every 100 ms. */
export async function waitForRunEnd(knex: Knex, id: number): Promise<SyncRun> {
  for (;;) {
    const run = (await SyncRun.query(knex).findById(id))!;
    if (run.status === 'succeeded' || run.status === 'failed') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Where a crawl benchmark stores: MySQL when `databaseUrl` is set (a throw-away database), else a SQLite file in a temporary folder. */
export interface BenchStore {
  knex: Knex;
  /** `MySQL` or `SQLite`. */
  label: string;
  /** Drops the database (or the folder) and closes `knex`. */
  close(): Promise<void>;
}

export async function openBenchStore(databaseUrl: string | undefined): Promise<BenchStore> {
  if (databaseUrl) {
    const db = await createBenchDatabase(databaseUrl);
    return { knex: db.knex, label: 'MySQL', close: () => db.drop() };
  }
  const tmp = mkdtempSync(path.join(tmpdir(), 'shipsync-bench-'));
  const knex = createKnex({ sqliteFile: path.join(tmp, 'bench.sqlite') });
  await migrateLatest(knex);
  return {
    knex,
    label: 'SQLite',
    async close() {
      await knex.destroy();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Deletes a bench's broker queues under `prefix`: the job queue's two lanes and the delivery queue. */
export async function destroyBenchTopology(amqpUrl: string, prefix: string): Promise<void> {
  for (const name of [prefix, pacedPrefix(prefix), `${prefix}.deliveries`]) await destroyRabbitTopology(amqpUrl, name).catch(() => undefined);
}
