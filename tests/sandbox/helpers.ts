/**
 * Small helpers for the sandbox tests: a client that follows the bol contract, and a simulator
 * started on a clock the test moves.
 */
import type { ExecutionContext } from 'ava';
import { startBolSandbox, type BolSandbox, type BolSandboxOptions } from '../../sandbox/bol/index.ts';

export const V10 = 'application/vnd.retailer.v10+json';

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export async function sandbox(t: ExecutionContext, opts: BolSandboxOptions = {}): Promise<BolSandbox> {
  const sb = await startBolSandbox(opts);
  t.teardown(() => sb.close());
  return sb;
}

/**
 * A simulator started by `start` on a clock the test moves (it reads `clock.now`, from `startAt`),
 * closed when the test ends. `opts` may still pass a clock of its own.
 */
export async function startOnTestClock<O extends { clock?: () => number }, S extends { close(): Promise<void> }>(
  t: ExecutionContext,
  start: (opts: O) => Promise<S>,
  startAt: number,
  opts: O,
): Promise<{ sb: S; clock: { now: number } }> {
  const clock = { now: startAt };
  const sb = await start({ clock: () => clock.now, ...opts });
  t.teardown(() => sb.close());
  return { sb, clock };
}

export function requestToken(url: string, id = 'demo-client', secret = 'demo-secret', query = ''): Promise<Response> {
  return fetch(`${url}/token${query}`, {
    method: 'POST',
    headers: { Authorization: basic(id, secret), Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
}

export async function token(url: string, id = 'demo-client', secret = 'demo-secret'): Promise<string> {
  const res = await requestToken(url, id, secret);
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function api(url: string, path: string, accessToken: string, accept = V10): Promise<Response> {
  return fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${accessToken}`, Accept: accept } });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
