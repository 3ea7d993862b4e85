import type { Knex } from 'knex';
import { dialectOf } from './db.ts';
import type { ShipmentStatus } from './shipment.ts';

/**
 * Carrier tracking polls: `tracking_polls` (one row per shipment a carrier connector tracks)
 * and `tracking_keys` (one row per connector's key: its chain of `tracking.poll` jobs, the
 * chain's step, its pace and what it spent today). Both name the connector in their `carrier`
 * column (crawler/connectors/carrier-connector.ts). The policy (who is enrolled, how the budget
 * is spread, what a result means) is crawler/sync/tracking-polls.ts, scheduler/plan-tracking.ts
 * and crawler/handlers/tracking-poll.ts; these are their statements.
 */

export type TrackingChain = 'idle' | 'running';

export interface TrackingKeyRow {
  carrier: string;
  step: number;
  chain: TrackingChain;
  heartbeat_at: number;
  rate_state: string | null;
  quota_day: number;
  calls_today: number;
  planned_today: number;
  blocked_until: number;
}

/** A planned poll with what polling it needs of its shipment. */
export interface PlannedPoll {
  shipment_id: number;
  polls_day: number;
  polls_today: number;
  tracking_number: string | null;
  status: ShipmentStatus;
  receiver_postal_code: string | null;
  shipped_at: number | null;
  created_at: number;
}

export interface NewPollRow {
  shipment_id: number;
  carrier: string;
  priority: number;
}

const CHUNK = 500;

/** Enrols shipments: a new row is `waiting`, due `now`; an existing row keeps its state and takes the connector and priority given. */
export async function upsertWaitingPolls(knex: Knex, polls: NewPollRow[], now: number): Promise<void> {
  const rows = polls.map((p) => ({
    shipment_id: p.shipment_id,
    carrier: p.carrier,
    state: 'waiting',
    priority: p.priority,
    next_poll_at: now,
    planned_at: null,
    polls_day: 0,
    polls_today: 0,
    created_at: now,
    updated_at: now,
  }));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await knex('tracking_polls').insert(rows.slice(i, i + CHUNK)).onConflict('shipment_id').merge(['carrier', 'priority']);
  }
}

export async function deletePollsOf(knex: Knex, shipmentIds: number[]): Promise<void> {
  for (let i = 0; i < shipmentIds.length; i += CHUNK) await knex('tracking_polls').whereIn('shipment_id', shipmentIds.slice(i, i + CHUNK)).delete();
}

/**
 * The due rows of a connector: `next_poll_at` passed and fewer than `maxPollsPerDay` polls on
 * day `today`, lowest priority first, then the longest-waiting.
 */
export async function findDuePolls(trx: Knex.Transaction, carrier: string, due: { now: number; today: number; maxPollsPerDay: number; limit: number }): Promise<number[]> {
  const rows: { shipment_id: number | string }[] = await trx('tracking_polls')
    .select('shipment_id')
    .where({ carrier, state: 'waiting' })
    .andWhere('next_poll_at', '<=', due.now)
    .andWhere((w) => w.whereNot('polls_day', due.today).orWhere('polls_today', '<', due.maxPollsPerDay))
    .orderBy([{ column: 'priority' }, { column: 'next_poll_at' }, { column: 'shipment_id' }])
    .limit(due.limit);
  return rows.map((r) => Number(r.shipment_id));
}

/** Puts waiting rows on their key's chain. Returns how many were still waiting. */
export async function planPolls(trx: Knex.Transaction, shipmentIds: number[], now: number): Promise<number> {
  if (shipmentIds.length === 0) return 0;
  return trx('tracking_polls').whereIn('shipment_id', shipmentIds).andWhere({ state: 'waiting' }).update({ state: 'planned', planned_at: now, updated_at: now });
}

export async function hasPlannedPolls(knex: Knex, carrier: string): Promise<boolean> {
  return (await knex('tracking_polls').where({ carrier, state: 'planned' }).first('shipment_id')) !== undefined;
}

/** The planned polls of a connector in the order they go out, with their shipments. */
export async function findPlannedPolls(knex: Knex, carrier: string, limit: number): Promise<PlannedPoll[]> {
  return (await knex('tracking_polls as p')
    .join('shipments as s', 's.id', 'p.shipment_id')
    .select('p.shipment_id', 'p.polls_day', 'p.polls_today', 's.tracking_number', 's.status', 's.receiver_postal_code', 's.shipped_at', 's.created_at')
    .where({ 'p.carrier': carrier, 'p.state': 'planned' })
    .orderBy([{ column: 'p.priority' }, { column: 'p.planned_at' }, { column: 'p.shipment_id' }])
    .limit(limit)) as PlannedPoll[];
}

/** What a poll's result writes on its row (its state, the day's count, when it is due again). */
export interface PollPatch {
  state?: 'waiting' | 'stopped';
  polls_day: number;
  polls_today: number;
  last_polled_at: number;
  planned_at: null;
  updated_at: number;
  priority?: number;
  next_poll_at?: number;
  last_result: 'found' | 'not_found' | 'rejected';
}

