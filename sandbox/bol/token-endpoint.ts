/**
 * POST /token, the simulated login.bol.com (contract §1). Strict on purpose: credentials only as
 * HTTP Basic, grant_type only in the form body, and anything secret in the query string is
 * refused, as bol does since 18 Nov 2024.
 */
import { jsonReply, mediaType, type Reply } from '../http.ts';
import type { BolSandboxClient } from './options.ts';
import type { TokenStore } from './tokens.ts';
import type { TokenResponse } from './wire.ts';

/** Query parameters bol rejects: secrets and tokens must not travel in URLs (intermediary-authorization docs). */
const SENSITIVE_QUERY_PARAMS = ['client_id', 'client_secret', 'access_token', 'refresh_token', 'token', 'code', 'password'];

export interface TokenRequest {
  method: string;
  query: URLSearchParams;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

export interface TokenOutcome {
  reply: Reply;
  issuedTo?: string;
}

function oauthError(status: number, error: string, description: string): TokenOutcome {
  return { reply: jsonReply(status, { error, error_description: description }, 'application/json;charset=UTF-8') };
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function handleTokenRequest(
  req: TokenRequest,
  clients: readonly BolSandboxClient[],
  tokens: TokenStore,
  lifetimeSeconds: number,
  nowMs: number,
): TokenOutcome {
  if (req.method !== 'POST') {
    return { reply: { ...oauthError(405, 'invalid_request', 'Only POST is supported').reply, headers: { Allow: 'POST' } } };
  }
  const leaked = SENSITIVE_QUERY_PARAMS.filter((name) => req.query.has(name));
  if (leaked.length > 0) {
    return oauthError(
      400,
      'invalid_request',
      `Requests with sensitive information in URL query parameters are rejected (${leaked.join(', ')}). ` +
        'Send the client credentials as HTTP Basic authorization and grant_type in the form body.',
    );
  }

  // Bad or missing credentials come first, as with Spring OAuth's client authentication filter.
  const credentials = basicCredentials(req.authorization);
  const client = credentials && clients.find((c) => c.clientId === credentials.id);
  if (!credentials || !client || client.clientSecret !== credentials.secret) {
    return oauthError(401, 'invalid_client', 'Bad client credentials');
  }

  const form = mediaType(req.contentType) === 'application/x-www-form-urlencoded' ? new URLSearchParams(req.body) : new URLSearchParams();
  const grantType = form.get('grant_type');
  if (!grantType) {
    return oauthError(400, 'invalid_request', 'Missing grant type: send grant_type=client_credentials in an application/x-www-form-urlencoded body');
  }
  if (grantType !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType}`);

  // Inactive accounts still get a token; the API answers them 403 (contract §1).
  const issued = tokens.issue(client.clientId, lifetimeSeconds, nowMs);
  const body: TokenResponse = { access_token: issued.token, token_type: 'Bearer', expires_in: lifetimeSeconds, scope: 'RETAILER' };
  return {
    reply: jsonReply(200, body, 'application/json;charset=UTF-8', { 'Cache-Control': 'no-store', Pragma: 'no-cache' }),
    issuedTo: client.clientId,
  };
}
