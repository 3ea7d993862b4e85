/**
 * Run-time options every simulator has (latency and injected server errors), checked the same
 * way everywhere. `check` is the simulator's own, so errors keep its name ("DHL sandbox: …").
 */

export interface LatencyAndErrorRate {
  latencyMs: number;
  serverErrorRate: number;
}

/** Copies patch.latencyMs and patch.serverErrorRate onto `next` (a fresh copy), checking each. */
export function applyLatencyAndErrorRate(
  next: LatencyAndErrorRate,
  patch: Partial<LatencyAndErrorRate>,
  check: (ok: boolean, message: string) => void,
): void {
  if (patch.latencyMs !== undefined) {
    check(Number.isFinite(patch.latencyMs) && patch.latencyMs >= 0, 'latencyMs must be >= 0');
    next.latencyMs = patch.latencyMs;
  }
  if (patch.serverErrorRate !== undefined) {
    check(patch.serverErrorRate >= 0 && patch.serverErrorRate <= 1, 'serverErrorRate must be within 0..1');
    next.serverErrorRate = patch.serverErrorRate;
  }
}
