import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import { AuthError, PermanentError, RateLimitedError } from '../../lib/errors.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { RateLimiter, type RateMargin, type RateRule } from '../../lib/rate-limiter.ts';
import type { ShipmentStatus } from '../../models/shipment.ts';
import { mayHaveLostSuccessor, type JobContext } from '../consume.ts';
import { createDhlClient, type DhlClient, type DhlTracking } from '../connectors/dhl/client.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { readRateState } from '../sync/rate-state.ts';
import { appendTrackingEvents } from '../sync/shipments.ts';
import { dayOf, DAY_MS, isFinal, NOT_FOUND_GRACE_MS, POLL_SPACING_MS, priorityOf } from '../sync/tracking-polls.ts';

export interface PollTrackingDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  dhl: { apiUrl: string; apiKey: string | undefined; callsPerSecond: number; callsPerDay: number };
  rateMargin: RateMargin;
  /** Epoch ms; tests pass a controlled time (quota days, due times). The pace itself runs on the wall clock. */
  now: () => number;
  /** Polls one link of the chain makes at most (default 5): a link holds its worker for about that many seconds. */
  pollsPerJob?: number;
}

type Payload = JobPayload<'tracking.poll'>;

/** After a refused key, the chain rests this long before the clock restarts it. */
const AUTH_PAUSE_MS = 60 * 60_000;
/** After a link is given up (an outage outlasting its attempts), the chain rests this long. */
const GIVE_UP_PAUSE_MS = 5 * 60_000;
const LANE = 'track';

interface KeyRow {
  carrier: string;
  step: number;
  chain: string;
  rate_state: string | null;
  quota_day: number;
  calls_today: number;
  blocked_until: number;
}

interface PlannedPoll {
  shipment_id: number;
  polls_day: number;
  polls_today: number;
  tracking_number: string | null;
  status: ShipmentStatus;
  receiver_postal_code: string | null;
  shipped_at: number | null;
  created_at: number;
}

type PollResult =
  | { kind: 'tracked'; poll: PlannedPoll; tracking: DhlTracking }
  | { kind: 'rejected'; poll: PlannedPoll; reason: string }
  | { kind: 'drop'; poll: PlannedPoll };

/** The carrier key's limits as one limiter lane: 1 call/s is capacity 1 per 1,000 ms; 0.5/s is 1 per 2,000 ms. */
export function trackingRule(callsPerSecond: number): RateRule {
  return callsPerSecond >= 1 ? { capacity: Math.floor(callsPerSecond), windowMs: 1_000 } : { capacity: 1, windowMs: Math.ceil(1_000 / callsPerSecond) };
}

/**
 * One link of a carrier key's poll chain: polls up to `pollsPerJob` planned shipments at the
 * key's pace, then commits events, poll rows and the key's state (pace position, calls today,
 * step) in one transaction, then publishes the next link. Only the link whose `step` is the
 * key's does anything, and the next link exists only after this one committed: at most one
 * link per key is ever polling, on whichever worker, so the key's calls per second hold across
 * all workers (the same chain as a sync run's pages: crawler/sync/rate-state.ts).
 *
 * Errors (the consume wrapper is the retry policy): a 429 blocks the key's pace until the
 * provider's Retry-After (the daily quota: next 00:00 GMT) and the link comes back then, costing
 * no attempt; an outage (5xx, network) comes back with backoff. Unpolled shipments stay
 * `planned` in the database either way: a wait delays them, it never loses them.
 */