export async function updatePoll(trx: Knex.Transaction, shipmentId: number, patch: PollPatch): Promise<void> {
  await trx('tracking_polls').where({ shipment_id: shipmentId }).update(patch);
}

export async function deletePoll(trx: Knex.Transaction, shipmentId: number): Promise<void> {
  await trx('tracking_polls').where({ shipment_id: shipmentId }).delete();
}

/** Creates a connector's key row (idle, nothing spent) unless it exists. */
export async function ensureTrackingKey(knex: Knex, carrier: string, now: number, today: number): Promise<void> {
  await knex('tracking_keys')
    .insert({ carrier, step: 0, chain: 'idle', heartbeat_at: 0, rate_state: null, quota_day: today, calls_today: 0, planned_today: 0, blocked_until: 0, updated_at: now })
    .onConflict('carrier')
    .ignore();
}

export async function findTrackingKey(knex: Knex, carrier: string): Promise<TrackingKeyRow | undefined> {
  return (await knex('tracking_keys').where({ carrier }).first()) as TrackingKeyRow | undefined;
}

/** The key row, locked until `trx` ends on MySQL (SQLite's one writer needs no lock): two clocks' plans take turns. */
export async function lockTrackingKey(trx: Knex.Transaction, carrier: string): Promise<TrackingKeyRow> {
  const query = trx('tracking_keys').where({ carrier }).first();
  if (dialectOf(trx) === 'mysql') query.forUpdate();
  return (await query) as TrackingKeyRow;
}

/**
 * A minute's plan on the key: `planned` more polls on day `today` (a new day starts the day's
 * counts), and the chain started (`kick: 'start'`) or given a new step (`kick: <step>`).
 * `calls_today` is the chain's to count; the plan only starts a new day.
 */
export async function recordTrackingPlan(
  trx: Knex.Transaction,
  carrier: string,
  plan: { now: number; today: number; sameDay: boolean; planned: number; kick?: 'start' | number },
): Promise<void> {
  const { now, today, planned } = plan;
  const patch: Record<string, unknown> = plan.sameDay
    ? { planned_today: trx.raw('planned_today + ?', [planned]), updated_at: now }
    : { quota_day: today, planned_today: planned, calls_today: 0, updated_at: now };
  if (plan.kick === 'start') Object.assign(patch, { chain: 'running', heartbeat_at: now });
  else if (plan.kick !== undefined) Object.assign(patch, { step: plan.kick, heartbeat_at: now });
  await trx('tracking_keys').where({ carrier }).update(patch);
}

/**
 * Commits one step on the key at `step`: the next step, the step's calls added to day `today`
 * (a new GMT day starts from them), and its pace, block and chain state when given. Returns
 * false when the key is no longer at `step` (another delivery of the step committed first).
 */
export async function advanceTrackingKey(
  trx: Knex.Transaction,
  carrier: string,
  step: number,
  outcome: { now: number; today: number; calls: number; rateState?: string; blockedUntil?: number; idle?: boolean },
): Promise<boolean> {
  const { now, today } = outcome;
  const patch: Record<string, unknown> = {
    step: step + 1,
    heartbeat_at: now,
    updated_at: now,
    calls_today: trx.raw('CASE WHEN quota_day = ? THEN calls_today + ? ELSE ? END', [today, outcome.calls, outcome.calls]),
    planned_today: trx.raw('CASE WHEN quota_day = ? THEN planned_today ELSE 0 END', [today]),
    quota_day: today,
  };
  if (outcome.rateState !== undefined) patch.rate_state = outcome.rateState;
  if (outcome.blockedUntil !== undefined) patch.blocked_until = outcome.blockedUntil;
  if (outcome.idle) patch.chain = 'idle';
  return (await trx('tracking_keys').where({ carrier, step }).update(patch)) > 0;
}

/** Rests the chain at `step` (idle, next step) until the clock starts it again, blocked until `blockedUntil` when given. */
export async function restTrackingChain(knex: Knex, carrier: string, step: number, now: number, blockedUntil?: number): Promise<void> {
  const patch: Record<string, unknown> = { chain: 'idle', step: step + 1 };
  if (blockedUntil !== undefined) patch.blocked_until = blockedUntil;
  await knex('tracking_keys').where({ carrier, step }).update({ ...patch, heartbeat_at: now, updated_at: now });
}

/**
 * Embedded mode: the in-process queue forgot the poll chains' steps when the process stopped.
 * Marking the chains idle lets the next plan start them again (their planned polls are kept).
 */
export async function restartTrackingChains(knex: Knex, now: number): Promise<number> {
  return knex('tracking_keys').where({ chain: 'running' }).update({ chain: 'idle', step: knex.raw('step + 1'), updated_at: now });
}
