import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../boot/runtime.ts';
import { createWorker, workerDepsFromConfig } from './create-worker.ts';

/** The `worker` process: consumes jobs until SIGTERM. Run as many as needed. */
const config = loadConfigOrExit();
const rt = await openRuntime(config, { name: 'worker' });
const worker = createWorker(workerDepsFromConfig(config, rt, rt.logger));
await worker.start();
rt.logger.info({ prefetch: config.workerPrefetch, paced_jobs: config.workerPacedJobs }, 'worker consuming jobs');
onShutdownSignal(rt.logger, async () => {
  await worker.stop(20_000);
  await rt.close();
});
