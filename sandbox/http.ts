/**
 * Plain node:http helpers shared by the simulators. A simulator decides a whole answer first
 * (`Reply`) and writes it later, so latency can be added between deciding and sending without
 * the decision (rate-limit slot, token expiry) drifting with the delay.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Reply {
  status: number;
  contentType: string;
  body: string;
  headers: Record<string, string>;
}

export function jsonReply(status: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Reply {
  return { status, contentType, body: JSON.stringify(body), headers };
}

export function textReply(status: number, body: string, contentType: string, headers: Record<string, string> = {}): Reply {
  return { status, contentType, body, headers };
}

export function writeReply(res: ServerResponse, reply: Reply): void {
  // The client may be gone (timeout, close() during latency): nothing to answer then.
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': reply.contentType,
    'Content-Length': String(Buffer.byteLength(reply.body)),
  });
  res.end(reply.body);
}

/** Reads the request body as UTF-8, refusing more than maxBytes (a simulator never needs large bodies). */
export async function readBody(req: IncomingMessage, maxBytes = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > maxBytes) throw new RangeError(`request body larger than ${maxBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Media types listed in an Accept header, lower-cased and without parameters (q=, charset=). */
export function acceptedMediaTypes(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => (part.split(';')[0] ?? '').trim().toLowerCase())
    .filter((type) => type.length > 0);
}

/** The media type of a Content-Type header, lower-cased and without parameters. */
export function mediaType(header: string | undefined): string {
  return (header?.split(';')[0] ?? '').trim().toLowerCase();
}

/** Resolves after ms, or at once when the signal aborts (so close() does not wait for latency timers). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The http://host:port a client should use for a server bound to host:port. */
export function baseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return reachable.includes(':') ? `http://[${reachable}]:${port}` : `http://${reachable}:${port}`;
}
