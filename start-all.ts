import type { Config } from './config/config.ts';
import { openRuntime, type Runtime } from './config/runtime.ts';
import { startWeb } from './api/server.ts';
import { createWorker, workerDepsFromConfig } from './crawler/create-worker.ts';
import { resumeActiveRuns } from './crawler/sync/resume-runs.ts';
import { resumeActiveImports } from './crawler/imports/resume-imports.ts';
import { createClock } from './scheduler/create-clock.ts';
import { buildSchedules } from './scheduler/schedules.ts';
import { restartTrackingChains } from './models/tracking-polls.ts';

export interface AllInOne {
  runtime: Runtime;
  url: string;
  stop(): Promise<void>;
}

/**
 * web + worker + clock in one process: `npm start` and the demo. Meant for the embedded defaults
 * (SQLite + in-process queue), but works on any config.
 */
export async function startAllInOne(config: Config): Promise<AllInOne> {
  const rt = await openRuntime(config, { name: 'shipsync', migrate: true });
  const worker = createWorker(workerDepsFromConfig(config, rt, rt.logger.child({ process: 'worker' })));

  await worker.start();
  if (!config.amqpUrl) {
    const resumed = await resumeActiveRuns(rt.knex, rt.queue);
    if (resumed > 0) rt.logger.info({ resumed }, 'resumed sync runs left unfinished by the last stop');
    const imports = await resumeActiveImports(rt.knex, rt.queue);
    if (imports > 0) rt.logger.info({ imports }, 'resumed imports left unfinished by the last stop');
    await restartTrackingChains(rt.knex, Date.now());
  }
  const web = await startWeb(
    { knex: rt.knex, queue: rt.queue, deliveryQueue: rt.deliveryQueue, secretBox: rt.secretBox, apiToken: rt.config.apiToken, bol: config.bol, logger: rt.logger.child({ process: 'web' }), webhooks: config.webhooks, imports: config.imports, phoneKeyDigits: config.phoneKeyDigits },
    config.port,
  );
  const clockLogger = rt.logger.child({ process: 'clock' });
  const clock = createClock({ knex: rt.knex, logger: clockLogger, schedules: buildSchedules({ knex: rt.knex, queue: rt.queue, logger: clockLogger, dhl: config.dhl }) });
  await clock.start();
  const address = web.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    runtime: rt,
    url: `http://localhost:${port}`,
    async stop() {
      await clock.stop();
      await web.close();
      await worker.stop(20_000);
      await rt.close();
    },
  };
}
