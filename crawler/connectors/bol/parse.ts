import { z } from 'zod';
import type { ShipmentRecord } from '../types.ts';
import { mapBolEventCode } from '../../status-mapping.ts';

/**
 * Parsing of the bol Retailer API v10 shipment answers (shared contract: bol-retailer-v10.md §2, §3).
 * IDs were int64 before v10 and strings since: accept both. `shipmentReference`, `transporterCode`
 * and `trackAndTrace` are documented as present but are missing in real data: all optional.
 */

const id = z.union([z.string().min(1), z.number()]).transform(String);
const optionalString = z.string().nullish().transform((v) => v ?? null);

const reducedShipment = z.object({
  shipmentId: id,
  shipmentDateTime: z.string().nullish(),
  shipmentReference: optionalString,
  order: z.object({ orderId: id }).partial().nullish(),
});

export type ReducedShipment = { shipmentId: string; shipmentDateTime: string | null };

/** A list page: `{}` (no `shipments` key) past the end, as bol answers (§2 "End of list"). */
const shipmentsPage = z.object({ shipments: z.array(reducedShipment).optional() });

export function parseShipmentsPage(body: unknown): ReducedShipment[] {
  const page = shipmentsPage.parse(body);
  return (page.shipments ?? []).map((s) => ({ shipmentId: s.shipmentId, shipmentDateTime: s.shipmentDateTime ?? null }));
}

const shipmentDetail = z.object({
  shipmentId: id,
  shipmentDateTime: z.string().nullish(),
  shipmentReference: optionalString,
  order: z.object({ orderId: id.nullish() }).partial().nullish(),
  shipmentDetails: z
    .object({
      zipCode: optionalString,
      city: optionalString,
      countryCode: optionalString,
      deliveryPhoneNumber: optionalString,
    })
    .partial()
    .nullish(),
  shipmentItems: z
    .array(
      z.object({
        orderItemId: id,
        fulfilment: z.object({ method: optionalString }).partial().nullish(),
        offer: z.object({ reference: optionalString }).partial().nullish(),
        product: z.object({ ean: optionalString, title: optionalString }).partial().nullish(),
        quantity: z.number().int().nullish(),
        quantityShipped: z.number().int().nullish(),
        unitPrice: z.number().nullish(),
      }),
    )
    .default([]),
  transport: z
    .object({
      transporterCode: optionalString,
      trackAndTrace: optionalString,
      transportEvents: z.array(z.object({ eventCode: z.string(), eventDateTime: z.string() })).nullish(),
    })
    .partial()
    .nullish(),
});

export function parseShipmentDetail(body: unknown): ShipmentRecord {
  const s = shipmentDetail.parse(body);
  const receiver = s.shipmentDetails ?? {};
  return {
    platformId: s.shipmentId,
    orderId: s.order?.orderId ?? null,
    reference: s.shipmentReference,
    fulfilmentMethod: s.shipmentItems[0]?.fulfilment?.method ?? null,
    shippedAt: toEpochMs(s.shipmentDateTime),
    carrier: s.transport?.transporterCode ?? null,
    trackingNumber: s.transport?.trackAndTrace ?? null,
    receiver: {
      postalCode: receiver.zipCode ? receiver.zipCode.toUpperCase().replace(/\s+/g, ' ').trim() : null,
      city: receiver.city ?? null,
      country: receiver.countryCode ? receiver.countryCode.toUpperCase() : null,
      phone: receiver.deliveryPhoneNumber ?? null,
    },
    items: s.shipmentItems.map((item) => ({
      key: item.orderItemId,
      ean: item.product?.ean ?? null,
      sku: item.offer?.reference ?? null,
      title: item.product?.title ?? null,
      quantity: item.quantity ?? 1,
      quantityShipped: item.quantityShipped ?? null,
      unitPrice: item.unitPrice ?? null,
    })),
    events: (s.transport?.transportEvents ?? []).flatMap((e) => {
      const occurredAt = toEpochMs(e.eventDateTime);
      if (occurredAt === null) return [];
      return [{ source: 'bol', status: mapBolEventCode(e.eventCode), rawStatus: e.eventCode, description: null, location: null, occurredAt }];
    }),
  };
}

function toEpochMs(v: string | null | undefined): number | null {
  if (!v) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}
