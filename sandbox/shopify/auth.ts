/**
 * The three ways a shop connects, per shop: (a) the client credentials grant (tokens of about 24 h),
 * (b) a static custom-app token `shpat_…` that never expires, (c) expiring offline tokens (1 h)
 * with a refresh token Shopify replaces on every refresh. Rotation follows Shopify's changelog of
 * 2026-08-28: the refresh token that was used stays usable until the app begins using its
 * replacement (an API call with the new access token, or a refresh with the new refresh token).
 */
import { randomBytes } from 'node:crypto';
import { jsonReply, mediaType, type Reply } from '../http.ts';

export interface ShopAuthOptions {
  /** Grant (a) allowed (default true). */
  clientCredentials?: boolean;
  /** Token (b) accepted (default true). */
  staticToken?: boolean;
  /** Mode (c): the initial pair accepted and refreshes allowed (default true). */
  offline?: boolean;
  /** expires_in of client-credentials tokens (default 86399). */
  clientCredentialsLifetimeSeconds?: number;
  /** expires_in of expiring offline access tokens (default 3600). */
  offlineAccessTokenLifetimeSeconds?: number;
  /** refresh_token_expires_in (default 7776000, 90 days). */
  refreshTokenLifetimeSeconds?: number;
  /** The scope string answered (default "read_orders,read_fulfillments,read_merchant_managed_fulfillment_orders"). */
  scope?: string;
}

export type ResolvedAuth = Required<ShopAuthOptions>;

export const DEFAULT_AUTH: ResolvedAuth = {
  clientCredentials: true,
  staticToken: true,
  offline: true,
  clientCredentialsLifetimeSeconds: 86_399,
  offlineAccessTokenLifetimeSeconds: 3600,
  refreshTokenLifetimeSeconds: 7_776_000,
  scope: 'read_orders,read_fulfillments,read_merchant_managed_fulfillment_orders',
};

export interface ShopCredentials {
  shop: string;
  shopDomain: string;
  clientId: string;
  clientSecret: string;
  /** (b) */
  staticAccessToken: string;
  /** (c) at start: the access token dies offlineAccessTokenLifetimeSeconds after the sandbox started. */
  offlineAccessToken: string;
  refreshToken: string;
}

/** Every shop's credentials follow from its name, so tests and the demo know them without asking. */
export function shopCredentials(shop: string): ShopCredentials {
  return {
    shop,
    shopDomain: `${shop}.myshopify.com`,
    clientId: `${shop}-client-id`,
    clientSecret: `shpss_${shop}-secret`,
    staticAccessToken: `shpat_${shop}-static`,
    offlineAccessToken: `shpat_${shop}-offline-0`,
    refreshToken: `shprt_${shop}-refresh-0`,
  };
}

interface AccessToken {
  kind: 'static' | 'client_credentials' | 'offline';
  expiresAtMs: number | null;
  /** For offline tokens: the refresh token whose use produced this one. */
  issuedBy?: RefreshToken;
}

interface RefreshToken {
  token: string;
  expiresAtMs: number;
  retired: boolean;
  issuedBy?: RefreshToken;
}

export type TokenCheck = { ok: true; kind: AccessToken['kind'] } | { ok: false };

export interface TokenCounts {
  grants: number;
  refreshes: number;
  refused: number;
}

function oauthError(status: number, error: string, description: string): Reply {
  return jsonReply(status, { error, error_description: description });
}

