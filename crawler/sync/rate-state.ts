import { z } from 'zod';
import type { RateRule, RateState } from '../../lib/rate-limiter.ts';

/**
 * A shop's position in its provider's limits, stored on the shop row and carried from one page
 * job to the next (whichever worker runs it). Only one job of a shop's sync runs at a time, so
 * the job in hand owns this state until it commits.
 */
const rule = z.object({ capacity: z.number().positive(), windowMs: z.number().positive() });
const schema = z.object({
  limits: z.record(rule).optional(),
  limitsFetchedAt: z.number().optional(),
  lanes: z.record(z.object({ rule, nextAt: z.number(), blockedUntil: z.number(), recent: z.array(z.number()).optional() })).optional(),
});

export interface ShopRateState {
  limits?: Record<string, RateRule>;
  limitsFetchedAt?: number;
  lanes?: RateState;
}

/** Published limits are re-read this often; headers correct them in between. */
export const PUBLISHED_LIMITS_TTL_MS = 60 * 60 * 1000;

export function readRateState(raw: string | null): ShopRateState {
  if (!raw) return {};
  const parsed = schema.safeParse(JSON.parse(raw));
  // A state we cannot read is only a lost optimisation: start from the published limits again.
  return parsed.success ? parsed.data : {};
}
