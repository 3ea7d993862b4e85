import { tokenRefreshes } from '../../lib/metrics.ts';
import type { Knex } from 'knex';
import { AuthError, PermanentError, RateLimitedError } from '../../lib/errors.ts';
import type { RateMargin } from '../../lib/rate-limiter.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { Queue } from '../../lib/queue/port.ts';
import type { Logger } from '../../config/logger.ts';
import { claimShopSending, findShop, saveShopRateState, saveShopStepState, type Shop } from '../../models/shops.ts';
import { claimTokenRefresh, loadShopCredentials, releaseTokenRefresh, loadShopToken, replaceShopToken, saveShopToken } from '../../models/shop-credentials.ts';
import { commitSyncRunStep, failSyncRun, findSyncRun, markSyncRunRunning, type SyncRun } from '../../models/sync-runs.ts';
import { presentSyncRun } from '../../api/present.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { dialectOf, isPoolTimeout, retryOnLockConflict } from '../../models/db.ts';
import type { Platforms } from '../connectors/platforms.ts';
import type { PlatformSession, StepFetch } from '../connectors/types.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { findKnownPlatformIds, upsertShipments } from '../sync/shipments.ts';
import { mayHaveLostSuccessor, type JobContext } from '../consume.ts';

export interface SyncPageDeps {
  knex: Knex;
  queue: Queue;
  secretBox: SecretBox;
  logger: Logger;
  /** The platforms this worker syncs, each with its settings (crawler/connectors/platforms.ts). */
  platforms: Platforms;
  rateMargin: RateMargin;
  /** Trailing phone digits that identify a customer (PHONE_KEY_DIGITS); unset: 9. */
  phoneKeyDigits?: number;
  /** First in-place retry delay for a 5xx; tests shorten it. */
  retryMinDelayMs?: number;
}

type Payload = JobPayload<'sync.page'>;

/**
 * One step of a sync run, on whatever platform the shop is: open the shop's session on its
 * platform, let the run's stream fetch one step from the stored checkpoint, and commit records +
 * checkpoint + counters + the shop's rate-limit position in one transaction; then enqueue the
 * next step.
 *
 * Only one step of a run is ever in flight: the next job is published after the commit, and a
 * job whose `step` is behind the run's is a duplicate and does nothing. That chain is also what
 * keeps a shop inside its limits across every worker process (see crawler/sync/rate-state.ts).
 */
