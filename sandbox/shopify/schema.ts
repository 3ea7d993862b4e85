/**
 * The executable schema: schema.graphql built by the graphql reference package, with resolvers
 * attached to its fields. Resolvers read one shop's records through the request context.
 */
import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema, isInterfaceType } from 'graphql';
import { hash32 } from '../prng.ts';
import { formatUtcSeconds } from '../time.ts';
import { paginate, type PageArgs, type SortKey } from './connection.ts';
import {
  parseGid, type SandboxFulfillment, type SandboxFulfillmentEvent, type SandboxFulfillmentLineItem, type SandboxLineItem,
  type SandboxOrder,
} from './records.ts';
import type { OrdersArgs, OrderStore } from './store.ts';

/** What the bulk-operation fields need; implemented by bulk.ts. */
export interface BulkApi {
  run(query: string, ctx: ResolverContext): unknown;
  cancel(id: string, ctx: ResolverContext): unknown;
  get(id: string, ctx: ResolverContext): unknown;
  current(type: string, ctx: ResolverContext): unknown;
}

export interface ResolverContext {
  shop: string;
  domain: string;
  store: OrderStore;
  bulk: BulkApi;
  nowMs: number;
  /** Inside a bulk operation connections return every node, whatever first/last say. */
  bulkRead: boolean;
  /** Inside a bulk operation: the chunk of root orders [from, to) this execution reads. */
  bulkSlice?: readonly [number, number];
}

const SDL = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : formatUtcSeconds(ms));
const legacyId = (id: string): number => parseGid(id)?.id ?? 0;
const byLegacyId = (item: { id: string }): SortKey => {
  const id = legacyId(item.id);
  return { value: id, id };
};

function page(args: PageArgs, ctx: ResolverContext): PageArgs {
  return ctx.bulkRead ? {} : args;
}

function first<T>(items: readonly T[], n: unknown): T[] {
  return typeof n === 'number' ? items.slice(0, Math.max(0, n)) : [...items];
}

type Resolvers = Record<string, Record<string, GraphQLFieldResolver<never, ResolverContext, never>>>;

function eur(amount: string) {
  return { shopMoney: { amount, currencyCode: 'EUR' }, presentmentMoney: { amount, currencyCode: 'EUR' } };
}

function displayFulfillmentStatus(order: SandboxOrder): string {
  if (order.fulfillments.length === 0) return 'UNFULFILLED';
  const covered = new Set(order.fulfillments.flatMap((f) => f.lineItems.map((li) => li.lineItemId)));
  return order.lineItems.every((li) => covered.has(li.id)) ? 'FULFILLED' : 'PARTIALLY_FULFILLED';
}

