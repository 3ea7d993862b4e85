/**
 * DHL Shipment Tracking limits (shared contract: dhl-tracking.md, "Limits"): per API key, 1 call
 * per second and 250 calls per day at the initial service level, the day resetting at 00:00 GMT;
 * DHL asks for at most 10 fetches of one shipment per day, spread evenly. Higher levels exist on
 * request, so these are defaults for whoever paces the polls, not constants of the API.
 */

export const DHL_DOCUMENTED_LIMITS = {
  perSecond: 1,
  perDay: 250,
  maxFetchesPerShipmentPerDay: 10,
} as const;

const DAY_MS = 86_400_000;

/** Epoch ms of the next 00:00 GMT after `nowMs`: when DHL's daily quota resets. */
export function nextGmtMidnight(nowMs: number): number {
  return (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS;
}

/** Which DHL limit a 429 is about. */
export type DhlLimitScope = 'second' | 'day';

export interface DhlRateLimit {
  scope: DhlLimitScope;
  /** How long to wait before the key may call again. */
  waitMs: number;
}

/**
 * Reads a DHL 429. The contract says only that the body is problem+json and that `Retry-After`
 * *may* be sent, so the scope comes from the problem text: a detail or title that speaks of a
 * day, a quota or a reset at midnight/GMT is the daily quota; anything else is the per-second
 * limit. A `Retry-After` of more than a minute also means the daily quota (the per-second limit
 * never asks for that long). The wait is `Retry-After` when sent, else the end of the second or
 * the next 00:00 GMT.
 */
export function readRateLimit(retryAfter: string | string[] | undefined, problemText: string, nowMs: number): DhlRateLimit {
  const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
  const saysDaily = /\b(day|daily|per day|quota|midnight|GMT|tomorrow)\b/i.test(problemText);
  const scope: DhlLimitScope = saysDaily || (retryAfterMs !== undefined && retryAfterMs > 60_000) ? 'day' : 'second';
  if (retryAfterMs !== undefined) return { scope, waitMs: retryAfterMs };
  return { scope, waitMs: scope === 'day' ? nextGmtMidnight(nowMs) - nowMs : 1_000 - (nowMs % 1_000) };
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
