/**
 * The simulator's shipments: each a timeline of future and past events. An event is visible once
 * the sandbox clock has reached its time, so a shipment "moves" as (simulated) time passes, and a
 * shipment whose first event lies in the future is unknown to DHL yet (404), as a fresh label is.
 */
import { hash32 } from '../prng.ts';
import { HOUR_MS } from '../time.ts';
import type { DhlAddress, DhlStatusCode, DhlWireAnswer, DhlWireEvent, DhlWireShipment } from './wire.ts';
import { formatDhlTimestamp, type DhlOffsetStyle } from './zones.ts';

/** DHL's page size when the request names none (`limit`, default 5). */
export const DHL_DEFAULT_LIMIT = 5;

/** One event of a shipment's timeline, as a test writes it. */
export interface DhlTimelineEvent {
  /** Epoch ms at which the event happens (and becomes visible). */
  at: number;
  statusCode: DhlStatusCode;
  status: string;
  statusDetailed?: string;
  description?: string;
  remark?: string;
  nextSteps?: string;
  location?: DhlAddress;
  /** Of a multi-piece shipment: the piece (1-based) the event is about; absent: every piece. */
  piece?: number;
}

export interface DhlShipmentExtras {
  /** Default `parcel-de` (with a German destination), `parcel-nl` (NL/BE), else `express`. */
  service?: string;
  origin?: DhlAddress;
  destination?: DhlAddress;
  /**
   * Pieces under the one number (default 1): the answer lists one shipment per piece, each with
   * its own events and the shared ones, `limit` (default 5) a page, with `nextUrl`.
   */
  pieces?: number;
  /** Leave out the `status` block (optional in DHL's schema): a client must read the events. */
  withoutStatus?: boolean;
  /** Write every timestamp's offset this way (default: a mix of none, `+01:00` and `+1:00`). */
  offsets?: DhlOffsetStyle;
}

interface StoredShipment {
  trackingNumber: string;
  service: string;
  origin: DhlAddress | undefined;
  destination: DhlAddress | undefined;
  pieces: number;
  withoutStatus: boolean;
  offsets: DhlOffsetStyle | undefined;
  timeline: DhlTimelineEvent[];
}

/** Which page of the shipments a request asks for. */
export interface DhlPageRequest {
  offset: number;
  limit: number;
}

/** Services whose answers carry postal codes only when asked with the right `recipientPostalCode` (contract, "Request"). */
const POSTAL_CODE_GUARDED = new Set(['parcel-de', 'parcel-nl']);

export class DhlShipmentStore {
  private readonly byNumber = new Map<string, StoredShipment>();

  constructor(private readonly seed: number) {}

  /** Registers (or replaces) a shipment; the timeline is kept in time order. */
  put(trackingNumber: string, timeline: readonly DhlTimelineEvent[], extras: DhlShipmentExtras = {}): void {
    const events = timeline.map((e) => ({ ...e, ...(e.location ? { location: { ...e.location } } : {}) })).sort((a, b) => a.at - b.at);
    for (const e of events) if (!Number.isFinite(e.at)) throw new RangeError(`DHL sandbox: event time of ${trackingNumber} must be epoch ms`);
    const destinationCountry = extras.destination?.countryCode?.toUpperCase();
    const service = extras.service ?? (destinationCountry === 'DE' ? 'parcel-de' : destinationCountry === 'NL' || destinationCountry === 'BE' ? 'parcel-nl' : 'express');
    const pieces = extras.pieces ?? 1;
    if (!Number.isInteger(pieces) || pieces < 1) throw new RangeError(`DHL sandbox: pieces of ${trackingNumber} must be an integer >= 1`);
    this.byNumber.set(normaliseNumber(trackingNumber), {
      trackingNumber, service, origin: extras.origin, destination: extras.destination, pieces, withoutStatus: extras.withoutStatus ?? false, offsets: extras.offsets, timeline: events,
    });
  }

  has(trackingNumber: string): boolean {
    return this.byNumber.has(normaliseNumber(trackingNumber));
  }

