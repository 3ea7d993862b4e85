import { z } from 'zod';
import { mapDhlStatus } from '../../status-mapping.ts';
import type { CarrierDeliveryInfo, TrackingResult } from '../carrier-connector.ts';
import type { TrackingEventRecord } from '../types.ts';
import { parseDhlTimestamp } from './timestamps.ts';

/**
 * Parsing of DHL Shipment Tracking – Unified answers (shared contract: dhl-tracking.md).
 * Everything but the shipment list is optional: DHL's divisions fill different fields, and a
 * parcel-de/parcel-nl answer without `recipientPostalCode` leaves much of it out.
 */

/**
 * What the DHL connector returns for one tracking number. `found` is false when DHL answered
 * 404: unknown, or not yet known (a fresh label appears after 10–30 min); `events` has one
 * record per observation DHL reports, oldest first.
 */
export interface DhlTracking extends TrackingResult {
  /** `statusCode` of DHL's current status (`pre-transit`, `transit`, `delivered`, `failure`, `unknown`), null when not found. */
  statusCode: string | null;
}

const text = z.string().nullish().transform((v) => (v && v.trim() !== '' ? v.trim() : null));

const address = z
  .object({ countryCode: text, postalCode: text, addressLocality: text })
  .partial()
  .nullish();

const observation = z.object({
  timestamp: text,
  location: z.object({ address }).partial().nullish(),
  statusCode: text,
  status: text,
  statusDetailed: text,
  description: text,
  remark: text,
  nextSteps: text,
});
type Observation = z.infer<typeof observation>;

const shipment = z.object({
  id: z.union([z.string(), z.number()]).transform(String).nullish(),
  origin: z.object({ address }).partial().nullish(),
  destination: z.object({ address }).partial().nullish(),
  status: observation.nullish(),
  estimatedTimeOfDelivery: text,
  estimatedDeliveryTimeFrame: z.object({ estimatedFrom: text, estimatedThrough: text }).partial().nullish(),
  details: z
    .object({ proofOfDelivery: z.object({ documentUrl: text, signatureUrl: text }).partial().nullish() })
    .partial()
    .nullish(),
  events: z.array(observation).nullish(),
});
type DhlShipment = z.infer<typeof shipment>;

const trackingAnswer = z.object({
  shipments: z.array(shipment).nullish(),
  nextUrl: text,
  possibleAdditionalShipmentsUrl: z.array(z.string()).nullish(),
});

/** One page of a DHL answer: its shipments and where the next page is (DHL pages `limit`, default 5, shipments a call). */
export interface DhlAnswerPage {
  shipments: DhlShipment[];
  nextUrl: string | null;
  /** Other DHL divisions that may know the number (asked without `service`). */
  possibleAdditionalShipmentsUrl: string[];
}

export function parseDhlAnswerPage(body: unknown): DhlAnswerPage {
  const page = trackingAnswer.parse(body);
  return { shipments: page.shipments ?? [], nextUrl: page.nextUrl, possibleAdditionalShipmentsUrl: page.possibleAdditionalShipmentsUrl ?? [] };
}

export function notFoundTracking(trackingNumber: string): DhlTracking {
  return { trackingNumber, found: false, events: [], statusCode: null };
}

/** A one-page 200 answer → the tracking of `trackingNumber` (see trackingOfShipments). */
export function parseDhlTracking(trackingNumber: string, body: unknown): DhlTracking {
  return trackingOfShipments(trackingNumber, parseDhlAnswerPage(body).shipments);
}

/**
 * The shipments of every page of an answer → the tracking of `trackingNumber`. Without `service`,
 * DHL may list shipments of several divisions, and a number shared by several pieces comes as one
 * entry per piece: the entries whose id is the number asked for are that shipment (their events
 * together), else the first entry is.
 */
export function trackingOfShipments(trackingNumber: string, shipments: readonly DhlShipment[]): DhlTracking {
  const wanted = normaliseNumber(trackingNumber);
  const matching = shipments.filter((x) => x.id && normaliseNumber(x.id) === wanted);
  const chosen = matching.length > 0 ? matching : shipments.slice(0, 1);
  if (chosen.length === 0) return notFoundTracking(trackingNumber);

  const records: TrackingEventRecord[] = [];
  const seen = new Set<string>();
  const add = (record: TrackingEventRecord | null) => {
    if (!record) return;
    const key = [record.occurredAt, record.rawStatus, record.description ?? '', record.location ?? ''].join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    records.push(record);
  };
  // The newest observation: DHL lists events newest first, so the first event of the newest time.
  let newest: { at: number; o: Observation } | null = null;
  for (const s of chosen) {
    const countryOf = countryByLocality(s);
    for (const e of s.events ?? []) {
      const record = toEventRecord(e, countryOf);
      add(record);
      if (record && e.statusCode && (!newest || record.occurredAt > newest.at)) newest = { at: record.occurredAt, o: e };
    }
  }
  for (const s of chosen) {
    // `status` repeats the latest event, sometimes with less location (DHL's own example: a
    // locality, no country, a time without offset) or more text. An event with the same status
    // text within the widest time-zone spread of it is that observation: counting the block too
    // would store one observation twice under two dedupe keys.
    const current = s.status ? toEventRecord(s.status, countryByLocality(s)) : null;
    if (current && !records.some((r) => r.rawStatus === current.rawStatus && Math.abs(r.occurredAt - current.occurredAt) <= MAX_ZONE_SPREAD_MS)) add(current);
  }

  records.sort((a, b) => a.occurredAt - b.occurredAt);
  const first = chosen[0]!;
  // `status` is optional in DHL's schema: without it, the current one is the newest event's.
  const current = first.status ?? newest?.o ?? null;
  const latestCode = current?.statusCode?.toLowerCase() ?? null;
  return {
    trackingNumber,
    found: true,
    events: records,
    statusCode: latestCode ?? (records.length > 0 ? 'unknown' : null),
    delivery: deliveryOf(first, current),
  };
}

