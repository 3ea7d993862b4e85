import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  data: any;
}

export interface EventStream {
  response: IncomingMessage;
  /** The next event; rejects when none comes within 30 s. */
  next(): Promise<SseEvent>;
  /** Whether the server ends the stream within 5 s. */
  ended(): Promise<boolean>;
}

/**
 * Reads Server-Sent Events with Node's own HTTP client, as a browser's EventSource (or
 * `curl -N`) would: blocks separated by a blank line, `event:` and `data:` fields, `:` comments.
 */
export function openEvents(url: string, token: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (response) => {
      const queued: SseEvent[] = [];
      const waiting: ((e: SseEvent) => void)[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
          );
          if (!fields.event) continue;
          const event = { event: fields.event, data: JSON.parse(fields.data ?? 'null') };
          const waiter = waiting.shift();
          if (waiter) waiter(event);
          else queued.push(event);
        }
      });
      let closed = false;
      const end = new Promise<void>((done) =>
        response.on('end', () => {
          closed = true;
          done();
        }),
      );
      resolve({
        response,
        next: () =>
          new Promise<SseEvent>((done, fail) => {
            const ready = queued.shift();
            if (ready) return done(ready);
            const timer = setTimeout(() => fail(new Error('no event within 30 s')), 30_000);
            waiting.push((e) => {
              clearTimeout(timer);
              done(e);
            });
          }),
        ended: () => (closed ? Promise.resolve(true) : Promise.race([end.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))])),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
