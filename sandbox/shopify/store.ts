/**
 * One shop's orders in memory, with what the resolvers need to be quick on 10,000 orders: look-ups
 * by GID and one sorted array per sort key, rebuilt only after an edit.
 */
import { SeededRandom } from '../prng.ts';
import { DAY_MS, HOUR_MS } from '../time.ts';
import { paginate, type Connection, type PageArgs, type SortKey } from './connection.ts';
import { OrderFactory } from './generate.ts';
import { parseGid, type SandboxFulfillment, type SandboxOrder } from './records.ts';
import { orderFilter } from './search-query.ts';

export type OrderSortKey = 'CREATED_AT' | 'ID' | 'ORDER_NUMBER' | 'PROCESSED_AT' | 'UPDATED_AT';

const SORT_VALUE: Record<OrderSortKey, (o: SandboxOrder) => number> = {
  CREATED_AT: (o) => o.createdAtMs,
  ID: (o) => o.legacyId,
  ORDER_NUMBER: (o) => o.number,
  PROCESSED_AT: (o) => o.processedAtMs,
  UPDATED_AT: (o) => o.updatedAtMs,
};

/** Generated history spans this much before the reference time. */
const HISTORY_SPAN_MS = 60 * DAY_MS;
/** Separate stream for edits, so editing does not change what later-generated orders look like. */
const EDIT_SEED_SALT = 0xed17_0e0e;

export interface OrdersArgs extends PageArgs {
  query?: string | null;
  sortKey?: OrderSortKey | null;
  reverse?: boolean | null;
}

export class OrderStore {
  private readonly factory: OrderFactory;
  private readonly editRng: SeededRandom;
  private readonly orders: SandboxOrder[] = [];
  private readonly byId = new Map<string, SandboxOrder>();
  private readonly fulfillmentsById = new Map<string, SandboxFulfillment>();
  private sorted = new Map<string, SandboxOrder[]>();

  constructor(seed: number, count: number, referenceTimeMs: number) {
    this.factory = new OrderFactory(seed);
    this.editRng = new SeededRandom((seed ^ EDIT_SEED_SALT) >>> 0);
    const instants = this.factory.instants(count, referenceTimeMs - HISTORY_SPAN_MS, referenceTimeMs);
    for (const order of this.factory.build(instants, referenceTimeMs)) this.add(order);
  }

  private add(order: SandboxOrder): void {
    this.orders.push(order);
    this.byId.set(order.id, order);
    for (const f of order.fulfillments) this.fulfillmentsById.set(f.id, f);
  }

  list(): readonly SandboxOrder[] {
    return this.orders;
  }

  order(id: string): SandboxOrder | undefined {
    return this.byId.get(id);
  }

  fulfillment(id: string): SandboxFulfillment | undefined {
    return this.fulfillmentsById.get(id);
  }

  /** Orders sorted by `sortKey` (ties by id), ascending or descending; cached until an edit. */
  private sortedBy(sortKey: OrderSortKey, reverse: boolean): SandboxOrder[] {
    const cacheKey = `${sortKey}:${reverse}`;
    let list = this.sorted.get(cacheKey);
    if (!list) {
      const value = SORT_VALUE[sortKey];
      list = [...this.orders].sort((a, b) => value(a) - value(b) || a.legacyId - b.legacyId);
      if (reverse) list.reverse();
      this.sorted.set(cacheKey, list);
    }
    return list;
  }

  /** A page of orders; `slice` (bulk operations, which read in chunks) cuts the matching orders first. */
  ordersPage(args: OrdersArgs, slice?: readonly [number, number]): Connection<SandboxOrder> {
    const sortKey = args.sortKey ?? 'PROCESSED_AT';
    const reverse = args.reverse === true;
    const value = SORT_VALUE[sortKey];
    const filter = orderFilter(args.query);
    const base = this.sortedBy(sortKey, reverse);
    const matching = filter ? base.filter(filter) : base;
    const items = slice ? matching.slice(slice[0], slice[1]) : matching;
    return paginate(items, (o): SortKey => ({ value: value(o), id: o.legacyId }), args, reverse);
  }

  /**
   * Edits n distinct orders (seeded choice) at nowMs: each gets a newer updatedAt and either a new
   * fulfillment (when it has unfulfilled items) or the next event of one of its fulfillments.
   * Orders with nothing left to change just get the newer updatedAt (a note or tag edit).
   */
  edit(n: number, nowMs: number): SandboxOrder[] {
    const pool = [...this.orders];
    const edited: SandboxOrder[] = [];
    const atMs = Math.floor(nowMs / 1000) * 1000;
    for (let i = 0; i < n && pool.length > 0; i++) {
      const index = this.editRng.int(0, pool.length - 1);
      const order = pool[index]!;
      pool[index] = pool[pool.length - 1]!;
      pool.pop();
      const open = this.factory.unfulfilledLineItems(order);
      const moving = order.fulfillments.filter((f) => !['DELIVERED', 'FAILURE'].includes(f.events[f.events.length - 1]?.status ?? ''));
      if (open.length > 0 && (moving.length === 0 || this.editRng.chance(0.5))) {
        // Created an hour ago, so the carrier has already scanned it.
        const f = this.factory.addFulfillment(order, open, atMs - HOUR_MS, atMs);
        this.fulfillmentsById.set(f.id, f);
      } else if (moving.length > 0) {
        this.factory.advance(order, this.editRng.pick(moving), atMs);
      }
      order.updatedAtMs = Math.max(order.updatedAtMs + 1000, atMs);
      edited.push(order);
    }
    this.sorted = new Map();
    return edited;
  }

  /** Any object of this shop by GID (the `node` field), or undefined. */
  node(id: string): { type: string; value: unknown } | undefined {
    const parsed = parseGid(id);
    if (!parsed) return undefined;
    if (parsed.type === 'Order') {
      const order = this.byId.get(id);
      return order && { type: 'Order', value: order };
    }
    if (parsed.type === 'Fulfillment') {
      const f = this.fulfillmentsById.get(id);
      return f && { type: 'Fulfillment', value: f };
    }
    return undefined;
  }
}
