/**
 * Access tokens of the simulated login.bol.com. Tokens look like JWTs (three base64url parts,
 * claims a client could decode) but the simulator checks them by lookup: a token is valid when
 * it was issued here and has not died yet.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface IssuedToken {
  token: string;
  clientId: string;
  issuedAtMs: number;
  /** When expires_in says it ends. */
  announcedExpiryMs: number;
}

export type TokenCheck =
  | { kind: 'valid'; clientId: string }
  | { kind: 'expired'; clientId: string; expiredAtMs: number }
  | { kind: 'unknown' };

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly signingKey = randomBytes(32);

  issue(clientId: string, lifetimeSeconds: number, nowMs: number): IssuedToken {
    const announcedExpiryMs = nowMs + lifetimeSeconds * 1000;
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'bol-sandbox' }));
    const payload = base64url(
      JSON.stringify({
        iss: 'https://login.bol.com',
        sub: clientId,
        client_id: clientId,
        scopes: 'RETAILER',
        iat: Math.floor(nowMs / 1000),
        exp: Math.floor(announcedExpiryMs / 1000),
        jti: randomBytes(12).toString('hex'),
      }),
    );
    const signature = base64url(createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest());
    const issued: IssuedToken = { token: `${header}.${payload}.${signature}`, clientId, issuedAtMs: nowMs, announcedExpiryMs };
    this.tokens.set(issued.token, issued);
    return issued;
  }

  /**
   * earlyExpiryMs is read at check time, so setting it at run time also shortens tokens already
   * handed out: a test can kill a crawler's token mid-crawl. No clock-skew grace is applied, so
   * expiry happens at the exact millisecond a test planned.
   */
  check(token: string, nowMs: number, earlyExpiryMs: number | undefined): TokenCheck {
    const issued = this.tokens.get(token);
    if (!issued) return { kind: 'unknown' };
    const diesAtMs = earlyExpiryMs === undefined ? issued.announcedExpiryMs : issued.issuedAtMs + earlyExpiryMs;
    if (nowMs >= diesAtMs) return { kind: 'expired', clientId: issued.clientId, expiredAtMs: diesAtMs };
    return { kind: 'valid', clientId: issued.clientId };
  }
}
