/**
 * The clock at scale, part of `npm run bench:many-shops`: `shops` seeded shops on 15-minute
 * intervals, each placed at its next slot as if it had synced at its last one, and the clock's
 * `shops.sync` schedule ticked once a simulated minute for one interval and a minute more. Per
 * fire: its duration, the statements it ran (knex `query` events) and the syncs it started (the
 * jobs go to an in-process queue nobody consumes). Targets: the due shops are read as one range
 * of `shops_sync_due_idx` (EXPLAIN), and the syncs are spread over the interval (no minute starts
 * more than twice its share).
 */
import type { Knex } from 'knex';
import { createLogger } from '../config/logger.ts';
import { createQueue } from '../lib/queue/index.ts';
import { findShopsDueForSync, nextSlotAfter } from '../models/shops.ts';
import { createClock } from '../scheduler/create-clock.ts';
import { buildSchedules } from '../scheduler/schedules.ts';
import { createBenchDatabase, median } from './harness.ts';

export interface ClockFigures {
  shops: number;
  fires: { durationMs: number; queries: number; started: number }[];
  dueQueryPlan: string;
  met: boolean;
}

const MINUTE_MS = 60_000;
const INTERVAL_MINUTES = 15;

export async function benchClockFires(opts: { databaseUrl: string; shops: number }): Promise<ClockFigures> {
  const db = await createBenchDatabase(opts.databaseUrl);
  const { knex } = db;
  const start = Math.ceil(Date.now() / MINUTE_MS) * MINUTE_MS;
  await seedShops(knex, opts.shops, start);

  const queue = await createQueue({});
  const logger = createLogger({ level: 'warn', name: 'bench-clock' });
  const schedules = buildSchedules({ knex, queue, logger, weather: false }).filter((s) => s.name === 'shops.sync');
  let simNow = start;
  const clock = createClock({ knex, logger, schedules, now: () => simNow });
  let queries = 0;
  knex.on('query', () => void queries++);

  const fires: ClockFigures['fires'] = [];
  for (let m = 0; m <= INTERVAL_MINUTES; m++) {
    simNow = start + m * MINUTE_MS;
    const runsBefore = await countRuns(knex);
    queries = 0;
    const t0 = performance.now();
    const records = await clock.tick(simNow);
    const durationMs = performance.now() - t0;
    const firedQueries = queries;
    const failed = records.find((r) => r.error);
    if (failed) throw failed.error;
    fires.push({ durationMs, queries: firedQueries, started: (await countRuns(knex)) - runsBefore });
  }
  const dueQueryPlan = await explainDueQuery(knex, start + 7 * MINUTE_MS);

  const share = opts.shops / INTERVAL_MINUTES;
  const startedTotal = fires.reduce((n, f) => n + f.started, 0);
  const spread = fires.slice(1).every((f) => f.started <= 2 * share);
  const indexed = dueQueryPlan.includes('shops_sync_due_idx') && !/\bALL\b/.test(dueQueryPlan);
  const steady = fires.slice(1);
  console.log(`clock at scale — ${opts.shops} shops on ${INTERVAL_MINUTES}-minute intervals, shops.sync ticked every simulated minute for ${INTERVAL_MINUTES + 1} minutes (MySQL)`);
  console.log(`  syncs started:                   ${startedTotal} (per minute: ${fires.map((f) => f.started).join(' ')}; share ${share.toFixed(0)})`);
  console.log(`  fire duration median / max:      ${median(steady.map((f) => f.durationMs)).toFixed(0)} ms / ${Math.max(...fires.map((f) => f.durationMs)).toFixed(0)} ms`);
  console.log(`  statements per fire median / max: ${median(steady.map((f) => f.queries))} / ${Math.max(...fires.map((f) => f.queries))}   (${(median(steady.map((f) => f.queries)) / Math.max(1, median(steady.map((f) => f.started)))).toFixed(1)} per sync started: the claim, one read of the due shops, then per shop its slot moved and its run inserted)`);
  console.log(`  due shops read by:               ${dueQueryPlan}`);
  console.log(`  targets (one index range, spread over the interval): ${indexed && spread ? 'met' : 'NOT met'}`);
  await queue.close();
  await db.drop();
  return { shops: opts.shops, fires, dueQueryPlan, met: indexed && spread };
}

/** Shops as a busy installation has them: each placed at its next slot, none syncing now. */
async function seedShops(knex: Knex, shops: number, now: number): Promise<void> {
  const createdAt = now - 86_400_000;
  for (let first = 1; first <= shops; first += 1000) {
    const rows = [];
    for (let id = first; id < Math.min(first + 1000, shops + 1); id++) {
      const shop = { id, sync_interval_minutes: INTERVAL_MINUTES };
      rows.push({ ...shop, name: `Shop ${id}`, platform: 'bol', status: 'active', created_at: createdAt, updated_at: createdAt, next_sync_at: nextSlotAfter(shop, now - 1) });
    }
    await knex('shops').insert(rows);
  }
  await knex.raw('analyze table shops');
}

async function countRuns(knex: Knex): Promise<number> {
  const row = (await knex('sync_runs').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** EXPLAIN of the fire's read of the due shops, as `table type key rows`. */
async function explainDueQuery(knex: Knex, at: number): Promise<string> {
  let captured: { sql: string; bindings: unknown[] } | undefined;
  const listen = (q: { sql: string; bindings: unknown[] }) => {
    if (/from `shops`/.test(q.sql) && /next_sync_at/.test(q.sql) && q.sql.startsWith('select')) captured ??= q;
  };
  knex.on('query', listen);
  await findShopsDueForSync(knex, at, 2_000);
  knex.removeListener('query', listen);
  if (!captured) return 'not seen';
  const [rows] = (await knex.raw(`explain ${captured.sql}`, captured.bindings as Knex.RawBinding[])) as [Record<string, unknown>[]];
  return rows.map((r) => `${r.table} ${r.type} ${r.key} rows≈${r.rows}`).join('; ');
}
