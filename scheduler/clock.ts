import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../boot/runtime.ts';
import { createClock } from './create-clock.ts';
import { clockDepsFromConfig } from './schedules.ts';

/** The `clock` process: claims each due fire and enqueues its work; never calls a provider. */
const config = loadConfigOrExit();
const rt = await openRuntime(config, { name: 'clock', deliveryQueue: false });
const clock = createClock(clockDepsFromConfig(config, rt, rt.logger));
await clock.start();
onShutdownSignal(rt.logger, async () => {
  await clock.stop();
  await rt.close();
});