const INVALID_CLIENT = () =>
  oauthError(401, 'invalid_client', 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.');
const INVALID_GRANT = () =>
  oauthError(400, 'invalid_grant', 'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.');

function newToken(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

export class ShopTokens {
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, RefreshToken>();
  readonly credentials: ShopCredentials;

  constructor(
    shop: string,
    private auth: ResolvedAuth,
    startMs: number,
  ) {
    this.credentials = shopCredentials(shop);
    this.reset(startMs);
  }

  /** The initial tokens only: everything issued later is forgotten. */
  private reset(startMs: number): void {
    this.access.clear();
    this.refresh.clear();
    this.access.set(this.credentials.staticAccessToken, { kind: 'static', expiresAtMs: null });
    this.access.set(this.credentials.offlineAccessToken, { kind: 'offline', expiresAtMs: startMs + this.auth.offlineAccessTokenLifetimeSeconds * 1000 });
    this.refresh.set(this.credentials.refreshToken, {
      token: this.credentials.refreshToken,
      expiresAtMs: startMs + this.auth.refreshTokenLifetimeSeconds * 1000,
      retired: false,
    });
  }

  setAuth(auth: ResolvedAuth): void {
    this.auth = auth;
  }

  /** Every token stops working, the initial ones included (an uninstalled app, a rotated secret). */
  revokeAll(): void {
    this.access.clear();
    this.refresh.clear();
  }

  /** Checks an X-Shopify-Access-Token; using a refreshed access token retires the refresh token used for it. */
  check(token: string | undefined, nowMs: number): TokenCheck {
    const found = token ? this.access.get(token) : undefined;
    if (!found) return { ok: false };
    if (found.kind === 'static' && !this.auth.staticToken) return { ok: false };
    if (found.kind === 'offline' && !this.auth.offline) return { ok: false };
    if (found.expiresAtMs !== null && nowMs >= found.expiresAtMs) return { ok: false };
    if (found.issuedBy) found.issuedBy.retired = true;
    return { ok: true, kind: found.kind };
  }

  /** POST /admin/oauth/access_token. `counts` is updated with what the request was. */
  handleTokenRequest(contentType: string | undefined, body: string, nowMs: number, counts: TokenCounts): Reply {
    const params = this.params(contentType, body);
    const refuse = (reply: Reply) => {
      counts.refused += 1;
      return reply;
    };
    if (!params) return refuse(oauthError(400, 'invalid_request', 'The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.'));
    const grantType = params.get('grant_type');
    const clientId = params.get('client_id');
    const clientSecret = params.get('client_secret');
    if (!clientId || !clientSecret || clientId !== this.credentials.clientId || clientSecret !== this.credentials.clientSecret) {
      return refuse(INVALID_CLIENT());
    }
    if (grantType === 'client_credentials') {
      if (!this.auth.clientCredentials) return refuse(oauthError(400, 'unauthorized_client', 'The client is not authorized to perform this request using this method.'));
      const token = newToken('shpat_');
      const life = this.auth.clientCredentialsLifetimeSeconds;
      this.access.set(token, { kind: 'client_credentials', expiresAtMs: nowMs + life * 1000 });
      counts.grants += 1;
      return jsonReply(200, { access_token: token, scope: this.auth.scope, expires_in: life });
    }
    if (grantType === 'refresh_token') {
      const presented = params.get('refresh_token');
      if (!presented) return refuse(oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token.'));
      const used = this.refresh.get(presented);
      if (!this.auth.offline || !used || used.retired || nowMs >= used.expiresAtMs) return refuse(INVALID_GRANT());
      // Refreshing with a replacement is "beginning to use" it: its predecessor retires.
      if (used.issuedBy) used.issuedBy.retired = true;
      const accessToken = newToken('shpat_');
      const refreshToken = newToken('shprt_');
      const life = this.auth.offlineAccessTokenLifetimeSeconds;
      const refreshLife = this.auth.refreshTokenLifetimeSeconds;
      this.access.set(accessToken, { kind: 'offline', expiresAtMs: nowMs + life * 1000, issuedBy: used });
      this.refresh.set(refreshToken, { token: refreshToken, expiresAtMs: nowMs + refreshLife * 1000, retired: false, issuedBy: used });
      counts.refreshes += 1;
      return jsonReply(200, {
        access_token: accessToken,
        expires_in: life,
        refresh_token: refreshToken,
        refresh_token_expires_in: refreshLife,
        scope: this.auth.scope,
      });
    }
    if (!grantType) return refuse(oauthError(400, 'invalid_request', 'Missing required parameter: grant_type.'));
    return refuse(oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.'));
  }

  private params(contentType: string | undefined, body: string): URLSearchParams | undefined {
    const type = mediaType(contentType);
    if (type === 'application/json') {
      try {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        if (!parsed || typeof parsed !== 'object') return undefined;
        const out = new URLSearchParams();
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out.set(k, v);
        return out;
      } catch {
        return undefined;
      }
    }
    return new URLSearchParams(body);
  }
}
