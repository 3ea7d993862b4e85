import { normaliseLocation } from '../../../lib/postal-code.ts';
// zod 4's parser: this runs for every shipment detail a worker fetches, and it parses in about half
// the time of zod 3 (measured on the sandbox's detail bodies).
import { z } from 'zod/v4';
import type { ShipmentRecord } from '../types.ts';
import { mapBolEventCode } from '../../status-mapping.ts';
import { endOfDayInZone } from '../../../lib/zoned-time.ts';

/**
 * Parsing of the bol Retailer API v10 shipment answers (shared contract: bol-retailer-v10.md §2, §3).
 * IDs were int64 before v10 and strings since: accept both. `shipmentReference`, `transporterCode`
 * and `trackAndTrace` are documented as present but are missing in real data: all optional.
 */

// Shapes only, no transforms: a zod transform (a pipe) costs several times a plain check, and
// this schema has twenty fields; the mapping below turns ids to strings and absent values to null.
const id = z.union([z.string().min(1), z.number()]);
const optionalString = z.string().nullish();

// Only what the crawl reads of a list entry: its id and time (the details come from the detail call).
const reducedShipment = z.object({
  shipmentId: id,
  shipmentDateTime: optionalString,
});

export type ReducedShipment = { shipmentId: string; shipmentDateTime: string | null };

/** A list page: `{}` (no `shipments` key) past the end, as bol answers (§2 "End of list"). */
const shipmentsPage = z.object({ shipments: z.array(reducedShipment).optional() });

export function parseShipmentsPage(body: unknown): ReducedShipment[] {
  const page = shipmentsPage.parse(body);
  return (page.shipments ?? []).map((s) => ({ shipmentId: String(s.shipmentId), shipmentDateTime: s.shipmentDateTime ?? null }));
}

const shipmentDetail = z.object({
  shipmentId: id,
  shipmentDateTime: optionalString,
  shipmentReference: optionalString,
  pickupPoint: z.boolean().nullish(),
  order: z.object({ orderId: id.nullish(), orderPlacedDateTime: optionalString }).nullish(),
  shipmentDetails: z
    .object({
      firstName: optionalString,
      surname: optionalString,
      pickupPointName: optionalString,
      zipCode: optionalString,
      city: optionalString,
      countryCode: optionalString,
      deliveryPhoneNumber: optionalString,
    })
    .nullish(),
  shipmentItems: z
    .array(
      z.object({
        orderItemId: id,
        fulfilment: z.object({ method: optionalString, distributionParty: optionalString, latestDeliveryDate: optionalString }).nullish(),
        offer: z.object({ reference: optionalString }).nullish(),
        product: z.object({ ean: optionalString, title: optionalString }).nullish(),
        quantity: z.number().int().nullish(),
        quantityShipped: z.number().int().nullish(),
        unitPrice: z.number().nullish(),
      }),
    )
    .nullish(),
  transport: z
    .object({
      transportId: id.nullish(),
      transporterCode: optionalString,
      trackAndTrace: optionalString,
      shippingLabelId: id.nullish(),
      transportEvents: z.array(z.object({ eventCode: z.string(), eventDateTime: z.string() })).nullish(),
    })
    .nullish(),
});

export function parseShipmentDetail(body: unknown): ShipmentRecord {
  const s = shipmentDetail.parse(body);
  const receiver = s.shipmentDetails ?? {};
  const items = s.shipmentItems ?? [];
  const name = [receiver.firstName, receiver.surname].filter((v) => v && v.trim() !== '').join(' ');
  const pickupPointName = receiver.pickupPointName?.trim() || null;
  return {
    platformId: String(s.shipmentId),
    orderId: stringOrNull(s.order?.orderId),
    reference: s.shipmentReference ?? null,
    fulfilmentMethod: items[0]?.fulfilment?.method ?? null,
    shippedAt: toEpochMs(s.shipmentDateTime),
    carrier: s.transport?.transporterCode ?? null,
    trackingNumber: s.transport?.trackAndTrace ?? null,
    receiver: {
      // NL postcodes come as `1234AB` or `1234 AB` (the spec's example is `1111ZZ`); stored in one form.
      postalCode: receiver.zipCode ? normaliseLocation(receiver.countryCode ?? '', receiver.zipCode).postalCode : null,
      city: receiver.city ?? null,
      country: receiver.countryCode ? receiver.countryCode.toUpperCase() : null,
      phone: receiver.deliveryPhoneNumber ?? null,
      name: name === '' ? null : name,
    },
    orderPlacedAt: toEpochMs(s.order?.orderPlacedDateTime),
    promisedDeliveryAt: promisedDeliveryOf(items.map((i) => i.fulfilment?.latestDeliveryDate ?? null)),
    // bol names the pickup point but gives no code of it.
    pickupPoint: s.pickupPoint || pickupPointName ? { code: null, name: pickupPointName } : null,
    transportId: stringOrNull(s.transport?.transportId),
    shippingLabelId: stringOrNull(s.transport?.shippingLabelId),
    distributionParty: items.find((i) => i.fulfilment?.distributionParty)?.fulfilment?.distributionParty ?? null,
    items: items.map((item) => ({
      key: String(item.orderItemId),
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

function stringOrNull(v: string | number | null | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

function toEpochMs(v: string | null | undefined): number | null {
  if (!v) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

/** The zone bol's dates are days of: bol.com sells in the Netherlands and Belgium, both on Amsterdam time. */
export const BOL_ZONE = 'Europe/Amsterdam';

/**
 * The delivery promised for the shipment: `latestDeliveryDate` is a date (`2017-02-10`), so the
 * promise is kept until the end of that day in the Netherlands (23:59:59.999 Europe/Amsterdam);
 * with several items, the latest of their dates. A date-time (should bol send one) is taken as is.
 */
function promisedDeliveryOf(dates: (string | null)[]): number | null {
  let latest: number | null = null;
  for (const d of dates) {
    if (!d) continue;
    const ms = endOfDayInZone(d, BOL_ZONE) ?? toEpochMs(d);
    if (ms !== null && (latest === null || ms > latest)) latest = ms;
  }
  return latest;
}
