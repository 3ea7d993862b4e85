import { tokenRefreshes } from '../../lib/metrics.ts';
import type { Knex } from 'knex';
import { AuthError, PermanentError, RateLimitedError } from '../../lib/errors.ts';
import type { RateMargin } from '../../lib/rate-limiter.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { Queue } from '../../lib/queue/port.ts';
import type { Logger } from '../../config/logger.ts';
import { claimShopSending, findShop, saveShopRateState, saveShopStepState, type Shop } from '../../models/shops.ts';
import { claimTokenRefresh, loadShopCredentialsAndToken, releaseTokenRefresh, loadShopToken, replaceShopToken, saveShopToken } from '../../models/shop-credentials.ts';
import { commitSyncRunStep, failSyncRun, findSyncRun, markSyncRunRunning, type SyncRun } from '../../models/sync-runs.ts';
import { presentSyncRun } from '../../api/present.ts';
import { recordEvents } from '../../models/domain-events.ts';
import { withAnswersInHand } from '../answers-in-hand.ts';
import type { Platforms } from '../connectors/platforms.ts';
import type { PlatformConnector, PlatformSession, PlatformStream, StepFetch, StoredToken, TokenStore } from '../connectors/types.ts';
import { tokenUsable } from '../connectors/token-margin.ts';
import { enqueue, type JobPayload } from '../jobs.ts';
import { createGate, type Gate } from '../../lib/gate.ts';
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
  /** How long a job goes on with its run's steps; unset: TURN_MS. 0: one step per job. */
  turnMs?: number;
  /** How long a step goes on sending before it commits (StepContext.budgetMs); tests shorten it. */
  stepBudgetMs?: number;
}

type Payload = JobPayload<'sync.page'>;

/**
 * How long one job goes on with its run's steps before the next goes to the back of the queue.
 * Within a turn each step is fetched while the step before it commits, so the shop's pace never
 * waits for the database; past it, a shop with 50,000 shipments hands its slot to whoever waits.
 */
export const TURN_MS = 120_000;

/**
 * Steps of a sync run, on whatever platform the shop is: open the shop's session on its platform,
 * let the run's stream fetch one step from the stored checkpoint, and commit records + checkpoint
 * + counters + the shop's rate-limit position in one transaction. While a step commits, the job
 * already fetches the next one (its session opens on the rate state the step leaves), for up to
 * `TURN_MS`; then it publishes the next step's job.
 *
 * Only one step of a run is ever fetched at a time and the commits go in step order: the next job
 * is published after the turn's last commit, and a job whose `step` is behind the run's is a
 * duplicate and does nothing. That chain is also what keeps a shop inside its limits across every
 * worker process (see crawler/sync/rate-state.ts).
 */
export async function handleSyncPage(deps: SyncPageDeps, payload: Payload, ctx: JobContext): Promise<void> {
  const run = await findSyncRun(deps.knex, payload.sync_run_id);
  if (!run || run.status === 'succeeded' || run.status === 'failed') return;
  if (run.step !== payload.step) {
    // Behind: this job committed its steps before (a turn commits several), maybe without
    // publishing the next; a duplicate of it publishes one that does nothing.
    if (mayHaveLostSuccessor(ctx) && run.step > payload.step) await enqueue(deps.queue, 'sync.page', { sync_run_id: run.id, step: run.step });
    return;
  }
  // Independent reads and writes go out together: hundreds of steps start at once when many
  // shops' syncs do, and each round trip then waits its turn for a pool connection.
  const [shop, stored] = await Promise.all([findShop(deps.knex, run.shop_id), loadShopCredentialsAndToken(deps.knex, deps.secretBox, run.shop_id)]);
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
  const credentials = stored ? connector.credentials.safeParse(stored.credentials) : undefined;
  if (!credentials) {
    await failRun(deps.knex, run, 'The shop has no credentials; add them with PATCH /shops/:id.');
    return;
  }
  if (!credentials.success) {
    await failRun(deps.knex, run, `The shop's stored credentials are not ${shop.platform} credentials; replace them with PATCH /shops/:id.`);
    return;
  }
  const [{ claimedAt, interrupted }] = await Promise.all([claimSending(deps.knex, shop, payload), run.status === 'queued' ? markSyncRunRunning(deps.knex, run.id) : undefined]);
  // A retry of this job before its fetch sent anything finds its own claim and need not wait.
  ctx.setPayload({ ...payload, claimed_at: claimedAt });
  const turn: Turn = { deps, ctx, shop, source: connector.name, open: sessionOpener(deps, shop, connector, settings, credentials.data, stored?.token ?? null), stream, claimedAt, endsAt: Date.now() + (deps.turnMs ?? TURN_MS) };
  let inHand: StepInHand | undefined = await openAndFetchStep(turn, run, { rateState: readStoredJson(shop.rate_state), redelivered: interrupted, signal: ctx.signal, uncommitted: new Set() });
  while (inHand) inHand = await commitAndGoOn(turn, inHand);
}

