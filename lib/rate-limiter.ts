import { createGate, type Gate } from './gate.ts';

/**
 * Per-endpoint request pacing.
 *
 * Providers publish limits as "capacity requests per window". We space requests evenly at
 * window/capacity × (1 + margin) instead of bursting: an even pace satisfies both a fixed-window
 * and a sliding-window server whatever their window alignment, and the margin absorbs clock
 * and network jitter between us and them. The pace's position (`nextAt`) and any block from the
 * provider (`blockedUntil`) are plain data, so a job can hand them to the next job of the same
 * shop on another worker process: that is how a shop's limit holds across all workers.
 */

export interface RateRule {
  capacity: number;
  windowMs: number;
}

export interface RateKeyState {
  rule: RateRule;
  /** Earliest epoch ms at which the next request may start. */
  nextAt: number;
  /** The provider told us to wait until this epoch ms (429 or remaining = 0). */
  blockedUntil: number;
  /**
   * When our own latest requests were answered (or failed), oldest first. A request is counted by
   * the provider no later than it answers, so a window reckoned from the answers holds whatever
   * the time between our send and the provider's count (a busy event loop, a slow network).
   */
  recent?: number[];
}

export type RateState = Record<string, RateKeyState>;

export interface RateObservation {
  limit?: number;
  remaining?: number;
  resetMs?: number;
}

/**
 * How much slower than the published limit we pace: a share of the window, plus a fixed time per
 * window for the jitter between when we send and when the provider counts (event loops, network).
 * The window guard holds the limit whatever that jitter (it reckons from the answers); the margin
 * keeps the even pace clear of the guard, so calls seldom wait on it.
 * With bol's 60 s windows the share dominates; with the sandbox's sub-second windows the fixed part does.
 */
export interface RateMargin {
  ratio: number;
  jitterMs: number;
}

export function spacingMs(rule: RateRule, margin: RateMargin): number {
  return Math.ceil((rule.windowMs * (1 + margin.ratio) + margin.jitterMs) / rule.capacity);
}

/** The least time `requests` requests take under `rule` at an even pace, without margin. */
export function leastTimeMs(requests: number, rule: RateRule): number {
  return (requests * rule.windowMs) / rule.capacity;
}

function recentAnswers(state: RateKeyState, now: number): number[] {
  return (state.recent ?? []).filter((at) => at > now - state.rule.windowMs);
}

/** mustWaitMs: wait for a call in flight to be answered. */
const UNTIL_ANSWERED = Infinity;

interface Lane {
  state: RateKeyState;
  /** The lane's `maxConcurrent` places: a call holds one while it sleeps until its slot and while it is in flight. */
  places: Gate;
  /** Calls sent and not answered yet: each counts as if the provider counted it just now. */
  inFlight: number;
  /** When the lane's last call was sent (epoch ms); a carried state's last answer until then. */
  lastSentAt: number;
  /** Calls waiting for one of `inFlight` to be answered (every call of the guard window is in flight). */
  awaitingAnswer: (() => void)[];
}

/** A call the limiter dropped unsent because it was stopped. */
export class LimiterStoppedError extends Error {
  constructor() {
    super('This limiter has been stopped.');
    this.name = 'LimiterStoppedError';
  }
}

export class RateLimiter {
  private readonly lanes = new Map<string, Lane>();
  private readonly margin: RateMargin;
  private readonly maxConcurrent: number;
  private stopped = false;
  /** Calls sleeping until their slot: stop() wakes them, and they send nothing. */
  private readonly sleepers = new Set<() => void>();

  constructor(rules: Record<string, RateRule>, opts: { margin: RateMargin; carried?: RateState; maxConcurrent?: number }) {
    this.margin = opts.margin;
    this.maxConcurrent = opts.maxConcurrent ?? 8;
    for (const [key, rule] of Object.entries(rules)) {
      const carried = opts.carried?.[key];
      this.addLane(key, { rule, nextAt: carried?.nextAt ?? 0, blockedUntil: carried?.blockedUntil ?? 0, recent: carried?.recent ?? [] });
    }
  }

