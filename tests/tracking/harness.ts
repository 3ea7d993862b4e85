import type { Knex } from 'knex';
import type { Worker } from '../../crawler/create-worker.ts';
import type { ShipmentStatus } from '../../models/shipment.ts';
import { DHL_TEXTS, startDhlSandbox, type DhlSandbox, type DhlTimelineEvent } from '../../sandbox/dhl/index.ts';
import type { Clock } from '../../scheduler/create-clock.ts';
import { buildSchedules } from '../../scheduler/schedules.ts';
import type { AdapterEnv } from '../helpers/adapters.ts';
import { CountingQueue, MINUTE_MS, SimTime, silentLogger, startSimWorker, testClock } from '../scheduler/sim.ts';

/**
 * Carrier tracking on one adapter set with controlled time: the DHL sandbox and every part of
 * shipsync read the same simulated clock; the test ticks the clock and waits for the workers.
 */
export const DHL_KEY = 'test-dhl-key';

export interface TrackingRig {
  env: AdapterEnv;
  sim: SimTime;
  dhl: DhlSandbox;
  queue: CountingQueue;
  clock: Clock;
  workers: Worker[];
  /** Ticks the clock at `start + minute`, then waits until every job it caused has finished. */
  tickAt(minute: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTrackingRig(
  env: AdapterEnv,
  opts: { start: number; sandboxPerSecond: number; sandboxPerDay: number; callsPerSecond: number; callsPerDay: number; workers?: number; maxAttempts?: number; workerKnex?: Knex },
): Promise<TrackingRig> {
  const sim = new SimTime(opts.start);
  const dhl = await startDhlSandbox({ apiKeys: [{ key: DHL_KEY, perSecond: opts.sandboxPerSecond, perDay: opts.sandboxPerDay }], clock: sim.now });
  const queue = new CountingQueue(env.queue);
  const dhlConfig = { apiUrl: dhl.url, apiKey: DHL_KEY, callsPerSecond: opts.callsPerSecond, callsPerDay: opts.callsPerDay };
  const workers: Worker[] = [];
  for (let i = 0; i < (opts.workers ?? 2); i += 1) {
    const worker = await startSimWorker(opts.workerKnex ?? env.knex, queue, sim, {
      retryPolicy: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: opts.maxAttempts ?? 8 },
      carriers: { dhl: dhlConfig },
    });
    workers.push(worker);
  }
  const clock = testClock(env.knex, sim, buildSchedules({ knex: env.knex, queue, logger: silentLogger, carriers: { dhl: dhlConfig }, weather: false }));
  return {
    env,
    sim,
    dhl,
    queue,
    clock,
    workers,
    async tickAt(minute) {
      const records = await clock.tick(sim.set(opts.start + minute * MINUTE_MS));
      const failed = records.find((r) => r.error);
      if (failed) throw new Error(`${failed.schedule} failed: ${String(failed.error)}`);
      await queue.settled(60_000);
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop(2_000)));
      await dhl.close();
    },
  };
}

export interface ShipmentSeed {
  tracking_number: string;
  carrier: string;
  status: ShipmentStatus;
  created_at?: number;
}

/** Inserts shipments as a file import would (no shop), changed now so the clock's feed sees them. */
export async function insertShipments(knex: Knex, seeds: ShipmentSeed[]): Promise<Map<string, number>> {
  const now = Date.now();
  const rows = seeds.map((s, i) => ({
    shop_id: null,
    source: 'csv',
    platform_id: null,
    carrier: s.carrier,
    tracking_number: s.tracking_number,
    status: s.status,
    receiver_country: 'NL',
    receiver_postal_code: `${1000 + (i % 40)} AB`,
    receiver_city: 'Amsterdam',
    created_at: s.created_at ?? now,
    updated_at: now,
  }));
  for (let i = 0; i < rows.length; i += 200) await knex('shipments').insert(rows.slice(i, i + 200));
  const ids: { id: number; tracking_number: string }[] = await knex('shipments').select('id', 'tracking_number').whereIn('tracking_number', seeds.map((s) => s.tracking_number));
  return new Map(ids.map((r) => [r.tracking_number, Number(r.id)]));
}

/** A DHL timeline: announced two days ago, in transit since yesterday, then `later` events. */
export function timeline(start: number, later: { afterMinutes: number; kind: 'outForDelivery' | 'delivered' }[] = [], now: 'announced' | 'transit' | 'outForDelivery' = 'transit'): DhlTimelineEvent[] {
  const events: DhlTimelineEvent[] = [{ at: start - 2 * 86_400_000, statusCode: 'pre-transit', status: DHL_TEXTS.announced }];
  if (now !== 'announced') events.push({ at: start - 86_400_000, statusCode: 'transit', status: DHL_TEXTS.destinationCenter, location: { countryCode: 'NL', postalCode: '3542 AD', addressLocality: 'Utrecht' } });
  if (now === 'outForDelivery') events.push({ at: start - 3_600_000, statusCode: 'transit', status: DHL_TEXTS.outForDelivery });
  for (const l of later) {
    events.push(
      l.kind === 'delivered'
        ? { at: start + l.afterMinutes * MINUTE_MS, statusCode: 'delivered', status: DHL_TEXTS.delivered }
        : { at: start + l.afterMinutes * MINUTE_MS, statusCode: 'transit', status: DHL_TEXTS.outForDelivery },
    );
  }
  return events;
}
