import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createLogger } from '../../config/logger.ts';
import { createWorker, type Worker, type WorkerDeps } from '../../crawler/create-worker.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import type { Consumer, Handler, Queue } from '../../lib/queue/port.ts';
import { createClock, type Clock, type Schedule } from '../../scheduler/create-clock.ts';
import { platformsFromEnv } from '../../crawler/connectors/platforms.ts';

/**
 * Controlled time for clock, worker and sandbox tests.
 *
 * `SimTime` is a clock that the test moves: `set(at)` jumps to `at`; between jumps it runs at the
 * wall clock's pace. So a test can step through six hours one simulated minute at a time, while
 * what happens inside a minute (a poll chain pacing calls per second, a sandbox counting them in
 * its 1 s window) still happens in real milliseconds. Everything that reads time (the clock's
 * `now`, the worker's `now`, the sandboxes' `clock`) gets `sim.now`.
 */
export class SimTime {
  private base: number;
  private realAt = Date.now();

  constructor(start: number) {
    this.base = start;
  }

  readonly now = (): number => this.base + (Date.now() - this.realAt);

  /** Jumps to `at`; never backwards (time that already passed stays passed). */
  set(at: number): number {
    const now = this.now();
    this.base = Math.max(at, now);
    this.realAt = Date.now();
    return this.base;
  }
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** The next whole UTC day from now (00:00), so budgets spread over the day start from zero. */
export function nextMidnightUtc(): number {
  return (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000;
}

export const silentLogger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * A queue that counts what goes through it: publishes per job name (with payloads) and jobs
 * still outstanding (published and not yet acked or dead-lettered: a delayed retry is still
 * outstanding). Wrap the adapter set's queue and hand this one to clocks and workers.
 */
export class CountingQueue implements Queue {
  readonly published: { name: string; payload: unknown }[] = [];
  outstanding = 0;

  constructor(private readonly inner: Queue) {}

  count(name: string): number {
    return this.published.filter((p) => p.name === name).length;
  }

  payloads<T>(name: string): T[] {
    return this.published.filter((p) => p.name === name).map((p) => p.payload as T);
  }

  async publish(name: string, payload: unknown, opts?: Parameters<Queue['publish']>[2]): Promise<void> {
    this.outstanding += 1;
    try {
      await this.inner.publish(name, payload, opts);
    } catch (err) {
      this.outstanding -= 1;
      throw err;
    }
    this.published.push({ name, payload });
  }

  consume(handler: Handler, opts: Parameters<Queue['consume']>[1]): Promise<Consumer> {
    return this.inner.consume(async (delivery) => {
      const outcome = await handler(delivery);
      if (outcome.kind !== 'retry') this.outstanding -= 1;
      return outcome;
    }, opts);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  countReady(): Promise<number> {
    return this.inner.countReady();
  }

  depth() {
    return this.inner.depth();
  }

  peekDeadLetters(max?: number) {
    return this.inner.peekDeadLetters(max);
  }

  /** The adapter set's teardown closes the real queue. */
  async close(): Promise<void> {}

  /** Resolves once every job published so far (and what they published) has finished. */
  async settled(timeoutMs = 30_000): Promise<void> {
    await waitFor(() => this.outstanding === 0, { timeoutMs, what: () => `${this.outstanding} jobs still outstanding` });
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, opts: { timeoutMs?: number; intervalMs?: number; what?: () => string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${opts.what?.() ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 5));
  }
}

export function testClock(knex: Knex, sim: SimTime, schedules: Schedule[]): Clock {
  return createClock({ knex, logger: silentLogger, schedules, now: sim.now });
}

/** Row counts, for assertions that read better than raw queries. */
export async function countRows(knex: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const row = (await knex(table).where(where).count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/**
 * A started worker on simulated time, with no bol shop behind it (its bol URLs lead nowhere):
 * for the clock's jobs (tracking polls, weather, expiry). `extra` adds what a test needs.
 */
export async function startSimWorker(knex: Knex, queue: Queue, sim: SimTime, extra: Partial<WorkerDeps> = {}): Promise<Worker> {
  const worker = createWorker({
    knex,
    queue,
    secretBox: createSecretBox(randomBytes(32).toString('base64')),
    logger: silentLogger,
    platforms: platformsFromEnv({ BOL_LOGIN_URL: 'http://127.0.0.1:9', BOL_API_URL: 'http://127.0.0.1:9' }),
    rateMargin: { ratio: 0.03, jitterMs: 20 },
    prefetch: 2,
    now: sim.now,
    ...extra,
  });
  await worker.start();
  return worker;
}
