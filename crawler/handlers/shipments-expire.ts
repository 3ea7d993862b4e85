import type { Knex } from 'knex';
import type { Logger } from '../../config/logger.ts';
import type { Queue } from '../../lib/queue/port.ts';
import { findUnfinishedShipments } from '../../models/shipments.ts';
import { findShipmentIdsWithEventsSince } from '../../models/tracking-events.ts';
import { deletePollsOf } from '../../models/tracking-polls.ts';
import type { JobContext } from '../consume.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { appendTrackingEvents } from '../sync/shipments.ts';

export interface ExpireShipmentsDeps {
  knex: Knex;
  queue: Queue;
  logger: Logger;
  now: () => number;
}

/** A shipment with no tracking event for this long is `expired` (contract status-mapping.md). */
export const EXPIRE_AFTER_MS = 30 * 86_400_000;
const BATCH = 500;
const BATCHES_PER_JOB = 20;

/**
 * Ends shipments that went 30 days without any tracking event (counted from when they were
 * shipped, or first seen, if they never had one). Expiry is an engine-side event in the
 * timeline (`source` shipsync, raw status EXPIRED), not a bare status write: the current status
 * stays the latest event by time, so a later source upsert does not undo it, and a carrier event
 * that comes after it still wins. Runs in batches; a job that has more to do publishes its
 * continuation.
 */
export async function handleShipmentsExpire(deps: ExpireShipmentsDeps, payload: JobPayload<'shipments.expire'>, ctx: JobContext): Promise<void> {
  const { knex } = deps;
  const now = deps.now();
  const cutoff = now - EXPIRE_AFTER_MS;
  let afterId = payload.after_id ?? 0;
  let expired = 0;
  for (let batch = 0; batch < BATCHES_PER_JOB; batch += 1) {
    if (ctx.signal.aborted) break;
    const candidates = await findUnfinishedShipments(knex, afterId, BATCH);
    if (candidates.length === 0) {
      afterId = -1;
      break;
    }
    afterId = candidates.at(-1)!.id;
    const quiet = candidates.filter((c) => Number(c.status_at ?? c.shipped_at ?? c.created_at) < cutoff).map((c) => c.id);
    if (quiet.length === 0) continue;
    // status_at only follows events that map to a status: any event at all since the cutoff keeps a shipment alive.
    const alive = await findShipmentIdsWithEventsSince(knex, quiet, cutoff);
    const ids = quiet.filter((id) => !alive.has(id));
    if (ids.length === 0) continue;
    await knex.transaction(async (trx) => {
      for (const id of ids) {
        await appendTrackingEvents(trx, id, [
          { source: 'shipsync', status: 'expired', rawStatus: 'EXPIRED', description: 'No tracking event for 30 days.', location: null, occurredAt: now },
        ]);
      }
      await deletePollsOf(trx, ids);
    });
    expired += ids.length;
  }
  if (expired > 0) deps.logger.info({ expired }, 'shipments expired after 30 days without events');
  if (afterId > 0) await enqueue(deps.queue, 'shipments.expire', { due_at: payload.due_at, after_id: afterId });
}
