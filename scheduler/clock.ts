import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../config/runtime.ts';
import { createClock } from './create-clock.ts';
import { buildSchedules } from './schedules.ts';

/** The `clock` process: claims each due fire and enqueues its work; never calls a provider. */
const config = loadConfigOrExit();
const rt = await openRuntime(config, { name: 'clock', deliveryQueue: false });
const clock = createClock({
  knex: rt.knex,
  logger: rt.logger,
  schedules: buildSchedules({ knex: rt.knex, queue: rt.queue, logger: rt.logger, dhl: config.dhl }),
});
await clock.start();
onShutdownSignal(rt.logger, async () => {
  await clock.stop();
  await rt.close();
});
