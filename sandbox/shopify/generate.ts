/**
 * Deterministic Shopify orders for one shop: the same seed and the same sequence of calls give the
 * same orders, fulfillments, tracking numbers and events. GIDs grow with creation time, as
 * Shopify's do, so sortKey ID is chronological.
 */
import { SeededRandom } from '../prng.ts';
import { DAY_MS, HOUR_MS } from '../time.ts';
import {
  BE_CITIES, BE_STREETS_FR, BE_STREETS_NL, FIRST_NAMES_FEMALE, FIRST_NAMES_MALE, NL_CITIES,
  NL_FORBIDDEN_POSTCODE_PAIRS, NL_POSTCODE_LETTERS, NL_STREETS, PRODUCTS, SURNAME_PREFIXES, SURNAMES,
} from '../bol/vocab.ts';
import { CARRIER_MIX, CARRIERS } from './carriers.ts';
import {
  gid, type CountryCode, type FulfillmentDisplayStatus, type FulfillmentEventStatus, type SandboxAddress,
  type SandboxFulfillment, type SandboxFulfillmentEvent, type SandboxLineItem, type SandboxOrder,
} from './records.ts';

const MINUTE_MS = 60_000;

const DE_CITIES: readonly { city: string; province: string; zipFrom: number; zipTo: number; weight: number }[] = [
  { city: 'Berlin', province: 'Berlin', zipFrom: 10115, zipTo: 14199, weight: 5 },
  { city: 'Hamburg', province: 'Hamburg', zipFrom: 20095, zipTo: 22769, weight: 3 },
  { city: 'München', province: 'Bayern', zipFrom: 80331, zipTo: 81929, weight: 3 },
  { city: 'Köln', province: 'Nordrhein-Westfalen', zipFrom: 50667, zipTo: 51149, weight: 2 },
  { city: 'Düsseldorf', province: 'Nordrhein-Westfalen', zipFrom: 40210, zipTo: 40629, weight: 2 },
  { city: 'Aachen', province: 'Nordrhein-Westfalen', zipFrom: 52062, zipTo: 52080, weight: 1 },
];
const DE_STREETS = ['Hauptstraße', 'Schulstraße', 'Gartenstraße', 'Bahnhofstraße', 'Lindenallee', 'Friedrichstraße', 'Am Markt', 'Kastanienweg'];
const COUNTRY_NAMES: Record<CountryCode, string> = { NL: 'Netherlands', BE: 'Belgium', DE: 'Germany' };
const NL_PROVINCE_BY_CITY: Record<string, string> = {
  Amsterdam: 'Noord-Holland', Haarlem: 'Noord-Holland', Rotterdam: 'Zuid-Holland', "'s-Gravenhage": 'Zuid-Holland',
  Leiden: 'Zuid-Holland', Utrecht: 'Utrecht', Eindhoven: 'Noord-Brabant', Tilburg: 'Noord-Brabant', Breda: 'Noord-Brabant',
  Groningen: 'Groningen', Almere: 'Flevoland', Nijmegen: 'Gelderland', Arnhem: 'Gelderland', Zwolle: 'Overijssel',
  Maastricht: 'Limburg',
};

const SKU_PREFIXES = ['HB', 'KT', 'SP', 'TB', 'LG', 'KF'];
const VARIANT_TITLES = ['Default Title', 'Zwart', 'Wit', 'Grijs', 'M', 'L'];

interface EventPlan {
  status: FulfillmentEventStatus;
  afterMs: number;
  atHub: boolean;
  message: string;
}

const EVENT_MESSAGES: Record<FulfillmentEventStatus, string> = {
  LABEL_PURCHASED: 'Verzendlabel aangemaakt',
  LABEL_PRINTED: 'Verzendlabel geprint',
  CONFIRMED: 'Zending is aangemeld bij de vervoerder',
  CARRIER_PICKED_UP: 'Zending is opgehaald door de vervoerder',
  READY_FOR_PICKUP: 'Zending ligt klaar bij het afhaalpunt',
  IN_TRANSIT: 'Zending is gesorteerd en onderweg',
  OUT_FOR_DELIVERY: 'Zending wordt vandaag bezorgd',
  ATTEMPTED_DELIVERY: 'Niet thuis: bezorging morgen opnieuw',
  DELAYED: 'Zending is vertraagd',
  DELIVERED: 'Zending is bezorgd',
  FAILURE: 'Zending kon niet worden bezorgd en gaat retour',
};

function money(n: number): string {
  return n.toFixed(2);
}

