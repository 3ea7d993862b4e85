/**
 * GET /retailer/public/ratelimits: bol's machine-readable limits (contract §4, S7), built from
 * the sandbox's configured windows. Public: no token, no Accept check, not rate limited.
 */
import type { WindowLimit } from '../rate-window.ts';
import type { RateLimitRule } from './wire.ts';

function rule(path: string, methods: string[], limit: WindowLimit): RateLimitRule {
  const wholeSeconds = limit.windowMs % 1000 === 0;
  return {
    path,
    methods,
    maxCapacity: limit.capacity,
    // Rounded up when the window is not whole seconds: a client obeying it stays within the real window.
    timeToLive: Math.ceil(limit.windowMs / 1000),
    timeUnit: 'SECONDS',
    ...(wholeSeconds ? {} : { timeToLiveMs: limit.windowMs }),
  };
}

export function rateLimitRules(limits: { list: WindowLimit; detail: WindowLimit }): RateLimitRule[] {
  return [
    rule('/retailer/shipments', ['GET'], limits.list),
    rule('/retailer/shipments/*', ['GET'], limits.detail),
    // Production lists POST on the same path with its own, much higher limit (S7: 25 per second). It is
    // kept so a client has to match on method as well as path; the simulator does not serve POST.
    { path: '/retailer/shipments', methods: ['POST'], maxCapacity: 25, timeToLive: 1, timeUnit: 'SECONDS' },
  ];
}
