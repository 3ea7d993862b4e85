import type { Knex } from 'knex';
import { AuthError, PermanentError } from '../../lib/errors.ts';
import { RateLimiter, type RateMargin } from '../../lib/rate-limiter.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { Queue } from '../../lib/queue/port.ts';
import type { Logger } from '../../config/logger.ts';
import { Shop } from '../../models/shop.ts';
import { loadShopCredentials, loadShopToken, saveShopToken, type ShopCredentials } from '../../models/shop-credential.ts';
import { presentSyncRun, SyncRun } from '../../models/sync-run.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { createBolClient, fetchPublishedLimits, PAGE_SIZE, type BolClient } from '../connectors/bol/client.ts';
import { DOCUMENTED_LIMITS } from '../connectors/bol/limits.ts';
import { BolTokens } from '../connectors/bol/token.ts';
import type { ShipmentRecord } from '../connectors/types.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { followingPage, nextPage, readCheckpoint, type Checkpoint } from '../sync/checkpoint.ts';
import { PUBLISHED_LIMITS_TTL_MS, readRateState, type ShopRateState } from '../sync/rate-state.ts';
import { findKnownPlatformIds, upsertShipments } from '../sync/shipments.ts';
import { mayHaveLostSuccessor, type JobContext } from '../consume.ts';

export interface SyncPageDeps {
  knex: Knex;
  queue: Queue;
  secretBox: SecretBox;
  logger: Logger;
  bol: { loginUrl: string; apiUrl: string };
  rateMargin: RateMargin;
  phoneKeyDigits?: number;
  /** First in-place retry delay for a 5xx; tests shorten it. */
  retryMinDelayMs?: number;
}

type Payload = JobPayload<'sync.page'>;

/**
 * One step of a shipments sync run: fetch the page the checkpoint names (unless already
 * fetched), fetch the details it still needs, and commit records + checkpoint + counters +
 * the shop's rate-limit position in one transaction; then enqueue the next step.
 *
 * Only one step of a run is ever in flight: the next job is published after the commit, and a
 * job whose `step` is behind the run's is a duplicate and does nothing. That chain is also what
 * keeps a shop inside its limits across every worker process (see crawler/sync/rate-state.ts).
 */
export async function handleSyncPage(deps: SyncPageDeps, payload: Payload, ctx: JobContext): Promise<void> {
  const run = await SyncRun.query(deps.knex).findById(payload.sync_run_id);
  if (!run || run.status === 'succeeded' || run.status === 'failed') return;
  if (run.step !== payload.step) {
    // One step behind: this job committed its step before, maybe without publishing the next.
    if (mayHaveLostSuccessor(ctx) && run.step === payload.step + 1) await enqueue(deps.queue, 'sync.page', { sync_run_id: run.id, step: run.step });
    return;
  }
  const log = deps.logger.child({ sync_run_id: run.id, shop_id: run.shop_id, step: run.step });

  const shop = await Shop.query(deps.knex).findById(run.shop_id);
  if (!shop || shop.status !== 'active') {
    await failRun(deps.knex, run, shop ? `The shop is ${shop.status.replace('_', ' ')}${shop.status_reason ? `: ${shop.status_reason}` : ''}.` : 'The shop was deleted.');
    return;
  }
  const credentials = await loadShopCredentials(deps.knex, deps.secretBox, shop.id);
  if (!credentials) {
    await failRun(deps.knex, run, 'The shop has no credentials; add them with PATCH /shops/:id.');
    return;
  }
  if (run.status === 'queued') await SyncRun.query(deps.knex).patch({ status: 'running', started_at: Date.now() }).where({ id: run.id, status: 'queued' });

  const session = await openBolSession(deps, shop, credentials, ctx.redelivered, ctx.signal);
  const { cp, pagesFetched, records, settled, failure } = await fetchStep(deps.knex, session, run, ctx.signal);
  // Details still unanswered stay pending in the checkpoint; a page whose details are all in moves on.
  const remaining = (cp.pending ?? []).filter((id) => !settled.has(id));
  const next = cp.pending === null || remaining.length > 0 ? { ...cp, pending: cp.pending === null ? null : remaining } : nextPage(cp);
  const refused = failure instanceof AuthError || failure instanceof PermanentError ? (failure as Error) : undefined;
  const done = next === null && !failure;

  const committed = await commitStep(deps, { run, shop, session, records, pagesFetched, next, done, refused, failure });
  if (!committed) {
    log.info('step already committed by another delivery; dropping this one');
    return;
  }

  const nextPayload = { sync_run_id: run.id, step: run.step + 1 };
  log.info({ pages: pagesFetched, records: records.length, requests: session.requests(), pending: remaining.length, done, failure: failure ? String(failure) : undefined }, 'sync step committed');
  if (refused) return;
  if (failure) {
    // Progress is saved; the retry resumes from the new step, with the wrapper's delay policy.
    ctx.setPayload(nextPayload);
    throw failure;
  }
  if (!done) await enqueue(deps.queue, 'sync.page', nextPayload);
}

