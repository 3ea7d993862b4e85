/**
 * bol's error answers (contract §1 and §4). Each mirrors a fixture or the spec: most are a
 * `Problem` with type/host/instance; the expired-JWT, 403 and 429 bodies are the shorter ones
 * bol's fixtures show; 500 can arrive as text/html.
 */
import { jsonReply, textReply, type Reply } from '../http.ts';
import { formatUtcSeconds } from '../time.ts';
import { PROBLEM_TYPE_URI, RETAILER_V10_MEDIA_TYPE } from './wire.ts';

export interface Violation {
  name: string;
  reason: string;
}

export const PROBLEM_HOST = 'Instance-101';
/** Title bol uses for validation failures (contract §4, real 400 example). */
export const VALIDATION_TITLE = 'Error validating request. Consult the bol.com API documentation for more information.';

export function problem(
  status: number,
  title: string,
  detail: string,
  instance: string,
  extra: { violations?: Violation[]; headers?: Record<string, string> } = {},
): Reply {
  const body = {
    type: PROBLEM_TYPE_URI,
    title,
    status,
    detail,
    host: PROBLEM_HOST,
    instance,
    ...(extra.violations ? { violations: extra.violations } : {}),
  };
  return jsonReply(status, body, RETAILER_V10_MEDIA_TYPE, extra.headers ?? {});
}

export function validationProblem(instance: string, violations: Violation[]): Reply {
  return problem(400, VALIDATION_TITLE, 'Bad request', instance, { violations });
}

/** Exact shape of the S1 fixture `401-jwt-expired`; clients match on the substring "JWT expired". */
export function expiredJwt(expiredAtMs: number, nowMs: number): Reply {
  const detail =
    `JWT expired at ${formatUtcSeconds(expiredAtMs)}. Current time: ${formatUtcSeconds(nowMs)}, ` +
    `a difference of ${Math.max(0, Math.round(nowMs - expiredAtMs))} milliseconds.  Allowed clock skew: 1000 milliseconds.`;
  return jsonReply(401, { title: 'Expired JWT', status: 401, detail }, RETAILER_V10_MEDIA_TYPE, { 'WWW-Authenticate': 'Bearer' });
}

export function unauthorized(instance: string, detail: string): Reply {
  return problem(401, 'Unauthorized', detail, instance, { headers: { 'WWW-Authenticate': 'Bearer' } });
}

/** The S1 fixture for an inactive account, verbatim. */
export function accountNotActive(): Reply {
  return jsonReply(
    403,
    {
      title: 'Forbidden',
      status: 403,
      detail: 'Account is not active, access denied. Please contact partnerservice if this is unexpected.',
      host: 'Instance-112',
    },
    RETAILER_V10_MEDIA_TYPE,
  );
}

/** The S1 fixture `429-too-many-requests`: no type, no violations, and a Retry-After header. */
export function tooManyRequests(retryAfterSeconds: number): Reply {
  return jsonReply(
    429,
    { title: 'Too Many Requests', status: 429, detail: `Too many requests, retry in ${retryAfterSeconds} seconds.` },
    RETAILER_V10_MEDIA_TYPE,
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

/** A 500 from a front proxy: HTML, not JSON, which a client must survive (contract §4, S1 fixture). */
export function htmlServerError(): Reply {
  return textReply(
    500,
    '<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server Error</h1></center><hr><center>bol.com</center></body></html>',
    'text/html',
  );
}

export function serviceUnavailable(instance: string): Reply {
  return problem(503, 'Service Unavailable', 'The service is temporarily unavailable, please try again later.', instance);
}
