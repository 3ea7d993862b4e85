import { z } from 'zod';
import type { RateObservation, RateRule } from '../../../lib/rate-limiter.ts';

/**
 * bol's rate limits (shared contract: bol-retailer-v10.md §4): per endpoint, published at
 * `/retailer/public/ratelimits` and echoed on every answer by `X-RateLimit-*` headers.
 */

export type BolEndpoint = 'list' | 'detail';

/** bol's published figures as of 2025-11, used only when the published list cannot be read. */
export const DOCUMENTED_LIMITS: Record<BolEndpoint, RateRule> = {
  list: { capacity: 25, windowMs: 60_000 },
  detail: { capacity: 50, windowMs: 60_000 },
};

const UNIT_MS = { SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000 } as const;

const publishedRule = z.object({
  path: z.string(),
  methods: z.array(z.string()).default(['GET']),
  maxCapacity: z.number().positive(),
  timeToLive: z.number().positive(),
  timeUnit: z.enum(['SECONDS', 'MINUTES', 'HOURS']),
  /** Sandbox extension for sub-second windows; bol itself speaks whole units. */
  timeToLiveMs: z.number().positive().optional(),
});

/** Our endpoints as bol names them: the most specific published rule wins. */
const ENDPOINT_PATHS: Record<BolEndpoint, { method: string; path: string }> = {
  list: { method: 'GET', path: '/retailer/shipments' },
  detail: { method: 'GET', path: '/retailer/shipments/{id}' },
};

export function parsePublishedLimits(body: unknown): Partial<Record<BolEndpoint, RateRule>> {
  const rules = z.array(publishedRule).parse(Array.isArray(body) ? body : ((body as { rateLimits?: unknown })?.rateLimits ?? body));
  const out: Partial<Record<BolEndpoint, RateRule>> = {};
  for (const [endpoint, target] of Object.entries(ENDPOINT_PATHS) as [BolEndpoint, { method: string; path: string }][]) {
    let best: { rule: RateRule; specificity: number } | undefined;
    for (const r of rules) {
      if (!r.methods.map((m) => m.toUpperCase()).includes(target.method)) continue;
      const specificity = matchSpecificity(r.path, target.path);
      if (specificity < 0 || (best && best.specificity >= specificity)) continue;
      best = { rule: { capacity: r.maxCapacity, windowMs: r.timeToLiveMs ?? r.timeToLive * UNIT_MS[r.timeUnit] }, specificity };
    }
    if (best) out[endpoint] = best.rule;
  }
  return out;
}

/** -1 when `pattern` does not cover `path`; otherwise higher is more specific. */
function matchSpecificity(pattern: string, path: string): number {
  const p = pattern.replace(/\/+$/, '').split('/');
  const t = path.split('/');
  let score = 0;
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg === '**') return score;
    const want = t[i];
    if (want === undefined) return -1;
    if (seg === '*' || seg.startsWith('{')) score += 1;
    else if (seg === want) score += 2;
    else return -1;
  }
  return p.length === t.length ? score : -1;
}

/** Reads `X-RateLimit-*` case-insensitively; a Reset above 10^9 is an epoch, not a duration (§4). */
export function parseRateHeaders(headers: Record<string, string | string[] | undefined>): RateObservation {
  const get = (name: string): number | undefined => {
    const raw = headers[name] ?? headers[name.toLowerCase()];
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (v === undefined || v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const reset = get('x-ratelimit-reset');
  return {
    limit: get('x-ratelimit-limit'),
    remaining: get('x-ratelimit-remaining'),
    resetMs: reset === undefined ? undefined : reset > 1e9 ? Math.max(0, reset * 1000 - Date.now()) : reset * 1000,
  };
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
