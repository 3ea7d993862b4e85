import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import { AuthError, PermanentError, RateLimitedError } from '../../lib/errors.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { RateLimiter, type RateMargin, type RateRule } from '../../lib/rate-limiter.ts';
import {
  advanceTrackingKey,
  deletePoll,
  findPlannedPolls,
  findTrackingKey,
  restTrackingChain,
  updatePoll,
  type PlannedPoll,
} from '../../models/tracking-polls.ts';
import { mayHaveLostSuccessor, type JobContext } from '../consume.ts';
import type { CarrierPoller, ShipmentPollRules, TrackingRequest, TrackingResult } from '../connectors/carrier-connector.ts';
import { carrierConnector, type CarrierSettings } from '../connectors/carriers.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { readRateState } from '../sync/rate-state.ts';
import { withAnswersInHand } from '../answers-in-hand.ts';
import { appendTrackingEvents, storeCarrierDelivery } from '../sync/shipments.ts';
import { findShipmentStatus } from '../../models/shipments.ts';
import { dayOf, DAY_MS, isFinal, pollSpacingMs, priorityOf } from '../sync/tracking-polls.ts';

export interface TrackingPollDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  /** Each carrier connector's settings (its key and limits), by connector name. */
  carriers: Partial<CarrierSettings>;
  rateMargin: RateMargin;
  /** Epoch ms; tests pass a controlled time (quota days, due times). The pace itself runs on the wall clock. */
  now: () => number;
  /** Polls one step of the chain makes at most (default 5): a step holds its worker for about that many seconds. */
  pollsPerJob?: number;
}

type Payload = JobPayload<'tracking.poll'>;

/** After a refused key, the chain rests this long before the clock restarts it. */
const AUTH_PAUSE_MS = 60 * 60_000;
/** After a step is given up (an outage outlasting its attempts), the chain rests this long. */
const GIVE_UP_PAUSE_MS = 5 * 60_000;
const LANE = 'track';

type PollResult =
  | { kind: 'tracked'; poll: PlannedPoll; tracking: TrackingResult }
  | { kind: 'rejected'; poll: PlannedPoll; reason: string }
  | { kind: 'drop'; poll: PlannedPoll };

/** The carrier key's limits as one limiter lane: 1 call/s is capacity 1 per 1,000 ms; 0.5/s is 1 per 2,000 ms. */
export function trackingRule(callsPerSecond: number): RateRule {
  return callsPerSecond >= 1 ? { capacity: Math.floor(callsPerSecond), windowMs: 1_000 } : { capacity: 1, windowMs: Math.ceil(1_000 / callsPerSecond) };
}

/**
 * One step of a carrier key's poll chain: polls up to `pollsPerJob` planned shipments at the
 * key's pace, then commits events, poll rows and the key's state (pace position, calls today,
 * step) in one transaction, then publishes the next step. Only the job whose `step` is the
 * key's does anything, and the next step exists only after this one committed: at most one
 * step per key is ever polling, on whichever worker, so the key's calls per second hold across
 * all workers (the same chain as a sync run's pages: crawler/sync/rate-state.ts).
 *
 * Errors (the consume wrapper is the retry policy): a 429 blocks the key's pace until the
 * provider's Retry-After (the daily quota: next 00:00 GMT) and the step comes back then, costing
 * no attempt; an outage (5xx, network) comes back with backoff. Unpolled shipments stay
 * `planned` in the database either way: a wait delays them, it never loses them.
 */
