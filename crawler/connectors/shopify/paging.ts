import type { ShipmentRecord, StepFetch } from '../types.ts';
import { changedSince, laterCursor, type Checkpoint, type StreamCursor } from './checkpoint.ts';
import { ORDERS_PAGE } from './queries.ts';
import { detailsSchema, fromDetails, fulfillmentSchema, orderSchema, toShipmentRecord } from './parse.ts';
import type { CostPacer } from './cost.ts';
import type { ShopifySession } from './session.ts';
import { z } from 'zod';

/**
 * Orders page by page, oldest change first (`sortKey: UPDATED_AT`), each with its fulfillments,
 * their events and line items: incremental runs from the stream's watermark (the newest
 * `updatedAt` stored, less a minute of overlap), and initial runs set to page from the start.
 * An order changed while the run pages moves behind the cursor and is met again, later.
 * One page a step; its size follows the query's learnt cost.
 */

type Page = Extract<Checkpoint, { phase: 'page' }>;

export const MAX_PAGE_ORDERS = 250;
const FIRST_PAGE_ORDERS = 10;

const pageAnswer = z.object({
  orders: z.object({
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
    nodes: z.array(orderSchema.extend({ fulfillments: z.array(fulfillmentSchema.merge(detailsSchema)) })),
  }),
});

export function firstPage(cursor: StreamCursor): Page {
  return { phase: 'page', after: null, search: changedSince(cursor) };
}

/** Orders the next page asks for, as its learnt cost allows. */
export function ordersPageSize(pacer: CostPacer): number {
  return pacer.pageSize(ORDERS_PAGE.shape, { max: MAX_PAGE_ORDERS, fallback: FIRST_PAGE_ORDERS });
}

export async function fetchOrdersPage(session: ShopifySession, page: Page, cursor: StreamCursor): Promise<StepFetch> {
  const first = ordersPageSize(session.pacer);
  try {
    const data = pageAnswer.parse(await session.client.query({ ...ORDERS_PAGE, variables: { first, after: page.after, query: page.search }, items: first }));
    const { nodes, pageInfo } = data.orders;
    const records: ShipmentRecord[] = nodes.flatMap((order) => order.fulfillments.map((f) => {
      const { items, events } = fromDetails(f);
      return toShipmentRecord(order, f, items, events);
    }));
    const next: Page | null = pageInfo.hasNextPage && pageInfo.endCursor ? { ...page, after: pageInfo.endCursor } : null;
    // Oldest change first: the page's last order is its newest change, now stored with the page.
    return { records, next, pagesFetched: 1, cursor: laterCursor(cursor, nodes.at(-1)?.updatedAt) };
  } catch (failure) {
    return { records: [], next: page, pagesFetched: 0, failure };
  }
}