/** The estimate, the remark and the proof of delivery of DHL's shipment, in the destination's zone when a time has no offset. */
function deliveryOf(s: DhlShipment, current: Observation | null): CarrierDeliveryInfo {
  const country = s.destination?.address?.countryCode ?? null;
  const at = (v: string | null | undefined) => (v ? parseDhlTimestamp(v, country) : null);
  const remark = [current?.remark, current?.nextSteps].filter(Boolean).join(' ');
  const pod = s.details?.proofOfDelivery;
  return {
    estimatedAt: at(s.estimatedTimeOfDelivery),
    estimatedFrom: at(s.estimatedDeliveryTimeFrame?.estimatedFrom),
    estimatedTo: at(s.estimatedDeliveryTimeFrame?.estimatedThrough),
    remark: remark === '' ? null : remark.slice(0, 1024),
    proofOfDeliveryUrl: pod?.documentUrl ?? pod?.signatureUrl ?? null,
  };
}

/**
 * One DHL observation → one record. Only what DHL says about the observation itself goes in
 * (never the time we fetched it), so the same observation always gives the same record and
 * `eventDedupeKey` stores it once however often it is polled. The location text is
 * "locality, country" without the postal code: parcel-de/parcel-nl send postal codes only when
 * asked with `recipientPostalCode`, and the record must not change with the question.
 */
export function toEventRecord(o: Observation, countryOf: (locality: string | null) => string | null = () => null): TrackingEventRecord | null {
  if (!o.timestamp) return null;
  const locality = o.location?.address?.addressLocality ?? null;
  const countryCode = o.location?.address?.countryCode?.toUpperCase() ?? null;
  const occurredAt = parseDhlTimestamp(o.timestamp, countryCode ?? countryOf(locality));
  if (occurredAt === null) return null;
  const statusCode = (o.statusCode ?? 'unknown').toLowerCase();
  return {
    source: 'dhl',
    // statusDetailed (1.5.8: `out-for-delivery`, …) helps tell the finer status apart; it stays out
    // of the record's texts, so a record keeps its dedupe key whether DHL sends it or not.
    status: mapDhlStatus(statusCode, [o.status, o.statusDetailed?.replace(/[-_]+/g, ' '), o.description].filter(Boolean).join(' ')),
    rawStatus: o.status ? `${statusCode}: ${o.status}` : statusCode,
    description: o.description,
    location: locationText(locality, countryCode),
    occurredAt,
  };
}

/** Local times differ by at most 26 h around the globe; one observation's two spellings lie closer than that. */
const MAX_ZONE_SPREAD_MS = 26 * 3_600_000;

/**
 * A location that names a town but no country (DHL's `status` block does this) takes the time
 * zone of an event, the origin or the destination with the same town, so its offset-less
 * timestamp reads the same as the event it repeats. Only the zone: the location text stays what
 * DHL wrote, so it cannot change with what else an answer happens to include.
 */
function countryByLocality(s: DhlShipment): (locality: string | null) => string | null {
  const known = new Map<string, string>();
  const learn = (a: z.infer<typeof address> | undefined) => {
    const town = a?.addressLocality?.toLowerCase();
    if (town && a?.countryCode && !known.has(town)) known.set(town, a.countryCode.toUpperCase());
  };
  for (const e of s.events ?? []) learn(e.location?.address);
  learn(s.destination?.address);
  learn(s.origin?.address);
  return (locality) => (locality ? (known.get(locality.toLowerCase()) ?? null) : null);
}

function locationText(locality: string | null, countryCode: string | null): string | null {
  const place = locality?.replace(/\s+/g, ' ') ?? null;
  if (place && countryCode) return `${place}, ${countryCode}`;
  return place ?? countryCode;
}

/** DHL prints some numbers with spaces ("JJD 0001 2345"): compare without them. */
export function normaliseNumber(n: string): string {
  return n.replace(/\s+/g, '').toUpperCase();
}
