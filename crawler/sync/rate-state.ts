import { z } from 'zod';
import type { RateRule, RateState } from '../../lib/rate-limiter.ts';

/**
 * A shop's (or a carrier key's) position in its provider's limits, stored on its row and carried from one
 * job of its chain to the next (whichever worker runs it). Only one job of a shop's sync runs at a time, so
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

/** Reads a stored rate state: its JSON text, or the value parsed from it. */
export function readRateState(raw: unknown): ShopRateState {
  if (raw === null || raw === undefined || raw === '') return {};
  const parsed = schema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  // A state we cannot read is only a lost optimisation: start from the published limits again.
  return parsed.success ? parsed.data : {};
}
