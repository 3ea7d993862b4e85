import type { Config } from './config/config.ts';
import { openRuntime, type Runtime } from './boot/runtime.ts';
import { startWeb, webDepsFromConfig } from './api/create-web.ts';
import { createWorker, workerDepsFromConfig } from './crawler/create-worker.ts';
import { resumeActiveRuns } from './crawler/sync/resume-runs.ts';
import { resumeActiveImports } from './crawler/imports/resume-imports.ts';
import { resumeActiveDeletions } from './crawler/deletions/start-deletion.ts';
import { createClock } from './scheduler/create-clock.ts';
import { clockDepsFromConfig } from './scheduler/schedules.ts';
import { restartTrackingChains } from './models/tracking-polls.ts';

export interface AllInOne {
  runtime: Runtime;
  url: string;
  stop(): Promise<void>;
}

/**
 * web + worker + clock in one process: `npm start` and the demo. Meant for the embedded defaults
 * (SQLite + in-process queue), but works on any config. Each part is built by the same factory
 * as its own process (api/server.ts, crawler/worker.ts, scheduler/clock.ts), on one runtime.
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
    const deletions = await resumeActiveDeletions(rt.knex, rt.queue);
    if (deletions > 0) rt.logger.info({ deletions }, 'resumed deletions left unfinished by the last stop');
    await restartTrackingChains(rt.knex, Date.now());
  }
  const web = await startWeb(webDepsFromConfig(rt.config, rt, rt.logger.child({ process: 'web' })), config.port);
  const clock = createClock(clockDepsFromConfig(config, rt, rt.logger.child({ process: 'clock' })));
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