const RESOLVERS: Resolvers = {
  QueryRoot: {
    shop: (_root, _args, ctx) => ({
      id: `gid://shopify/Shop/${60_000_000_000 + (hash32(ctx.shop) % 10_000_000)}`,
      name: ctx.shop.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' '),
      myshopifyDomain: ctx.domain,
      email: `info@${ctx.shop}.example`,
      currencyCode: 'EUR',
      ianaTimezone: 'Europe/Amsterdam',
    }),
    orders: (_root, args: OrdersArgs, ctx) =>
      ctx.bulkRead ? ctx.store.ordersPage({ ...args, first: null, last: null, after: null, before: null }, ctx.bulkSlice) : ctx.store.ordersPage(args),
    order: (_root, args: { id: string }, ctx) => ctx.store.order(args.id) ?? null,
    fulfillment: (_root, args: { id: string }, ctx) => ctx.store.fulfillment(args.id) ?? null,
    node: (_root, args: { id: string }, ctx) => nodeById(args.id, ctx),
    nodes: (_root, args: { ids: string[] }, ctx) => args.ids.map((id) => nodeById(id, ctx)),
    bulkOperation: (_root, args: { id: string }, ctx) => ctx.bulk.get(args.id, ctx) ?? null,
    currentBulkOperation: (_root, args: { type: string }, ctx) => ctx.bulk.current(args.type, ctx) ?? null,
  },
  Mutation: {
    bulkOperationRunQuery: (_root, args: { query: string }, ctx) => ctx.bulk.run(args.query, ctx),
    bulkOperationCancel: (_root, args: { id: string }, ctx) => ctx.bulk.cancel(args.id, ctx),
  },
  Order: {
    createdAt: (o: SandboxOrder) => iso(o.createdAtMs),
    updatedAt: (o: SandboxOrder) => iso(o.updatedAtMs),
    processedAt: (o: SandboxOrder) => iso(o.processedAtMs),
    cancelledAt: () => null,
    closed: (o: SandboxOrder) => displayFulfillmentStatus(o) === 'FULFILLED',
    currencyCode: () => 'EUR',
    displayFulfillmentStatus: (o: SandboxOrder) => displayFulfillmentStatus(o),
    fulfillments: (o: SandboxOrder, args: { first?: number }) => first(o.fulfillments, args.first),
    lineItems: (o: SandboxOrder, args: PageArgs & { reverse?: boolean }, ctx) =>
      paginate(args.reverse ? [...o.lineItems].reverse() : o.lineItems, byLegacyId, page(args, ctx), args.reverse === true),
  },
  LineItem: {
    variant: (li: SandboxLineItem) => ({ id: li.variantId, sku: li.sku, title: li.variantTitle }),
    originalUnitPriceSet: (li: SandboxLineItem) => eur(li.unitPrice),
  },
  Fulfillment: {
    createdAt: (f: SandboxFulfillment) => iso(f.createdAtMs),
    updatedAt: (f: SandboxFulfillment) => iso(f.updatedAtMs),
    inTransitAt: (f: SandboxFulfillment) => iso(f.inTransitAtMs),
    deliveredAt: (f: SandboxFulfillment) => iso(f.deliveredAtMs),
    estimatedDeliveryAt: (f: SandboxFulfillment) => iso(f.estimatedDeliveryAtMs),
    totalQuantity: (f: SandboxFulfillment) => f.lineItems.reduce((sum, li) => sum + li.quantity, 0),
    requiresShipping: () => true,
    trackingInfo: (f: SandboxFulfillment, args: { first?: number }) => first(f.trackingInfo, args.first),
    events: (f: SandboxFulfillment, args: PageArgs & { reverse?: boolean; sortKey?: string }, ctx) => {
      const key = args.sortKey === 'HAPPENED_AT'
        ? (e: SandboxFulfillmentEvent): SortKey => ({ value: e.happenedAtMs, id: legacyId(e.id) })
        : byLegacyId;
      const sorted = [...f.events].sort((a, b) => key(a).value - key(b).value || key(a).id - key(b).id);
      if (args.reverse) sorted.reverse();
      return paginate(sorted, key, page(args, ctx), args.reverse === true);
    },
    fulfillmentLineItems: (f: SandboxFulfillment, args: PageArgs & { reverse?: boolean }, ctx) => {
      const items: ServedFulfillmentLineItem[] = f.lineItems.map((li) => ({ ...li, orderId: f.orderId }));
      return paginate(args.reverse ? items.reverse() : items, byLegacyId, page(args, ctx), args.reverse === true);
    },
    order: (f: SandboxFulfillment, _args, ctx) => ctx.store.order(f.orderId),
  },
  FulfillmentEvent: {
    happenedAt: (e: SandboxFulfillmentEvent) => iso(e.happenedAtMs),
    createdAt: (e: SandboxFulfillmentEvent) => iso(e.createdAtMs),
    estimatedDeliveryAt: (e: SandboxFulfillmentEvent) => iso(e.estimatedDeliveryAtMs),
    address1: () => null,
    latitude: () => null,
    longitude: () => null,
  },
  FulfillmentLineItem: {
    lineItem: (fli: ServedFulfillmentLineItem, _args, ctx) => lineItemOf(fli, ctx),
  },
};

/** A fulfillment line item as served: it knows its order, which owns the line item it points at. */
type ServedFulfillmentLineItem = SandboxFulfillmentLineItem & { orderId: string };

function lineItemOf(fli: ServedFulfillmentLineItem, ctx: ResolverContext): SandboxLineItem | null {
  return ctx.store.order(fli.orderId)?.lineItems.find((li) => li.id === fli.lineItemId) ?? null;
}

function nodeById(id: string, ctx: ResolverContext): unknown {
  const parsed = parseGid(id);
  if (parsed?.type === 'BulkOperation') return ctx.bulk.get(id, ctx) ?? null;
  return ctx.store.node(id)?.value ?? null;
}

function attach(schema: GraphQLSchema): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(RESOLVERS)) {
    const type = schema.getType(typeName) as GraphQLObjectType | undefined;
    if (!type) throw new Error(`schema.graphql has no type ${typeName}`);
    const defs = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const def = defs[fieldName];
      if (!def) throw new Error(`schema.graphql has no field ${typeName}.${fieldName}`);
      def.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
    }
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (isInterfaceType(type)) type.resolveType = (value: { id?: string }) => (value.id ? parseGid(value.id)?.type : undefined);
  }
  return schema;
}

export const SHOPIFY_SCHEMA: GraphQLSchema = attach(buildSchema(SDL));
