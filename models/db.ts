import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory, { type Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import { NotFoundError } from '../lib/errors.ts';

/**
 * The database helpers every model shares: the knex factory for MySQL/MariaDB or the embedded
 * SQLite file, the dialect, lock-conflict retries, unique-violation checks and timestamps as ISO
 * strings. Migrations are run by migrations/index.ts; this module does not know them.
 */
export type Dialect = 'mysql' | 'sqlite';

/**
 * Every MySQL transaction reads committed data, set once per connection rather than as a statement
 * before each transaction (thousands of sync steps commit a minute). Writes name their rows by key
 * and locks are taken on the rows a transaction names or claims (SKIP LOCKED), so repeatable
 * read's snapshots and gap locks bought nothing but next-key locks on gaps bordering other shops'
 * rows, and deadlocks between their commits; read committed takes none, and each statement sees
 * what others committed before it (an import batch opened ahead reads the batch before it).
 */
const READ_COMMITTED = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

/** Builds the knex config for MySQL/MariaDB (`DATABASE_URL`) or the embedded SQLite file. */
export function knexConfig(opts: { databaseUrl?: string; sqliteFile?: string; poolMax?: number }): Knex.Config {
  if (opts.databaseUrl) {
    const u = new URL(opts.databaseUrl);
    return {
      client: 'mysql2',
      connection: {
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        database: u.pathname.replace(/^\//, ''),
        charset: 'utf8mb4',
        // Timestamps are stored as epoch milliseconds, so no timezone conversion can creep in.
        supportBigNumbers: true,
        bigNumberStrings: false,
      },
      pool: {
        min: 0,
        max: opts.poolMax ?? 10,
        afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
          conn.query(READ_COMMITTED, (err) => done(err, conn));
        },
      },
    };
  }
  const file = opts.sqliteFile ?? path.join('data', 'shipsync.sqlite');
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  return {
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    // better-sqlite3 is synchronous and SQLite has one writer: one connection, transactions queue up.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('synchronous = NORMAL');
        done(null, conn);
      },
    },
  };
}

export function createKnex(opts: { databaseUrl?: string; sqliteFile?: string; poolMax?: number }): Knex {
  return knexFactory(knexConfig(opts));
}

export function dialectOf(knex: Knex): Dialect {
  return knex.client.config.client === 'better-sqlite3' ? 'sqlite' : 'mysql';
}

/**
 * MySQL refused a statement over a lock conflict with another transaction (a deadlock's victim,
 * or a lock wait that timed out): the work is sound and may simply be run again.
 */
export function isLockConflict(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

/**
 * Runs `work` again when it loses a lock conflict, up to `attempts` runs in all. Only for work
 * that is sound to repeat from the state it finds (idempotent writes, or a whole transaction).
 */
export async function retryOnLockConflict<T>(
  work: () => Promise<T>,
  opts: {
    attempts?: number;
    onConflict?: (err: unknown, attempt: number) => void;
    pauseMs?: (attempt: number) => number;
    /** Other failures after which `work` may run again (e.g. isPoolTimeout). */
    alsoRetry?: (err: unknown) => boolean;
  } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !(isLockConflict(err) || opts.alsoRetry?.(err))) throw err;
      opts.onConflict?.(err, attempt);
      // A pause (jittered by the caller) lets the winner of the conflict finish before the next run.
      const pauseMs = opts.pauseMs?.(attempt) ?? 0;
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/**
 * The pool had no connection to hand out within knex's acquire timeout (the database is slow or
 * every connection busy): no statement ran, so the work may simply be run again.
 */
export function isPoolTimeout(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  return e?.name === 'KnexTimeoutError' && /acquiring a connection/i.test(e.message ?? '');
}

/**
 * The connection broke while a statement or the commit was under way (the server restarted or
 * killed it, the network dropped it): the transaction either rolled back or, when the COMMIT had
 * reached the server, committed, and the client cannot tell which. Work run again after this must
 * recognise its own earlier commit.
 */
export function isConnectionLost(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  const code = e?.code;
  if (code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ER_SERVER_SHUTDOWN' || code === 'ER_CONNECTION_KILLED') return true;
  // mysql2's answer to a statement sent on a connection that had just closed.
  return /connection is in closed state/i.test(e?.message ?? '');
}

/**
 * The database refused or dropped the attempt to connect (down, restarting, failing over): no
 * statement of the work ran, so it may simply be run again once the database is back.
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

/**
 * Runs `work` again while the database cannot be reached, for up to `forMs` in all, pausing a
 * little longer each time (up to 2 s). For work whose inputs are costly to get again (records a
 * provider answered): a database restart must not cost their calls. `onWait` hears of the first
 * failure that starts the wait. When `signal` aborts (the process is shutting down) the wait ends
 * at once, with the work's last failure.
 */
export async function retryWhileUnreachable<T>(work: () => Promise<T>, opts: { forMs: number; signal?: AbortSignal; onWait?: (err: unknown) => void }): Promise<T> {
  const startedAt = Date.now();
  for (let pauseMs = 100; ; pauseMs = Math.min(2_000, pauseMs * 2)) {
    try {
      return await work();
    } catch (err) {
      if (!isDatabaseUnreachable(err) || Date.now() - startedAt + pauseMs > opts.forMs || opts.signal?.aborted) throw err;
      if (pauseMs === 100) opts.onWait?.(err);
      await sleep(pauseMs, undefined, { signal: opts.signal }).catch(() => {
        throw err;
      });
    }
  }
}

/** A unique index refused the write (objection's wrapper or the driver's own error). */
export function isUniqueViolation(err: unknown): boolean {
  if (err instanceof UniqueViolationError) return true;
  // Objection wraps driver errors; the driver's code may sit on the error or on its nativeError.
  const e = err as { code?: string; nativeError?: { code?: string } };
  const code = e?.code ?? e?.nativeError?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Epoch milliseconds (how every timestamp is stored) as an ISO 8601 string, for the API. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

/** `row`, or the API's 404 naming what was looked for: every `find…OrFail` is this over its `find…`. */
export function foundOrFail<T>(row: T | null | undefined, resource: string, id: number): T {
  if (row === null || row === undefined) throw new NotFoundError(resource, id);
  return row;
}

/**
 * Deletes the rows of `table` with these primary keys that still pass `guard` (re-checked, since
 * they were read outside this statement); returns how many. A batch delete by primary key takes
 * only those rows' locks: writers elsewhere in the table go on.
 */
export async function deleteRowsById(knex: Knex, table: string, rows: { id: number | string }[], guard: (q: Knex.QueryBuilder) => void = () => {}): Promise<number> {
  if (rows.length === 0) return 0;
  const q = knex(table).whereIn(
    'id',
    rows.map((r) => Number(r.id)),
  );
  guard(q);
  return q.delete();
}
