import { z } from 'zod';
import { envUrl } from '../../../lib/env.ts';
import { AuthError, UnprocessableError } from '../../../lib/errors.ts';
import { LimiterStoppedError, RateLimiter } from '../../../lib/rate-limiter.ts';
import { PUBLISHED_LIMITS_TTL_MS, readRateState, type ShopRateState } from '../../sync/rate-state.ts';
import { STEP_BUDGET_MS, type PlatformConnector, type PlatformSession, type ShipmentRecord, type StepContext, type StepFetch } from '../types.ts';
import { followingPage, nextPage, readCheckpoint, type Checkpoint } from './checkpoint.ts';
import { createBolClient, fetchPublishedLimits, PAGE_SIZE, type BolClient } from './client.ts';
import { DOCUMENTED_LIMITS, type BolEndpoint } from './limits.ts';
import { BolTokens, requestBolToken } from './token.ts';

/**
 * bol.com as a platform (crawler/connectors/types.ts, PlatformConnector): client-credentials
 * login, the Retailer API v10 shipments in one stream (FBR pages, then FBB pages), its published
 * limits and X-RateLimit headers carried from step to step in the shop's rate state.
 */

const text = (max: number) =>
  z
    .string({ invalid_type_error: 'must be a string', required_error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);

/** bol's API credentials (partner platform: Settings > API settings); stored as this JSON. */
const credentials = z.object({ client_id: text(256), client_secret: text(512) }).strict();
export type BolShopCredentials = z.infer<typeof credentials>;

const settings = z
  .object({
    BOL_LOGIN_URL: envUrl(['http:', 'https:']).default('https://login.bol.com'),
    BOL_API_URL: envUrl(['http:', 'https:']).default('https://api.bol.com'),
  })
  .transform((e) => ({ loginUrl: e.BOL_LOGIN_URL, apiUrl: e.BOL_API_URL }));
export type BolSettings = z.infer<typeof settings>;

/** bol as one step sees it: the shop's limiter carried over from the step before, its token, and the step's request count. */
export interface BolSession extends PlatformSession {
  client: BolClient;
  limiter: RateLimiter;
}

export const bolConnector: PlatformConnector<BolShopCredentials, BolSettings, BolSession> = {
  name: 'bol',
  credentials,
  settings,

  async checkCredentials(s, c, opts) {
    try {
      return await requestBolToken(s.loginUrl, { clientId: c.client_id, clientSecret: c.client_secret }, { timeoutMs: opts.timeoutMs });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      const provider = (err.details ?? {}) as { provider_status?: number; provider_error?: string | null };
      throw new UnprocessableError(
        'credentials_refused',
        'bol refused this client id and secret. Check them in the bol.com partner platform (Settings > API settings) and send them again.',
        { field: 'credentials', provider_status: provider.provider_status ?? null, provider_error: provider.provider_error ?? null },
      );
    }
  },

  async openSession(s, opening) {
    let requests = 0;
    const countRequest = () => void requests++;
    const rateState = readRateState(opening.rateState);
    const { client_id: clientId, client_secret: clientSecret } = opening.credentials;
    const tokens = new BolTokens(s.loginUrl, { clientId, clientSecret }, opening.tokens, countRequest, opening.signal);
    if (!rateState.limits || (rateState.limitsFetchedAt ?? 0) + PUBLISHED_LIMITS_TTL_MS < Date.now()) {
      // The first call's token comes in while the limits do (the limits endpoint needs none).
      tokens.warmUp();
      const published = await fetchPublishedLimits(s.apiUrl, countRequest, opening.signal);
      rateState.limits = { ...DOCUMENTED_LIMITS, ...rateState.limits, ...published };
      rateState.limitsFetchedAt = Date.now();
    }
    const limiter = new RateLimiter(rateState.limits, { margin: opening.rateMargin, carried: rateState.lanes });
    if (opening.redelivered) {
      // The worker that held this job died mid-step: the requests it sent after its last commit
      // are in no saved state. Waiting one window on every lane lets them age out of the provider's.
      for (const [lane, rule] of Object.entries(rateState.limits)) limiter.blockUntil(lane, Date.now() + rule.windowMs);
    }
    const client = createBolClient({ apiUrl: s.apiUrl, tokens, limiter, onRequest: countRequest, signal: opening.signal, retryMinDelayMs: opening.retryMinDelayMs });
    return {
      client,
      limiter,
      requests: () => requests,
      rateState: (): ShopRateState => ({ ...rateState, lanes: limiter.snapshot() }),
    };
  },

  streams: {
    shipments: { fetchStep: fetchShipmentsStep },
  },
};

/**
 * One step of the shipments stream: the page the checkpoint names (unless already fetched), the
 * details it still needs, and, while those come in, the following page's list (fetched ahead).
 */
async function fetchShipmentsStep(session: BolSession, checkpoint: unknown, ctx: StepContext): Promise<StepFetch> {
  const { client, limiter } = session;
  let cp = readCheckpoint(checkpoint);
  // A lane closed for longer than a moment (a window to let a dead worker's calls age out, a
  // limit another integration filled): the step comes back when it opens, holding no worker.
  const waitMs = closedForMs(limiter, cp.pending === null ? 'list' : 'detail');
  if (waitMs > 0) {
    await limiter.stop();
    return { records: [], next: cp, pagesFetched: 0, notBeforeMs: waitMs };
  }
  // At shutdown, requests still waiting for their slot are dropped at once; those in flight finish.
  const stopLimiter = () => void limiter.stop();
  ctx.signal.addEventListener('abort', stopLimiter, { once: true });
  // A page slower than the step's budget (bol's production pace is 50 details a minute) stops the
  // same way and commits what came in; the next step goes on with the page's remaining details.
  let budgetSpent = false;
  const budget = setTimeout(() => {
    budgetSpent = true;
    stopLimiter();
  }, ctx.budgetMs ?? STEP_BUDGET_MS);
  let pagesFetched = 0;
  const records: ShipmentRecord[] = [];
  /** Pending ids whose details were answered (a record, or gone). */
  const settled = new Set<string>();
  let failure: unknown;
  try {
    if (cp.pending === null) {
      cp = { ...cp, ...(await fetchPage(client, ctx, cp, [])) };
      pagesFetched++;
    }
    // While this page's details come in (detail lane), list the following page (list lane), so
    // the next step starts on details at once instead of waiting for a list answer.
    const following = followingPage(cp);
    const current = cp;
    const outcomes = await Promise.allSettled([
      fetchDetails(client, limiter, current.pending ?? [], records, settled),
      following && !current.ahead
        ? fetchPage(client, ctx, following, current.pending ?? []).then(
            (ahead) => {
              cp = { ...cp, ahead };
              pagesFetched++;
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
    // Calls the budget dropped unsent are no failure: their ids stay pending.
    if (!(budgetSpent && err instanceof LimiterStoppedError && !ctx.signal.aborted)) failure = err;
  } finally {
    clearTimeout(budget);
    ctx.signal.removeEventListener('abort', stopLimiter);
    await limiter.stop();
  }
  // Details still unanswered stay pending in the checkpoint; a page whose details are all in moves on.
  const remaining = (cp.pending ?? []).filter((id) => !settled.has(id));
  const next: Checkpoint | null = cp.pending === null || remaining.length > 0 ? { ...cp, pending: cp.pending === null ? null : remaining } : nextPage(cp);
  return { records, next, pagesFetched, failure };
}

/**
 * How long `lane` stays closed, when that is more than a moment: more than the wait between two
 * calls at its pace (twice over) and more than 2 s. 0 when the step should simply wait its turn.
 */
function closedForMs(limiter: RateLimiter, lane: BolEndpoint): number {
  const waitMs = limiter.waitMs(lane);
  const { capacity, windowMs } = limiter.rule(lane);
  return waitMs > Math.max(MOMENT_MS, (2 * windowMs) / capacity) ? waitMs : 0;
}

const MOMENT_MS = 2_000;

/**
 * Lists one page and decides which of its shipments still need details. `exclude`: ids the run
 * is already fetching (pages shift as new shipments arrive, so neighbours can overlap).
 */
async function fetchPage(client: BolClient, ctx: StepContext, page: Checkpoint, exclude: string[]): Promise<{ pending: string[]; lastPage: boolean }> {
  const listed = await client.listShipments(page.method, page.page);
  const ids = [...new Set(listed.map((s) => s.shipmentId))];
  // An incremental run stops paging at the first shipment the shop already has: the list is
  // newest first, so everything after it is older and known.
  const known = await ctx.findStored(ids);
  const reachedKnown = ctx.type === 'incremental' && known.size > 0;
  const fetching = new Set(exclude);
  const pending = ids.filter((id) => !known.has(id) && !fetching.has(id));
  return { pending, lastPage: listed.length < PAGE_SIZE || reachedKnown };
}

/**
 * Fetches details at the limiter's pace, with as many calls under way as the detail lane has
 * places: a call beyond those would only wait for a place, and 50 waiting calls (each a chain of
 * suspended functions through the client, its retries and the limiter) in each of hundreds of
 * shops' steps are a large part of a worker's heap and its garbage collection. On the first
 * failure nothing new is sent (the limiter drops what waits), requests in flight finish, and
 * what succeeded is kept.
 */
async function fetchDetails(client: BolClient, limiter: RateLimiter, ids: string[], records: ShipmentRecord[], settled: Set<string>): Promise<void> {
  let firstError: unknown;
  let next = 0;
  const runner = async () => {
    while (firstError === undefined && next < ids.length) {
      const id = ids[next++]!;
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
    }
  };
  await Promise.all(Array.from({ length: Math.min(ids.length, limiter.places('detail')) }, runner));
  if (firstError !== undefined) throw firstError;
}