export async function handleTrackingPoll(deps: PollTrackingDeps, payload: Payload, ctx: JobContext): Promise<void> {
  const { knex } = deps;
  const key = (await knex('tracking_keys').where({ carrier: payload.carrier }).first()) as KeyRow | undefined;
  if (!key) return;
  if (Number(key.step) !== payload.step) {
    // One step behind: this link committed before, maybe without publishing the next one.
    if (mayHaveLostSuccessor(ctx) && key.chain === 'running' && Number(key.step) === payload.step + 1) {
      await enqueue(deps.queue, 'tracking.poll', { carrier: payload.carrier, step: Number(key.step) });
    }
    return;
  }
  if (key.chain !== 'running') return;
  const log = deps.logger.child({ carrier: payload.carrier, step: payload.step });
  const next: Payload = { carrier: payload.carrier, step: payload.step + 1 };
  const now = deps.now();
  const today = dayOf(now);
  const callsBefore = Number(key.quota_day) === today ? Number(key.calls_today) : 0;

  if (callsBefore >= deps.dhl.callsPerDay) {
    // The key's daily quota is spent: wait for 00:00 GMT without asking DHL.
    const waitMs = (today + 1) * DAY_MS - now + 1_000;
    await commitLink(deps, payload, { now, today, calls: 0, results: [], blockedUntil: now + waitMs });
    ctx.setPayload(next);
    throw new RateLimitedError(`The ${payload.carrier} key's ${deps.dhl.callsPerDay} calls of today are spent; polls wait for 00:00 GMT.`, waitMs);
  }

  const polls = (await knex('tracking_polls as p')
    .join('shipments as s', 's.id', 'p.shipment_id')
    .select('p.shipment_id', 'p.polls_day', 'p.polls_today', 's.tracking_number', 's.status', 's.receiver_postal_code', 's.shipped_at', 's.created_at')
    .where({ 'p.carrier': payload.carrier, 'p.state': 'planned' })
    .orderBy([{ column: 'p.priority' }, { column: 'p.planned_at' }, { column: 'p.shipment_id' }])
    .limit(Math.min(deps.pollsPerJob ?? 5, deps.dhl.callsPerDay - callsBefore))) as PlannedPoll[];
  if (polls.length === 0) {
    // Nothing planned: the chain rests until the clock plans again (it starts a new link then).
    await knex('tracking_keys').where({ carrier: payload.carrier, step: payload.step }).update({ chain: 'idle', step: payload.step + 1, heartbeat_at: now, updated_at: now });
    return;
  }

  const rateState = readRateState(key.rate_state);
  const limiter = new RateLimiter({ [LANE]: trackingRule(deps.dhl.callsPerSecond) }, { margin: deps.rateMargin, carried: rateState.lanes });
  // A redelivered link's predecessor may have sent calls after its last commit: let them age out.
  if (ctx.redelivered) limiter.blockUntil(LANE, Date.now() + trackingRule(deps.dhl.callsPerSecond).windowMs);
  let calls = 0;
  const client: DhlClient = createDhlClient({
    apiUrl: deps.dhl.apiUrl,
    apiKey: deps.dhl.apiKey ?? '',
    onRequest: () => void calls++,
    // Every call goes through the key's pace, so no retries in place: an outage ends the link.
    retries: 0,
    clock: deps.now,
    timeoutMs: 15_000,
  });
  const { results, failure } = await pollShipments(client, limiter, polls, ctx.signal);

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
  });
  if (!committed) {
    log.info('link already committed by another delivery; dropping this one');
    return;
  }
  log.info({ polled: results.filter((r) => r.kind === 'tracked').length, calls, failure: failure ? String(failure) : undefined }, 'tracking link committed');
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
 * rejects ends that shipment's polling; any other error ends the link, keeping the answers so far.
 */
