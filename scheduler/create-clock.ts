import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import cron, { type ScheduledTask } from 'node-cron';
import { retryOnLockConflict } from '../models/db.ts';
import type { Logger } from '../config/logger.ts';
import { claimFire, lastClaimedFire } from '../models/clock-fires.ts';

/**
 * The clock only enqueues, never calls a provider. Terminology:
 * - schedule: a named piece of work that is due every `everyMinutes` minutes, aligned to the
 *   epoch in UTC (plus `offsetMinutes`), declared in scheduler/schedules.ts;
 * - fire: one due time of one schedule. A fire runs once across every clock: it is claimed by
 *   inserting its (schedule, due time) row into `clock_fires`, and a clock that loses the insert
 *   (a second clock started by mistake, or one catching up) skips it;
 * - tick: one look at the time: every schedule whose next due time has come fires. node-cron
 *   ticks once a minute in production; tests call `tick(at)` with the instant they want.
 * - catch-up: at start a schedule fires the due times it missed while no clock ran, at most
 *   `catchUp` of them (the most recent), within the last `catchUpWindowMs`.
 */
export interface Schedule {
  name: string;
  everyMinutes: number;
  offsetMinutes?: number;
  /** How many missed fires to run at start (the most recent ones); default 1. */
  catchUp?: number;
  fire(ctx: FireContext): Promise<void>;
}

export interface FireContext {
  /** The due time of this fire (epoch ms). */
  dueAt: number;
  /** The clock's now, when the fire runs (later than dueAt when catching up). */
  now: number;
  clockId: string;
  logger: Logger;
}

export interface FireRecord {
  schedule: string;
  dueAt: number;
  /** false: another clock had claimed this fire. */
  claimed: boolean;
  error?: unknown;
}

export interface Clock {
  readonly id: string;
  /** Catches up on missed fires, then ticks every minute (node-cron, UTC). */
  start(): Promise<void>;
  /** Stops ticking and waits for a tick in progress. */
  stop(): Promise<void>;
  /** Fires every schedule due at `at` (default: now) that has not fired yet. Ticks never overlap. */
  tick(at?: number): Promise<FireRecord[]>;
}

export interface ClockDeps {
  knex: Knex;
  logger: Logger;
  schedules: Schedule[];
  /** Epoch ms; tests pass a controlled time. */
  now?: () => number;
  /** How far back catch-up looks (default 24 h). */
  catchUpWindowMs?: number;
}

const MINUTE_MS = 60_000;
/** Runs of a fire that keeps losing lock conflicts before it counts as failed. */
const FIRE_ATTEMPTS_ON_LOCK_CONFLICT = 3;

/** The latest due time of `s` at or before `at`. */
export function latestDueAt(s: Pick<Schedule, 'everyMinutes' | 'offsetMinutes'>, at: number): number {
  const every = s.everyMinutes * MINUTE_MS;
  const offset = (s.offsetMinutes ?? 0) * MINUTE_MS;
  return Math.floor((at - offset) / every) * every + offset;
}

export function createClock(deps: ClockDeps): Clock {
  const now = deps.now ?? Date.now;
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`.slice(0, 64);
  const logger = deps.logger.child({ clock_id: id });
  const catchUpWindowMs = deps.catchUpWindowMs ?? 24 * 3_600_000;
  for (const s of deps.schedules) {
    if (!Number.isInteger(s.everyMinutes) || s.everyMinutes < 1) throw new RangeError(`schedule ${s.name}: everyMinutes must be a whole number ≥ 1`);
  }
  /** The last due time this clock has evaluated, per schedule (undefined until its first tick). */
  const evaluated = new Map<string, number>();
  let task: ScheduledTask | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function dueTimes(s: Schedule, at: number): Promise<number[]> {
    const latest = latestDueAt(s, at);
    let since = evaluated.get(s.name);
    if (since === undefined) {
      // First look since this clock started: catch up from the last fire any clock claimed.
      const last = await lastClaimedFire(deps.knex, s.name);
      since = Math.max(last ?? -Infinity, at - catchUpWindowMs);
    }
    const out: number[] = [];
    const step = s.everyMinutes * MINUTE_MS;
    const max = Math.max(1, s.catchUp ?? 1);
    for (let due = latest; due > since && out.length < max; due -= step) out.unshift(due);
    return out;
  }

  async function tickOnce(at: number): Promise<FireRecord[]> {
    const records: FireRecord[] = [];
    for (const s of deps.schedules) {
      let dues: number[];
      try {
        dues = await dueTimes(s, at);
      } catch (err) {
        logger.error({ err, schedule: s.name }, 'could not read the schedule\'s last fire');
        continue;
      }
      for (const dueAt of dues) {
        const record: FireRecord = { schedule: s.name, dueAt, claimed: false };
        records.push(record);
        try {
          record.claimed = await claimFire(deps.knex, { schedule: s.name, dueAt, clockId: id, now: now() });
          evaluated.set(s.name, dueAt);
          if (!record.claimed) continue;
          // Every fire can run again from the state it finds, so one that lost a lock conflict
          // with a worker's transaction (MySQL: "try restarting transaction") simply does.
          await retryOnLockConflict(() => s.fire({ dueAt, now: now(), clockId: id, logger: logger.child({ schedule: s.name }) }), {
            attempts: FIRE_ATTEMPTS_ON_LOCK_CONFLICT,
            onConflict: (err, attempt) => logger.warn({ err, schedule: s.name, attempt }, 'schedule fire lost a lock conflict; running it again'),
          });
        } catch (err) {
          // Otherwise a fire that failed after its claim is not retried: the next one of the
          // schedule does the same work from the state it finds (every fire is written that way).
          record.error = err;
          logger.error({ err, schedule: s.name, due_at: new Date(dueAt).toISOString() }, 'schedule fire failed');
        }
      }
    }
    return records;
  }

  return {
    id,
    tick(at = now()) {
      const result = running.then(() => tickOnce(at));
      running = result.catch(() => undefined);
      return result;
    },
    async start() {
      await this.tick();
      task = cron.schedule(
        '* * * * *',
        () => {
          this.tick().catch((err: unknown) => logger.error({ err }, 'clock tick failed'));
        },
        { timezone: 'UTC', name: 'shipsync-clock', noOverlap: true },
      );
      logger.info({ schedules: deps.schedules.map((s) => `${s.name} every ${s.everyMinutes} min`) }, 'clock started');
    },
    async stop() {
      await task?.stop();
      task = undefined;
      await running;
    },
  };
}
