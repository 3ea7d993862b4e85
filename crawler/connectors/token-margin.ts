import type { StoredToken } from './types.ts';

/**
 * When a platform token is refreshed: a margin before its expiry that scales with its life, so
 * no request leaves with a dying token and no token is thrown away early. A fixed margin cannot
 * serve every life: 30 s is more than the whole life of a 8 s token (each request then asked for
 * a new one) and needlessly little of a 24 h one. A tenth of the life, at least 1 s (a request's
 * round trip) and at most 5 min.
 */
const MIN_REFRESH_MARGIN_MS = 1_000;
const MAX_REFRESH_MARGIN_MS = 5 * 60_000;
/** For tokens stored before their issue time was kept: the former fixed margin. */
const UNKNOWN_LIFE_MARGIN_MS = 30_000;

export function refreshMarginMs(token: Pick<StoredToken, 'expiresAt' | 'issuedAt'>): number {
  if (token.issuedAt === undefined) return UNKNOWN_LIFE_MARGIN_MS;
  const life = Math.max(0, token.expiresAt - token.issuedAt);
  return Math.min(MAX_REFRESH_MARGIN_MS, Math.max(MIN_REFRESH_MARGIN_MS, life / 10));
}

/** The token may still be sent now: it is not within its refresh margin. */
export function tokenUsable(token: Pick<StoredToken, 'expiresAt' | 'issuedAt'> | null, now = Date.now()): boolean {
  return token !== null && token.expiresAt - refreshMarginMs(token) > now;
}
