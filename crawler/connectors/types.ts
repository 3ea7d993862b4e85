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
