import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.ts';
import type { Logger } from '../config/logger.ts';
import { connectionsOf, type Connections } from '../boot/connections.ts';
import { createApp, stopStreams } from './app.ts';
import type { ApiDeps } from './context.ts';
import { watchQueues } from '../boot/metrics-listener.ts';

/** In-flight requests get this long to finish on shutdown before their connections are cut. */
const DRAIN_MS = 20_000;

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
  const unwatch = watchQueues(deps);
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
          unwatch();
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** The web's deps as a process root builds them from its config and runtime. */
export function webDepsFromConfig(
  config: Config & { apiToken: string },
  rt: Connections,
  logger: Logger,
): ApiDeps {
  return {
    ...connectionsOf(rt),
    apiToken: config.apiToken,
    metricsToken: config.metricsToken,
    platforms: config.platforms,
    logger,
    webhooks: config.webhooks,
    imports: config.imports,
    phoneKeyDigits: config.phoneKeyDigits,
  };
}
