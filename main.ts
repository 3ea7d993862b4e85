import { loadConfigOrExit } from './config/boot.ts';
import { onShutdownSignal } from './boot/runtime.ts';
import { startAllInOne } from './start-all.ts';

/** `npm start`: every process in one, on the embedded defaults unless DATABASE_URL / AMQP_URL say otherwise. */
const config = loadConfigOrExit();
const app = await startAllInOne(config);
const { logger } = app.runtime;
logger.info({ url: app.url, database: config.databaseUrl ? 'mysql' : 'sqlite', queue: config.amqpUrl ? 'rabbitmq' : 'in-process' }, 'shipsync is running');
if (app.runtime.generatedApiToken) {
  process.stdout.write(`\nAPI token (kept in ${config.dataDir}/api-token): ${app.runtime.config.apiToken}\n  curl -H "Authorization: Bearer ${app.runtime.config.apiToken}" ${app.url}/shops\n\n`);
}
onShutdownSignal(logger, () => app.stop());