  /**
   * Runs `fn` when `key`'s pace allows it.
   *
   * Each call takes the next slot of the lane's even timeline (`nextAt`, then one spacing on)
   * when it gets one of the lane's places (at most `maxConcurrent` calls sleep or are in flight),
   * and sleeps until then. A timer that fires late (a busy event loop: many shops' jobs in one
   * process on a shared machine) therefore delays that one call, not every call after it: the
   * lane catches up instead of drifting below its pace. Catching up can bring calls closer than
   * one spacing, so before sending, a call also waits while the last window (plus the margin)
   * already holds `capacity` of the lane's calls, or while the provider's block holds.
   *
   * This runs for every provider call a worker makes (thousands a second with many shops), so it
   * is a gate and a timer per call, not a general-purpose scheduler.
   */
  schedule<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.lane(key);
    return lane.places.pass(async () => {
      // Calls still waiting for a place when the limiter stopped pass one by one and send nothing.
      if (this.stopped) throw new LimiterStoppedError();
      const slot = Math.max(Date.now(), lane.state.nextAt, lane.state.blockedUntil);
      lane.state.nextAt = slot + spacingMs(lane.state.rule, this.margin);
      await this.sleep(slot - Date.now());
      for (let waitMs = this.mustWaitMs(lane); waitMs > 0 && !this.stopped; waitMs = this.mustWaitMs(lane)) {
        await (waitMs === UNTIL_ANSWERED ? this.nextAnswer(lane) : this.sleep(waitMs));
      }
      if (this.stopped) throw new LimiterStoppedError();
      lane.lastSentAt = Date.now();
      lane.inFlight++;
      try {
        return await fn();
      } finally {
        lane.inFlight--;
        // The last `capacity` answers, however old: the guard looks a little further back than a window.
        const recent = lane.state.recent ?? (lane.state.recent = []);
        recent.push(Date.now());
        if (recent.length > lane.state.rule.capacity) recent.splice(0, recent.length - lane.state.rule.capacity);
        for (const wake of lane.awaitingAnswer.splice(0)) wake();
      }
    });
  }

  /**
   * How long a call that caught up must still wait: until the provider's block is over, the
   * lane's last window plus the margin holds fewer than `capacity` of its calls (the bound even
   * pacing keeps), and at least half a spacing has passed since the call before it, so calls
   * bunched behind a late timer still reach the provider spread out. 0: send now;
   * UNTIL_ANSWERED: the guard window holds `capacity` calls in flight, so nothing is known until one answers.
   *
   * The window is reckoned from when calls were answered, and calls in flight count as now: the
   * provider counted each of them by then at the latest. Reckoned from when they were sent, a call
   * that reached the provider late (ours queued behind a busy event loop, or the network's) and
   * one that reached it early could fall in one provider window with `capacity` others.
   */
  private mustWaitMs(lane: Lane): number {
    const { capacity } = lane.state.rule;
    const spacing = spacingMs(lane.state.rule, this.margin);
    const now = Date.now();
    const recent = lane.state.recent ?? [];
    const gapMs = lane.lastSentAt + spacing / 2 - now;
    const guardMs = spacing * capacity;
    // `recent` is oldest first; with the calls in flight as the newest, the capacity-th newest decides
    // whether the guard window is full.
    const answered = capacity - lane.inFlight;
    if (answered <= 0) return UNTIL_ANSWERED;
    const nth = recent[recent.length - answered];
    const fullMs = nth !== undefined && nth > now - guardMs ? nth + guardMs - now : 0;
    return Math.max(0, Math.ceil(Math.max(gapMs, fullMs, lane.state.blockedUntil - now)));
  }

  private nextAnswer(lane: Lane): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        resolve();
      };
      lane.awaitingAnswer.push(wake);
      this.sleepers.add(wake);
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.sleepers.add(wake);
    });
  }

  /**
   * Feeds a provider's rate-limit headers back into the pace. `remaining: 0` is expected when
   * our own requests filled the window (a small capacity leaves less than one request of margin):
   * the pace already waits for the oldest to leave. Only a window filled by someone else (another
   * integration on the same account) blocks the lane until the provider's reset.
   */
  observe(key: string, seen: RateObservation): void {
    const lane = this.lane(key);
    if (seen.limit && seen.limit > 0 && seen.limit !== lane.state.rule.capacity) {
      lane.state.rule = { ...lane.state.rule, capacity: seen.limit };
    }
    if (seen.remaining === 0 && seen.resetMs !== undefined) {
      const ours = recentAnswers(lane.state, Date.now()).length + lane.inFlight;
      if (ours < lane.state.rule.capacity - 1) this.blockUntil(key, Date.now() + seen.resetMs);
    }
  }

  /** No request on `key` starts before `untilMs` (epoch). */
  blockUntil(key: string, untilMs: number): void {
    const lane = this.lane(key);
    lane.state.blockedUntil = Math.max(lane.state.blockedUntil, untilMs);
  }

  /** The rule `key` is paced by now (headers may have corrected the published capacity). */
  rule(key: string): RateRule {
    return { ...this.lane(key).state.rule };
  }

  /** How many calls `key` takes at once (sleeping until their slot or in flight); more wait for a place. */
  places(key: string): number {
    this.lane(key); // an unknown key throws here, as in every other method
    return this.maxConcurrent;
  }

  /** Milliseconds until `key` may send again (0 when it may now). */
  waitMs(key: string): number {
    const s = this.lane(key).state;
    return Math.max(0, Math.max(s.nextAt, s.blockedUntil) - Date.now());
  }

  snapshot(): RateState {
    const out: RateState = {};
    const now = Date.now();
    for (const [key, lane] of this.lanes) {
      const recent = recentAnswers(lane.state, now);
      // Slots taken by calls that were dropped unsent (stop) are handed back: the next job's pace
      // follows from the last call actually sent.
      const nextAt = lane.lastSentAt > now - lane.state.rule.windowMs ? Math.min(lane.state.nextAt, lane.lastSentAt + spacingMs(lane.state.rule, this.margin)) : lane.state.nextAt;
      out[key] = { ...lane.state, nextAt, rule: { ...lane.state.rule }, recent };
    }
    return out;
  }

  /** Drops every request not yet started (they reject with LimiterStoppedError) and releases timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  private addLane(key: string, state: RateKeyState): void {
    this.lanes.set(key, { state, places: createGate(this.maxConcurrent), inFlight: 0, lastSentAt: state.recent?.at(-1) ?? 0, awaitingAnswer: [] });
  }

  private lane(key: string): Lane {
    const lane = this.lanes.get(key);
    if (!lane) throw new Error(`No rate rule for ${key}`);
    return lane;
  }
}
