import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { checkUrlShape, guardedLookup, UnsafeDestinationError, type AddressPolicy } from './ssrf.ts';

/**
 * Signed POSTs per the Standard Webhooks specification (https://www.standardwebhooks.com):
 * - a secret is `whsec_` + base64 of 24 to 64 random bytes; the key is the decoded bytes;
 * - `webhook-id`: the message id, the same on every attempt (receivers de-duplicate on it);
 * - `webhook-timestamp`: the attempt's time, integer seconds since the epoch;
 * - `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`,
 *   one per secret in use (during a rotation, the new and the previous secret).
 */

export const SECRET_PREFIX = 'whsec_';
export const SECRET_BYTES = 32;

export function generateSecret(bytes = SECRET_BYTES): string {
  if (bytes < 24 || bytes > 64) throw new RangeError('A signing secret has 24 to 64 bytes');
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

export function signatureOf(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('A signing secret starts with whsec_');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
}

export function signedHeaders(secrets: string[], messageId: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => signatureOf(s, messageId, timestampSeconds, body)).join(' '),
  };
}

export interface SignedPost {
  url: string;
  messageId: string;
  body: string;
  /** The secrets to sign with: the current one first. */
  secrets: string[];
  /** The whole exchange: connect, send, status line and response body. */
  timeoutMs: number;
  policy: AddressPolicy;
  /** Aborts the request (worker shutdown). The result then has `aborted: true`. */
  signal?: AbortSignal;
  userAgent?: string;
}

export interface PostResult {
  /** 2xx. Redirects are not followed: a 3xx is a failure. */
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  /** For a person reading the delivery log; null on success. */
  error: string | null;
  /** The destination was refused by the address policy (before any byte was sent). */
  refused: boolean;
  aborted: boolean;
}

/** Most receivers answer with a few bytes; what they send beyond this is not read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * An HTTP client per policy: keep-alive agents (a busy receiver is not handshaken with for every
 * event) whose connections are made through the guarded lookup.
 */
export interface WebhookSender {
  post(req: Omit<SignedPost, 'policy'>): Promise<PostResult>;
  close(): void;
}

export function createWebhookSender(policy: AddressPolicy): WebhookSender {
  const lookup = guardedLookup(policy);
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64, lookup } as http.AgentOptions),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64, lookup } as https.AgentOptions),
  };
  return {
    post: (req) => postSigned({ ...req, policy }, agents, lookup),
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function postSigned(req: SignedPost, agents: { 'http:': http.Agent; 'https:': https.Agent }, lookup: ReturnType<typeof guardedLookup>): Promise<PostResult> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  const result = (fields: Partial<PostResult>): PostResult => ({ ok: false, statusCode: null, error: null, refused: false, aborted: false, durationMs: elapsed(), ...fields });

  let url: URL;
  try {
    // Literal IP hosts never reach `lookup`: check them here, at every attempt.
    url = checkUrlShape(req.url, req.policy);
  } catch (err) {
    return Promise.resolve(result({ error: `Refused: the URL ${(err as Error).message}.`, refused: true }));
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    ...signedHeaders(req.secrets, req.messageId, timestamp, req.body),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(req.body)),
    'user-agent': req.userAgent ?? 'shipsync-webhooks/1',
  };

  if (req.signal?.aborted) return Promise.resolve(result({ error: 'Stopped: the worker is shutting down.', aborted: true }));
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, { method: 'POST', headers, agent: agents[url.protocol as 'http:' | 'https:'], lookup });
    // First, before anything can destroy the request: an 'error' without a listener ends the process.
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof UnsafeDestinationError) return finish(result({ error: `Refused: ${err.message}.`, refused: true }));
      finish(result({ error: describeNetworkError(err) }));
    });
    const timer = setTimeout(() => {
      finish(result({ error: `No answer within ${Math.round(req.timeoutMs / 100) / 10} s (timed out).` }));
      request.destroy();
    }, req.timeoutMs);
    const onAbort = () => {
      finish(result({ error: 'Stopped: the worker is shutting down.', aborted: true }));
      request.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('response', (res) => {
      const statusCode = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        // Enough to know the receiver answered; the rest is not ours to wait for.
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const done = () => {
        const ok = statusCode >= 200 && statusCode < 300;
        const error = ok
          ? null
          : statusCode >= 300 && statusCode < 400
            ? `Answered ${statusCode}; redirects are not followed: give the final URL.`
            : `Answered ${statusCode}.`;
        finish(result({ ok, statusCode, error }));
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    request.end(req.body);
  });
}

function describeNetworkError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'Connection refused (ECONNREFUSED).';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host name does not resolve (${err.code}).`;
    case 'ECONNRESET':
      return 'The connection was reset (ECONNRESET).';
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
      return `The connection timed out (${err.code}).`;
    default:
      return err.code ? `${err.message} (${err.code}).` : `${err.message}.`;
  }
}
