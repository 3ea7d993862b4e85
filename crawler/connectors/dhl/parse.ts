import { z } from 'zod';
import { mapDhlStatus } from '../../status-mapping.ts';
import type { TrackingResult } from '../carrier-connector.ts';
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
  description: text,
});
type Observation = z.infer<typeof observation>;

const shipment = z.object({
  id: z.union([z.string(), z.number()]).transform(String).nullish(),
  origin: z.object({ address }).partial().nullish(),
  destination: z.object({ address }).partial().nullish(),
  status: observation.nullish(),
  events: z.array(observation).nullish(),
});

const trackingAnswer = z.object({ shipments: z.array(shipment).nullish() });

export function notFoundTracking(trackingNumber: string): DhlTracking {
  return { trackingNumber, found: false, events: [], statusCode: null };
}

/**
 * A 200 answer → the tracking of `trackingNumber`. Without `service`, DHL may list shipments of
 * several divisions: the one whose id is the number asked for wins, else the first.
 */
export function parseDhlTracking(trackingNumber: string, body: unknown): DhlTracking {
  const shipments = trackingAnswer.parse(body).shipments ?? [];
  const wanted = normaliseNumber(trackingNumber);
  const s = shipments.find((x) => x.id && normaliseNumber(x.id) === wanted) ?? shipments[0];
  if (!s) return notFoundTracking(trackingNumber);

  const countryOf = countryByLocality(s);
  const records: TrackingEventRecord[] = [];
  const seen = new Set<string>();
  const add = (record: TrackingEventRecord | null) => {
    if (!record) return;
    const key = [record.occurredAt, record.rawStatus, record.description ?? '', record.location ?? ''].join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    records.push(record);
  };
  for (const e of s.events ?? []) add(toEventRecord(e, countryOf));
  // `status` repeats the latest event, sometimes with less location (DHL's own example: a
  // locality, no country, a time without offset) or more text. An event with the same status
  // text within the widest time-zone spread of it is that observation: counting the block too
  // would store one observation twice under two dedupe keys.
  const current = s.status ? toEventRecord(s.status, countryOf) : null;
  if (current && !records.some((r) => r.rawStatus === current.rawStatus && Math.abs(r.occurredAt - current.occurredAt) <= MAX_ZONE_SPREAD_MS)) add(current);

  records.sort((a, b) => a.occurredAt - b.occurredAt);
  const latestCode = s.status?.statusCode ?? [...(s.events ?? [])].reverse().find((e) => e.statusCode)?.statusCode ?? null;
  return { trackingNumber, found: true, events: records, statusCode: latestCode ?? (records.length > 0 ? 'unknown' : null) };
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
    status: mapDhlStatus(statusCode, [o.status, o.description].filter(Boolean).join(' ')),
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
function countryByLocality(s: z.infer<typeof shipment>): (locality: string | null) => string | null {
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
function normaliseNumber(n: string): string {
  return n.replace(/\s+/g, '').toUpperCase();
}
