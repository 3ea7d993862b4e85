/**
 * Deterministic bol shipments: the same seed and the same sequence of calls give the same
 * shipments (ids, customers, items, carriers). Dates are laid out relative to the instants passed
 * in, which the sandbox anchors to a fixed reference time.
 */
import { SeededRandom } from '../prng.ts';
import { formatAmsterdamDate, formatAmsterdamDateTime, DAY_MS, HOUR_MS } from '../time.ts';
import { generateCustomer, type Customer } from './customers.ts';
import { generateTransport } from './transport.ts';
import { PICKUP_POINT_NAMES, PRODUCTS, type Product } from './vocab.ts';
import type { FulfilmentMethod, OrderRef, ReducedShipment, Shipment, ShipmentItem } from './wire.ts';

/** One generated shipment: the ground truth a test compares a client's results against. */
export interface SandboxShipment {
  readonly shipmentId: string;
  readonly fulfilmentMethod: FulfilmentMethod;
  /** Epoch ms of shipmentDateTime (whole seconds). */
  readonly shippedAtMs: number;
  /** Exactly what GET /retailer/shipments serves for it. */
  readonly reduced: Readonly<ReducedShipment>;
  /** Exactly what GET /retailer/shipments/{id} serves for it. */
  readonly detail: Readonly<Shipment>;
}

interface CatalogEntry extends Product {
  ean: string;
  offerId: string;
  reference?: string;
}

interface OrderContext {
  order: OrderRef;
  placedAtMs: number;
  method: FulfilmentMethod;
  customer: Customer;
  pickupPointName?: string;
}

