import { z } from 'zod';
import type { RateMargin } from '../../../lib/rate-limiter.ts';

/**
 * Pacing under Shopify's calculated query cost (shopify.dev, "API rate limits"): a leaky bucket
 * of points per app and shop. Every answer tells the bucket's state (`throttleStatus`: size,
 * points available, restore rate) and what the query cost (`requestedQueryCost` up front,
 * `actualQueryCost` charged). The pacer keeps the last state, so before each call it knows how
 * many points are there now (what was there plus what restored since, never more than the
 * size) and what the query will ask (its requested cost, learnt per query shape: the fixed part
 * and the part per item of its page). It waits exactly until that many points are there, so
 * the bucket never refuses a call (THROTTLED). The state and the learnt costs travel with the
 * shop's rate state from step to step and worker to worker, as bol's pace does. Restore rates
 * differ by plan (50 to 2,000 points/s) and are only ever read from answers.
 */

/** Before the first answer: the smallest plan's figures (bucket 1,000, restore 50 points/s). */
export const DEFAULT_BUCKET = { maximumAvailable: 1_000, restoreRate: 50 } as const;
/** Shopify refuses a single query above this cost (MAX_COST_EXCEEDED). */
export const MAX_QUERY_COST = 1_000;

const bucketSchema = z.object({ maximumAvailable: z.number().positive(), currentlyAvailable: z.number(), restoreRate: z.number().positive(), at: z.number() });
const costSchema = z.object({ fixed: z.number().nonnegative(), perItem: z.number().nonnegative() });
export const shopifyRateStateSchema = z.object({ bucket: bucketSchema.optional(), costs: z.record(costSchema).default({}) });
export type ShopifyRateState = z.infer<typeof shopifyRateStateSchema>;
type Bucket = z.infer<typeof bucketSchema>;
export type LearntCost = z.infer<typeof costSchema>;

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export function readShopifyRateState(raw: unknown): ShopifyRateState {
  const parsed = shopifyRateStateSchema.safeParse(raw ?? {});
  // A state we cannot read only costs a slower start.
  return parsed.success ? parsed.data : { costs: {} };
}

export class CostPacer {
  private bucket: Bucket | undefined;
  private readonly costs: Record<string, LearntCost>;
  /** Calls leave one at a time, in order: each one's wait assumes the points the one before took. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    carried: ShopifyRateState,
    private readonly margin: RateMargin,
    opts: { redelivered: boolean },
  ) {
    this.bucket = carried.bucket;
    this.costs = { ...carried.costs };
    if (opts.redelivered && this.bucket) {
      // The worker before died mid-step: what it spent after its last commit is in no saved
      // state. Assume it spent a full query's worth more; the deficit travels in the snapshot,
      // so a step sent back to wait for it finds it restored, not taken again.
      this.bucket = { ...this.bucket, currentlyAvailable: this.availableAt(Date.now()) - MAX_QUERY_COST, at: Date.now() };
    }
  }

  /** The largest query this shop's bucket can ever pay for. */
  ceiling(): number {
    return Math.min(MAX_QUERY_COST, this.bucket?.maximumAvailable ?? DEFAULT_BUCKET.maximumAvailable);
  }

  /** The requested cost of shape `shape` with `items` items a page, as learnt; undefined before its first answer. */
  estimate(shape: string, items: number): number | undefined {
    const c = this.costs[shape];
    return c === undefined ? undefined : c.fixed + c.perItem * items;
  }

  /**
   * The most items a page of `shape` may hold so that its requested cost stays within `share` of
   * the ceiling (so cost that grows shrinks the page), between 1 and `max`; `fallback` before
   * the shape's first answer.
   */
  pageSize(shape: string, opts: { max: number; fallback: number; share?: number }): number {
    const c = this.costs[shape];
    if (!c) return opts.fallback;
    const budget = this.ceiling() * (opts.share ?? 0.9) - c.fixed;
    const fits = c.perItem > 0 ? Math.floor(budget / c.perItem) : opts.max;
    return Math.max(1, Math.min(opts.max, fits));
  }

  /** Milliseconds until `cost` points are there (0: now). */
  waitMs(cost: number, now = Date.now()): number {
    const b = this.bucket ?? { ...DEFAULT_BUCKET, currentlyAvailable: DEFAULT_BUCKET.maximumAvailable, at: 0 };
    const want = Math.min(cost, b.maximumAvailable);
    const missing = want - this.availableAt(now);
    if (missing <= 0) return 0;
    // The margin: restore a little slower than announced, plus the jitter between our clock and theirs.
    return Math.ceil((missing / b.restoreRate) * 1000 * (1 + this.margin.ratio) + this.margin.jitterMs);
  }

  /** Milliseconds until the next query of `shape` with `items` items may leave (unknown cost: the ceiling). */
  waitForMs(shape: string, items: number, now = Date.now()): number {
    return this.waitMs(this.estimate(shape, items) ?? this.ceiling(), now);
  }

  /**
   * Runs `send` once `cost` points are there (its requested cost; unknown: the ceiling), taking
   * them from the estimate when it leaves. `signal` stops the wait.
   */
  async run<T>(cost: number | undefined, send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const turn = this.queue.then(async () => {
      const want = cost ?? this.ceiling();
      for (let wait = this.waitMs(want); wait > 0; wait = this.waitMs(want)) await sleep(wait, signal);
      if (this.bucket) this.bucket = { ...this.bucket, currentlyAvailable: this.availableAt(Date.now()) - want, at: Date.now() };
    });
    this.queue = turn.catch(() => undefined);
    await turn;
    return send();
  }

  /** An answer's `throttleStatus`: the bucket as Shopify counts it now. */
  observe(status: ThrottleStatus | undefined): void {
    if (!status) return;
    this.bucket = { maximumAvailable: status.maximumAvailable, currentlyAvailable: status.currentlyAvailable, restoreRate: status.restoreRate, at: Date.now() };
  }

  /** Learns `shape`'s requested cost from an answer to a page of `items` items (a fixed part of 2 for the connection). */
  learn(shape: string, requested: number, items: number): void {
    const fixed = Math.min(requested, this.costs[shape]?.fixed ?? (items > 0 ? 2 : requested));
    this.costs[shape] = { fixed, perItem: items > 0 ? (requested - fixed) / items : 0 };
  }

  snapshot(): ShopifyRateState {
    return { ...(this.bucket ? { bucket: { ...this.bucket } } : {}), costs: { ...this.costs } };
  }

  private availableAt(now: number): number {
    const b = this.bucket;
    if (!b) return DEFAULT_BUCKET.maximumAvailable;
    return Math.min(b.maximumAvailable, b.currentlyAvailable + (b.restoreRate * Math.max(0, now - b.at)) / 1000);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