/** What one job's steps share: the shop, its platform's session opener and stream, and the job's claim. */
interface Turn {
  deps: SyncPageDeps;
  ctx: JobContext;
  shop: Shop;
  /** The platform's name, written on every shipment as its `source`. */
  source: string;
  open: (opening: SessionOpening) => Promise<PlatformSession>;
  stream: PlatformStream;
  claimedAt: number;
  /** No step starts after this (epoch ms): the next one goes to the queue. */
  endsAt: number;
}

interface SessionOpening {
  rateState: unknown;
  redelivered: boolean;
  signal: AbortSignal;
}

/** The run as a step sees it: the step it fetches from, and where that step starts. */
type RunAtStep = Pick<SyncRun, 'id' | 'shop_id' | 'type' | 'step' | 'active_key' | 'checkpoint' | 'cursor' | 'records_upserted'>;

/** A step fetched and not yet committed. */
interface StepInHand {
  run: RunAtStep;
  session: PlatformSession;
  fetched: StepFetch;
}

/** `stored`: the token as read with the credentials when the job started (null: none stored). */
function sessionOpener(deps: SyncPageDeps, shop: Shop, connector: PlatformConnector, settings: unknown, credentials: unknown, stored: StoredToken | null): Turn['open'] {
  const countTokenRefresh = () => void tokenRefreshes.inc({ platform: shop.platform });
  // The token as this job last read or stored it: the steps of a turn each open a session, and a
  // still usable token need not be read from the row again by every one of them. The first
  // session takes the one read with the credentials even when it is missing or expired: the row
  // read again a moment later would say the same. A refresh claim forgets it, so whoever waits
  // for another worker's refresh reads the row.
  let held: StoredToken | null = stored;
  let seeded = true;
  const tokens: TokenStore = {
    load: async () => {
      if (seeded || (held && tokenUsable(held))) {
        seeded = false;
        return held;
      }
      return (held = await loadShopToken(deps.knex, deps.secretBox, shop.id));
    },
    save: async (t) => {
      held = t;
      countTokenRefresh();
      await saveShopToken(deps.knex, deps.secretBox, shop.id, t);
    },
    claimRefresh: (seen, forMs) => {
      held = null;
      seeded = false;
      return claimTokenRefresh(deps.knex, shop.id, seen, forMs);
    },
    releaseRefresh: (seen) => releaseTokenRefresh(deps.knex, shop.id, seen),
    replace: async (seen, next) => {
      const replaced = await replaceShopToken(deps.knex, deps.secretBox, shop.id, seen, next);
      if (replaced) countTokenRefresh();
      held = replaced ? next : null;
      return replaced;
    },
  };
  return (opening) =>
    connector.openSession(settings, { credentials, tokens, ...opening, rateMargin: deps.rateMargin, retryMinDelayMs: deps.retryMinDelayMs });
}

/**
 * Opens a session and fetches the run's step. `uncommitted`: ids of the step before, still being
 * committed, which count as stored (a page shifted by new records repeats a few).
 */
async function openAndFetchStep(turn: Turn, run: RunAtStep, opening: SessionOpening & { uncommitted: ReadonlySet<string> }): Promise<StepInHand> {
  const { knex } = turn.deps;
  const { uncommitted, ...sessionOpening } = opening;
  const session = await turn.open(sessionOpening);
  const fetched = await turn.stream.fetchStep(session, run.checkpoint ?? null, {
    type: run.type,
    // Initial: skip only what this run already stored. Incremental: everything the shop has.
    // The list answer is in hand: a busy or restarting database is asked again rather than
    // failing the step, whose retry would list the page again.
    findStored: async (ids) => {
      // An initial run that has stored nothing yet (its first step) has nothing to skip: no look-up.
      const nothingStored = run.type === 'initial' && run.records_upserted === 0;
      const known = nothingStored
        ? new Set<string>()
        : await withAnswersInHand(() => findKnownPlatformIds(knex, run.shop_id, ids, run.type === 'initial' ? run.id : undefined), { signal: opening.signal, log: turn.deps.logger, what: 'read of stored ids' });
      for (const id of ids) if (uncommitted.has(id)) known.add(id);
      return known;
    },
    cursor: run.cursor ?? null,
    signal: opening.signal,
    budgetMs: turn.deps.stepBudgetMs,
  });
  return { run, session, fetched };
}

