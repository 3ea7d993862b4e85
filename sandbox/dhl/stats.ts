/**
 * What the DHL simulator saw, so a test can prove what a client did: calls per key and what they
 * were answered, calls per tracking number (in all and per GMT day, against DHL's "at most 10
 * fetches per shipment per day"), 429s, and the most calls a key made in any one second.
 */
import { WindowPeakTracker } from '../rate-window.ts';

export interface DhlKeyStats {
  /** Calls that carried this key, whatever they were answered. */
  requests: number;
  /** Answered 200. */
  ok: number;
  /** Answered 429 (per-second limit or daily quota). */
  tooMany: number;
  /** Answered 404. */
  notFound: number;
  /** Calls counted against the quota of the current GMT day (every call not answered 429). */
  today: number;
}

export interface DhlSandboxStats {
  /** Every HTTP request, 401s and wrong paths included. */
  requests: number;
  byKey: Record<string, DhlKeyStats>;
  /** Calls with a valid key per tracking number asked for (429s included). */
  byTrackingNumber: Record<string, number>;
  /** The same per GMT day ("2024-03-01"). */
  byTrackingNumberByDay: Record<string, Record<string, number>>;
  tooManyRequests: number;
  /** Per key: most calls (429s included) that arrived within any 1000 ms. */
  maxPerSecond: Record<string, number>;
  /** 500/503 answers injected by serverErrorRate. */
  injectedServerErrors: number;
}

export class DhlStatsRecorder {
  private requests = 0;
  private tooManyRequests = 0;
  private injectedServerErrors = 0;
  private byKey: Record<string, Omit<DhlKeyStats, 'today'>> = {};
  private byTrackingNumber: Record<string, number> = {};
  private byTrackingNumberByDay: Record<string, Record<string, number>> = {};
  private readonly peaks = new WindowPeakTracker();

  request(): void {
    this.requests += 1;
  }

  /** A call with a valid key arrived at `nowMs` (recorded before any limit is checked). */
  keyed(key: string, trackingNumber: string | null, nowMs: number): Omit<DhlKeyStats, 'today'> {
    const entry = (this.byKey[key] ??= { requests: 0, ok: 0, tooMany: 0, notFound: 0 });
    entry.requests += 1;
    this.peaks.record(key, 1000, nowMs);
    if (trackingNumber) {
      this.byTrackingNumber[trackingNumber] = (this.byTrackingNumber[trackingNumber] ?? 0) + 1;
      const day = new Date(nowMs).toISOString().slice(0, 10);
      const perDay = (this.byTrackingNumberByDay[trackingNumber] ??= {});
      perDay[day] = (perDay[day] ?? 0) + 1;
    }
    return entry;
  }

  tooMany(entry: Omit<DhlKeyStats, 'today'>): void {
    entry.tooMany += 1;
    this.tooManyRequests += 1;
  }

  injected(): void {
    this.injectedServerErrors += 1;
  }

  snapshot(today: (key: string) => number, keys: readonly string[]): DhlSandboxStats {
    const byKey: Record<string, DhlKeyStats> = {};
    const maxPerSecond: Record<string, number> = {};
    for (const key of new Set([...keys, ...Object.keys(this.byKey)])) {
      byKey[key] = { ...(this.byKey[key] ?? { requests: 0, ok: 0, tooMany: 0, notFound: 0 }), today: today(key) };
      maxPerSecond[key] = this.peaks.peak(key);
    }
    return structuredClone({
      requests: this.requests,
      byKey,
      byTrackingNumber: this.byTrackingNumber,
      byTrackingNumberByDay: this.byTrackingNumberByDay,
      tooManyRequests: this.tooManyRequests,
      maxPerSecond,
      injectedServerErrors: this.injectedServerErrors,
    });
  }

  reset(): void {
    this.requests = 0;
    this.tooManyRequests = 0;
    this.injectedServerErrors = 0;
    this.byKey = {};
    this.byTrackingNumber = {};
    this.byTrackingNumberByDay = {};
    this.peaks.clear();
  }
}
