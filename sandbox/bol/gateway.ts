/**
 * Everything bol's API gateway does before a shipment resource answers, in this order:
 *   method → secrets in the URL → bearer token (401) → active account (403)
 *   → rate limit (429, per client id and endpoint) → Accept header (400) → injected fault (500/503)
 * Only requests that pass the token checks reach the limiter: a 401 has no trusted client to
 * charge. Once a request is counted it keeps its slot whatever it is answered (400, 404, 5xx);
 * a 429 takes no slot. Every answer carries the X-RateLimit-* headers and an X-Request-ID.
 */
import { randomUUID } from 'node:crypto';
import { acceptedMediaTypes, type Reply } from '../http.ts';
import type { SeededRandom } from '../prng.ts';
import type { SlidingWindowLimiter, WindowDecision } from '../rate-window.ts';
import type { ResolvedRuntimeOptions } from './options.ts';
import {
  accountNotActive, expiredJwt, htmlServerError, problem, serviceUnavailable, tooManyRequests, unauthorized, validationProblem,
} from './problems.ts';
import { detailReply, listReply, parseListQuery } from './shipments.ts';
import type { BolEndpoint, LimitedEndpoint, StatsRecorder } from './stats.ts';
import type { ShipmentStore } from './store.ts';
import type { TokenStore } from './tokens.ts';
import { RETAILER_V10_MEDIA_TYPE } from './wire.ts';

const SENSITIVE_QUERY_PARAMS = ['access_token', 'token', 'client_id', 'client_secret', 'refresh_token'];
const ANONYMOUS = '\u0000anonymous';

export interface GatewayContext {
  options(): ResolvedRuntimeOptions;
  activeClients: ReadonlyMap<string, boolean>;
  tokens: TokenStore;
  limiter: SlidingWindowLimiter;
  faults: SeededRandom;
  stats: StatsRecorder;
  store: ShipmentStore;
  /** Base of Problem `instance` URIs, e.g. http://127.0.0.1:PORT. */
  publicUrl: string;
}

export interface ApiRequest {
  method: string;
  url: URL;
  authorization: string | undefined;
  accept: string | undefined;
}

type Route = { endpoint: 'list' } | { endpoint: 'detail'; shipmentId: string } | { endpoint: 'other' };

function route(pathname: string): Route {
  if (pathname === '/retailer/shipments') return { endpoint: 'list' };
  const prefix = '/retailer/shipments/';
  if (pathname.startsWith(prefix)) {
    const rest = pathname.slice(prefix.length);
    if (rest.length > 0 && !rest.includes('/')) {
      try {
        return { endpoint: 'detail', shipmentId: decodeURIComponent(rest) };
      } catch {
        return { endpoint: 'other' };
      }
    }
  }
  return { endpoint: 'other' };
}

function limitHeaders(decision: WindowDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(Math.ceil(decision.resetMs / 1000)),
  };
}

function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

/** Decides the answer to one /retailer/shipments… request. Stats are recorded at arrival time. */
export function handleApiRequest(ctx: GatewayContext, req: ApiRequest, nowMs: number): { reply: Reply; endpoint: BolEndpoint } {
  const target = route(req.url.pathname);
  const endpoint: BolEndpoint = target.endpoint;
  ctx.stats.request(endpoint);
  const reply = withHeaders(decide(ctx, req, target, nowMs), { 'X-Request-ID': randomUUID() });
  ctx.stats.status(endpoint, reply.status);
  return { reply, endpoint };
}