/** bol as one step sees it: the shop's limiter carried over from the step before, its token, and the step's request count. */
interface BolSession {
  client: BolClient;
  limiter: RateLimiter;
  rateState: ShopRateState;
  requests(): number;
}

async function openBolSession(deps: SyncPageDeps, shop: Shop, credentials: ShopCredentials, redelivered: boolean, signal: AbortSignal): Promise<BolSession> {
  let requests = 0;
  const countRequest = () => void requests++;
  const rateState = readRateState(shop.rate_state);
  if (!rateState.limits || (rateState.limitsFetchedAt ?? 0) + PUBLISHED_LIMITS_TTL_MS < Date.now()) {
    const published = await fetchPublishedLimits(deps.bol.apiUrl, countRequest, signal);
    rateState.limits = { ...DOCUMENTED_LIMITS, ...rateState.limits, ...published };
    rateState.limitsFetchedAt = Date.now();
  }
  const limiter = new RateLimiter(rateState.limits, { margin: deps.rateMargin, carried: rateState.lanes });
  if (redelivered) {
    // The worker that held this job died mid-step: the requests it sent after its last commit
    // are in no saved state. Waiting one window on every lane lets them age out of the provider's.
    for (const [lane, rule] of Object.entries(rateState.limits)) limiter.blockUntil(lane, Date.now() + rule.windowMs);
  }
  const tokens = new BolTokens(
    deps.bol.loginUrl,
    { clientId: credentials.client_id, clientSecret: credentials.client_secret },
    { load: () => loadShopToken(deps.knex, deps.secretBox, shop.id), save: (t) => saveShopToken(deps.knex, deps.secretBox, shop.id, t) },
    countRequest,
    signal,
  );
  const client = createBolClient({ apiUrl: deps.bol.apiUrl, tokens, limiter, onRequest: countRequest, signal, retryMinDelayMs: deps.retryMinDelayMs });
  return { client, limiter, rateState, requests: () => requests };
}

/** What one step brought in; `failure` is the first error, with everything before it kept. */
interface StepFetch {
  cp: Checkpoint;
  pagesFetched: number;
  records: ShipmentRecord[];
  /** Pending ids whose details were answered (a record, or gone). */
  settled: Set<string>;
  failure: unknown;
}

async function fetchStep(knex: Knex, session: BolSession, run: SyncRun, signal: AbortSignal): Promise<StepFetch> {
  const { client, limiter } = session;
  // At shutdown, requests still waiting for their slot are dropped at once; those in flight finish.
  const stopLimiter = () => void limiter.stop();
  signal.addEventListener('abort', stopLimiter, { once: true });
  const fetched: StepFetch = { cp: readCheckpoint(run.checkpoint), pagesFetched: 0, records: [], settled: new Set(), failure: undefined };
  try {
    if (fetched.cp.pending === null) {
      fetched.cp = { ...fetched.cp, ...(await fetchPage(knex, client, run, fetched.cp, [])) };
      fetched.pagesFetched++;
    }
    // While this page's details come in (detail lane), list the following page (list lane), so
    // the next step starts on details at once instead of waiting for a list answer.
    const following = followingPage(fetched.cp);
    const current = fetched.cp;
    const outcomes = await Promise.allSettled([
      fetchDetails(client, limiter, current.pending ?? [], fetched.records, fetched.settled),
      following && !current.ahead
        ? fetchPage(knex, client, run, following, current.pending ?? []).then(
            (ahead) => {
              fetched.cp = { ...fetched.cp, ahead };
              fetched.pagesFetched++;
            },
            (err: unknown) => {
              void limiter.stop();
              throw err;
            },
          )
        : undefined,
    ]);
    // Both sides have finished (nothing is still writing into `records`); the first failure wins.
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (rejected) throw rejected.reason;
  } catch (err) {
    fetched.failure = err;
  } finally {
    signal.removeEventListener('abort', stopLimiter);
    await limiter.stop();
  }
  return fetched;
}

interface StepCommit {
  run: SyncRun;
  shop: Shop;
  session: BolSession;
  records: ShipmentRecord[];
  pagesFetched: number;
  next: Checkpoint | null;
  done: boolean;
  refused: Error | undefined;
  failure: unknown;
}

