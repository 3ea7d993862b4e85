import type { PlatformSession } from '../types.ts';
import type { ShopifyClient } from './client.ts';
import type { CostPacer } from './cost.ts';

/** Shopify as one step sees it: the shop's client under its cost pacer, and how the initial sync runs. */
export interface ShopifySession extends PlatformSession {
  client: ShopifyClient;
  pacer: CostPacer;
  /** `bulk` (a bulk operation) or `paging` (orders page by page, as incremental runs do). */
  initialSync: 'bulk' | 'paging';
  signal: AbortSignal;
  /** Counts a request sent outside the client (a bulk file's download) in the run's `requests_made`. */
  countRequest(): void;
}