export async function handleTrackingPoll(deps: TrackingPollDeps, payload: Payload, ctx: JobContext): Promise<void> {
  const { knex } = deps;
  // The job's `carrier` names the connector whose key this chain is.
  const connectorName = payload.carrier;
  const connector = carrierConnector(connectorName);
  const settings = deps.carriers[connectorName];
  if (!settings) throw new PermanentError(`No settings for the ${connectorName} carrier connector: its tracking.poll jobs cannot be handled here.`);
  const limits = connector.limitsOf(settings);
  const key = await findTrackingKey(knex, connectorName);
  if (!key) return;
  if (Number(key.step) !== payload.step) {
    // One step behind: this step committed before, maybe without publishing the next one.
    if (mayHaveLostSuccessor(ctx) && key.chain === 'running' && Number(key.step) === payload.step + 1) {
      await enqueue(deps.queue, 'tracking.poll', { carrier: connectorName, step: Number(key.step) });
    }
    return;
  }
  if (key.chain !== 'running') return;
  const log = deps.logger.child({ carrier: connectorName, step: payload.step });
  const next: Payload = { carrier: connectorName, step: payload.step + 1 };
  const now = deps.now();
  const today = dayOf(now);
  const callsBefore = Number(key.quota_day) === today ? Number(key.calls_today) : 0;

  if (callsBefore >= limits.callsPerDay) {
    // The key's daily quota is spent: wait for 00:00 GMT without asking the carrier.
    const waitMs = (today + 1) * DAY_MS - now + 1_000;
    await commitLink(deps, payload, { now, today, calls: 0, results: [], blockedUntil: now + waitMs }, { signal: ctx.signal, log });
    ctx.setPayload(next);
    throw new RateLimitedError(`The ${connectorName} key's ${limits.callsPerDay} calls of today are spent; polls wait for 00:00 GMT.`, waitMs);
  }

  const polls = await findPlannedPolls(knex, connectorName, Math.min(deps.pollsPerJob ?? 5, limits.callsPerDay - callsBefore));
  if (polls.length === 0) {
    // Nothing planned: the chain rests until the clock plans again (it starts a new step then).
    await restTrackingChain(knex, connectorName, payload.step, now);
    return;
  }

  const rateState = readRateState(key.rate_state);
  const rule = trackingRule(limits.callsPerSecond);
  const limiter = new RateLimiter({ [LANE]: rule }, { margin: deps.rateMargin, carried: rateState.lanes });
  // A redelivered step's predecessor may have sent calls after its last commit: let them age out.
  if (ctx.redelivered) limiter.blockUntil(LANE, Date.now() + rule.windowMs);
  let calls = 0;
  const poller = connector.open(settings, {
    onRequest: () => void calls++,
    // Every call goes through the key's pace, so no retries in place: an outage ends the step.
    retries: 0,
    clock: deps.now,
    timeoutMs: 15_000,
    // A poll's further calls (another page) also count against the day's calls: one goes only
    // while the day still has room for it beside every planned poll's first call.
    paceFurtherCall: (call) => (callsBefore + calls + polls.length < limits.callsPerDay ? limiter.schedule(LANE, call) : Promise.resolve(undefined)),
  });
  const { results, failure } = await pollShipments(poller, limiter, polls, ctx.signal);

  let blockedUntil: number | undefined;
  if (failure instanceof RateLimitedError) {
    limiter.blockUntil(LANE, Date.now() + failure.retryAfterMs);
    blockedUntil = now + failure.retryAfterMs;
  } else if (failure instanceof AuthError) {
    limiter.blockUntil(LANE, Date.now() + AUTH_PAUSE_MS);
    blockedUntil = now + AUTH_PAUSE_MS;
  }
  const committed = await commitLink(deps, payload, {
    now,
    today,
    calls,
    results,
    blockedUntil,
    rateState: JSON.stringify({ ...rateState, lanes: limiter.snapshot() }),
    idle: failure instanceof AuthError,
  }, { signal: ctx.signal, log });
  if (!committed) {
    log.info('step already committed by another delivery; dropping this one');
    return;
  }
  log.info({ polled: results.filter((r) => r.kind === 'tracked').length, calls, failure: failure ? String(failure) : undefined }, 'tracking step committed');
  if (failure instanceof AuthError) {
    // Nobody can fix a refused key by retrying: the chain rests (planned polls stay planned)
    // and the clock restarts it after the pause; the log line tells the operator what to do.
    log.error({ err: failure.message }, 'the carrier refused the API key; tracking polls paused');
    return;
  }
  if (failure) {
    ctx.setPayload(next);
    throw failure;
  }
  await enqueue(deps.queue, 'tracking.poll', next);
}

/**
 * Asks the carrier about each planned shipment at the key's pace, in order. A number the carrier
 * rejects ends that shipment's polling; any other error ends the step, keeping the answers so far.
 */
