import { createServer, connect, type Server, type Socket } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import { knexConfig } from '../../models/db.ts';
import { TEST_DATABASE_URL } from './adapters.ts';

/** How a cut commit ends: the COMMIT never reaches the server (rolled back), or it does and its answer never comes back (committed). */
export type CommitCut = 'before-commit' | 'after-commit';

/**
 * A TCP hop to MariaDB that can refuse new connections for a while, as a restarting server does,
 * and can break the connection of the next transaction that sends a given statement, at its COMMIT.
 */
export interface DatabaseHop {
  port: number;
  /** Closes the listening port for `ms`, as a restarting server does; connections open stay open. */
  refuseFor(ms: number): Promise<void>;
  /**
   * Resolves once the next transaction whose statements include `statement` (as sent, e.g.
   * ``insert into `shipments` (``) had its connection broken at its COMMIT.
   */
  cutNextCommitOf(statement: string, how: CommitCut): Promise<void>;
  /**
   * The same for a statement sent outside a transaction (autocommit: the statement is its own
   * commit): it never reaches the server, or it does and its answer is lost.
   */
  cutNextAutocommit(statement: string, how: CommitCut): Promise<void>;
  close(): Promise<void>;
}

export async function startDatabaseHop(target: URL): Promise<DatabaseHop> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let cut: { statement: Buffer; how: CommitCut; autocommit: boolean; done: () => void } | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 3306), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        // Forwarded by hand, not piped, so a cut can hold back the server's answer to a COMMIT.
        let marked = false;
        let cutting = false;
        client.on('data', (chunk: Buffer) => {
          if (cutting) return;
          if (cut && chunk.includes(cut.statement)) marked = true;
          if (chunk.includes(ROLLBACK)) marked = false;
          if (chunk.includes(COMMIT) || (marked && cut?.autocommit)) {
            const armed = marked ? cut : undefined;
            marked = false;
            if (armed) {
              cut = undefined;
              cutting = true;
              if (armed.how === 'after-commit') upstream.write(chunk);
              // After the server has had time to commit (its OK is held back), the connection breaks.
              setTimeout(() => {
                upstream.destroy();
                client.destroy();
                armed.done();
              }, armed.how === 'after-commit' ? 300 : 0);
              return;
            }
          }
          upstream.write(chunk);
        });
        upstream.on('data', (chunk: Buffer) => {
          if (!cutting) client.write(chunk);
        });
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const stop = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  const port = await listen(0);
  return {
    port,
    async refuseFor(ms) {
      await stop();
      await new Promise((r) => setTimeout(r, ms));
      await listen(port);
    },
    cutNextCommitOf: (statement, how) => new Promise<void>((done) => (cut = { statement: Buffer.from(statement), how, autocommit: false, done })),
    cutNextAutocommit: (statement, how) => new Promise<void>((done) => (cut = { statement: Buffer.from(statement), how, autocommit: true, done })),
    async close() {
      for (const s of sockets) s.destroy();
      await stop();
    },
  };
}

/** knex's COMMIT and ROLLBACK as MariaDB receives them: COM_QUERY packets. */
const COMMIT = Buffer.from('\x03COMMIT;', 'latin1');
const ROLLBACK = Buffer.from('\x03ROLLBACK', 'latin1');

/**
 * A pool on `of`'s database that reaches it through the hop and lets idle connections go at once,
 * so its statements during an outage need a new connection, as after a restart.
 */
export function knexThroughHop(hop: DatabaseHop, of: Knex): Knex {
  const database = (of.client.config.connection as { database: string }).database;
  const target = new URL(TEST_DATABASE_URL);
  const config = knexConfig({ databaseUrl: `mysql://${target.username}@127.0.0.1:${hop.port}/${database}` });
  return knexFactory({ ...config, pool: { ...config.pool, idleTimeoutMillis: 50, reapIntervalMillis: 20 } });
}
