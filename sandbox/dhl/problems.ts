/**
 * DHL's error answers: `application/problem+json` bodies with title, status and detail
 * (contract dhl-tracking.md, "Errors"; `ProblemDetail` of DHL's OpenAPI). The 404 is the spec's
 * own example body word for word (1.3.1–1.5.8 `shipmentNotFound`), `instance` included.
 */
import { jsonReply, textReply, type Reply } from '../http.ts';

export const PROBLEM_JSON = 'application/problem+json';

export function problem(status: number, title: string, detail: string, headers: Record<string, string> = {}, instance?: string): Reply {
  return jsonReply(status, { title, status, detail, ...(instance !== undefined ? { instance } : {}) }, PROBLEM_JSON, headers);
}

export function notFound(trackingNumber: string): Reply {
  return problem(404, 'No result found', 'No shipment with given tracking number found.', {}, `/shipment/${encodeURIComponent(trackingNumber)}`);
}

export function unauthorized(keyGiven: boolean): Reply {
  return problem(401, 'Unauthorized', keyGiven ? 'Invalid API key: the DHL-API-Key is not valid for this API.' : 'Missing API key: send it in the DHL-API-Key header.');
}

/** Per-second limit: `Retry-After` in whole seconds (at least 1). */
export function tooManyPerSecond(perSecond: number, retryAfterSeconds: number, sendRetryAfter: boolean): Reply {
  return problem(429, 'Too Many Requests', `Too many requests: the API key may make ${perSecond} call(s) per second.`, sendRetryAfter ? { 'Retry-After': String(retryAfterSeconds) } : {});
}

/** Daily quota: resets at 00:00 GMT, which `Retry-After` points at. */
export function tooManyPerDay(perDay: number, retryAfterSeconds: number, sendRetryAfter: boolean): Reply {
  return problem(
    429,
    'Too Many Requests',
    `Daily quota exceeded: the API key may make ${perDay} calls per day; the quota resets at 00:00 GMT.`,
    sendRetryAfter ? { 'Retry-After': String(retryAfterSeconds) } : {},
  );
}

export function badRequest(detail: string): Reply {
  return problem(400, 'Bad Request', detail);
}

export function serviceUnavailable(): Reply {
  return problem(503, 'Service Unavailable', 'The service is temporarily unavailable, please try again later.');
}

/** A 500 from a front proxy: HTML, not JSON, which a client must survive. */
export function htmlServerError(): Reply {
  return textReply(500, '<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1></body></html>', 'text/html');
}
