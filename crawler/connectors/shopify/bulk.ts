import { z } from 'zod';
import { PermanentError } from '../../../lib/errors.ts';
import type { ShipmentItemRecord, ShipmentRecord, StepFetch } from '../types.ts';
import { laterCursor, type BulkRead, type Checkpoint, type StreamCursor } from './checkpoint.ts';
import { BulkFileGone, readJsonlGroups, type JsonlGroup } from './jsonl.ts';
import { BULK_ORDERS_QUERY, BULK_STATUS, CURRENT_BULK, FULFILLMENT_DETAILS_BY_ID, RUN_BULK } from './queries.ts';
import { detailsSchema, eventsFromTimestamps, fromDetails, fulfillmentSchema, lineItemRecord, lineItemSchema, orderSchema, stillMoving, toShipmentRecord, type FulfillmentDetails, type ShopifyFulfillment, type ShopifyOrder } from './parse.ts';
import type { CostPacer } from './cost.ts';
import type { ShopifySession } from './session.ts';

/**
 * The initial sync by bulk operation (shopify.dev, "Perform bulk operations with the GraphQL
 * Admin API"): one step starts it, delayed steps poll it while it runs (no worker waits), then
 * steps read its JSONL file from their checkpoint's byte offset, a few hundred orders a step.
 *
 * A run succeeds only on a whole file: a FAILED operation's partial data is stored, then the
 * operation is started again (up to MAX_BULK_ATTEMPTS times, then the run fails with Shopify's
 * reason), and the lines read are reconciled with the operation's `objectCount` and
 * `rootObjectCount`: a shortfall fails the run with the figures. Only then does the stream's
 * cursor move, to when the operation started.
 */

export const MAX_BULK_ATTEMPTS = 3;
/** Orders a read step stores. */
export const ORDERS_PER_READ = 500;
const MAX_DETAIL_IDS = 50;
const FIRST_DETAIL_IDS = 5;

type Start = Extract<Checkpoint, { phase: 'bulk-start' }>;
type Poll = Extract<Checkpoint, { phase: 'bulk-poll' }>;

const operationSchema = z.object({
  id: z.string(),
  status: z.string(),
  errorCode: z.string().nullish(),
  createdAt: z.string(),
  objectCount: z.union([z.string(), z.number()]).transform(Number),
  rootObjectCount: z.union([z.string(), z.number()]).transform(Number),
  url: z.string().nullish(),
  partialDataUrl: z.string().nullish(),
});
type Operation = z.infer<typeof operationSchema>;

const runAnswer = z.object({ bulkOperationRunQuery: z.object({ bulkOperation: operationSchema.nullish(), userErrors: z.array(z.object({ message: z.string(), code: z.string().nullish() })) }) });
const currentAnswer = z.object({ currentBulkOperation: operationSchema.nullable() });
const statusAnswer = z.object({ bulkOperation: operationSchema.nullable() });

/** The first poll after 0.5 s, then half as long again each time, at most 3 s apart (a poll costs a point; a late one costs the whole wait). */
export function pollDelayMs(polls: number): number {
  return Math.min(3_000, Math.round(500 * 1.5 ** polls));
}

export async function startBulk(session: ShopifySession, cp: Start): Promise<StepFetch> {
  try {
    const answer = runAnswer.parse(await session.client.query({ ...RUN_BULK, variables: { query: BULK_ORDERS_QUERY }, items: 0 }));
    const { bulkOperation, userErrors } = answer.bulkOperationRunQuery;
    let op = bulkOperation ?? undefined;
    if (!op && userErrors.some((e) => e.code === 'OPERATION_IN_PROGRESS')) {
      // Ours, started by a step whose commit was lost: take it over. Another app's would not block ours.
      op = (await currentOperation(session)) ?? undefined;
    }
    if (!op) throw new PermanentError(`Shopify refused the bulk query: ${userErrors.map((e) => e.message).join('; ') || 'no operation'}`);
    return { records: [], next: { phase: 'bulk-poll', attempt: cp.attempt, id: op.id, polls: 0 }, pagesFetched: 0, notBeforeMs: pollDelayMs(0) };
  } catch (failure) {
    return { records: [], next: cp, pagesFetched: 0, failure };
  }
}

