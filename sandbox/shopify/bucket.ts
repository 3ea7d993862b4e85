/**
 * Shopify's leaky bucket of query-cost points, one per app and shop: it holds up to `size` points
 * and refills continuously at `restoreRate` points/s. A query takes its requested cost up front and
 * gets back what it did not use (requested − actual) once it ran.
 */

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export class CostBucket {
  private available: number;
  private atMs: number;

  constructor(
    private size: number,
    private restoreRate: number,
    nowMs: number,
  ) {
    this.available = size;
    this.atMs = nowMs;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.atMs) {
      this.available = Math.min(this.size, this.available + ((nowMs - this.atMs) / 1000) * this.restoreRate);
      this.atMs = nowMs;
    }
  }

  /** Points available now (fractional: the bucket refills continuously). */
  availableAt(nowMs: number): number {
    this.refill(nowMs);
    return this.available;
  }

  /** Takes `cost` points when that many are available; otherwise takes nothing and answers false. */
  take(cost: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (cost > this.available) return false;
    this.available -= cost;
    return true;
  }

  refund(points: number, nowMs: number): void {
    this.refill(nowMs);
    this.available = Math.min(this.size, this.available + Math.max(0, points));
  }

  /** Empties the bucket (tests: make the next query wait for the refill). */
  drain(nowMs: number): void {
    this.refill(nowMs);
    this.available = 0;
  }

  reconfigure(size: number | undefined, restoreRate: number | undefined, nowMs: number): void {
    this.refill(nowMs);
    if (size !== undefined) {
      this.size = size;
      this.available = Math.min(this.available, size);
    }
    if (restoreRate !== undefined) this.restoreRate = restoreRate;
  }

  status(nowMs: number): ThrottleStatus {
    this.refill(nowMs);
    // Shopify reports currentlyAvailable as a whole number of points.
    return { maximumAvailable: this.size, currentlyAvailable: Math.floor(this.available), restoreRate: this.restoreRate };
  }
}
