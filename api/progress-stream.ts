import { PassThrough } from 'node:stream';
import type { ApiContext } from './context.ts';

const KEEP_ALIVE_MS = 15_000;

/** What a progress stream shows: a record's public view, and whether it has reached its end. */
export interface ProgressSnapshot<V> {
  view: V;
  final: boolean;
}

export interface ProgressSource<V> {
  id: number;
  /** For logs: "sync run events", "import events". */
  label: string;
  pollMs: number;
  first: ProgressSnapshot<V>;
  /** The record now; undefined when it is gone. */
  read(): Promise<ProgressSnapshot<V> | undefined>;
}

/**
 * Server-Sent Events for long work (sync runs, imports): `event: progress` with the record now (a
 * client that connects late starts from the current state), again whenever it changes (polled from
 * the database every worker writes to: no cross-process pub/sub needed), then `event: done` once it
 * is final, and the stream ends. `event: deleted` ends it if the record disappears. A client reading
 * with EventSource should close it on `done`; if it reconnects anyway it gets `done` again at once.
 */
export function streamProgress<V>(ctx: ApiContext, shutdown: AbortSignal, source: ProgressSource<V>): void {
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.type = 'text/event-stream; charset=utf-8';
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('Connection', 'keep-alive');
  // nginx and Heroku-style routers buffer responses unless told not to.
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = stream;

  let eventId = 0;
  const send = (event: string, data: unknown): void => {
    eventId += 1;
    stream.write(`event: ${event}\nid: ${eventId}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const open = (): boolean => !stream.destroyed && !stream.writableEnded && !shutdown.aborted;

  void (async () => {
    const keepAlive = setInterval(() => {
      if (open()) stream.write(': keep-alive\n\n');
    }, KEEP_ALIVE_MS);
    try {
      let shownJson = JSON.stringify(source.first.view);
      send('progress', source.first.view);
      if (source.first.final) {
        send('done', source.first.view);
        return;
      }
      while (open()) {
        await pause(source.pollMs, stream, shutdown);
        if (!open()) return;
        let now: ProgressSnapshot<V> | undefined;
        try {
          now = await source.read();
        } catch (err) {
          // The database blinked: say nothing and look again at the next tick.
          ctx.state.log.warn({ error: err instanceof Error ? err.message : String(err) }, `${source.label}: read failed`);
          continue;
        }
        if (!open()) return;
        if (!now) {
          send('deleted', { id: source.id });
          return;
        }
        const json = JSON.stringify(now.view);
        if (json !== shownJson) {
          shownJson = json;
          send('progress', now.view);
        }
        if (now.final) {
          send('done', now.view);
          return;
        }
      }
    } finally {
      clearInterval(keepAlive);
      if (!stream.destroyed) stream.end();
    }
  })().catch((err: unknown) => {
    ctx.state.log.error({ error: err instanceof Error ? err.message : String(err) }, `${source.label}: stream failed`);
    stream.destroy();
  });
}

/** Waits `ms`, or less if the client goes away or the server shuts down. */
function pause(ms: number, stream: PassThrough, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stream.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The stream of a record that ends `succeeded` or `failed` (a sync run, a deletion): its public
 * view at every change, read again with `load`, until it reaches one of them.
 */
export function streamUntilFinished<R extends { id: number; status: string }, V>(
  ctx: ApiContext,
  shutdown: AbortSignal,
  opts: { label: string; pollMs: number; first: R; load(id: number): Promise<R | undefined>; present(record: R): V },
): void {
  const snapshot = (record: R): ProgressSnapshot<V> => ({ view: opts.present(record), final: record.status === 'succeeded' || record.status === 'failed' });
  streamProgress(ctx, shutdown, {
    id: opts.first.id,
    label: opts.label,
    pollMs: opts.pollMs,
    first: snapshot(opts.first),
    async read() {
      const record = await opts.load(opts.first.id);
      return record && snapshot(record);
    },
  });
}
