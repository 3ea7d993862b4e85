import type { WebhookOptions } from './options.ts';

/** A webhook whose last answer took less, and none of whose deliveries has taken longer yet, is quick. */
const QUICK_ANSWER_MS = 100;

/**
 * This worker's deliveries in flight per webhook, and how long each webhook's last answer took,
 * so that a slow or dead receiver cannot take the worker's slots from the others:
 * - a quick webhook may use every slot;
 * - one this worker has not heard from yet gets one delivery at a time until it answers;
 * - the others share `maxSlowSlots` slots, and a slow one (see WebhookOptions.slowAfterMs)
 *   holds at most one of them.
 */
export class InFlightDeliveries {
  private readonly running = new Map<number, Set<number>>();
  private readonly lastDurationMs = new Map<number, number>();
  private slowInFlight = 0;
  private readonly circuits = new Map<number, number>();

  /** Until when this worker last saw the webhook's circuit open (0: closed or unknown). */
  blockedUntil(webhookId: number): number {
    return this.circuits.get(webhookId) ?? 0;
  }

  /** What this worker read or wrote of the webhook's circuit. */
  noteCircuit(webhookId: number, blockedUntil: number): void {
    if (blockedUntil > 0) this.circuits.set(webhookId, blockedUntil);
    else this.circuits.delete(webhookId);
  }

  /** Takes a slot for one delivery to `webhookId` and returns its release, or null when there is none. */
  tryStart(webhookId: number, limits: Pick<WebhookOptions, 'slowAfterMs' | 'maxSlowSlots'>): (() => void) | null {
    let starts = this.running.get(webhookId);
    const now = performance.now();
    const inFlight = starts?.size ?? 0;
    const oldestMs = inFlight > 0 ? now - Math.min(...starts!) : 0;
    const lastMs = this.lastDurationMs.get(webhookId);
    let countsAsSlow = false;
    if (lastMs === undefined) {
      if (inFlight > 0) return null;
    } else if (lastMs >= QUICK_ANSWER_MS || oldestMs >= QUICK_ANSWER_MS) {
      const slow = lastMs > limits.slowAfterMs || oldestMs > limits.slowAfterMs;
      if ((slow && inFlight > 0) || this.slowInFlight >= limits.maxSlowSlots) return null;
      countsAsSlow = true;
    }
    if (!starts) this.running.set(webhookId, (starts = new Set()));
    // Unique per start even within one millisecond.
    let startedAt = now;
    while (starts.has(startedAt)) startedAt += 1e-6;
    starts.add(startedAt);
    if (countsAsSlow) this.slowInFlight++;
    const mine = starts;
    return () => {
      if (countsAsSlow) this.slowInFlight--;
      mine.delete(startedAt);
      if (mine.size === 0 && this.running.get(webhookId) === mine) this.running.delete(webhookId);
    };
  }

  record(webhookId: number, durationMs: number): void {
    this.lastDurationMs.set(webhookId, durationMs);
  }
}