/**
 * Commits the step in hand, fetching the run's next step meanwhile when the turn goes on, and
 * answers that one (undefined: the job is done, or goes back to the queue by throwing).
 */
async function commitAndGoOn(turn: Turn, inHand: StepInHand): Promise<StepInHand | undefined> {
  const { deps, ctx, shop } = turn;
  const { run, session, fetched } = inHand;
  const log = deps.logger.child({ sync_run_id: run.id, shop_id: run.shop_id, step: run.step });
  const { failure } = fetched;
  if (!failure && fetched.notBeforeMs && session.requests() === 0 && fetched.records.length === 0) {
    // Nothing sent: the step's lanes stay closed for a while (an interrupted holder's window).
    // It keeps its claim and its lanes' blocks, and comes back then without holding a worker.
    // A step that sent something (a bulk operation started or polled) commits what it learnt first.
    await saveShopRateState(deps.knex, shop.id, JSON.stringify(session.rateState()), Date.now());
    ctx.setPayload({ sync_run_id: run.id, step: run.step, claimed_at: turn.claimedAt });
    log.info({ wait_ms: Math.ceil(fetched.notBeforeMs) }, 'sync step waits for its lanes to open');
    throw new RateLimitedError('the shop\'s limits are spent for now; the step comes back when they open', Math.ceil(fetched.notBeforeMs));
  }
  const refused = failure instanceof AuthError || failure instanceof PermanentError ? (failure as Error) : undefined;
  const done = fetched.next === null && !failure;
  const goOn = !failure && !done && !fetched.notBeforeMs && Date.now() < turn.endsAt && !ctx.signal.aborted;
  const following = goOn ? fetchFollowingStep(turn, inHand) : undefined;

  const committed = await commitStep(deps, { run, shop, source: turn.source, session, fetched, done, refused, keepClaim: goOn, claimedAt: turn.claimedAt }, log, ctx.signal).catch(async (err: unknown) => {
    await following?.stop();
    // Requests this step sent are in no saved state now: its retry must wait them out like anyone's.
    ctx.setPayload({ sync_run_id: run.id, step: run.step });
    throw err;
  });
  if (!committed) {
    await following?.stop();
    log.info('step already committed by another delivery; dropping this one');
    return undefined;
  }

  const nextPayload = { sync_run_id: run.id, step: run.step + 1 };
  log.info({ pages: fetched.pagesFetched, records: fetched.records.length, requests: session.requests(), done, failure: failure ? String(failure) : undefined }, 'sync step committed');
  if (refused) return undefined;
  if (failure) {
    // Progress is saved; the retry resumes from the new step, with the wrapper's delay policy.
    ctx.setPayload(nextPayload);
    throw failure;
  }
  if (following && !committed.shopActive) {
    // Paused or being deleted meanwhile: what the next step fetched is dropped, and its job says why.
    await following.stop();
  }
  if (!following || !committed.shopActive) {
    if (!done) await enqueue(deps.queue, 'sync.page', nextPayload, fetched.notBeforeMs ? { delayMs: Math.ceil(fetched.notBeforeMs) } : {});
    return undefined;
  }
  // The next step's requests are in no saved state until it commits: a retry must wait them out.
  ctx.setPayload(nextPayload);
  return following.step;
}

/**
 * Starts fetching the run's step after `inHand`, on the rate state `inHand` leaves. `stop()`
 * drops what it has not sent (the commit before it failed, or found the shop no longer active)
 * and waits for it to settle.
 */