export async function handleSyncPage(deps: SyncPageDeps, payload: Payload, ctx: JobContext): Promise<void> {
  const run = await findSyncRun(deps.knex, payload.sync_run_id);
  if (!run || run.status === 'succeeded' || run.status === 'failed') return;
  if (run.step !== payload.step) {
    // One step behind: this job committed its step before, maybe without publishing the next.
    if (mayHaveLostSuccessor(ctx) && run.step === payload.step + 1) await enqueue(deps.queue, 'sync.page', { sync_run_id: run.id, step: run.step });
    return;
  }
  const log = deps.logger.child({ sync_run_id: run.id, shop_id: run.shop_id, step: run.step });

  const shop = await findShop(deps.knex, run.shop_id);
  if (!shop || shop.status !== 'active') {
    await failRun(deps.knex, run, shop ? `The shop is ${shop.status.replace('_', ' ')}${shop.status_reason ? `: ${shop.status_reason}` : ''}.` : 'The shop was deleted.');
    return;
  }
  const platform = deps.platforms.get(shop.platform);
  const stream = platform?.connector.streams[run.stream];
  if (!platform || !stream) {
    await failRun(deps.knex, run, `This worker cannot sync the ${run.stream} of ${shop.platform} shops.`);
    return;
  }
  const { connector, settings } = platform;
  const stored = await loadShopCredentials(deps.knex, deps.secretBox, shop.id);
  const credentials = stored ? connector.credentials.safeParse(stored) : undefined;
  if (!credentials) {
    await failRun(deps.knex, run, 'The shop has no credentials; add them with PATCH /shops/:id.');
    return;
  }
  if (!credentials.success) {
    await failRun(deps.knex, run, `The shop's stored credentials are not ${shop.platform} credentials; replace them with PATCH /shops/:id.`);
    return;
  }
  if (run.status === 'queued') await markSyncRunRunning(deps.knex, run.id);

  const { claimedAt, interrupted } = await claimSending(deps.knex, shop, payload);
  // A retry of this job before its fetch sent anything finds its own claim and need not wait.
  const claimed = { ...payload, claimed_at: claimedAt };
  ctx.setPayload(claimed);
  const countTokenRefresh = () => void tokenRefreshes.inc({ platform: shop.platform });
  const session: PlatformSession = await connector.openSession(settings, {
    credentials: credentials.data,
    tokens: {
      load: () => loadShopToken(deps.knex, deps.secretBox, shop.id),
      save: (t) => (countTokenRefresh(), saveShopToken(deps.knex, deps.secretBox, shop.id, t)),
      claimRefresh: (seen, forMs) => claimTokenRefresh(deps.knex, shop.id, seen, forMs),
      releaseRefresh: (seen) => releaseTokenRefresh(deps.knex, shop.id, seen),
      replace: async (seen, next) => {
        const replaced = await replaceShopToken(deps.knex, deps.secretBox, shop.id, seen, next);
        if (replaced) countTokenRefresh();
        return replaced;
      },
    },
    rateState: readStoredJson(shop.rate_state),
    redelivered: interrupted,
    rateMargin: deps.rateMargin,
    retryMinDelayMs: deps.retryMinDelayMs,
    signal: ctx.signal,
  });
  const fetched = await stream.fetchStep(session, run.checkpoint ?? null, {
    type: run.type,
    // Initial: skip only what this run already stored. Incremental: everything the shop has.
    // The list answer is in hand: a busy database (a lock conflict, no pool connection in time)
    // is asked again rather than failing the step, whose retry would list the page again.
    findStored: (ids) => retryOnLockConflict(() => findKnownPlatformIds(deps.knex, run.shop_id, ids, run.type === 'initial' ? run.id : undefined), BUSY_DATABASE_RETRY),
    cursor: run.cursor ?? null,
    signal: ctx.signal,
  });
  const { failure } = fetched;
  if (!failure && fetched.notBeforeMs && session.requests() === 0 && fetched.records.length === 0) {
    // Nothing sent: the step's lanes stay closed for a while (an interrupted holder's window).
    // It keeps its claim and its lanes' blocks, and comes back then without holding a worker.
    // A step that sent something (a bulk operation started or polled) commits what it learnt first.
    await saveShopRateState(deps.knex, shop.id, JSON.stringify(session.rateState()), Date.now());
    log.info({ wait_ms: Math.ceil(fetched.notBeforeMs) }, 'sync step waits for its lanes to open');
    throw new RateLimitedError('the shop\'s limits are spent for now; the step comes back when they open', Math.ceil(fetched.notBeforeMs));
  }
  const refused = failure instanceof AuthError || failure instanceof PermanentError ? (failure as Error) : undefined;
  const done = fetched.next === null && !failure;

  const committed = await commitStep(deps, { run, shop, source: connector.name, session, fetched, done, refused }, log).catch((err: unknown) => {
    // Requests this step sent are in no saved state now: its retry must wait them out like anyone's.
    ctx.setPayload({ sync_run_id: payload.sync_run_id, step: payload.step });
    throw err;
  });
  if (!committed) {
    log.info('step already committed by another delivery; dropping this one');
    return;
  }

  const nextPayload = { sync_run_id: run.id, step: run.step + 1 };
  log.info({ pages: fetched.pagesFetched, records: fetched.records.length, requests: session.requests(), done, failure: failure ? String(failure) : undefined }, 'sync step committed');
  if (refused) return;
  if (failure) {
    // Progress is saved; the retry resumes from the new step, with the wrapper's delay policy.
    ctx.setPayload(nextPayload);
    throw failure;
  }
  if (!done) await enqueue(deps.queue, 'sync.page', nextPayload, fetched.notBeforeMs ? { delayMs: Math.ceil(fetched.notBeforeMs) } : {});
}

/**
 * Claims the shop's sending for this step (`shops.sending_since`, cleared by the commit). A claim
 * found set, other than the one this job made before it went back to wait, was made by an earlier
 * holder of the shop's step that sent requests and never committed: a worker killed mid-step
 * (the broker redelivers its job, or a duplicate of it arrives first), a commit that failed. Its
 * requests are in no saved rate state, so this step is `interrupted`: it takes the claim over and
 * lets them age out first. A claim found empty means every request is accounted for, even on a
 * redelivery.
 */
async function claimSending(knex: Knex, shop: Shop, payload: Payload): Promise<{ claimedAt: number; interrupted: boolean }> {
  const found = shop.sending_since === null || shop.sending_since === undefined ? null : Number(shop.sending_since);
  if (found !== null && found === payload.claimed_at) return { claimedAt: found, interrupted: false };
  const claimedAt = Math.max(Date.now(), (found ?? 0) + 1);
  // Lost to another step claiming at the same moment: someone is sending, so wait as well.
  const won = await claimShopSending(knex, shop.id, found, claimedAt);
  return { claimedAt, interrupted: found !== null || !won };
}

