import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../config/logger.ts';

/**
 * The clock only enqueues, never crawls. Its schedules (periodic syncs, tracking polls,
 * weather) are declared in `schedules` and each fire is claimed before it enqueues; for now the
 * list holds only a heartbeat so operators can see the process is alive.
 */
export interface Schedule {
  name: string;
  /** node-cron expression, UTC. */
  cron: string;
  fire(at: Date): Promise<void>;
}

export interface Clock {
  start(): void;
  stop(): Promise<void>;
}

export function createClock(deps: { logger: Logger; schedules?: Schedule[] }): Clock {
  const schedules: Schedule[] = deps.schedules ?? [
    { name: 'heartbeat', cron: '*/5 * * * *', fire: async (at) => deps.logger.info({ at: at.toISOString() }, 'clock heartbeat') },
  ];
  const tasks: ScheduledTask[] = [];
  return {
    start() {
      for (const s of schedules) {
        tasks.push(
          cron.schedule(
            s.cron,
            (ctx) => {
              s.fire(ctx.date).catch((err: unknown) => deps.logger.error({ err, schedule: s.name }, 'schedule fire failed'));
            },
            { timezone: 'UTC', name: s.name, noOverlap: true },
          ),
        );
      }
      deps.logger.info({ schedules: schedules.map((s) => s.name) }, 'clock started');
    },
    async stop() {
      for (const t of tasks) await t.stop();
    },
  };
}
