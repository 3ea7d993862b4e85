import type { Logger } from '../config/logger.ts';
import { isConnectionLost, isPoolTimeout, retryOnLockConflict, retryWhileUnreachable } from '../models/db.ts';

/**
 * Database work of a job that holds provider answers (a sync step's page and records, a tracking
 * step's carrier answers, a weather observation): getting them again costs provider calls and quota, so the work is run
 * again rather than the job failed
 * - when the database is busy (a lock conflict, no pool connection in time): up to 8 runs, with a
 *   growing jittered pause that lets the winner of a conflict finish;
 * - when its connection broke mid-transaction (a restart, a kill, the network). Such a transaction
 *   may have committed, so `work` is told (`afterLostConnection`) and must recognise its own
 *   earlier commit;
 * - while the database cannot be reached (refused connections), for up to a minute.
 * Shutdown ends the wait at once.
 */
export function withAnswersInHand<T>(work: (afterLostConnection: boolean) => Promise<T>, opts: { signal: AbortSignal; log: Logger; what: string }): Promise<T> {
  let lost = false;
  const once = () =>
    work(lost).catch((err: unknown) => {
      if (isConnectionLost(err)) lost = true;
      throw err;
    });
  return retryWhileUnreachable(
    () =>
      retryOnLockConflict(once, {
        ...BUSY_DATABASE_RETRY,
        onConflict: (err, attempt) => opts.log.warn({ err: String(err), attempt }, `${opts.what} lost a lock conflict or its connection, or waited too long for one; running it again`),
      }),
    {
      forMs: DATABASE_OUTAGE_MS,
      signal: opts.signal,
      onWait: (err) => opts.log.warn({ err: String(err), for_ms: DATABASE_OUTAGE_MS }, `the database cannot be reached; the ${opts.what} keeps what it fetched and tries again`),
    },
  );
}

const BUSY_DATABASE_RETRY = {
  attempts: 8,
  alsoRetry: (err: unknown) => isPoolTimeout(err) || isConnectionLost(err),
  pauseMs: (attempt: number) => Math.round(Math.random() * 50 * attempt),
};

/** How long work holding provider answers waits for a database it cannot reach before it fails. */
const DATABASE_OUTAGE_MS = 60_000;