/** A JSON column's value; one we cannot read is null (a rate state lost costs only a slower start). */
function readStoredJson(raw: string | null): unknown {
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

interface StepCommit {
  run: SyncRun;
  shop: Shop;
  /** The platform's name, written on every shipment as its `source`. */
  source: string;
  session: PlatformSession;
  fetched: StepFetch;
  done: boolean;
  refused: Error | undefined;
}

/**
 * Records + checkpoint + counters + the shop's rate-limit position, in one transaction; false
 * when another delivery of this step committed first (this one then rolls back).
 */
async function commitStep(deps: SyncPageDeps, step: StepCommit, log: Logger): Promise<boolean> {
  // A lock conflict with another shop's commit (or a tracking poll's) rolls the whole transaction
  // back, and a pool with no connection free in time runs none of it; either is run again with the
  // records in hand, so neither costs a provider call.
  return retryOnLockConflict(() => commitStepOnce(deps, step), {
    ...BUSY_DATABASE_RETRY,
    onConflict: (err, attempt) => log.warn({ err: String(err), attempt }, 'sync step commit lost a lock conflict or waited too long for a connection; committing again'),
  });
}

/**
 * How a step's database work is run again when the database is busy (a lock conflict, no pool
 * connection in time): 8 runs, with a growing jittered pause, before the step fails (and is fetched again).
 */
const BUSY_DATABASE_RETRY = {
  attempts: 8,
  alsoRetry: isPoolTimeout,
  pauseMs: (attempt: number) => Math.round(Math.random() * 50 * attempt),
};

async function commitStepOnce(deps: SyncPageDeps, step: StepCommit): Promise<boolean> {
  const { run, shop, session, fetched, refused, done } = step;
  return deps.knex
    .transaction(async (trx) => {
      const upserted = await upsertShipments(trx, { shopId: shop.id, runId: run.id, source: step.source, records: fetched.records, phoneKeyDigits: deps.phoneKeyDigits });
      const now = Date.now();
      const moved = await commitSyncRunStep(trx, run, {
        checkpoint: fetched.next,
        cursor: fetched.cursor,
        outcome: refused ? { status: 'failed', error: refused.message } : done ? { status: 'succeeded' } : undefined,
        pagesFetched: fetched.pagesFetched,
        recordsUpserted: upserted,
        requestsMade: session.requests(),
        now,
      });
      if (!moved) throw new StaleStep();
      await saveShopStepState(trx, shop.id, {
        rateState: JSON.stringify(session.rateState()),
        now,
        syncedAt: done ? now : undefined,
        refusedReason: fetched.failure instanceof AuthError ? fetched.failure.message : undefined,
      });
      if (refused || done) await recordSyncOutcome(trx, run.id);
      return true;
    }, commitIsolation(deps.knex))
    .catch((err: unknown) => {
      if (err instanceof StaleStep) return false;
      throw err;
    });
}

/**
 * MySQL: READ COMMITTED. The commit's statements name their rows by key, and under REPEATABLE
 * READ the reads inside its statements (the events a status comes from) would take next-key
 * locks on gaps that border other shops' rows; read committed takes none, and each statement still
 * sees what other transactions committed before it (the row locks order status refreshes).
 */
function commitIsolation(knex: Knex): Knex.TransactionConfig | undefined {
  return dialectOf(knex) === 'mysql' ? { isolationLevel: 'read committed' } : undefined;
}

class StaleStep extends Error {}

export async function failRun(knex: Knex, run: Pick<SyncRun, 'id'>, reason: string): Promise<void> {
  await knex.transaction(async (trx) => {
    if (await failSyncRun(trx, run.id, reason)) await recordSyncOutcome(trx, run.id);
  });
}

/** `sync.succeeded` / `sync.failed` with the finished run, in the transaction that finished it. */
async function recordSyncOutcome(trx: Knex.Transaction, runId: number): Promise<void> {
  const finished = await findSyncRun(trx, runId);
  if (!finished || (finished.status !== 'succeeded' && finished.status !== 'failed')) return;
  await recordEvents(trx, [{ type: finished.status === 'succeeded' ? 'sync.succeeded' : 'sync.failed', data: { sync_run: presentSyncRun(finished) } }]);
}