async function pollShipments(poller: CarrierPoller, limiter: RateLimiter, polls: PlannedPoll[], signal: AbortSignal): Promise<{ results: PollResult[]; failure: unknown }> {
  // At shutdown, calls still waiting for their slot are dropped at once; one in flight finishes.
  const stopLimiter = () => void limiter.stop();
  signal.addEventListener('abort', stopLimiter, { once: true });
  const results: PollResult[] = [];
  let failure: unknown;
  try {
    for (const poll of polls) {
      if (!poll.tracking_number?.trim() || isFinal(poll.status)) {
        results.push({ kind: 'drop', poll });
        continue;
      }
      try {
        const request: TrackingRequest = { trackingNumber: poll.tracking_number };
        if (poll.receiver_postal_code) request.recipientPostalCode = poll.receiver_postal_code;
        const tracking = await limiter.schedule(LANE, () => poller.poll(request));
        results.push({ kind: 'tracked', poll, tracking });
      } catch (err) {
        // A number the carrier rejects (DHL: a 4xx other than 401/403/404/429) ends that shipment's polling, not the chain.
        if (err instanceof PermanentError) {
          results.push({ kind: 'rejected', poll, reason: err.message });
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    failure = signal.aborted ? signal.reason : err;
  } finally {
    signal.removeEventListener('abort', stopLimiter);
    await limiter.stop();
  }
  return { results, failure };
}

class StaleStep extends Error {}

/**
 * The step's carrier answers, the key's counters and the next step, in one transaction; false when
 * another delivery of this step committed first. The answers cost calls of the key's day, so a busy
 * or briefly unreachable database, or a connection lost mid-commit, runs the commit again with
 * them (withAnswersInHand); after a lost connection, a key found at the next step with this
 * commit's heartbeat is this commit's own.
 */
async function commitLink(
  deps: TrackingPollDeps,
  payload: Payload,
  outcome: { now: number; today: number; calls: number; results: PollResult[]; blockedUntil?: number; rateState?: string; idle?: boolean },
  opts: { signal: AbortSignal; log: Logger },
): Promise<boolean> {
  const { now, today } = outcome;
  const rules = carrierConnector(payload.carrier).shipmentPolls;
  const commitOnce = (afterLostConnection: boolean) =>
    deps.knex
      .transaction(async (trx) => {
        if (!(await advanceTrackingKey(trx, payload.carrier, payload.step, outcome))) throw new StaleStep();
        for (const r of outcome.results) await storeResult(trx, r, now, today, rules);
        return true;
      })
      .catch(async (err: unknown) => {
        if (!(err instanceof StaleStep)) throw err;
        if (!afterLostConnection) return false;
        const key = await findTrackingKey(deps.knex, payload.carrier);
        return Number(key?.step) === payload.step + 1 && Number(key?.heartbeat_at) === now;
      });
  return withAnswersInHand(commitOnce, { ...opts, what: 'tracking step commit' });
}

async function storeResult(trx: Knex.Transaction, r: PollResult, now: number, today: number, rules: ShipmentPollRules): Promise<void> {
  const id = Number(r.poll.shipment_id);
  if (r.kind === 'drop') {
    await deletePoll(trx, id);
    return;
  }
  const pollsToday = (Number(r.poll.polls_day) === today ? Number(r.poll.polls_today) : 0) + 1;
  const counted = { polls_day: today, polls_today: pollsToday, last_polled_at: now, planned_at: null, updated_at: now };
  if (r.kind === 'rejected') {
    await updatePoll(trx, id, { ...counted, state: 'stopped', last_result: 'rejected' });
    return;
  }
  if (!r.tracking.found) {
    // New labels reach the carrier a while after they are made: a young shipment is asked again later.
    const madeAt = Number(r.poll.shipped_at ?? r.poll.created_at);
    const young = now - madeAt < rules.notFoundGraceMs;
    await updatePoll(trx, id, { ...counted, state: young ? 'waiting' : 'stopped', next_poll_at: now + pollSpacingMs(rules.maxPerDay), last_result: 'not_found' });
    return;
  }
  await appendTrackingEvents(trx, id, r.tracking.events);
  if (r.tracking.delivery) await storeCarrierDelivery(trx, id, r.tracking.delivery, now);
  const status = await findShipmentStatus(trx, id);
  if (!status || isFinal(status)) {
    // Delivered or returned: the carrier has nothing more to say that we would poll for.
    await deletePoll(trx, id);
    return;
  }
  await updatePoll(trx, id, { ...counted, state: 'waiting', priority: priorityOf(status), next_poll_at: now + pollSpacingMs(rules.maxPerDay), last_result: 'found' });
}

/** The consume wrapper gave a step up (an outage outlasted its attempts): rest the chain; the clock restarts it. */
export async function restChain(knex: Knex, payload: Payload, now: number): Promise<void> {
  await restTrackingChain(knex, payload.carrier, payload.step, now, now + GIVE_UP_PAUSE_MS);
}