/** What a fulfillment's display status is after its newest event (Shopify derives it the same way). */
export function displayStatusAfter(events: readonly SandboxFulfillmentEvent[]): FulfillmentDisplayStatus {
  const last = events[events.length - 1];
  if (!last) return 'FULFILLED';
  return last.status === 'LABEL_PURCHASED' || last.status === 'LABEL_PRINTED' ? 'CONFIRMED' : last.status;
}

/** Recomputes the fields of a fulfillment that follow from its events. */
export function settleFulfillment(f: SandboxFulfillment): void {
  f.displayStatus = displayStatusAfter(f.events);
  f.inTransitAtMs = f.events.find((e) => e.status === 'IN_TRANSIT')?.happenedAtMs ?? null;
  f.deliveredAtMs = f.events.find((e) => e.status === 'DELIVERED')?.happenedAtMs ?? null;
  const estimates = f.events.filter((e) => e.estimatedDeliveryAtMs !== null);
  f.estimatedDeliveryAtMs = estimates[estimates.length - 1]?.estimatedDeliveryAtMs ?? f.estimatedDeliveryAtMs;
  const newest = f.events[f.events.length - 1];
  f.updatedAtMs = Math.max(f.createdAtMs, newest?.createdAtMs ?? 0);
}

export class OrderFactory {
  private readonly rng: SeededRandom;
  private orderNumber = 1000;
  private orderId: number;
  private fulfillmentId: number;
  private lineItemId: number;
  private eventId: number;
  private addressId: number;
  private readonly catalog: { sku: string; title: string; price: number; variantId: string; variantTitle: string }[];

  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
    // Shopify ids are 13-digit numbers; each shop starts somewhere else.
    this.orderId = 5_600_000_000_000 + this.rng.int(0, 99_999) * 1000;
    this.fulfillmentId = 4_700_000_000_000 + this.rng.int(0, 99_999) * 1000;
    this.lineItemId = 13_900_000_000_000 + this.rng.int(0, 99_999) * 1000;
    this.eventId = 3_100_000_000_000 + this.rng.int(0, 99_999) * 1000;
    this.addressId = 7_300_000_000_000 + this.rng.int(0, 99_999) * 1000;
    let variant = 45_000_000_000_000 + this.rng.int(0, 99_999) * 1000;
    this.catalog = PRODUCTS.map((p, i) => {
      variant += this.rng.int(1, 900);
      return {
        sku: `${this.rng.pick(SKU_PREFIXES)}-${String(1000 + i * 37 + this.rng.int(0, 30))}-${this.rng.chars(2, 'ABCDEFGHJKLMNPRSTUVWXYZ')}`,
        title: p.title,
        price: p.priceEur,
        variantId: gid('ProductVariant', variant),
        variantTitle: this.rng.pick(VARIANT_TITLES),
      };
    });
  }

  /** n evenly spread creation instants (whole seconds, strictly increasing) in [fromMs, toMs). */
  instants(n: number, fromMs: number, toMs: number): number[] {
    const out: number[] = [];
    let last = fromMs - 1000;
    for (let i = 0; i < n; i++) {
      const base = fromMs + ((toMs - fromMs) * i) / Math.max(n, 1);
      const jitter = this.rng.int(0, Math.max(0, Math.floor((toMs - fromMs) / Math.max(n, 1)) - 1000));
      const at = Math.max(last + 1000, Math.floor((base + jitter) / 1000) * 1000);
      out.push(at);
      last = at;
    }
    return out;
  }

  /** Orders created at `instants`; their fulfillments hold the events that happened before nowMs. */
  build(instants: readonly number[], nowMs: number): SandboxOrder[] {
    return instants.map((at) => this.order(at, nowMs));
  }

  private nextId(kind: 'order' | 'fulfillment' | 'lineItem' | 'event' | 'address'): number {
    const step = this.rng.int(1, 997);
    switch (kind) {
      case 'order': return (this.orderId += step);
      case 'fulfillment': return (this.fulfillmentId += step);
      case 'lineItem': return (this.lineItemId += step);
      case 'event': return (this.eventId += step);
      case 'address': return (this.addressId += step);
    }
  }

  private address(): SandboxAddress {
    const rng = this.rng;
    const female = rng.chance(0.5);
    const firstName = rng.pick(female ? FIRST_NAMES_FEMALE : FIRST_NAMES_MALE);
    const country: CountryCode = rng.weighted([['NL', 65], ['BE', 20], ['DE', 15]] as const);
    const house = rng.weighted([[rng.int(1, 40), 6], [rng.int(41, 250), 3], [rng.int(251, 999), 1]] as const);
    let lastName: string;
    let address1: string;
    let zip: string;
    let city: string;
    let province: string | null;
    let phone: string | null;
    if (country === 'NL') {
      const place = rng.weighted(NL_CITIES.map((c) => [c, c.weight] as const));
      let letters = rng.chars(2, NL_POSTCODE_LETTERS);
      while (NL_FORBIDDEN_POSTCODE_PAIRS.includes(letters)) letters = rng.chars(2, NL_POSTCODE_LETTERS);
      const digits = rng.int(place.postcodeFrom, place.postcodeTo);
      // Shopify stores what the buyer typed: mostly "1234AB", sometimes "1234 AB".
      zip = rng.chance(0.8) ? `${digits}${letters}` : `${digits} ${letters}`;
      lastName = `${rng.weighted(SURNAME_PREFIXES)}${rng.pick(SURNAMES)}`;
      address1 = `${rng.pick(NL_STREETS)} ${house}${rng.chance(0.12) ? rng.pick(['A', 'B', '-1', '-2', 'hs']) : ''}`;
      city = place.city;
      province = NL_PROVINCE_BY_CITY[place.city] ?? null;
      phone = rng.weighted([[`+316${rng.digits(8)}`, 6], [`06${rng.digits(8)}`, 3], [`06-${rng.digits(8)}`, 1]] as const);
    } else if (country === 'BE') {
      const place = rng.weighted(BE_CITIES.map((c) => [c, c.weight] as const));
      const french = place.region === 'fr' || (place.region === 'both' && rng.chance(0.6));
      zip = place.postcode;
      lastName = rng.pick(SURNAMES);
      address1 = `${rng.pick(french ? BE_STREETS_FR : BE_STREETS_NL)} ${house}${rng.chance(0.1) ? rng.pick([' bus 1', ' bus 12', 'A']) : ''}`;
      city = place.city;
      province = null;
      phone = rng.weighted([[`+324${rng.int(60, 99)}${rng.digits(6)}`, 6], [`04${rng.int(60, 99)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)}`, 3]] as const);
    } else {
      const place = rng.weighted(DE_CITIES.map((c) => [c, c.weight] as const));
      zip = String(rng.int(place.zipFrom, place.zipTo)).padStart(5, '0');
      lastName = rng.pick(['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann']);
      address1 = `${rng.pick(DE_STREETS)} ${house}`;
      city = place.city;
      province = place.province;
      phone = rng.weighted([[`+49 15${rng.int(1, 9)} ${rng.digits(8)}`, 6], [`0176 ${rng.digits(8)}`, 4]] as const);
    }
    if (rng.chance(0.08)) phone = null;
    return {
      id: gid('MailingAddress', this.nextId('address')),
      firstName,
      lastName,
      name: `${firstName} ${lastName}`,
      address1,
      address2: rng.chance(0.06) ? rng.pick(['2e verdieping', 'Achterom', 'c/o Receptie']) : null,
      zip,
      city,
      province,
      country: COUNTRY_NAMES[country],
      countryCodeV2: country,
      phone,
    };
  }

  private lineItems(): SandboxLineItem[] {
    const n = this.rng.weighted([[1, 6], [2, 3], [3, 1]] as const);
    const items: SandboxLineItem[] = [];
    const used = new Set<number>();
    for (let i = 0; i < n; i++) {
      let index = this.rng.int(0, this.catalog.length - 1);
      while (used.has(index)) index = (index + 1) % this.catalog.length;
      used.add(index);
      const p = this.catalog[index]!;
      const title = p.title;
      items.push({
        id: gid('LineItem', this.nextId('lineItem')),
        sku: p.sku,
        title,
        name: p.variantTitle === 'Default Title' ? title : `${title} - ${p.variantTitle}`,
        quantity: this.rng.weighted([[1, 8], [2, 2], [3, 1]] as const),
        variantId: p.variantId,
        variantTitle: p.variantTitle,
        unitPrice: money(p.price),
      });
    }
    return items;
  }

  private order(createdAtMs: number, nowMs: number): SandboxOrder {
    this.orderNumber += 1;
    const legacyId = this.nextId('order');
    const shippingAddress = this.address();
    const lineItems = this.lineItems();
    const id = gid('Order', legacyId);
    // Payment capture and the like touch a new order within its first minutes.
    const touchedAtMs = Math.min(createdAtMs + this.rng.int(1, 120) * 1000, Math.max(createdAtMs, nowMs));
    const order: SandboxOrder = {
      id,
      legacyId,
      number: this.orderNumber,
      name: `#${this.orderNumber}`,
      createdAtMs,
      updatedAtMs: touchedAtMs,
      processedAtMs: createdAtMs,
      // "Müller" → "muller": accents go, the letters stay.
      email: `${shippingAddress.firstName}.${shippingAddress.lastName}`.normalize('NFD').toLowerCase().replace(/[^a-z.]/g, '') + `${this.rng.int(1, 99)}@example.com`,
      phone: this.rng.chance(0.3) ? shippingAddress.phone : null,
      shippingAddress,
      lineItems,
      fulfillments: [],
    };
    // Young orders are more often still unfulfilled.
    const ageMs = nowMs - createdAtMs;
    const unfulfilledWeight = ageMs < DAY_MS ? 60 : 12;
    const count = this.rng.weighted([[0, unfulfilledWeight], [1, 72], [2, lineItems.length > 1 ? 16 : 0]] as const);
    if (count === 2) {
      const split = this.rng.int(1, lineItems.length - 1);
      this.addFulfillment(order, lineItems.slice(0, split), createdAtMs + this.rng.int(2, 30) * HOUR_MS, nowMs);
      this.addFulfillment(order, lineItems.slice(split), createdAtMs + this.rng.int(30, 72) * HOUR_MS, nowMs);
    } else if (count === 1) {
      this.addFulfillment(order, lineItems, createdAtMs + this.rng.int(1, 36) * HOUR_MS, nowMs);
    }
    // A fulfillment planned after "now" has not happened yet.
    order.fulfillments = order.fulfillments.filter((f) => f.createdAtMs <= nowMs);
    order.updatedAtMs = Math.max(touchedAtMs, ...order.fulfillments.map((f) => f.updatedAtMs));
    return order;
  }

  /** The line items of `order` that no fulfillment covers yet. */
  unfulfilledLineItems(order: SandboxOrder): SandboxLineItem[] {
    const covered = new Set(order.fulfillments.flatMap((f) => f.lineItems.map((li) => li.lineItemId)));
    return order.lineItems.filter((li) => !covered.has(li.id));
  }

  /** Adds a fulfillment of `items` created at createdAtMs, with the events that happened by nowMs. */
  addFulfillment(order: SandboxOrder, items: readonly SandboxLineItem[], createdAtMs: number, nowMs: number): SandboxFulfillment {
    const rng = this.rng;
    const country = order.shippingAddress.countryCodeV2;
    const carrier = CARRIERS[rng.weighted(CARRIER_MIX[country])]!;
    const number = carrier.number(rng);
    const createdAt = Math.floor(createdAtMs / 1000) * 1000;
    const fulfillment: SandboxFulfillment = {
      id: gid('Fulfillment', this.nextId('fulfillment')),
      orderId: order.id,
      name: `${order.name}-F${order.fulfillments.length + 1}`,
      status: 'SUCCESS',
      displayStatus: 'FULFILLED',
      createdAtMs: createdAt,
      updatedAtMs: createdAt,
      inTransitAtMs: null,
      deliveredAtMs: null,
      estimatedDeliveryAtMs: null,
      trackingInfo: [{ company: carrier.company, number, url: carrier.url(number, order.shippingAddress.zip, country) }],
      events: [],
      lineItems: items.map((li) => ({ id: gid('FulfillmentLineItem', this.nextId('lineItem')), quantity: li.quantity, lineItemId: li.id })),
    };
    order.fulfillments.push(fulfillment);
    // A few merchants mark orders fulfilled without a carrier feeding events back.
    if (!rng.chance(0.05)) {
      for (const plan of this.timeline(country)) {
        const at = createdAt + plan.afterMs;
        if (at > nowMs) break;
        this.pushEvent(order, fulfillment, plan, at, createdAt, nowMs);
      }
    }
    settleFulfillment(fulfillment);
    order.updatedAtMs = Math.max(order.updatedAtMs, fulfillment.updatedAtMs);
    return fulfillment;
  }

  /** Adds the event that follows the fulfillment's newest one at `atMs`; false when it is finished. */
  advance(order: SandboxOrder, fulfillment: SandboxFulfillment, atMs: number): boolean {
    const last = fulfillment.events[fulfillment.events.length - 1]?.status;
    if (last === 'DELIVERED' || last === 'FAILURE') return false;
    const next: FulfillmentEventStatus =
      last === undefined ? 'CONFIRMED'
        : last === 'CONFIRMED' || last === 'LABEL_PURCHASED' || last === 'LABEL_PRINTED' ? 'CARRIER_PICKED_UP'
          : last === 'CARRIER_PICKED_UP' ? 'IN_TRANSIT'
            : last === 'IN_TRANSIT' || last === 'DELAYED' || last === 'ATTEMPTED_DELIVERY' ? 'OUT_FOR_DELIVERY'
              : this.rng.chance(0.85) ? 'DELIVERED' : 'ATTEMPTED_DELIVERY';
    const plan: EventPlan = { status: next, afterMs: 0, atHub: next === 'CARRIER_PICKED_UP' || next === 'IN_TRANSIT', message: EVENT_MESSAGES[next] };
    const previousMs = fulfillment.events[fulfillment.events.length - 1]?.happenedAtMs ?? fulfillment.createdAtMs;
    const at = Math.max(Math.floor(atMs / 1000) * 1000, previousMs + MINUTE_MS);
    this.pushEvent(order, fulfillment, plan, at, fulfillment.createdAtMs, at);
    settleFulfillment(fulfillment);
    order.updatedAtMs = Math.max(order.updatedAtMs, fulfillment.updatedAtMs);
    return true;
  }

  /** Adds the event planned at atMs; it is reported a few minutes later, but never after nowMs. */
  private pushEvent(order: SandboxOrder, f: SandboxFulfillment, plan: EventPlan, atMs: number, createdAtMs: number, nowMs: number): void {
    const address = order.shippingAddress;
    const carrier = CARRIERS[f.trackingInfo[0]?.company ?? ''];
    const hub = carrier?.hubs[address.countryCodeV2];
    const where = plan.atHub && hub ? { city: hub.city, zip: hub.zip } : plan.status === 'CONFIRMED' ? null : { city: address.city, zip: address.zip };
    // Carriers announce a delivery estimate when the parcel enters their network, and move it on delays.
    const announces = plan.status === 'IN_TRANSIT' || plan.status === 'DELAYED' || plan.status === 'ATTEMPTED_DELIVERY';
    const estimate = announces ? this.estimate(atMs, plan.status) : null;
    if (f.estimatedDeliveryAtMs === null && plan.status === 'CONFIRMED') f.estimatedDeliveryAtMs = this.estimate(createdAtMs, 'CONFIRMED');
    f.events.push({
      id: gid('FulfillmentEvent', this.nextId('event')),
      status: plan.status,
      happenedAtMs: atMs,
      // Carriers report with a delay of a few minutes.
      createdAtMs: Math.max(atMs, Math.min(atMs + this.rng.int(1, 20) * MINUTE_MS, nowMs)),
      message: plan.message,
      city: where?.city ?? null,
      province: null,
      country: where ? COUNTRY_NAMES[address.countryCodeV2] : null,
      zip: where?.zip ?? null,
      estimatedDeliveryAtMs: estimate,
    });
  }

  /** A delivery estimate: the next day (or the one after) between 09:00 and 18:00 UTC, whole hours. */
  private estimate(fromMs: number, status: FulfillmentEventStatus): number {
    const days = status === 'DELAYED' ? 2 : this.rng.int(1, 2);
    const day = Math.floor(fromMs / DAY_MS) * DAY_MS + days * DAY_MS;
    return day + this.rng.int(9, 18) * HOUR_MS;
  }

  /** The events of one parcel from hand-over to the end, relative to the fulfillment's creation. */
  private timeline(country: CountryCode): EventPlan[] {
    const rng = this.rng;
    const plans: EventPlan[] = [];
    let t = rng.int(1, 20) * MINUTE_MS;
    const push = (status: FulfillmentEventStatus, gapMs: number, atHub = false) => {
      t += gapMs;
      plans.push({ status, afterMs: t, atHub, message: EVENT_MESSAGES[status] });
    };
    if (rng.chance(0.3)) push('LABEL_PURCHASED', 0);
    push('CONFIRMED', rng.int(1, 30) * MINUTE_MS);
    push('CARRIER_PICKED_UP', rng.int(2, 9) * HOUR_MS, true);
    push('IN_TRANSIT', rng.int(2, 10) * HOUR_MS, true);
    if (country !== 'NL' && rng.chance(0.4)) push('IN_TRANSIT', rng.int(6, 20) * HOUR_MS, true);
    const fate = rng.weighted([['delivered', 82], ['attempt', 9], ['delayed', 6], ['failure', 3]] as const);
    if (fate === 'delayed') push('DELAYED', rng.int(8, 20) * HOUR_MS, true);
    push('OUT_FOR_DELIVERY', rng.int(6, 16) * HOUR_MS);
    if (fate === 'attempt') {
      push('ATTEMPTED_DELIVERY', rng.int(2, 8) * HOUR_MS);
      push('OUT_FOR_DELIVERY', rng.int(14, 20) * HOUR_MS);
    }
    push(fate === 'failure' ? 'FAILURE' : 'DELIVERED', rng.int(1, 8) * HOUR_MS + rng.int(0, 59) * MINUTE_MS);
    return plans;
  }
}
