/**
 * What every simulator has: where it listens, its seed, the run-time latency and injected server
 * errors (checked the same way everywhere), and the handle a test drives it by. `check` is the
 * simulator's own, so errors keep its name ("DHL sandbox: …").
 */
import type { ListenOptions, RunningServer } from './http-server.ts';

/** What every simulator takes at start, besides its own options. */
export interface SandboxServerOptions extends ListenOptions {
  /** Added to every API answer, after the request was counted (default 0). */
  latencyMs?: number;
  /**
   * 0..1: fraction of API calls answered 500 or 503 in the provider's own error shape (bol's and
   * DHL's 500 is text/html), drawn from a seeded PRNG (default 0).
   */
  serverErrorRate?: number;
  /** Seed of the generated data and of the injected faults (default 1). */
  seed?: number;
}

/** A running simulator as a test drives it: what it saw, its run-time options, and close. */
export interface SandboxControls<Stats, RuntimeOptions> extends RunningServer {
  /** What the simulator saw since start or the last resetStats(), as a copy. */
  stats(): Stats;
  resetStats(): void;
  /** Changes run-time options, checked like the start options; the rest stay as they are. */
  setOptions(patch: RuntimeOptions): void;
}

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
