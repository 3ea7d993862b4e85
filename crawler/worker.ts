import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../config/runtime.ts';
import { createWorker } from './create-worker.ts';

/** The `worker` process: consumes jobs until SIGTERM. Run as many as needed. */
const config = loadConfigOrExit();
const rt = await openRuntime(config, { name: 'worker' });
const worker = createWorker({
  knex: rt.knex,
  queue: rt.queue,
  secretBox: rt.secretBox,
  logger: rt.logger,
  bol: config.bol,
  rateMargin: config.rateMargin,
  prefetch: config.workerPrefetch,
  retryPolicy: { maxAttempts: config.jobMaxAttempts },
  webhooks: config.webhooks,
  imports: { batchRows: config.imports.batchRows, settings: { phoneKeyDigits: config.imports.phoneKeyDigits } },
  dhl: config.dhl,
  weather: config.weather,
});
await worker.start();
rt.logger.info({ prefetch: config.workerPrefetch }, 'worker consuming jobs');
onShutdownSignal(rt.logger, async () => {
  await worker.stop(20_000);
  await rt.close();
});