function decide(ctx: GatewayContext, req: ApiRequest, target: Route, nowMs: number): Reply {
  const instance = `${ctx.publicUrl}${req.url.pathname}`;
  if (target.endpoint === 'other') return problem(404, 'Not Found', `No resource found at ${req.url.pathname}.`, instance);
  const endpoint: LimitedEndpoint = target.endpoint;
  const options = ctx.options();
  const limit = options.limits[endpoint];

  // Recorded before any check, so a test sees every attempt at a page or a shipment.
  const parsedList = endpoint === 'list' && req.method === 'GET' ? parseListQuery(req.url.searchParams) : undefined;
  const pageCount =
    parsedList && 'query' in parsedList && parsedList.query.kind === 'method'
      ? ctx.stats.listRequest(parsedList.query.method, parsedList.query.page)
      : undefined;
  const detailCount = target.endpoint === 'detail' && req.method === 'GET' ? ctx.stats.detailRequest(target.shipmentId) : undefined;

  const peekAs = (key: string) => limitHeaders(ctx.limiter.peek(`${key}\n${endpoint}`, limit, nowMs));

  if (req.method !== 'GET') {
    return problem(405, 'Method Not Allowed', `Method ${req.method} is not supported on this resource.`, instance, {
      headers: { Allow: 'GET', ...peekAs(ANONYMOUS) },
    });
  }
  // bol rejects tokens and secrets in URL query parameters (contract §1, from 18 Nov 2024).
  const leaked = SENSITIVE_QUERY_PARAMS.filter((name) => req.url.searchParams.has(name));
  if (leaked.length > 0) {
    return withHeaders(
      validationProblem(instance, leaked.map((name) => ({ name, reason: 'Sensitive information is not allowed in URL query parameters.' }))),
      peekAs(ANONYMOUS),
    );
  }

  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? '')?.[1];
  if (!bearer) return withHeaders(unauthorized(instance, 'Full authentication is required: send "Authorization: Bearer <access_token>".'), peekAs(ANONYMOUS));
  const token = ctx.tokens.check(bearer, nowMs, options.earlyExpiryMs);
  if (token.kind === 'unknown') return withHeaders(unauthorized(instance, 'Invalid or unknown JWT.'), peekAs(ANONYMOUS));
  if (token.kind === 'expired') {
    ctx.stats.jwtExpired();
    return withHeaders(expiredJwt(token.expiredAtMs, nowMs), peekAs(token.clientId));
  }
  const clientId = token.clientId;
  if (ctx.activeClients.get(clientId) === false) return withHeaders(accountNotActive(), peekAs(clientId));

  const decision = ctx.limiter.take(`${clientId}\n${endpoint}`, limit, nowMs);
  ctx.stats.limiterArrival(clientId, endpoint, limit.windowMs, nowMs, decision.allowed);
  const headers = limitHeaders(decision);
  if (!decision.allowed) return withHeaders(tooManyRequests(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))), headers);

  if (!acceptedMediaTypes(req.accept).includes(RETAILER_V10_MEDIA_TYPE)) {
    return withHeaders(
      validationProblem(instance, [{ name: 'Accept', reason: `Request contains invalid value(s): '${req.accept ?? ''}', allowed values: ${RETAILER_V10_MEDIA_TYPE}.` }]),
      headers,
    );
  }

  // One draw per request that reaches the backend, so a seed gives the same fault sequence.
  if (ctx.faults.float() < options.serverErrorRate) {
    const status = ctx.faults.chance(0.5) ? 500 : 503;
    ctx.stats.injected(status);
    return withHeaders(status === 500 ? htmlServerError() : serviceUnavailable(instance), headers);
  }

  let reply: Reply;
  if (target.endpoint === 'detail') {
    reply = detailReply(ctx.store, target.shipmentId, instance);
    if (detailCount && reply.status === 200) {
      detailCount.ok += 1;
      ctx.stats.answeredOk(clientId, 'detail', target.shipmentId);
    }
  } else if (parsedList && 'violations' in parsedList) {
    reply = validationProblem(instance, parsedList.violations);
  } else if (parsedList) {
    reply = listReply(ctx.store, parsedList.query);
    if (pageCount && parsedList.query.kind === 'method') {
      pageCount.ok += 1;
      ctx.stats.answeredOk(clientId, 'list', `${parsedList.query.method}:${parsedList.query.page}`);
    }
  } else {
    throw new Error('unreachable: list request without a parsed query');
  }
  return withHeaders(reply, headers);
}