async function currentOperation(session: ShopifySession): Promise<Operation | null> {
  const data = currentAnswer.parse(await session.client.query({ ...CURRENT_BULK, items: 0 }));
  return data.currentBulkOperation;
}

export async function pollBulk(session: ShopifySession, cp: Poll, cursor: StreamCursor): Promise<StepFetch> {
  try {
    const data = statusAnswer.parse(await session.client.query({ ...BULK_STATUS, variables: { id: cp.id }, items: 0 }));
    const op = data.bulkOperation;
    if (!op) return restart(cp.attempt, `Shopify no longer knows bulk operation ${cp.id}`);
    if (op.status === 'CREATED' || op.status === 'RUNNING') {
      return { records: [], next: { ...cp, polls: cp.polls + 1 }, pagesFetched: 0, notBeforeMs: pollDelayMs(cp.polls + 1) };
    }
    const read = (url: string, failedWith: string | null): StepFetch => ({
      records: [],
      next: { phase: 'bulk-read', attempt: cp.attempt, id: op.id, url, createdAt: op.createdAt, objectCount: op.objectCount, rootObjectCount: op.rootObjectCount, failedWith, line: 0, roots: 0, byte: 0 },
      pagesFetched: 0,
    });
    if (op.status === 'COMPLETED') {
      if (op.url) return read(op.url, null);
      // No file: Shopify writes none for an operation that found nothing.
      if (op.objectCount === 0) return { records: [], next: null, pagesFetched: 0, cursor: laterCursor(cursor, op.createdAt) };
      return restart(cp.attempt, `bulk operation ${op.id} completed with ${op.objectCount} objects but no file`);
    }
    const why = `bulk operation ${op.id} ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ''} after ${op.objectCount} objects`;
    if (op.status === 'FAILED' && op.partialDataUrl) return read(op.partialDataUrl, op.errorCode ?? 'FAILED');
    return restart(cp.attempt, why);
  } catch (failure) {
    return { records: [], next: cp, pagesFetched: 0, failure };
  }
}

/** The operation ended without a whole file: start another, or fail the run once attempts are spent. */
function restart(attempt: number, why: string, records: ShipmentRecord[] = [], pagesFetched = 0): StepFetch {
  const next: Start = { phase: 'bulk-start', attempt: attempt + 1 };
  if (next.attempt >= MAX_BULK_ATTEMPTS) {
    return { records, next, pagesFetched, failure: new PermanentError(`Shopify's bulk export did not finish: ${why}, ${next.attempt} times; the orders read so far are stored. Start the sync again later.`) };
  }
  return { records, next, pagesFetched };
}

