import type { Config } from './config/config.ts';
import { openRuntime, type Runtime } from './config/runtime.ts';
import { startWeb } from './api/server.ts';
import { createWorker } from './crawler/create-worker.ts';
import { resumeActiveRuns } from './crawler/sync/resume-runs.ts';
import { createClock } from './scheduler/create-clock.ts';

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
  const worker = createWorker({
    knex: rt.knex,
    queue: rt.queue,
    secretBox: rt.secretBox,
    logger: rt.logger.child({ process: 'worker' }),
    bol: config.bol,
    rateMargin: config.rateMargin,
    prefetch: config.workerPrefetch,
    retryPolicy: { maxAttempts: config.jobMaxAttempts },
  });
  await worker.start();
  if (!config.amqpUrl) {
    const resumed = await resumeActiveRuns(rt.knex, rt.queue);
    if (resumed > 0) rt.logger.info({ resumed }, 'resumed sync runs left unfinished by the last stop');
  }
  const web = await startWeb(
    { knex: rt.knex, queue: rt.queue, secretBox: rt.secretBox, apiToken: rt.config.apiToken, bol: config.bol, logger: rt.logger.child({ process: 'web' }) },
    config.port,
  );
  const clock = createClock({ logger: rt.logger.child({ process: 'clock' }) });
  clock.start();
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
