/**
 * Sliding-window logs, shared by the simulators.
 *
 * `SlidingWindowLimiter` is the strict reading of "maxCapacity per timeToLive": at most
 * `capacity` accepted requests in ANY interval of `windowMs`, not per fixed bucket. A client
 * that merely resets a counter every minute can still get 429s from it, which is the point.
 * A request belongs to the window (t - windowMs, t], so a slot frees exactly windowMs after the
 * request that took it.
 *
 * `WindowPeakTracker` does not limit anything: it records every arrival (accepted or not) so a
 * test can prove how hard a client pushed, e.g. "never more than 25 list calls in any minute".
 */

export interface WindowLimit {
  capacity: number;
  windowMs: number;
}

export interface WindowDecision {
  allowed: boolean;
  limit: number;
  /** Slots left in the current window after this decision. */
  remaining: number;
  /** ms until the oldest request in the window leaves it, i.e. until one more slot frees (0 when the window is empty). */
  resetMs: number;
  /** ms until a request would be accepted (0 when one would be accepted now). */
  retryAfterMs: number;
  /** Accepted requests in the window after this decision. */
  inWindow: number;
}

export class SlidingWindowLimiter {
  private readonly logs = new Map<string, number[]>();

  /** Accepts and records the request if the window has room; a rejected request consumes nothing. */
  take(key: string, limit: WindowLimit, nowMs: number): WindowDecision {
    const log = this.pruned(key, limit, nowMs);
    if (log.length < limit.capacity) {
      log.push(nowMs);
      return this.describe(log, limit, nowMs, true);
    }
    return this.describe(log, limit, nowMs, false);
  }

  /** The state of the window without taking a slot (for answers that do not count, e.g. 401s). */
  peek(key: string, limit: WindowLimit, nowMs: number): WindowDecision {
    const log = this.pruned(key, limit, nowMs);
    return this.describe(log, limit, nowMs, log.length < limit.capacity);
  }

  clear(): void {
    this.logs.clear();
  }

  private pruned(key: string, limit: WindowLimit, nowMs: number): number[] {
    let log = this.logs.get(key);
    if (!log) {
      log = [];
      this.logs.set(key, log);
    }
    const cutoff = nowMs - limit.windowMs;
    let drop = 0;
    while (drop < log.length && (log[drop] as number) <= cutoff) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }

  private describe(log: number[], limit: WindowLimit, nowMs: number, allowed: boolean): WindowDecision {
    const oldest = log[0];
    const resetMs = oldest === undefined ? 0 : oldest + limit.windowMs - nowMs;
    // The log can hold more than `capacity` entries if the capacity was lowered at run time:
    // then several entries must expire before the next request fits.
    const blocking = log[log.length - limit.capacity];
    const retryAfterMs = log.length < limit.capacity || blocking === undefined ? 0 : blocking + limit.windowMs - nowMs;
    return {
      allowed,
      limit: limit.capacity,
      remaining: Math.max(0, limit.capacity - log.length),
      resetMs,
      retryAfterMs,
      inWindow: log.length,
    };
  }
}

export class WindowPeakTracker {
  private readonly logs = new Map<string, number[]>();
  private readonly peaks = new Map<string, number>();

  /** Records an arrival and returns how many arrivals fall in (now - windowMs, now]. */
  record(key: string, windowMs: number, nowMs: number): number {
    let log = this.logs.get(key);
    if (!log) {
      log = [];
      this.logs.set(key, log);
    }
    log.push(nowMs);
    const cutoff = nowMs - windowMs;
    let drop = 0;
    while (drop < log.length && (log[drop] as number) <= cutoff) drop++;
    if (drop > 0) log.splice(0, drop);
    // The busiest window always ends at an arrival, so checking at each arrival finds the peak.
    if (log.length > (this.peaks.get(key) ?? 0)) this.peaks.set(key, log.length);
    return log.length;
  }

  peak(key: string): number {
    return this.peaks.get(key) ?? 0;
  }

  clear(): void {
    this.logs.clear();
    this.peaks.clear();
  }
}
