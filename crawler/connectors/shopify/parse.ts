import { normaliseLocation } from '../../../lib/postal-code.ts';
import { z } from 'zod';
import { mapShopifyEventStatus } from '../../status-mapping.ts';
import type { ShipmentItemRecord, ShipmentRecord, TrackingEventRecord } from '../types.ts';

/**
 * Shopify orders and fulfillments → shipment records: one shipment per fulfillment (a parcel),
 * the order's name as its reference, its tracking info's company as the carrier (the carrier
 * table, models/carriers.ts, knows Shopify's spellings: `DHL Express`, `PostNL`, …).
 */

const str = z.string().nullish().transform((v) => v ?? null);

const address = z.object({ name: str, zip: str, city: str, countryCodeV2: str, phone: str }).partial();

export const orderSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  phone: str.optional(),
  shippingAddress: address.nullish(),
});
export type ShopifyOrder = z.infer<typeof orderSchema>;

const money = z.object({ shopMoney: z.object({ amount: z.union([z.string(), z.number()]) }) }).nullish();

export const lineItemSchema = z.object({ id: z.string(), sku: str, name: str, quantity: z.number().int(), originalUnitPriceSet: money });
export type ShopifyLineItem = z.infer<typeof lineItemSchema>;

export const eventSchema = z.object({ id: z.string().optional(), status: z.string(), happenedAt: z.string(), message: str, city: str, country: str, zip: str });

export const detailsSchema = z.object({
  events: z.object({ nodes: z.array(eventSchema) }),
  fulfillmentLineItems: z.object({ nodes: z.array(z.object({ id: z.string(), quantity: z.number().int().nullish(), lineItem: lineItemSchema })) }),
});
export type FulfillmentDetails = z.infer<typeof detailsSchema>;

export const fulfillmentSchema = z.object({
  id: z.string(),
  status: z.string(),
  displayStatus: str,
  createdAt: z.string(),
  updatedAt: z.string(),
  inTransitAt: str,
  deliveredAt: str,
  estimatedDeliveryAt: str,
  trackingInfo: z.array(z.object({ company: str, number: str, url: str })).default([]),
});
export type ShopifyFulfillment = z.infer<typeof fulfillmentSchema>;

/** A fulfillment whose events still matter: not delivered, not cancelled. */
export function stillMoving(f: ShopifyFulfillment): boolean {
  return f.deliveredAt === null && f.displayStatus !== 'DELIVERED' && f.status !== 'CANCELLED';
}

export function toShipmentRecord(order: ShopifyOrder, f: ShopifyFulfillment, items: ShipmentItemRecord[], events: TrackingEventRecord[]): ShipmentRecord {
  const tracking = f.trackingInfo[0];
  const to = order.shippingAddress ?? {};
  return {
    platformId: f.id,
    orderId: order.id,
    reference: order.name,
    fulfilmentMethod: null,
    shippedAt: toMs(f.createdAt),
    carrier: tracking?.company ?? null,
    trackingNumber: tracking?.number ?? null,
    trackingUrl: tracking?.url ?? null,
    receiver: {
      postalCode: to.zip ? normaliseLocation(to.countryCodeV2 ?? '', to.zip).postalCode : null,
      city: to.city ?? null,
      country: to.countryCodeV2 ? to.countryCodeV2.toUpperCase() : null,
      phone: to.phone ?? order.phone ?? null,
      name: to.name ?? null,
    },
    items,
    events,
    orderPlacedAt: toMs(order.createdAt),
    promisedDeliveryAt: toMs(f.estimatedDeliveryAt),
  };
}

export function lineItemRecord(item: ShopifyLineItem, quantityShipped: number | null): ShipmentItemRecord {
  const price = item.originalUnitPriceSet?.shopMoney.amount;
  return {
    key: item.id,
    ean: null,
    sku: item.sku,
    title: item.name,
    quantity: item.quantity,
    quantityShipped,
    unitPrice: price === undefined ? null : Number(price),
  };
}

/** The fulfillment's own events and line items, as the details query answers them. */
export function fromDetails(d: FulfillmentDetails): { items: ShipmentItemRecord[]; events: TrackingEventRecord[] } {
  return {
    items: d.fulfillmentLineItems.nodes.map((n) => lineItemRecord(n.lineItem, n.quantity ?? n.lineItem.quantity)),
    events: d.events.nodes.flatMap((e) => {
      const occurredAt = toMs(e.happenedAt);
      if (occurredAt === null) return [];
      const location = [e.zip, e.city, e.country].filter(Boolean).join(' ') || null;
      return [{ source: 'shopify', status: mapShopifyEventStatus(e.status), rawStatus: e.status, description: e.message, location, occurredAt }];
    }),
  };
}

/**
 * A finished fulfillment read without its events (a bulk file cannot hold them): its timeline
 * from its own timestamps, under the same raw statuses Shopify's events use.
 */
export function eventsFromTimestamps(f: ShopifyFulfillment): TrackingEventRecord[] {
  const out: TrackingEventRecord[] = [];
  const add = (status: string, at: string | null) => {
    const occurredAt = toMs(at);
    if (occurredAt !== null) out.push({ source: 'shopify', status: mapShopifyEventStatus(status), rawStatus: status, description: null, location: null, occurredAt });
  };
  add('IN_TRANSIT', f.inTransitAt);
  add('DELIVERED', f.deliveredAt);
  return out;
}

export function toMs(v: string | null | undefined): number | null {
  if (!v) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}