function fetchFollowingStep(turn: Turn, inHand: StepInHand): { step: Promise<StepInHand>; stop(): Promise<void> } {
  const stopper = new AbortController();
  const forward = () => stopper.abort();
  turn.ctx.signal.addEventListener('abort', forward, { once: true });
  const { run, session, fetched } = inHand;
  const step = (async () => {
    try {
      const next: RunAtStep = {
        ...run,
        step: run.step + 1,
        checkpoint: fetched.next,
        cursor: fetched.cursor === undefined ? run.cursor : fetched.cursor,
        // As the commit before it leaves them (it is dropped if that commit does not happen).
        records_upserted: run.records_upserted + fetched.records.length,
      };
      return await openAndFetchStep(turn, next, { rateState: session.rateState(), redelivered: false, signal: stopper.signal, uncommitted: new Set(fetched.records.map((r) => r.platformId)) });
    } finally {
      turn.ctx.signal.removeEventListener('abort', forward);
    }
  })();
  // Awaited only after the commit before it: until then a failure must not count as unhandled.
  step.catch(() => undefined);
  return {
    step,
    stop: async () => {
      stopper.abort();
      await step.catch(() => undefined);
    },
  };
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
  run: RunAtStep;
  shop: Shop;
  /** The platform's name, written on every shipment as its `source`. */
  source: string;
  session: PlatformSession;
  fetched: StepFetch;
  done: boolean;
  refused: Error | undefined;
  /** The run's next step is already sending: the shop's claim stays (its commit clears it). */
  keepClaim: boolean;
  /** The shop's sending claim this job holds (`shops.sending_since`). */
  claimedAt: number;
}

/** A step's commit: undefined when another delivery of this step committed first (this one rolled back). */
type Committed = { shopActive: boolean } | undefined;

/**
 * Records + checkpoint + counters + the shop's rate-limit position, in one transaction; also
 * whether the shop is still active (paused or being deleted meanwhile: the turn stops).
 */
async function commitStep(deps: SyncPageDeps, step: StepCommit, log: Logger, signal: AbortSignal): Promise<Committed> {
  // A lock conflict with another shop's commit (or a tracking poll's) rolls the whole transaction
  // back, and a pool with no connection free in time or a database restarting runs none of it;
  // each is run again with the records in hand, so none costs a provider call. So is a connection
  // lost mid-transaction, which may have committed: the next run then finds its own commit.
  return commitGate(deps.knex).pass(() =>
    withAnswersInHand((afterLostConnection) => commitStepOnce(deps, step, afterLostConnection), {
      signal,
      log,
      what: 'sync step commit',
    }),
  );
}

/**
 * Commits at once per database pool: all but two of its connections. Hundreds of steps in hand
 * commit in waves (shops started together reach their page ends together), and a wave holding
 * every connection would make the short reads that start each step (a token, a page's stored ids)
 * queue behind it, pausing every shop's pace for as long as the wave lasts.
 */
function commitGate(knex: Knex): Gate {
  let gate = commitGates.get(knex);
  if (!gate) {
    const poolMax = (knex.client.config.pool as { max?: number } | undefined)?.max ?? 1;
    gate = createGate(Math.max(1, poolMax - 2));
    commitGates.set(knex, gate);
  }
  return gate;
}
const commitGates = new WeakMap<Knex, Gate>();

async function commitStepOnce(deps: SyncPageDeps, step: StepCommit, afterLostConnection: boolean): Promise<Committed> {
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
      const shopActive = await saveShopStepState(trx, shop.id, {
        rateState: JSON.stringify(session.rateState()),
        keepClaim: step.keepClaim,
        now,
        syncedAt: done ? now : undefined,
        refusedReason: fetched.failure instanceof AuthError ? fetched.failure.message : undefined,
      });
      if (refused || done) await recordSyncOutcome(trx, run.id);
      return { shopActive };
    })
    .catch((err: unknown) => {
      if (err instanceof StaleStep) return afterLostConnection ? ownEarlierCommit(deps.knex, step) : undefined;
      throw err;
    });
}

class StaleStep extends Error {}

/**
 * The run is past this step, and an earlier attempt of this commit lost its connection: that
 * attempt committed if the run stands at the next step and the shop's claim is as this commit
 * leaves it (still this job's while the next step sends; cleared otherwise). Then the turn goes on
 * as after any commit. A claim another delivery took over means that one committed the step.
 */
async function ownEarlierCommit(knex: Knex, step: StepCommit): Promise<Committed> {
  const [run, shop] = await Promise.all([findSyncRun(knex, step.run.id), findShop(knex, step.shop.id)]);
  if (!run || !shop || run.step !== step.run.step + 1) return undefined;
  const claim = shop.sending_since === null || shop.sending_since === undefined ? null : Number(shop.sending_since);
  if (claim !== (step.keepClaim ? step.claimedAt : null)) return undefined;
  return { shopActive: shop.status === 'active' };
}

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
