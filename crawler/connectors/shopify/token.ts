import { z } from 'zod';
import { AuthError, NetworkError, RetryableError, ShutdownError } from '../../../lib/errors.ts';
import { parseJson, send } from '../../../lib/http.ts';
import { singleFlight } from '../../../lib/single-flight.ts';
import { tokenUsable } from '../token-margin.ts';
import type { StoredToken, TokenStore } from '../types.ts';
import { tokenUrl, type ShopifyAuth } from './credentials.ts';

/**
 * Shopify access tokens for the three ways a shop connects (credentials.ts):
 * - a custom-app access token is sent as it is, for ever;
 * - client credentials get a token from the grant, kept in the shop's token store and shared by
 *   every worker until its refresh margin (crawler/connectors/token-margin.ts);
 * - an expiring offline token is refreshed with its refresh token, which Shopify replaces on every
 *   refresh. One worker refreshes at a time (the store's claim, a compare-and-set on the stored
 *   pair's version); it commits the new pair before anyone sends the new access token (using it
 *   retires the refresh token before it), and the others wait for that pair and use it. A worker
 *   that dies between Shopify's answer and the commit leaves the old pair stored and the claim
 *   lapses: Shopify keeps the previous refresh token valid until its replacement is first used
 *   (changelog 2026-08-28, "More resilient refreshes for expiring offline access tokens"), and
 *   the replacement never was, so the next worker refreshes with it again.
 */

/** How long a refresh claim holds: longer than a token request may take, short enough that a dead claimer costs little. */
export const REFRESH_CLAIM_MS = 15_000;
const TOKEN_TIMEOUT_MS = 10_000;
const WAIT_STEP_MS = 100;

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
  refresh_token: z.string().min(1).optional(),
});

type Grant = { grant_type: 'client_credentials' } | { grant_type: 'refresh_token'; refresh_token: string };

/** One token request at `<shop>/admin/oauth/access_token`. A refusal raises AuthError with Shopify's reason. */
export async function requestShopifyToken(base: string, client: { clientId: string; clientSecret: string }, grant: Grant, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<StoredToken> {
  let answer;
  try {
    answer = await send({
      provider: 'shopify',
      method: 'POST',
      url: tokenUrl(base),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, ...grant }).toString(),
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? TOKEN_TIMEOUT_MS,
    });
  } catch (err) {
    if (err instanceof NetworkError) throw new RetryableError(`Shopify's token endpoint is unreachable: ${err.message}`, { cause: err });
    throw err;
  }
  const body = parseJson(answer.body) as { error?: string; error_description?: string; errors?: unknown } | undefined;
  if (answer.status === 200) {
    const parsed = tokenAnswer.safeParse(body);
    if (!parsed.success) throw new RetryableError('Shopify answered a token request with 200 but no usable token');
    const issuedAt = Date.now();
    return {
      accessToken: parsed.data.access_token,
      issuedAt,
      expiresAt: parsed.data.expires_in === undefined ? Number.MAX_SAFE_INTEGER : issuedAt + parsed.data.expires_in * 1000,
      ...(parsed.data.refresh_token ? { refreshToken: parsed.data.refresh_token } : {}),
    };
  }
  if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
    const why = body?.error_description ?? body?.error ?? (typeof body?.errors === 'string' ? body.errors : `HTTP ${answer.status}`);
    const what = grant.grant_type === 'refresh_token' ? 'the refresh token' : 'the client id and secret';
    throw new AuthError(`Shopify refused ${what} (${why}). Check the app in the Shopify Dev Dashboard and replace the shop's credentials with PATCH /shops/:id.`, {
      details: { provider_status: answer.status, provider_error: body?.error ?? null, provider_reason: why },
    });
  }
  throw new RetryableError(`Shopify's token endpoint answered HTTP ${answer.status}`);
}

export class ShopifyTokens {
  private token: StoredToken | null = null;

  constructor(
    private readonly base: string,
    private readonly auth: ShopifyAuth,
    private readonly store: TokenStore,
    private readonly onRequest: () => void,
    private readonly signal?: AbortSignal,
  ) {}

  /** The token to send now. */
  async current(): Promise<string> {
    if (this.auth.kind === 'access_token') return this.auth.accessToken;
    if (!tokenUsable(this.token)) this.token = await this.store.load();
    if (this.auth.kind === 'refresh_token' && this.token === null) return this.auth.accessToken;
    if (tokenUsable(this.token)) return this.token!.accessToken;
    return (await this.renew(this.token)).accessToken;
  }

  /**
   * Shopify answered 401 to `stale`: a token another request renewed meanwhile is used as it is;
   * otherwise one renewal for every request that saw the same refusal. A custom-app token cannot
   * be renewed: the credentials are refused.
   */
  async refused(stale: string, why: string): Promise<string> {
    if (this.auth.kind === 'access_token') {
      throw new AuthError(`Shopify refused the shop's access token (${why}). Create a new one for the app, or connect it another way, and replace the credentials with PATCH /shops/:id.`, {
        details: { provider_status: 401, provider_reason: why },
      });
    }
    const stored = await this.store.load();
    if (stored && stored.accessToken !== stale && tokenUsable(stored)) return (this.token = stored).accessToken;
    return (await this.renew(stored)).accessToken;
  }

  /** One renewal in flight per session; across workers, the store's claim decides who refreshes. */
  private readonly renew = singleFlight(async (seen: StoredToken | null): Promise<StoredToken> => {
    const next = this.auth.kind === 'refresh_token' ? await this.rotate(seen) : await this.grant();
    this.token = next;
    return next;
  });

  private async grant(): Promise<StoredToken> {
    const auth = this.auth as Extract<ShopifyAuth, { kind: 'client_credentials' }>;
    this.onRequest();
    const token = await requestShopifyToken(this.base, auth, { grant_type: 'client_credentials' }, { signal: this.signal });
    await this.store.save(token);
    return token;
  }

  /** Refreshes the rotating pair `seen` (null: the credentials' own pair), or waits for the worker that does. */
  private async rotate(seen: StoredToken | null): Promise<StoredToken> {
    const auth = this.auth as Extract<ShopifyAuth, { kind: 'refresh_token' }>;
    for (;;) {
      if (this.signal?.aborted) throw new ShutdownError();
      if (await this.store.claimRefresh(seen, REFRESH_CLAIM_MS)) {
        const claimedAt = Date.now();
        this.onRequest();
        let next: StoredToken;
        try {
          next = await requestShopifyToken(this.base, auth, { grant_type: 'refresh_token', refresh_token: seen?.refreshToken ?? auth.refreshToken }, { signal: this.signal });
        } catch (err) {
          // Only while the claim holds: once it has lapsed, the claim on the row may be another worker's.
          if (Date.now() - claimedAt < REFRESH_CLAIM_MS) await this.store.releaseRefresh(seen).catch(() => undefined);
          throw err;
        }
        // Committed before the new access token is sent: sending it retires the refresh token it replaced.
        if (await this.store.replace(seen, next)) return next;
      }
      // Another worker holds the claim (or landed its pair first): use its pair once it is stored.
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
      const now = await this.store.load();
      // The version alone says a new pair landed: a platform may hand out the same access token again.
      if (now && now.version !== seen?.version) {
        if (tokenUsable(now)) return now;
        seen = now;
      }
    }
  }
}
