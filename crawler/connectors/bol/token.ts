import { AuthError, NetworkError, RetryableError } from '../../../lib/errors.ts';
import { send, parseJson } from '../../../lib/http.ts';
import { singleFlight } from '../../../lib/single-flight.ts';
import { z } from 'zod';
import type { StoredToken, TokenStore } from '../types.ts';
import { tokenUsable } from '../token-margin.ts';

/**
 * bol client-credentials tokens (shared contract: bol-retailer-v10.md §1). A token lives about
 * five minutes; bol blocks IPs that ask for tokens too often, so one token is reused by every
 * request and every worker of a shop (through `TokenStore`) until shortly before it expires.
 */

export type { StoredToken, TokenStore };

export interface BolCredentials {
  clientId: string;
  clientSecret: string;
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', 'token_type must be Bearer'),
  expires_in: z.number().positive(),
});

/** One token request. Bad credentials raise `AuthError` with what a person should do. */
export async function requestBolToken(loginUrl: string, credentials: BolCredentials, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<StoredToken> {
  let answer;
  try {
    answer = await send({
      provider: 'bol',
      method: 'POST',
      url: new URL('/token', loginUrl).toString(),
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      // In the body, never the query: bol rejects secrets in URLs since November 2024.
      body: 'grant_type=client_credentials',
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
  } catch (err) {
    if (err instanceof NetworkError) throw new RetryableError(`bol login is unreachable: ${err.message}`, { cause: err });
    throw err;
  }
  const body = parseJson(answer.body) as { error?: string; error_description?: string } | undefined;
  if (answer.status === 200) {
    const parsed = tokenAnswer.safeParse(body);
    if (!parsed.success) throw new RetryableError('bol login answered 200 without a usable token');
    const issuedAt = Date.now();
    return { accessToken: parsed.data.access_token, issuedAt, expiresAt: issuedAt + parsed.data.expires_in * 1000 };
  }
  if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
    const why = body?.error_description ?? body?.error ?? `HTTP ${answer.status}`;
    throw new AuthError(
      `bol refused the shop's client id and secret (${why}). Check them in the bol.com partner platform (Settings > API settings) and replace them with PATCH /shops/:id.`,
      { details: { provider_status: answer.status, provider_error: body?.error ?? null } },
    );
  }
  // bol's docs: a 404 from login.bol.com is the symptom of an IP block, which passes.
  throw new RetryableError(`bol login answered HTTP ${answer.status}`);
}

export class BolTokens {
  private token: StoredToken | null = null;

  constructor(
    private readonly loginUrl: string,
    private readonly credentials: BolCredentials,
    private readonly store: TokenStore,
    private readonly onRequest: () => void,
    private readonly signal?: AbortSignal,
  ) {}

  private warming: Promise<string> | null = null;

  /**
   * Starts getting a token now, for the first call to have it sooner (while the session loads the
   * published limits); that call is answered with this one's token or its error.
   */
  warmUp(): void {
    const warming = this.current();
    warming.catch(() => undefined);
    this.warming = warming;
  }

  /** A token outside its refresh margin (crawler/connectors/token-margin.ts). */
  async current(): Promise<string> {
    if (this.warming) {
      const warming = this.warming;
      this.warming = null;
      return warming;
    }
    if (!tokenUsable(this.token)) this.token = await this.store.load();
    if (tokenUsable(this.token)) return this.token!.accessToken;
    return (await this.fetchOnce()).accessToken;
  }

  /**
   * The token `stale` was refused as expired. Every request that saw the same refusal shares one
   * new token (single flight); a request that comes late and finds a newer token just uses it.
   */
  async refresh(stale: string): Promise<string> {
    if (this.token && this.token.accessToken !== stale && tokenUsable(this.token)) return this.token.accessToken;
    return (await this.fetchOnce()).accessToken;
  }

  private readonly fetchOnce = singleFlight(async (): Promise<StoredToken> => {
    this.onRequest();
    const token = await requestBolToken(this.loginUrl, this.credentials, { signal: this.signal });
    this.token = token;
    await this.store.save(token);
    return token;
  });
}
