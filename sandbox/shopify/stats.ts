/** What the Shopify simulator saw, per shop, so tests can prove a client's pacing and token use. */
import type { TokenCounts } from './auth.ts';

export interface ShopifyShopStats {
  /** GraphQL requests that passed authentication (executed, throttled or refused for cost). */
  graphqlCalls: number;
  throttled: number;
  maxCostExceeded: number;
  /** GraphQL requests answered 401. */
  unauthorized: number;
  /** Actual cost charged, summed. */
  pointsSpent: number;
  /** Requested cost summed over executed queries (before refunds). */
  pointsRequested: number;
  /** The most a THROTTLED query asked beyond what the bucket held (0: the client never overdrew). */
  peakOverdraw: number;
  tokens: TokenCounts;
  bulkOperations: number;
  /** GETs of bulk files (full or ranged). */
  fileRequests: number;
  serverErrors: number;
}

export type ShopifySandboxStats = Record<string, ShopifyShopStats>;

export function emptyShopStats(): ShopifyShopStats {
  return {
    graphqlCalls: 0,
    throttled: 0,
    maxCostExceeded: 0,
    unauthorized: 0,
    pointsSpent: 0,
    pointsRequested: 0,
    peakOverdraw: 0,
    tokens: { grants: 0, refreshes: 0, refused: 0 },
    bulkOperations: 0,
    fileRequests: 0,
    serverErrors: 0,
  };
}

export function copyShopStats(s: ShopifyShopStats): ShopifyShopStats {
  return { ...s, tokens: { ...s.tokens } };
}
