import type { Knex } from 'knex';
import type { Logger } from '../config/logger.ts';
import type { Queue } from '../lib/queue/port.ts';
import { enqueue } from '../crawler/jobs.ts';
import { carrierConnector, type CarrierConnectorName } from '../crawler/connectors/carriers.ts';
import { dayOf, DAY_MS, enrolShipments } from '../crawler/sync/tracking-polls.ts';
import { ensureTrackingKey, findDuePolls, hasPlannedPolls, lockTrackingKey, planPolls, recordTrackingPlan } from '../models/tracking-polls.ts';
import { followShipmentChanges } from './follow-shipments.ts';

/**
 * The minute's tracking plan of one carrier key (contract dhl-tracking.md, "Limits"):
 *
 * 1. Enrol: shipments that changed since the last plan get, keep or lose their poll row.
 * 2. Budget: the daily quota is spread evenly over the day: by the end of minute m of the
 *    (UTC) day, at most quota × (m + 1) / 1440 polls are planned. What a quiet hour did not use
 *    stays available later the same day; no minute plans more than the key's calls per second
 *    allow in a minute.
 * 3. Pick: the due rows (`next_poll_at` passed, fewer than 10 polls today), out for delivery
 *    first, then in transit, then the rest, the longest-waiting first within each: they become
 *    `planned`.
 * 4. Kick: the key's chain of `tracking.poll` jobs polls planned rows at the key's pace. If the
 *    chain is idle it is started; if its last step went silent (a job lost with a dead worker,
 *    or given up) for `staleChainMs` and no provider block is pending, a new step is published
 *    with the next step, which makes any straggler of the old one a no-op.
 *
 * Two clocks never plan the same minute (the fire is claimed), and the key row is locked while
 * planning, so catch-up fires of two clocks cannot overspend either.
 */

export interface TrackingPlanDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  /** The carrier connector whose key is planned (`dhl`): the `carrier` of its job and rows. */
  carrier: CarrierConnectorName;
  /** The key's limits (the connector's `limitsOf`). */
  callsPerSecond: number;
  callsPerDay: number;
  /** A running chain silent this long is restarted (default 10 min). */
  staleChainMs?: number;
}

export interface TrackingPlan {
  planned: number;
  allowance: number;
  kicked: boolean;
}

const STALE_CHAIN_MS = 10 * 60_000;

export async function planTracking(deps: TrackingPlanDeps, now: number): Promise<TrackingPlan> {
  const connectorName = deps.carrier;
  const today = dayOf(now);
  await followShipmentChanges(deps.knex, `tracking.enrol`, (rows) => enrolShipments(deps.knex, rows, now));
  await ensureTrackingKey(deps.knex, connectorName, now, today);

  const minuteOfDay = Math.floor((now - today * DAY_MS) / 60_000);
  const target = Math.floor((deps.callsPerDay * (minuteOfDay + 1)) / 1440);
  const perMinute = Math.max(1, Math.floor(deps.callsPerSecond * 60 * 0.9));

  const result = await deps.knex.transaction(async (trx) => {
    const key = await lockTrackingKey(trx, connectorName);
    const sameDay = Number(key.quota_day) === today;
    const plannedToday = sameDay ? Number(key.planned_today) : 0;
    const callsToday = sameDay ? Number(key.calls_today) : 0;
    const allowance = Math.max(0, Math.min(perMinute, target - plannedToday, deps.callsPerDay - Math.max(plannedToday, callsToday)));

    let planned = 0;
    if (allowance > 0) {
      const ids = await findDuePolls(trx, connectorName, { now, today, maxPollsPerDay: carrierConnector(connectorName).shipmentPolls.maxPerDay, limit: allowance });
      planned = await planPolls(trx, ids, now);
    }

    let kickStep: number | null = null;
    let kick: 'start' | number | undefined;
    if (await hasPlannedPolls(trx, connectorName)) {
      const unblocked = Number(key.blocked_until) <= now;
      const stale = Number(key.heartbeat_at) < now - (deps.staleChainMs ?? STALE_CHAIN_MS) && unblocked;
      if (key.chain === 'idle' && unblocked) {
        kickStep = Number(key.step);
        kick = 'start';
      } else if (stale) {
        kickStep = Number(key.step) + 1;
        kick = kickStep;
      }
    }
    await recordTrackingPlan(trx, connectorName, { now, today, sameDay, planned, kick });
    return { planned, allowance, kickStep };
  });

  if (result.kickStep !== null) {
    await enqueue(deps.queue, 'tracking.poll', { carrier: connectorName, step: result.kickStep });
  }
  if (result.planned > 0 || result.kickStep !== null) {
    deps.logger.info({ carrier: connectorName, planned: result.planned, allowance: result.allowance, kicked_step: result.kickStep }, 'tracking polls planned');
  }
  return { planned: result.planned, allowance: result.allowance, kicked: result.kickStep !== null };
}
