import type { z } from 'zod';
import type { RateMargin } from '../../lib/rate-limiter.ts';

/** How every connector calls its provider; each connector documents its own defaults. */
export interface ProviderCallOptions {
  /** Called once per HTTP request sent, whatever its answer (retries included): the caller's count of calls. */
  onRequest?: () => void;
  timeoutMs?: number;
  /** In-place retries of a 5xx or network error before the job itself is retried. */
  retries?: number;
  /** First in-place retry delay; later ones back off. */
  retryMinDelayMs?: number;
  /** Stops in-place retries (at shutdown). */
  signal?: AbortSignal;
}

/** The records connectors return; they are defined beside the models that store them. */
export type { ShipmentRecord, ShipmentItemRecord, TrackingEventRecord } from '../../models/records.ts';
import type { ShipmentRecord } from '../../models/records.ts';

/**
 * The platform seam: what a seller-shop platform (bol, Shopify, …) implements so that shops on it
 * can be connected and synced. The engine (crawler/handlers/sync-page.ts) owns the sync run's job
 * chain, its commit, checkpoint storage, progress and recovery; the connector owns the wire.
 *
 * Terminology:
 * - platform: where a seller's shop lives; `name` is stored on the shop (`shops.platform`) and
 *   written as the `source` of every shipment its syncs store.
 * - settings: the connector's part of the environment (addresses, mostly), read once at boot by
 *   `settings`, a zod schema over the environment's variables (bol: BOL_LOGIN_URL, BOL_API_URL).
 * - credentials: what a person gives to connect a shop, validated by `credentials` (zod) and
 *   sealed at rest as that JSON; `checkCredentials` proves them with the platform on save.
 * - token: a short-lived access token a platform may hand out for credentials; kept sealed beside
 *   them (`TokenStore`) and shared by every worker of the shop.
 * - session: one step's view of the shop on the platform: its token, its limits and the rate
 *   state carried over from the step before (stored on the shop, `PlatformSession.rateState`).
 * - stream: one kind of records a platform syncs (`shipments`); a sync run syncs one stream.
 * - step: one job of a sync run's chain: from the stored checkpoint, fetch some records and the
 *   next checkpoint (or the end). The engine commits records + checkpoint + counters + the rate
 *   state in one transaction, then publishes the next step.
 * - checkpoint: where a run stands in its stream; the connector's own JSON-serialisable value,
 *   opaque to the engine. null before the first step.
 */
export interface PlatformConnector<Credentials = unknown, Settings = unknown, Session extends PlatformSession = PlatformSession> {
  readonly name: string;
  /** The credentials a shop on this platform is connected with (POST/PATCH /shops `credentials`). */
  readonly credentials: z.ZodType<Credentials, z.ZodTypeDef, unknown>;
  /** The connector's settings, parsed from the environment (unset and empty variables are absent). */
  readonly settings: z.ZodType<Settings, z.ZodTypeDef, Record<string, string | undefined>>;
  /**
   * Proves credentials with the platform before they are saved. Resolves with a token to keep (so
   * the first sync needs no new one), or null. Throws `UnprocessableError('credentials_refused')`
   * when the platform refuses them (a person must fix them); any other error means the platform
   * could not tell (the API answers 503, try again).
   */
  checkCredentials(settings: Settings, credentials: Credentials, opts: { timeoutMs: number }): Promise<StoredToken | null>;
  /** Opens one step's session. Throws the error family's job outcomes (lib/errors.ts), like every call. */
  openSession(settings: Settings, opening: SessionOpening<Credentials>): Promise<Session>;
  /** Every stream this platform syncs, by name (`shipments`). */
  readonly streams: Readonly<Record<string, PlatformStream<Session>>>;
}

/** What the engine hands a connector to open a session. */
export interface SessionOpening<Credentials> {
  credentials: Credentials;
  /** The shop's stored token, shared by every worker: reuse it until it expires. */
  tokens: TokenStore;
  /** What `PlatformSession.rateState` answered at the end of the shop's last step (parsed JSON), or null. */
  rateState: unknown;
  /**
   * True when an earlier holder of this step began sending and never committed (its worker was
   * killed, its commit failed): requests it sent are in no saved state, so the session should let
   * them age out of the platform's windows first (and the step come back when they have, with
   * `notBeforeMs`, holding no worker).
   */
  redelivered: boolean;
  /** The shop's pace under every limit: the margin each limit is kept under. */
  rateMargin: RateMargin;
  /** First in-place retry delay of a 5xx; tests shorten it. */
  retryMinDelayMs?: number;
  /** Aborted at shutdown: send nothing new, let requests in flight finish. */
  signal: AbortSignal;
}

