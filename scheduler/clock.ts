import { loadConfigOrExit } from '../config/boot.ts';
import { createLogger } from '../config/logger.ts';
import { onShutdownSignal } from '../config/runtime.ts';
import { createClock } from './create-clock.ts';

/** The `clock` process. */
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'clock' });
const clock = createClock({ logger });
clock.start();
onShutdownSignal(logger, () => clock.stop());
