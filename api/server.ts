import path from 'node:path';
import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../boot/runtime.ts';
import { startWeb, webDepsFromConfig } from './create-web.ts';

/** The process exits by then whatever happens (Heroku-style routers send SIGKILL at 30 s). */
const EXIT_DEADLINE_MS = 25_000;

/** The `web` process: config, connections, listen on PORT, graceful shutdown on SIGTERM/SIGINT. */
const config = loadConfigOrExit();
// With MySQL the `release` process migrates; a local SQLite file has no release step.
const rt = await openRuntime(config, { name: 'web', migrate: !config.databaseUrl });
const web = await startWeb(webDepsFromConfig(rt.config, rt, rt.logger), config.port);
rt.logger.info({ port: web.port, database: config.databaseUrl ? 'mysql' : 'sqlite', queue: config.amqpUrl ? 'rabbitmq' : 'in-process' }, 'web listening');
if (rt.generatedApiToken) {
  // Printed for the person at the terminal, not logged: log lines travel further than a terminal.
  process.stdout.write(`\nAPI token (kept in ${path.join(config.dataDir, 'api-token')}):\n  curl -H "Authorization: Bearer ${rt.config.apiToken}" ${web.url}/shops\n\n`);
}
onShutdownSignal(
  rt.logger,
  async () => {
    await web.close();
    await rt.close();
    rt.logger.info('stopped');
  },
  EXIT_DEADLINE_MS,
);
