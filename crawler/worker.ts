import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../boot/runtime.ts';
import { createWorker, workerDepsFromConfig } from './create-worker.ts';
import { startMetricsListener } from '../boot/metrics-listener.ts';

/** The `worker` process: consumes jobs until SIGTERM. Run as many as needed. */
const config = loadConfigOrExit();
const rt = await openRuntime(config, { name: 'worker' });
const worker = createWorker(workerDepsFromConfig(config, rt, rt.logger));
await worker.start();
rt.logger.info({ prefetch: config.workerPrefetch, paced_jobs: config.workerPacedJobs }, 'worker consuming jobs');
const metrics = config.metricsPort === undefined ? undefined : await startMetricsListener({ port: config.metricsPort, apiToken: rt.config.apiToken, metricsToken: config.metricsToken, queues: { queue: rt.queue, deliveryQueue: rt.deliveryQueue }, logger: rt.logger });
onShutdownSignal(rt.logger, async () => {
  await worker.stop(20_000);
  await metrics?.close();
  await rt.close();
});