  /** The answer for a tracking number at `nowMs`, or null (404) when DHL knows nothing of it yet. */
  answer(trackingNumber: string, nowMs: number, recipientPostalCode: string | undefined, page: DhlPageRequest = { offset: 0, limit: DHL_DEFAULT_LIMIT }): DhlWireAnswer | null {
    const s = this.byNumber.get(normaliseNumber(trackingNumber));
    if (!s) return null;
    const visible = s.timeline.filter((e) => e.at <= nowMs);
    if (visible.length === 0) return null;
    const destinationPostal = s.destination?.postalCode;
    const full = !POSTAL_CODE_GUARDED.has(s.service) || !destinationPostal || (recipientPostalCode !== undefined && samePostalCode(recipientPostalCode, destinationPostal));
    const address = (a: DhlAddress | undefined): DhlAddress | undefined => {
      if (!a) return undefined;
      const out: DhlAddress = {};
      if (a.countryCode) out.countryCode = a.countryCode;
      if (a.postalCode && full) out.postalCode = a.postalCode;
      if (a.addressLocality) out.addressLocality = a.addressLocality;
      return Object.keys(out).length > 0 ? out : undefined;
    };
    const pieceId = (p: number) => (s.pieces === 1 ? s.trackingNumber : `${s.trackingNumber}-${p}`);
    const render = (e: DhlTimelineEvent, index: number, piece: number): DhlWireEvent => {
      const where = address(e.location);
      return {
        timestamp: formatDhlTimestamp(e.at, e.location?.countryCode, s.offsets ?? this.offsetStyle(s.trackingNumber, index)),
        ...(where ? { location: { address: where } } : {}),
        statusCode: e.statusCode,
        status: e.status,
        ...(e.statusDetailed !== undefined ? { statusDetailed: e.statusDetailed } : {}),
        ...(e.description !== undefined ? { description: e.description } : {}),
        ...(e.remark !== undefined ? { remark: e.remark } : {}),
        ...(e.nextSteps !== undefined ? { nextSteps: e.nextSteps } : {}),
        ...(s.pieces > 1 ? { pieceIds: [pieceId(piece)] } : {}),
      };
    };
    const origin = address(s.origin);
    const destination = address(s.destination);
    const entries: DhlWireShipment[] = [];
    for (let piece = 1; piece <= s.pieces; piece++) {
      const mine = visible.map((e, index) => ({ e, index })).filter(({ e }) => e.piece === undefined || e.piece === piece);
      if (mine.length === 0) continue;
      const events = mine.map(({ e, index }) => render(e, index, piece)).reverse();
      const last = mine[mine.length - 1]!.e;
      entries.push({
        id: s.trackingNumber,
        service: s.service,
        ...(origin ? { origin: { address: origin } } : {}),
        ...(destination ? { destination: { address: destination } } : {}),
        ...(s.withoutStatus ? {} : { status: events[0]! }),
        ...this.estimate(s, last, nowMs),
        details: {
          totalNumberOfPieces: s.pieces,
          pieceIds: [pieceId(piece)],
          ...(last.statusCode === 'delivered' ? proofOfDelivery(s, last, full) : {}),
        },
        events,
      });
    }
    return { ...pageLinks(s.trackingNumber, entries.length, page), shipments: entries.slice(page.offset, page.offset + page.limit) };
  }

  /**
   * Until delivery, DHL's estimate of it: the time the timeline delivers at (the simulator knows
   * the future), as a two-hour window for parcel services and a time for express, written in the
   * destination's local time with its offset. Nothing once delivered, or when the timeline never
   * delivers (an address problem).
   */
  private estimate(s: StoredShipment, last: DhlTimelineEvent, nowMs: number): Pick<DhlWireShipment, 'estimatedTimeOfDelivery' | 'estimatedDeliveryTimeFrame'> {
    if (last.statusCode === 'delivered') return {};
    const delivery = s.timeline.find((e) => e.statusCode === 'delivered' && e.at > nowMs);
    if (!delivery) return {};
    const country = s.destination?.countryCode;
    const hour = Math.floor(delivery.at / HOUR_MS) * HOUR_MS;
    if (s.service === 'express') return { estimatedTimeOfDelivery: formatDhlTimestamp(hour + HOUR_MS, country, 'full') };
    return { estimatedDeliveryTimeFrame: { estimatedFrom: formatDhlTimestamp(hour - HOUR_MS, country, 'full'), estimatedThrough: formatDhlTimestamp(hour + HOUR_MS, country, 'full') } };
  }

  /**
   * About one timestamp in three has no offset, and one in six writes its offset with a one-digit
   * hour; fixed per (seed, shipment, event) so answers repeat.
   */
  private offsetStyle(trackingNumber: string, index: number): DhlOffsetStyle {
    const h = hash32(`${this.seed}\n${trackingNumber}\n${index}`);
    if (h % 3 === 0) return 'none';
    return h % 6 === 1 ? 'short' : 'full';
  }
}

/** Proof of delivery of a delivered piece: DHL shows the document only to whoever proved the postal code. */
function proofOfDelivery(s: StoredShipment, delivered: DhlTimelineEvent, full: boolean): Pick<DhlWireShipment['details'], 'proofOfDeliverySignedAvailable' | 'proofOfDelivery'> {
  if (!full) return {};
  return {
    proofOfDeliverySignedAvailable: true,
    proofOfDelivery: {
      timestamp: formatDhlTimestamp(delivered.at, delivered.location?.countryCode ?? s.destination?.countryCode, 'full'),
      documentUrl: `https://webpod.dhl.com/webPOD/DHLePODRequest?piececode=${encodeURIComponent(s.trackingNumber)}`,
    },
  };
}

/** DHL's paging links (1.3.2 `TrackingShipments`), only when the shipments fill more than one page. */
function pageLinks(trackingNumber: string, total: number, page: DhlPageRequest): Pick<DhlWireAnswer, 'url' | 'firstUrl' | 'prevUrl' | 'nextUrl' | 'lastUrl'> {
  if (total <= page.limit && page.offset === 0) return {};
  const at = (offset: number) => `/track/shipments?trackingNumber=${encodeURIComponent(trackingNumber)}&offset=${offset}&limit=${page.limit}`;
  const lastOffset = Math.max(0, Math.floor((total - 1) / page.limit) * page.limit);
  return {
    url: at(page.offset),
    firstUrl: at(0),
    ...(page.offset > 0 ? { prevUrl: at(Math.max(0, page.offset - page.limit)) } : {}),
    ...(page.offset + page.limit < total ? { nextUrl: at(page.offset + page.limit) } : {}),
    lastUrl: at(lastOffset),
  };
}

function normaliseNumber(n: string): string {
  return n.replace(/\s+/g, '').toUpperCase();
}

function samePostalCode(a: string, b: string): boolean {
  return a.replace(/\s+/g, '').toUpperCase() === b.replace(/\s+/g, '').toUpperCase();
}

