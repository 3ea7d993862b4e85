import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../boot/runtime.ts';
import { createClock } from './create-clock.ts';
import { clockDepsFromConfig } from './schedules.ts';
import { startMetricsListener } from '../boot/metrics-listener.ts';

/** The `clock` process: claims each due fire and enqueues its work; never calls a provider. */
const config = loadConfigOrExit();
const rt = await openRuntime(config, { name: 'clock', deliveryQueue: false });
const clock = createClock(clockDepsFromConfig(config, rt, rt.logger));
await clock.start();
const metrics = config.metricsPort === undefined ? undefined : await startMetricsListener({ port: config.metricsPort, apiToken: rt.config.apiToken, metricsToken: config.metricsToken, queues: { queue: rt.queue }, logger: rt.logger });
onShutdownSignal(rt.logger, async () => {
  await clock.stop();
  await metrics?.close();
  await rt.close();
});