export async function readBulk(session: ShopifySession, cp: BulkRead, cursor: StreamCursor): Promise<StepFetch> {
  let chunk;
  try {
    session.countRequest();
    chunk = await readJsonlGroups(cp.url, cp.byte, ORDERS_PER_READ, { signal: session.signal });
  } catch (failure) {
    if (failure instanceof BulkFileGone) return restart(cp.attempt, `its file is gone (${failure.message})`);
    return { records: [], next: cp, pagesFetched: 0, failure };
  }
  const orders = chunk.groups.map(readGroup);
  // Details of the fulfillments the file cannot complete, in order; a failure keeps the orders before it.
  const wanted = orders.flatMap((o) => o.fulfillments.filter((f) => needsDetails(o, f)).map((f) => f.id));
  const details = new Map<string, FulfillmentDetails | null>();
  let failure: unknown;
  try {
    await fetchDetails(session, wanted, details);
  } catch (err) {
    failure = err;
  }
  const complete = failure === undefined ? orders.length : orders.findIndex((o) => o.fulfillments.some((f) => needsDetails(o, f) && !details.has(f.id)));
  const done = orders.slice(0, complete);
  const records = done.flatMap((o) => o.fulfillments.map((f) => recordOf(o, f, details.get(f.id) ?? undefined)));
  const progressed: BulkRead =
    complete === orders.length
      ? { ...cp, byte: chunk.endByte, line: cp.line + chunk.lines, roots: cp.roots + chunk.roots }
      : {
          ...cp,
          byte: chunk.groups[complete]!.startByte,
          line: cp.line + done.reduce((n, o) => n + 1 + o.childLines, 0),
          roots: cp.roots + done.length,
        };
  if (failure !== undefined || !chunk.atEnd) return { records, next: progressed, pagesFetched: 1, failure };

  // The whole file is read: reconcile it with what Shopify says it wrote.
  const counts = `${progressed.line} of ${cp.objectCount} objects (${progressed.roots} of ${cp.rootObjectCount} orders)`;
  if (cp.failedWith !== null) return restart(cp.attempt, `bulk operation ${cp.id} failed (${cp.failedWith}); its partial file held ${counts}`, records, 1);
  if (progressed.line !== cp.objectCount || progressed.roots !== cp.rootObjectCount) {
    return { records, next: progressed, pagesFetched: 1, failure: new PermanentError(`Shopify's bulk file held ${counts}: objects are missing, so the sync is not complete. Start it again.`) };
  }
  // Changes after the operation started may be missing from its file: the next run reads from its start.
  return { records, next: null, pagesFetched: 1, cursor: laterCursor(cursor, cp.createdAt) };
}

interface BulkOrder {
  order: ShopifyOrder;
  fulfillments: ShopifyFulfillment[];
  lineItems: z.infer<typeof lineItemSchema>[];
  childLines: number;
}

const bulkOrderSchema = orderSchema.extend({ fulfillments: z.array(fulfillmentSchema).default([]) });

function readGroup(g: JsonlGroup): BulkOrder {
  const order = bulkOrderSchema.parse(g.root);
  const lineItems = g.children.flatMap((c) => {
    const parsed = lineItemSchema.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
  return { order, fulfillments: order.fulfillments, lineItems, childLines: g.children.length };
}

/**
 * A fulfillment the file cannot complete: one still moving needs its events, and one of several
 * in its order needs its own line items (the file has the order's).
 */
function needsDetails(o: BulkOrder, f: ShopifyFulfillment): boolean {
  return stillMoving(f) || o.fulfillments.length > 1;
}

function recordOf(o: BulkOrder, f: ShopifyFulfillment, d: FulfillmentDetails | undefined): ShipmentRecord {
  if (d) {
    const { items, events } = fromDetails(d);
    return toShipmentRecord(o.order, f, items, events);
  }
  const items: ShipmentItemRecord[] = o.lineItems.map((li) => lineItemRecord(li, li.quantity));
  return toShipmentRecord(o.order, f, items, eventsFromTimestamps(f));
}

/** Fulfillment ids the next details query asks for, as its learnt cost allows. */
export function detailsBatchSize(pacer: CostPacer): number {
  return pacer.pageSize(FULFILLMENT_DETAILS_BY_ID.shape, { max: MAX_DETAIL_IDS, fallback: FIRST_DETAIL_IDS });
}

const detailsAnswer = z.object({ nodes: z.array(detailsSchema.extend({ id: z.string() }).nullable()) });

/** Details by id, as many a call as the learnt cost allows; null: asked, and Shopify has no such node. */
async function fetchDetails(session: ShopifySession, ids: string[], into: Map<string, FulfillmentDetails | null>): Promise<void> {
  for (let i = 0; i < ids.length; ) {
    const size = detailsBatchSize(session.pacer);
    const batch = ids.slice(i, i + size);
    const data = detailsAnswer.parse(await session.client.query({ ...FULFILLMENT_DETAILS_BY_ID, variables: { ids: batch }, items: batch.length }));
    for (const n of data.nodes) if (n) into.set(n.id, n);
    // A fulfillment deleted since the export has no node: it is not asked again, and keeps what the file says of it.
    for (const id of batch) if (!into.has(id)) into.set(id, null);
    i += batch.length;
  }
}
