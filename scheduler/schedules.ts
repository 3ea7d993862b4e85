import type { Knex } from 'knex';
import type { Logger } from '../config/logger.ts';
import type { Queue } from '../lib/queue/port.ts';
import { enqueue } from '../crawler/jobs.ts';
import { CARRIER_CONNECTOR_NAMES, carrierConnector, type CarrierSettings } from '../crawler/connectors/carriers.ts';
import type { ClockDeps, Schedule } from './create-clock.ts';
import type { Config } from '../config/config.ts';
import type { Connections } from '../boot/connections.ts';
import { planTracking } from './plan-tracking.ts';
import { planWeather } from './plan-weather.ts';
import { sweepStalledChains } from './sweep-stalled-chains.ts';
import { syncDueShops } from './sync-shops.ts';

export interface ScheduleDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  /** Carrier connectors' settings (config.carriers); one whose connector is not configured (no API key) gets no plan. */
  carriers?: Partial<CarrierSettings>;
  /** Weather; off when false (default on). */
  weather?: boolean;
  /** A running poll chain silent this long is restarted (default 10 min). */
  staleChainMs?: number;
  /** A sync run or import that has not moved this long gets its step published again (default 30 min). */
  stalledAfterMs?: number;
  /** RETENTION_DAYS: delivered events, delivery logs and clock fires older than this are pruned (default 30). */
  retentionDays?: number;
}

const DAY_MS = 86_400_000;
/**
 * Failed delivery attempts are kept this many times the retention: they are what someone looks
 * for when a receiver says it missed events.
 */
export const FAILED_DELIVERY_RETENTION_FACTOR = 3;

/**
 * Every schedule of the clock. Each fire only plans and enqueues: provider calls happen in the
 * jobs it publishes (tracking.poll, weather.fetch, sync.page, import.batch, shipments.expire).
 */
export function buildSchedules(deps: ScheduleDeps): Schedule[] {
  const schedules: Schedule[] = [
    {
      name: 'shops.sync',
      everyMinutes: 1,
      fire: async (ctx) => void (await syncDueShops({ knex: deps.knex, queue: deps.queue, logger: ctx.logger, clockId: ctx.clockId }, ctx.now)),
    },
  ];
  for (const name of CARRIER_CONNECTOR_NAMES) {
    const settings = deps.carriers?.[name];
    const connector = carrierConnector(name);
    if (!settings || !connector.isConfigured(settings)) continue;
    const { callsPerSecond, callsPerDay } = connector.limitsOf(settings);
    schedules.push({
      name: `tracking.plan.${name}`,
      everyMinutes: 1,
      fire: async (ctx) =>
        void (await planTracking({ knex: deps.knex, queue: deps.queue, logger: ctx.logger, carrier: name, callsPerSecond, callsPerDay, staleChainMs: deps.staleChainMs }, ctx.now)),
    });
  }
  if (deps.weather !== false) {
    schedules.push({ name: 'weather.plan', everyMinutes: 1, fire: async (ctx) => void (await planWeather({ knex: deps.knex, queue: deps.queue, logger: ctx.logger }, ctx.now)) });
  }
  schedules.push(
    // Hourly at :17, away from the top of the hour when everything else happens.
    { name: 'shipments.expire', everyMinutes: 60, offsetMinutes: 17, fire: (ctx) => enqueue(deps.queue, 'shipments.expire', { due_at: ctx.dueAt }) },
    {
      name: 'chains.sweep',
      everyMinutes: 5,
      offsetMinutes: 2,
      fire: async (ctx) => void (await sweepStalledChains({ knex: deps.knex, queue: deps.queue, logger: ctx.logger, stalledAfterMs: deps.stalledAfterMs }, ctx.now)),
    },
    {
      // Hourly, so each run has one hour's worth of rows to remove, in small batches on a worker.
      name: 'tables.prune',
      everyMinutes: 60,
      offsetMinutes: 41,
      fire: (ctx) => {
        const retentionMs = (deps.retentionDays ?? 30) * DAY_MS;
        return enqueue(deps.queue, 'tables.prune', { before: ctx.now - retentionMs, failed_before: ctx.now - FAILED_DELIVERY_RETENTION_FACTOR * retentionMs });
      },
    },
  );
  return schedules;
}

/** The clock's deps as a process root builds them from its config and runtime: every schedule on the config's settings. */
export function clockDepsFromConfig(config: Config, rt: Pick<Connections, 'knex' | 'queue'>, logger: Logger): ClockDeps {
  return { knex: rt.knex, logger, schedules: buildSchedules({ knex: rt.knex, queue: rt.queue, logger, carriers: config.carriers, retentionDays: config.retentionDays }) };
}
