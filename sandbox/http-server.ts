/**
 * Starting and stopping a simulator's node:http server. Every simulator serves the same way:
 * long keep-alive, a 500 when a handler throws, bind to host:port, close without waiting for
 * idle sockets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { baseUrl, writeReply, type Reply } from './http.ts';

export interface ListenOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningServer {
  /** The http://host:port a client should use. */
  url: string;
  /** Stops listening and drops open connections; resolves once the server is closed. */
  close(): Promise<void>;
}

/** A server that runs `handle` per request and answers `failure(err)` when it throws. */
export function createSandboxServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  failure: (err: unknown) => Reply,
): Server {
  // Idle keep-alive connections stay open as long as a production load balancer keeps them
  // (Node's 5 s default races clients that reuse a socket just as it closes, which shows up as a
  // reset and a retried request the provider never caused).
  return createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => writeReply(res, failure(err)));
  });
}

/** Binds `server`, rejecting on a listen error (port in use…) instead of leaving it unhandled. */
export async function listen(server: Server, opts: ListenOptions): Promise<string> {
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return baseUrl(host, (server.address() as AddressInfo).port);
}

/** Closes `server` now: keep-alive sockets would otherwise hold close() for up to 65 s. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** createSandboxServer + listen: what every simulator's start function needs. */
export async function startHttpServer(
  opts: ListenOptions,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  failure: (err: unknown) => Reply,
): Promise<RunningServer> {
  const server = createSandboxServer(handle, failure);
  const url = await listen(server, opts);
  return { url, close: () => closeServer(server) };
}