/**
 * Records + checkpoint + counters + the shop's rate-limit position, in one transaction; false
 * when another delivery of this step committed first (this one then rolls back).
 */
async function commitStep(deps: SyncPageDeps, step: StepCommit): Promise<boolean> {
  const { run, shop, session, refused, done, failure } = step;
  return deps.knex
    .transaction(async (trx) => {
      const upserted = await upsertShipments(trx, { shopId: shop.id, runId: run.id, source: 'bol', records: step.records, phoneKeyDigits: deps.phoneKeyDigits });
      const now = Date.now();
      const changed = await trx('sync_runs')
        .where({ id: run.id, step: run.step })
        .update({
          step: run.step + 1,
          checkpoint: JSON.stringify(step.next),
          status: refused ? 'failed' : done ? 'succeeded' : 'running',
          error: refused ? refused.message : null,
          active_key: refused || done ? null : run.active_key,
          finished_at: refused || done ? now : null,
          pages_fetched: trx.raw('pages_fetched + ?', [step.pagesFetched]),
          records_upserted: trx.raw('records_upserted + ?', [upserted]),
          requests_made: trx.raw('requests_made + ?', [session.requests()]),
          updated_at: now,
        });
      if (changed === 0) throw new StaleStep();
      const state: ShopRateState = { ...session.rateState, lanes: session.limiter.snapshot() };
      const shopPatch: Record<string, unknown> = { rate_state: JSON.stringify(state), updated_at: now };
      if (done) shopPatch.last_synced_at = now;
      if (failure instanceof AuthError) Object.assign(shopPatch, { status: 'credentials_refused', status_reason: failure.message });
      await trx('shops').where({ id: shop.id }).update(shopPatch);
      if (refused || done) await recordSyncOutcome(trx, run.id);
      return true;
    })
    .catch((err: unknown) => {
      if (err instanceof StaleStep) return false;
      throw err;
    });
}

class StaleStep extends Error {}

/**
 * Lists one page and decides which of its shipments still need details. `exclude`: ids the run
 * is already fetching (pages shift as new shipments arrive, so neighbours can overlap).
 */
async function fetchPage(knex: Knex, client: BolClient, run: SyncRun, page: Checkpoint, exclude: string[]): Promise<{ pending: string[]; lastPage: boolean }> {
  const listed = await client.listShipments(page.method, page.page);
  const ids = [...new Set(listed.map((s) => s.shipmentId))];
  // Initial: skip only what this run already stored. Incremental: skip everything the shop
  // already has, and stop paging at the first one: the list is newest first, so everything
  // after it is older and known.
  const known = await findKnownPlatformIds(knex, run.shop_id, ids, run.type === 'initial' ? run.id : undefined);
  const reachedKnown = run.type === 'incremental' && known.size > 0;
  const fetching = new Set(exclude);
  const pending = ids.filter((id) => !known.has(id) && !fetching.has(id));
  return { pending, lastPage: listed.length < PAGE_SIZE || reachedKnown };
}

/**
 * Fetches details concurrently at the limiter's pace. On the first failure nothing new is sent
 * (the limiter drops what waits), requests in flight finish, and what succeeded is kept.
 */
async function fetchDetails(client: BolClient, limiter: RateLimiter, ids: string[], records: ShipmentRecord[], settled: Set<string>): Promise<void> {
  let firstError: unknown;
  await Promise.all(
    ids.map(async (id) => {
      try {
        const record = await client.getShipment(id);
        if (record) records.push(record);
        settled.add(id);
      } catch (err) {
        if (firstError === undefined) {
          firstError = err;
          void limiter.stop();
        }
      }
    }),
  );
  if (firstError !== undefined) throw firstError;
}

export async function failRun(knex: Knex, run: SyncRun, reason: string): Promise<void> {
  await knex.transaction(async (trx) => {
    const changed = await SyncRun.query(trx)
      .patch({ status: 'failed', error: reason, active_key: null, finished_at: Date.now() })
      .where({ id: run.id })
      .whereIn('status', ['queued', 'running']);
    if (changed > 0) await recordSyncOutcome(trx, run.id);
  });
}

/** `sync.succeeded` / `sync.failed` with the finished run, in the transaction that finished it. */
async function recordSyncOutcome(trx: Knex.Transaction, runId: number): Promise<void> {
  const finished = await SyncRun.query(trx).findById(runId);
  if (!finished || (finished.status !== 'succeeded' && finished.status !== 'failed')) return;
  await recordEvents(trx, [{ type: finished.status === 'succeeded' ? 'sync.succeeded' : 'sync.failed', data: { sync_run: presentSyncRun(finished) } }]);
}
