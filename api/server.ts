import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../config/boot.ts';
import { onShutdownSignal, openRuntime } from '../config/runtime.ts';
import { createApp, stopStreams } from './app.ts';
import type { ApiDeps } from './context.ts';

/** In-flight requests get this long to finish on shutdown before their connections are cut. */
const DRAIN_MS = 20_000;
/** The process exits by then whatever happens (Heroku-style routers send SIGKILL at 30 s). */
const EXIT_DEADLINE_MS = 25_000;

export interface WebHandle {
  server: Server;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Stops accepting, ends event streams, lets in-flight requests finish (at most `drainMs`), closes. Leaves the deps open. */
  close(drainMs?: number): Promise<void>;
}

/** Serves the API on `port` (0: any free port) with the caller's deps: the web root, the all-in-one root and tests. */
export async function startWeb(deps: ApiDeps, port: number): Promise<WebHandle> {
  const app = createApp(deps);
  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close(drainMs = DRAIN_MS) {
      closing ??= new Promise<void>((resolve) => {
        stopStreams(app);
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** The `web` process: config, connections, listen on PORT, graceful shutdown on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // With MySQL the `release` process migrates; a local SQLite file has no release step.
  const rt = await openRuntime(config, { name: 'web', migrate: !config.databaseUrl });
  const web = await startWeb(
    { knex: rt.knex, queue: rt.queue, deliveryQueue: rt.deliveryQueue, secretBox: rt.secretBox, apiToken: rt.config.apiToken, bol: { loginUrl: config.bol.loginUrl }, logger: rt.logger, webhooks: config.webhooks, imports: config.imports, phoneKeyDigits: config.phoneKeyDigits },
    config.port,
  );
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
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