export interface PlatformSession {
  /** Requests sent to the platform by this session so far (the run's `requests_made`). */
  requests(): number;
  /** The shop's position in the platform's limits now, JSON-serialisable; the next session opens with it. */
  rateState(): unknown;
}

/** How a stream's records are fetched, one step at a time. */
export interface PlatformStream<Session extends PlatformSession = PlatformSession> {
  /**
   * One step from `checkpoint` (null: the run's first step). Never throws for a failure after
   * some progress: what came in before it is answered with `failure` set and a checkpoint that
   * resumes after it, so the engine saves the progress and then lets the retry policy decide.
   */
  fetchStep(session: Session, checkpoint: unknown, ctx: StepContext): Promise<StepFetch>;
}

export interface StepContext {
  type: 'initial' | 'incremental';
  /**
   * Which of these record ids are stored already: an initial run skips the ones it stored itself
   * (a page shifted by new records repeats a few); an incremental run skips every id the shop has,
   * and stops where it reaches them (a newest-first list is known from there on).
   */
  findStored(ids: string[]): Promise<Set<string>>;
  /**
   * The stream's cursor: where the shop's previous runs of this stream left it (a platform's
   * watermark, e.g. the newest `updatedAt` stored), as moved by this run's steps so far; null
   * when no step ever set one. A step moves it with `StepFetch.cursor`.
   */
  cursor: unknown;
  signal: AbortSignal;
  /**
   * How long the step goes on sending: a connector whose step is many calls (bol's details of a
   * page) stops then and hands back what came in, the rest in its `next`, so the run's counts move
   * and a worker killed mid-step loses at most this much of the shop's calls. Unset: STEP_BUDGET_MS.
   */
  budgetMs?: number;
}

/** How long a step goes on sending before it commits what it has (StepContext.budgetMs). */
export const STEP_BUDGET_MS = 15_000;

export interface StepFetch {
  records: ShipmentRecord[];
  /** Where the next step starts; null: the stream is done (once `failure` is unset). */
  next: unknown;
  /** Pages (list answers) fetched in this step, for the run's `pages_fetched`. */
  pagesFetched: number;
  /** The first error, with everything before it kept in `records` and `next`. */
  failure?: unknown;
  /**
   * The next step has nothing to do for this long (a bulk operation still running on the platform,
   * a limit window still closed): the engine publishes it delayed, so no worker waits for it.
   */
  notBeforeMs?: number;
  /**
   * The stream's new cursor, committed with this step's records (so it never runs ahead of what
   * is stored) and handed to the shop's next run; unset: unchanged.
   */
  cursor?: unknown;
}

/** A platform access token as stored beside the shop's credentials (models/shop-credentials.ts). */
export type { StoredToken } from '../../models/shop-credentials.ts';
import type { StoredToken } from '../../models/shop-credentials.ts';

/**
 * The shop's token, shared by every worker through the database. A token a platform hands out
 * again for the same credentials is `save`d; a rotating one (its refresh token is replaced on
 * every refresh) is refreshed by one worker at a time: `claimRefresh`, refresh with the
 * platform, `replace`, and only then use it; the others wait for the winner's pair.
 */
export interface TokenStore {
  load(): Promise<StoredToken | null>;
  save(token: StoredToken): Promise<void>;
  /** True for exactly one caller while the stored pair is still `seen` (null: none yet); the claim lapses after `forMs`. */
  claimRefresh(seen: StoredToken | null, forMs: number): Promise<boolean>;
  /** Stores `next` in place of `seen` (compare-and-set on its version); false when another pair landed first. */
  replace(seen: StoredToken | null, next: StoredToken): Promise<boolean>;
  /** Gives up a claim whose refresh failed while the pair is still `seen`, so the others need not wait for it to lapse. */
  releaseRefresh(seen: StoredToken | null): Promise<void>;
}
