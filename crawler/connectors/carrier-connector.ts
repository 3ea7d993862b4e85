import type { ProviderCallOptions, TrackingEventRecord } from './types.ts';

/**
 * The contract every carrier connector implements. Terminology:
 * - carrier: a company that moves parcels (DHL, PostNL), known by the codes of the carrier table
 *   (models/carriers.ts). A shipment names its carrier by one of those codes.
 * - carrier connector: the code that speaks one tracking API. It may track several carriers'
 *   codes: DHL's Shipment Tracking – Unified answers for DHL Paket, DHL Parcel NL, DHL eCommerce, ….
 * - connector name: how the registry (crawler/connectors/carriers.ts), the carrier table's
 *   `trackedBy`, the `tracking.poll` job and the `tracking_keys`/`tracking_polls` rows name a
 *   connector (`dhl`). The job's field and the rows' column are called `carrier` on the wire and
 *   in the schema; they hold the connector name.
 * - key: this deployment's credentials with the connector. Its limits hold across every worker,
 *   which is why one chain of `tracking.poll` jobs per key does all its polls.
 * - poll: one tracking call for one shipment.
 * - settings: what the connector reads from the environment (URL, key, the key's limits).
 *
 * The engine owns which shipments are polled and when (scheduler/plan-tracking.ts), the pace and
 * the daily budget across workers, and how results are stored (crawler/handlers/tracking-poll.ts);
 * the connector owns the wire: a tracking number in, a tracking result out.
 */
export interface CarrierConnector<Settings = unknown> {
  /** The connector name (see above). */
  readonly name: string;
  /** Keys (models/carriers.ts `carrierKey`) of the carrier codes whose shipments it tracks, from the carrier table. */
  readonly carrierCodes: readonly string[];
  /** Its settings from the environment, under its own variable names; throws a ZodError naming the variables at fault. */
  settingsFromEnv(env: Readonly<Record<string, string | undefined>>): Settings;
  /** Whether polls can go out with these settings (a key is set): without, the clock plans nothing for it. */
  isConfigured(settings: Settings): boolean;
  /** The key's limits, which the engine paces every worker's polls by. */
  limitsOf(settings: Settings): CarrierLimits;
  /** How often the carrier wants one shipment asked about. */
  readonly shipmentPolls: ShipmentPollRules;
  /** A poller for one step of the key's chain; `opts.onRequest` counts every call sent (each spends quota). */
  open(settings: Settings, opts: CarrierCallOptions): CarrierPoller;
}

export interface CarrierLimits {
  /** Calls the key may make per second, across every worker (may be below 1). */
  callsPerSecond: number;
  /** The key's daily quota (the day as the carrier counts it: DHL resets at 00:00 GMT). */
  callsPerDay: number;
}

export interface ShipmentPollRules {
  /** Polls of one shipment per day at most, spread evenly over the day. */
  maxPerDay: number;
  /** A number the carrier does not know is asked again while its shipment is younger than this: fresh labels take a while to appear. */
  notFoundGraceMs: number;
}

export interface CarrierCallOptions extends ProviderCallOptions {
  /** Epoch ms now (default Date.now): what a daily-quota wait is counted from. */
  clock?: () => number;
  /**
   * The key's pace for a poll's further calls: the engine paces each poll's first call; a poll
   * that needs more (DHL's next page of a multi-piece answer) sends every later call through this,
   * so the key's calls per second hold. Without it, the later calls are not made; it resolves to
   * undefined without calling when the key's day has no room left for another call.
   */
  paceFurtherCall?: <T>(call: () => Promise<T>) => Promise<T | undefined>;
}

export interface TrackingRequest {
  trackingNumber: string;
  /** Sent along when known: some carriers answer in full only with it. */
  recipientPostalCode?: string;
}

/** What a carrier says about one tracking number. */
export interface TrackingResult {
  trackingNumber: string;
  /** false when the carrier does not know the number (yet: fresh labels take a while to appear). */
  found: boolean;
  /** Every observation the carrier reports, oldest first; the same observation always gives the same record. */
  events: TrackingEventRecord[];
  /** What the carrier says of the delivery beyond its events; absent when the connector says nothing of it. */
  delivery?: CarrierDeliveryInfo;
}

/** The carrier's view of the delivery, as of this poll (each poll replaces the last one's). */
export interface CarrierDeliveryInfo {
  /** The carrier's estimated time of delivery (epoch ms), or the window it gives instead. */
  estimatedAt: number | null;
  estimatedFrom: number | null;
  estimatedTo: number | null;
  /** The carrier's note on the current status and what happens next (DHL remark, nextSteps). */
  remark: string | null;
  /** Where the proof of delivery can be seen, once delivered. */
  proofOfDeliveryUrl: string | null;
}

export interface CarrierPoller {
  /**
   * One poll. The errors are the engine's policy (lib/errors.ts): RateLimitedError (a limit of
   * the key ran out: the chain waits `retryAfterMs`, costing no attempt), AuthError (the key is
   * refused: the chain rests), PermanentError (the carrier rejects this number: its polling
   * ends, the chain goes on), RetryableError/TransientError (an outage: the step comes back with
   * backoff). An unknown number is an answer, `found: false`, not an error.
   */
  poll(request: TrackingRequest): Promise<TrackingResult>;
}