/** A valid EAN-13: 12 digits plus the GS1 check digit. */
function ean13(rng: SeededRandom): string {
  const prefix = rng.weighted([['87', 6], ['54', 2], ['40', 1], ['50', 1]] as const);
  const body = prefix + rng.digits(10);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function toReducedShipment(detail: Shipment): ReducedShipment {
  return {
    shipmentId: detail.shipmentId,
    shipmentDateTime: detail.shipmentDateTime,
    ...(detail.shipmentReference !== undefined ? { shipmentReference: detail.shipmentReference } : {}),
    order: { ...detail.order },
    shipmentItems: detail.shipmentItems.map((item) => ({ orderItemId: item.orderItemId, ean: item.product.ean })),
    transport: { transportId: detail.transport.transportId },
  };
}

export class ShipmentFactory {
  private readonly rng: SeededRandom;
  private readonly catalog: CatalogEntry[];
  // IDs grow over time as bol's do, so newer shipments have larger ids (strings on the wire, contract §2).
  private lastShipmentId: number;
  private lastOrderId: number;
  private lastOrderItemId: number;
  private lastTransportId: number;
  private lastOrder: OrderContext | undefined;

  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
    const rng = this.rng;
    this.catalog = PRODUCTS.map((product) => ({
      ...product,
      ean: ean13(rng),
      offerId: rng.uuid(),
      ...(rng.chance(0.8) ? { reference: `SKU-${rng.chars(3, 'ABCDEFGHJKLMNPRSTUVWXYZ')}-${rng.digits(4)}` } : {}),
    }));
    this.lastShipmentId = 680_000_000 + rng.int(0, 9_999_999);
    this.lastOrderId = 2_100_000_000 + rng.int(0, 99_999_999);
    this.lastOrderItemId = 3_400_000_000 + rng.int(0, 99_999_999);
    this.lastTransportId = 420_000_000 + rng.int(0, 9_999_999);
  }

  /** `count` instants in (fromMs, toMs], whole seconds, ascending. */
  instants(count: number, fromMs: number, toMs: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(Math.floor((toMs - this.rng.float() * (toMs - fromMs)) / 1000) * 1000);
    return out.sort((a, b) => a - b);
  }

  /** Builds one shipment per instant (ascending) and returns them newest first. */
  build(instantsAscMs: readonly number[], nowMs: number): SandboxShipment[] {
    return instantsAscMs.map((at) => this.shipment(at, nowMs)).reverse();
  }

  private nextOrder(shippedAtMs: number): OrderContext {
    const rng = this.rng;
    // Now and then one order is split over two shipments (the demo data has order 7616222700 twice, contract §6).
    const previous = this.lastOrder;
    if (previous && previous.placedAtMs < shippedAtMs && rng.chance(0.04)) return previous;

    const method: FulfilmentMethod = rng.chance(0.8) ? 'FBR' : 'FBB';
    const placedAtMs = shippedAtMs - (method === 'FBB' ? rng.int(1, 20) : rng.int(2, 60)) * HOUR_MS - rng.int(0, 3599) * 1000;
    this.lastOrderId += rng.int(1, 20_000);
    const pickupPointName = rng.chance(0.08) ? rng.pick(PICKUP_POINT_NAMES) : undefined;
    const context: OrderContext = {
      order: { orderId: String(this.lastOrderId), orderPlacedDateTime: formatAmsterdamDateTime(placedAtMs) },
      placedAtMs,
      method,
      customer: generateCustomer(rng, pickupPointName),
      ...(pickupPointName ? { pickupPointName } : {}),
    };
    this.lastOrder = context;
    return context;
  }

  private items(method: FulfilmentMethod, shippedAtMs: number): ShipmentItem[] {
    const rng = this.rng;
    const count = rng.weighted([[1, 70], [2, 22], [3, 8]] as const);
    const chosen = new Set<CatalogEntry>();
    while (chosen.size < count) chosen.add(rng.pick(this.catalog));
    return [...chosen].map((product) => {
      const quantity = rng.weighted([[1, 80], [2, 15], [3, 5]] as const);
      // bol's commission: a fixed fee per item plus a percentage of the price, by category.
      const fixedFee = product.priceEur < 10 ? 0.2 : product.priceEur < 20 ? 0.5 : 0.99;
      this.lastOrderItemId += rng.int(1, 5_000);
      return {
        orderItemId: String(this.lastOrderItemId),
        fulfilment: {
          method,
          distributionParty: method === 'FBB' ? 'BOL' : 'RETAILER',
          latestDeliveryDate: formatAmsterdamDate(shippedAtMs + rng.int(1, 2) * DAY_MS),
        },
        offer: { offerId: product.offerId, ...(product.reference ? { reference: product.reference } : {}) },
        product: { ean: product.ean, title: product.title },
        quantity,
        quantityShipped: quantity,
        unitPrice: product.priceEur,
        commission: round2(quantity * (fixedFee + product.priceEur * product.commissionRate)),
      };
    });
  }

  private shipment(shippedAtMs: number, nowMs: number): SandboxShipment {
    const rng = this.rng;
    const order = this.nextOrder(shippedAtMs);
    this.lastShipmentId += rng.int(1, 5_000);
    this.lastTransportId += rng.int(1, 3_000);
    const shipmentId = String(this.lastShipmentId);
    const shipmentItems = this.items(order.method, shippedAtMs);
    const pickupPoint = order.pickupPointName !== undefined;
    // shipmentReference is required by the schema but missing on some demo shipments (contract §2).
    const reference = rng.chance(0.7)
      ? rng.pick([`WSR${rng.digits(10)}`, `${order.order.orderId}-1`, `ZND-${rng.digits(6)}`])
      : undefined;
    const detail: Shipment = {
      shipmentId,
      pickupPoint,
      shipmentDateTime: formatAmsterdamDateTime(shippedAtMs),
      ...(reference !== undefined ? { shipmentReference: reference } : {}),
      order: { ...order.order },
      shipmentDetails: { ...order.customer.shipmentDetails },
      billingDetails: { ...order.customer.billingDetails },
      shipmentItems,
      transport: generateTransport(rng, {
        transportId: String(this.lastTransportId),
        method: order.method,
        countryCode: order.customer.shipmentDetails.countryCode,
        pickupPoint,
        shippedAtMs,
        nowMs,
      }),
    };
    return deepFreeze({
      shipmentId,
      fulfilmentMethod: order.method,
      shippedAtMs,
      reduced: toReducedShipment(detail),
      detail,
    });
  }
}