async function pollShipments(client: DhlClient, limiter: RateLimiter, polls: PlannedPoll[], signal: AbortSignal): Promise<{ results: PollResult[]; failure: unknown }> {
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
        const tracking = await limiter.schedule(LANE, () =>
          client.track(poll.tracking_number!, poll.receiver_postal_code ? { recipientPostalCode: poll.receiver_postal_code } : {}),
        );
        results.push({ kind: 'tracked', poll, tracking });
      } catch (err) {
        // A number DHL rejects (a 4xx other than 401/403/404/429) ends that shipment's polling, not the chain.
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

class StaleLink extends Error {}

async function commitLink(
  deps: PollTrackingDeps,
  payload: Payload,
  link: { now: number; today: number; calls: number; results: PollResult[]; blockedUntil?: number; rateState?: string; idle?: boolean },
): Promise<boolean> {
  const { now, today } = link;
  return deps.knex
    .transaction(async (trx) => {
      const keyPatch: Record<string, unknown> = {
        step: payload.step + 1,
        heartbeat_at: now,
        updated_at: now,
        // calls_today is the chain's to count; a new GMT day starts from this link's calls.
        calls_today: trx.raw('CASE WHEN quota_day = ? THEN calls_today + ? ELSE ? END', [today, link.calls, link.calls]),
        planned_today: trx.raw('CASE WHEN quota_day = ? THEN planned_today ELSE 0 END', [today]),
        quota_day: today,
      };
      if (link.rateState !== undefined) keyPatch.rate_state = link.rateState;
      if (link.blockedUntil !== undefined) keyPatch.blocked_until = link.blockedUntil;
      if (link.idle) keyPatch.chain = 'idle';
      const changed = await trx('tracking_keys').where({ carrier: payload.carrier, step: payload.step }).update(keyPatch);
      if (changed === 0) throw new StaleLink();
      for (const r of link.results) await storeResult(trx, r, now, today);
      return true;
    })
    .catch((err: unknown) => {
      if (err instanceof StaleLink) return false;
      throw err;
    });
}

async function storeResult(trx: Knex.Transaction, r: PollResult, now: number, today: number): Promise<void> {
  const id = Number(r.poll.shipment_id);
  if (r.kind === 'drop') {
    await trx('tracking_polls').where({ shipment_id: id }).delete();
    return;
  }
  const pollsToday = (Number(r.poll.polls_day) === today ? Number(r.poll.polls_today) : 0) + 1;
  const counted = { polls_day: today, polls_today: pollsToday, last_polled_at: now, planned_at: null, updated_at: now };
  if (r.kind === 'rejected') {
    await trx('tracking_polls').where({ shipment_id: id }).update({ ...counted, state: 'stopped', last_result: 'rejected' });
    return;
  }
  if (!r.tracking.found) {
    // New labels reach DHL 10–30 minutes after they are made: a young shipment is asked again later.
    const madeAt = Number(r.poll.shipped_at ?? r.poll.created_at);
    const young = now - madeAt < NOT_FOUND_GRACE_MS;
    await trx('tracking_polls')
      .where({ shipment_id: id })
      .update({ ...counted, state: young ? 'waiting' : 'stopped', next_poll_at: now + POLL_SPACING_MS, last_result: 'not_found' });
    return;
  }
  await appendTrackingEvents(trx, id, r.tracking.events);
  const shipment = (await trx('shipments').select('status').where({ id }).first()) as { status: ShipmentStatus } | undefined;
  if (!shipment || isFinal(shipment.status)) {
    // Delivered or returned: DHL has nothing more to say that we would poll for.
    await trx('tracking_polls').where({ shipment_id: id }).delete();
    return;
  }
  await trx('tracking_polls')
    .where({ shipment_id: id })
    .update({ ...counted, state: 'waiting', priority: priorityOf(shipment.status), next_poll_at: now + POLL_SPACING_MS, last_result: 'found' });
}

/** The consume wrapper gave a link up (an outage outlasted its attempts): rest the chain; the clock restarts it. */
export async function restChain(knex: Knex, payload: Payload, now: number): Promise<void> {
  await knex('tracking_keys')
    .where({ carrier: payload.carrier, step: payload.step })
    .update({ chain: 'idle', step: payload.step + 1, blocked_until: now + GIVE_UP_PAUSE_MS, heartbeat_at: now, updated_at: now });
}
